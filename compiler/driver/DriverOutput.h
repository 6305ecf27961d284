//===- DriverOutput.h - how the driver writes its results -------*- C++ -*-===//
//
// Internal to compiler/driver: shared by the IR stages (Driver.cpp) and the
// native ones (NativeOutput.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_DRIVER_DRIVEROUTPUT_H
#define CNNC_COMPILER_DRIVER_DRIVEROUTPUT_H

#include "compiler/codegen/ModelDescription.h"
#include "compiler/driver/Driver.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace cnnc {

/// Writes through a temporary file that replaces `path` only when the
/// write succeeded, so a failed run never leaves a truncated output behind.
/// Returns the exit code.
int writeOutput(const std::string &path,
                llvm::function_ref<bool(llvm::raw_fd_ostream &)> write);

/// From the llvm-dialect module of `model` to LLVM IR, assembly, an object
/// file or the .so (`options.emit`). `gpuModule`, when not null, is the
/// model's CUDA half (GpuOutput.h): its entries are linked in with the
/// suffix `_gpu` and recorded next to the CPU ones. Returns the exit code.
int emitNativeOutput(mlir::ModuleOp module, mlir::ModuleOp gpuModule,
                     const ModelDescription &model,
                     const DriverOptions &options);

} // namespace cnnc

#endif // CNNC_COMPILER_DRIVER_DRIVEROUTPUT_H
