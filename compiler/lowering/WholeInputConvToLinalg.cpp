//===- WholeInputConvToLinalg.cpp - convolutions that are dense layers ----===//
//
// A convolution whose kernel covers its whole (unpadded) input, such as
// LeNet-5's c5 (16x5x5 in, 5x5 kernel, 120x1x1 out), computes one output
// pixel per filter: it is a dense layer over the flattened input. Lowered as
// a convolution its input gradient would convolve a 1x1 gradient spread on a
// zero grid as large as the input plus the kernel (25 times the work for
// c5) and its forward pass and weight gradient would have rows one pixel
// wide. As matrix products (the dense layer's three, on collapsed shapes)
// they get the dense layers' vector code instead.
//
// These patterns have a higher benefit than the general convolution
// lowerings and apply only to ungrouped convolutions without a connection
// table, padding or dilation.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"

#include "dialects/cnn/CNNOps.h"
#include "dialects/cnn/ConvGeometry.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

/// kernelCoversWholeInput for `op`'s attributes, where `input` is the image
/// the convolution reads (the forward input, or the gradient ops' image).
template <typename OpTy>
bool coversWholeInput(OpTy op, Value input, Value weight) {
  return kernelCoversWholeInput(input.getType(), weight.getType(),
                                op.getPadding(), op.getDilation(),
                                op.getGroups(), bool(op.getConnections()));
}

/// [N, C, H, W] (or [F, C, KH, KW]) as [N, C*H*W]: no data moves.
Value flattenImage(OpBuilder &b, Location loc, Value v) {
  return b.create<tensor::CollapseShapeOp>(
      loc, v, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}});
}

/// `matrix` [N, K] as `type` [N, C, H, W], N taken from `matrix`.
Value unflattenImage(OpBuilder &b, Location loc, Value matrix,
                     RankedTensorType type) {
  SmallVector<OpFoldResult> sizes = {getSizes(b, loc, matrix)[0]};
  for (int64_t i = 1; i < 4; ++i)
    sizes.push_back(b.getIndexAttr(type.getDimSize(i)));
  return b.create<tensor::ExpandShapeOp>(
      loc, type, matrix, ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}}, sizes);
}

/// y [N, F, 1, 1] = x [N, C*H*W] · w [F, C*H*W]ᵀ + b.
struct WholeInputConv2DLowering : OpRewritePattern<Conv2DOp> {
  WholeInputConv2DLowering(MLIRContext *ctx)
      : OpRewritePattern(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    if (!coversWholeInput(op, op.getInput(), op.getWeight()))
      return failure();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto flatType = RankedTensorType::get(
        {type.getDimSize(0), type.getDimSize(1)}, rewriter.getF32Type());
    Value init = op.getBias()
                     ? broadcastAlong(rewriter, loc, op.getBias(), flatType, 1,
                                      op.getInput())
                     : zerosLike(rewriter, loc, flatType, op.getInput());
    Value flat =
        rewriter
            .create<linalg::MatmulTransposeBOp>(
                loc, TypeRange{flatType},
                ValueRange{flattenImage(rewriter, loc, op.getInput()),
                           flattenImage(rewriter, loc, op.getWeight())},
                ValueRange{init})
            .getResult(0);
    rewriter.replaceOp(op, unflattenImage(rewriter, loc, flat, type));
    return success();
  }
};

/// A gradient of a whole-input convolution as one product into zeros of
/// [N or F, C*H*W]: `MatmulOpTy` of the flattened gradient of the output and
/// `other` (the weight or the input), expanded back to the op's type.
template <typename OpTy, typename MatmulOpTy>
struct WholeInputGradientLowering : OpRewritePattern<OpTy> {
  WholeInputGradientLowering(MLIRContext *ctx)
      : OpRewritePattern<OpTy>(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto [image, weight] = convOperands(op);
    if (!coversWholeInput(op, image, weight) ||
        !staticButBatch({op.getGradOutput()}))
      return failure();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    auto flatType = RankedTensorType::get(
        {type.getDimSize(0),
         type.getDimSize(1) * type.getDimSize(2) * type.getDimSize(3)},
        rewriter.getF32Type());
    Value gy = flattenImage(rewriter, loc, op.getGradOutput());
    Value flat = rewriter
                     .create<MatmulOpTy>(
                         loc, TypeRange{flatType},
                         ValueRange{gy, flattenImage(rewriter, loc, other(op))},
                         ValueRange{zerosLike(rewriter, loc, flatType, gy)})
                     .getResult(0);
    rewriter.replaceOp(op, unflattenImage(rewriter, loc, flat, type));
    return success();
  }

  /// The convolution's input and weight, one of them the op's result.
  static std::pair<Value, Value> convOperands(Conv2DBackwardInputOp op) {
    return {op.getResult(), op.getWeight()};
  }
  static std::pair<Value, Value> convOperands(Conv2DBackwardWeightOp op) {
    return {op.getInput(), op.getResult()};
  }
  static Value other(Conv2DBackwardInputOp op) { return op.getWeight(); }
  static Value other(Conv2DBackwardWeightOp op) { return op.getInput(); }
};

} // namespace

void mlir::cnn::populateWholeInputConvToLinalgPatterns(
    RewritePatternSet &patterns) {
  // dx [N, C*H*W] = dy [N, F] · w [F, C*H*W]; dw [F, C*H*W] = dy [N, F]ᵀ ·
  // x [N, C*H*W], summed over the batch.
  patterns
      .add<WholeInputConv2DLowering,
           WholeInputGradientLowering<Conv2DBackwardInputOp, linalg::MatmulOp>,
           WholeInputGradientLowering<Conv2DBackwardWeightOp,
                                      linalg::MatmulTransposeAOp>>(
          patterns.getContext());
}
