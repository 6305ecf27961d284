//===- LoopUtils.h - small queries the GPU loop passes share ----*- C++ -*-===//
//
// Helpers for the passes that reshape the kernel-shaped loops
// (cnn-map-loops-to-gpu, cnn-tile-contractions, cnn-launch-tiled-loops).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_GPU_LOOPUTILS_H
#define CNNC_COMPILER_GPU_LOOPUTILS_H

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

} // namespace mlir::cnn

#endif // CNNC_COMPILER_GPU_LOOPUTILS_H
