//===- Driver.h - the pipeline cnnc runs ------------------------*- C++ -*-===//
//
// From a .mdl file to the stage the user asked for. The tool's main only
// parses the command line; everything that can fail on user input is here
// and reports through Diagnostics.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_DRIVER_DRIVER_H
#define CNNC_COMPILER_DRIVER_DRIVER_H

#include <string>

namespace cnnc {

/// The stages `cnnc --emit=` can stop at, in pipeline order.
enum class EmitStage { Ast, Cnn, Linalg, LLVMDialect, LLVM, Ptx, Asm, Obj, So };

struct DriverOptions {
  std::string inputPath;
  /// "-" is stdout; empty picks `<model file stem>.so` / `.o` for the binary
  /// stages and stdout for the text ones.
  std::string outputPath;
  EmitStage emit = EmitStage::So;
  bool summary = false;     // print the layer table instead of a stage
  std::string cpu = "host"; // see createTargetMachine
  bool fuse = true;         // the fusion passes (--no-fuse)
  /// The CPU code built from the GPU pipeline's kernel-shaped loops, run
  /// one iteration after another (buildGPULoopsOnCPUPipeline): checks the
  /// GPU mapping of whole models where there is no GPU. Slow.
  bool gpuLoopsOnCpu = false;
  std::string modelRuntimeArchive; // libcnnc_model.a, for EmitStage::So
  /// CUDA code next to the CPU's, when a toolkit is found (`--no-cuda`
  /// turns it off). `cudaRequired` (an explicit --cuda-arch or --cuda-path)
  /// makes a missing toolkit an error instead of a CPU-only library.
  bool cuda = true;
  bool cudaRequired = false;
  std::string cudaArch = "sm_90";
  std::string cudaPath;          // empty: $CUDA_PATH, else /usr/local/cuda
  int64_t gpuTileOutputs = 4;    // CudaOptions::tileOutputsPerThread (0: none)
  bool gpuAlignedSlices = false; // CudaOptions::alignSlices
  int64_t gpuIndexBits = 32;     // CudaOptions::indexBitwidth
};

/// Runs the pipeline; returns the process exit code (0 on success, 1 after
/// an error was reported).
int runDriver(const DriverOptions &options);

} // namespace cnnc

#endif // CNNC_COMPILER_DRIVER_DRIVER_H
