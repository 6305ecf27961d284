//===- Pipelines.h - the pass pipelines cnnc runs ---------------*- C++ -*-===//
//
// The CPU pipeline in named stages, so `cnnc --emit=<stage>`, `cnnc-opt` and
// the tests run exactly the same passes.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_DRIVER_PIPELINES_H
#define CNNC_COMPILER_DRIVER_PIPELINES_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace cnnc {

/// The model's ABI entries: the gradient of the loss (cnn-differentiate),
/// parameters and gradients packed into flat buffers (cnn-pack-parameters),
/// the training step and evaluation (cnn-build-train-step). Runs first on
/// the way to native code.
void buildModelEntryPipeline(mlir::OpPassManager &pm);

/// cnn ops → linalg/tensor/arith/math on tensors (`--emit=linalg`). With
/// `fuse`, conv + activation (+ pool) in inference functions become fused
/// ops first, and those the CPU code handles become vector loops
/// (cnn-fuse-conv-act-pool, cnn-fused-to-vector).
void buildCnnToLinalgPipeline(mlir::OpPassManager &pm, bool fuse = true);

/// Linalg on tensors → the llvm dialect: one-shot bufferization, loops,
/// libm calls for transcendental functions (`--emit=llvm-dialect` runs both
/// stages).
void buildLinalgToLLVMPipeline(mlir::OpPassManager &pm);

/// Registers `cnnc-cpu-to-linalg` and `cnnc-cpu-to-llvm` with cnnc-opt.
void registerPipelines();

} // namespace cnnc

#endif // CNNC_COMPILER_DRIVER_PIPELINES_H
