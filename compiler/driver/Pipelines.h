//===- Pipelines.h - the pass pipelines cnnc runs ---------------*- C++ -*-===//
//
// The CPU pipeline in named stages, so `cnnc --emit=<stage>`, `cnnc-opt` and
// the tests run exactly the same passes.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_DRIVER_PIPELINES_H
#define CNNC_COMPILER_DRIVER_PIPELINES_H

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace cnnc {

/// Where the CUDA code goes: the chip, the toolkit that serialises it, and
/// whether to stop at PTX (`--emit=ptx`) or embed a fatbin (a cubin for
/// `arch` plus its PTX, which newer GPUs compile when loading).
struct CudaOptions {
  std::string arch = "sm_90";
  std::string toolkitPath; // holds bin/ptxas and nvvm/libdevice
  bool ptxOnly = false;
  /// Convolutions and matrix products as tiled kernels with shared memory
  /// (cnn-tile-contractions), each thread summing this many outputs along
  /// each large side of a tile (4: 4 x 4); 0: no tiles, one thread per
  /// output, to compare.
  int64_t tileOutputsPerThread = 4;
  /// Tiled kernels' slices span a convolution's window (cnn-tile-contractions'
  /// align-slices) instead of 8 terms across it; to compare.
  bool alignSlices = false;
  /// The width of the kernels' `index` (convert-gpu-to-nvvm): 32, or 64 to
  /// compare. The host's is 64 either way.
  int64_t indexBitwidth = 32;
};

/// The model's ABI entries: the gradient of the loss (cnn-differentiate),
/// parameters and gradients packed into flat buffers (cnn-pack-parameters),
/// the training step and evaluation (cnn-build-train-step). Runs first on
/// the way to native code.
void buildModelEntryPipeline(mlir::OpPassManager &pm);

/// cnn ops → linalg/tensor/arith/math on tensors (`--emit=linalg`). With
/// `fuse`, conv + activation (+ pool) and dense + activation become fused
/// ops first, and in the training step the backward of their pool,
/// activation and bias too; those the CPU code handles become vector loops
/// (cnn-fuse-conv-act-pool, cnn-fuse-dense-act, cnn-fuse-pool-act-backward,
/// cnn-fused-to-vector).
void buildCnnToLinalgPipeline(mlir::OpPassManager &pm, bool fuse = true);

/// Linalg on tensors → the llvm dialect: one-shot bufferization, loops,
/// libm calls for transcendental functions (`--emit=llvm-dialect` runs both
/// stages).
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm);

/// cnn ops → host code in the llvm dialect that launches CUDA kernels from
/// one embedded `gpu.binary`. The same program as the CPU's, unfused, with
/// every loop nest a kernel (compiler/gpu/Passes.td) and every buffer on the
/// device; lowered host code calls the runtime's `mgpu*` functions.
void buildCnnToGPUPipeline(mlir::OpPassManager &pm, const CudaOptions &cuda);

/// The GPU pipeline up to the loops that become kernels (each collapsed,
/// tiled into blocks, host code moved into one-thread loops), then lowered
/// for the CPU, where they run one iteration after another. It checks the
/// GPU-specific rewrites numerically on a machine without a GPU
/// (test/unit/LoweringTestUtil.h runs every numerics test through it).
void buildGPULoopsOnCPUPipeline(mlir::OpPassManager &pm,
                                int64_t tileOutputsPerThread = 4,
                                bool alignSlices = false);

/// Registers `cnnc-cpu-to-linalg`, `cnnc-cpu-to-llvm`, `cnnc-gpu-to-llvm`
/// (sm_90, the toolkit in /usr/local/cuda) and `cnnc-gpu-loops-on-cpu` with
/// cnnc-opt.
void registerPipelines();

} // namespace cnnc

#endif // CNNC_COMPILER_DRIVER_PIPELINES_H
