//===- TiledLoop.h - recognizing the loops cnn-tile-contractions writes ---===//
//
// A loop over tiles is known by the block buffers it allocates, not by an
// attribute on the loop: canonicalization rebuilds loops (dropping a grid
// dimension of one block) without their attributes, but keeps the
// allocations'.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_GPU_TILEDLOOP_H
#define CNNC_COMPILER_GPU_TILEDLOOP_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::cnn {

/// Marks a block's buffer: "workgroup" (shared by the block's threads) or
/// "private" (one row per thread, indexed first by the thread).
constexpr llvm::StringLiteral kBlockMemoryAttr = "cnn.memory";

/// Whether `loop` is a loop over tiles: a top-level loop whose body
/// allocates block buffers.
inline bool isTiledLoop(scf::ParallelOp loop) {
  return loop
      ->walk([](memref::AllocOp alloc) {
        return alloc->hasAttr(kBlockMemoryAttr) ? WalkResult::interrupt()
                                                : WalkResult::advance();
      })
      .wasInterrupted();
}

} // namespace mlir::cnn

#endif // CNNC_COMPILER_GPU_TILEDLOOP_H
