//===- GpuOutput.h - the CUDA half of a compiled model ----------*- C++ -*-===//
//
// Internal to compiler/driver: finding the CUDA toolkit, lowering a copy of
// the model's entries to host code that launches kernels, and `--emit=ptx`.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_DRIVER_GPUOUTPUT_H
#define CNNC_COMPILER_DRIVER_GPUOUTPUT_H

#include "compiler/codegen/ModelDescription.h"
#include "compiler/driver/Driver.h"
#include "compiler/driver/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>
#include <string>

namespace cnnc {

/// The toolkit for `options`: --cuda-path, else $CUDA_PATH, else
/// /usr/local/cuda. None when that folder lacks ptxas, fatbinary or
/// libdevice; `why` then says what is missing where.
std::optional<std::string> findCudaToolkit(const DriverOptions &options,
                                           std::string &why);

/// Whether `arch` is a chip both LLVM 19's NVPTX back end and the CUDA 12/13
/// toolkits compile for ("sm_75" ... "sm_90a").
bool isSupportedCudaArch(llvm::StringRef arch);

/// A copy of `module` (cnn dialect, entries made) with the inference,
/// training step and evaluation lowered for the GPU: llvm-dialect host code
/// and one embedded binary. Null after an error was reported.
mlir::OwningOpRef<mlir::ModuleOp> buildGpuModule(mlir::ModuleOp module,
                                                 const ModelDescription &model,
                                                 const CudaOptions &cuda);

/// Writes the PTX of `gpuModule`, built with `CudaOptions::ptxOnly`.
/// Returns the exit code.
int writePtx(mlir::ModuleOp gpuModule, const std::string &path);

} // namespace cnnc

#endif // CNNC_COMPILER_DRIVER_GPUOUTPUT_H
