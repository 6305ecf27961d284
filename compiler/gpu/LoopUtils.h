//===- LoopUtils.h - small queries the GPU loop passes share ----*- C++ -*-===//
//
// Helpers for the passes that reshape the kernel-shaped loops
// (cnn-map-loops-to-gpu, cnn-tile-contractions, cnn-launch-tiled-loops,
// cnn-split-long-sums) and move a step's scalars into them
// (cnn-sink-scalars-into-kernels, cnn-scalars-in-device-memory).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_GPU_LOOPUTILS_H
#define CNNC_COMPILER_GPU_LOOPUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::cnn {

/// The buffer a view reads from, through subviews, reshapes and casts.
inline Value rootBuffer(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  return memref;
}

/// Whether `value` is the constant `expected`.
inline bool isConstantIndex(Value value, int64_t expected) {
  std::optional<int64_t> constant = getConstantIntValue(value);
  return constant && *constant == expected;
}

/// ceil(n / d) as (n + d - 1) / d: arith.ceildivui has no lowering to LLVM
/// or NVVM without arith-expand first.
inline Value ceilDivIndex(OpBuilder &b, Location loc, Value n, int64_t d) {
  Value rounded = b.create<arith::AddIOp>(
      loc, n, b.create<arith::ConstantIndexOp>(loc, d - 1));
  return b.create<arith::DivUIOp>(loc, rounded,
                                  b.create<arith::ConstantIndexOp>(loc, d));
}

/// Whether `value` is one of the scalar arguments of a training step that
/// change from step to step: the learning rate, the step number, the
/// dropout seed.
inline bool isStepScalar(func::FuncOp function, Value value) {
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != &function.getBody().front())
    return false;
  unsigned index = arg.getArgNumber();
  return function.getArgAttr(index, "cnn.learning_rate") ||
         function.getArgAttr(index, "cnn.step") ||
         function.getArgAttr(index, "cnn.seed");
}

} // namespace mlir::cnn

#endif // CNNC_COMPILER_GPU_LOOPUTILS_H
