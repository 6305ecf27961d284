//===- Registration.h - dialects and passes cnnc uses -----------*- C++ -*-===//
//
// One list of the dialects, interface models and passes the cnnc pipeline
// uses, shared by cnnc-opt and cnnc so both accept the same IR. We register
// only what we use: the InitAll* headers cost a minute of compile time.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_DRIVER_REGISTRATION_H
#define CNNC_COMPILER_DRIVER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace cnnc {

/// Adds cnn and the upstream dialects the pipeline lowers through (func,
/// arith, math, tensor, linalg, memref, scf, bufferization, gpu, nvvm, llvm),
/// with the external models bufferization and LLVM conversion need.
void registerDialects(mlir::DialectRegistry &registry);

/// Registers the passes and named pipelines cnnc uses, so cnnc-opt can run
/// each and the driver can build its pipelines from their names.
void registerPasses();

} // namespace cnnc

#endif // CNNC_COMPILER_DRIVER_REGISTRATION_H
