//===- ConvGeometry.cpp - facts about a convolution's window --------------===//

#include "dialects/cnn/ConvGeometry.h"

#include "mlir/IR/BuiltinTypes.h"

bool mlir::cnn::kernelCoversWholeInput(Type input, Type weight,
                                       llvm::ArrayRef<int64_t> padding,
                                       llvm::ArrayRef<int64_t> dilation,
                                       int64_t groups, bool hasConnections) {
  auto in = dyn_cast<RankedTensorType>(input);
  auto w = dyn_cast<RankedTensorType>(weight);
  if (!in || !w || in.getRank() != 4 || w.getRank() != 4 ||
      !w.hasStaticShape() || in.isDynamicDim(1) || in.isDynamicDim(2) ||
      in.isDynamicDim(3))
    return false;
  return groups == 1 && !hasConnections &&
         llvm::all_of(padding, [](int64_t p) { return p == 0; }) &&
         llvm::all_of(dilation, [](int64_t d) { return d == 1; }) &&
         in.getDimSize(2) == w.getDimSize(2) &&
         in.getDimSize(3) == w.getDimSize(3);
}
