//===- GradientsToLinalg.cpp - non-spatial backward ops to linalg ---------===//
//
// The training program's element-wise, dense, reshaping, normalisation,
// softmax and loss gradients, lowered like their forward ops in
// CNNToLinalg.cpp: named linalg ops where upstream has one (the two dense
// gradients are matmuls that read an operand transposed through the op's
// indexing, never a materialised transpose), linalg.generic otherwise.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

/// The derivative written in the forward output y, as the op defines it.
struct ActivationBackwardLowering : OpRewritePattern<ActivationBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ActivationBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Activation act = op.getAct();
    Value result =
        elementwise(rewriter, op.getLoc(), {op.getGradOutput(), op.getOutput()},
                    [act](OpBuilder &nb, Location l, ValueRange args) -> Value {
                      return activationGradient(nb, l, act, args[0], args[1]);
                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A fused_pool_act_backward the vector code did not take
/// (cnn-fused-to-vector) as the chain of ops it fuses, which the other
/// patterns lower.
struct FusedPoolActBackwardLowering : OpRewritePattern<FusedPoolActBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FusedPoolActBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value map = op.getOutput();
    auto mapType = cast<RankedTensorType>(map.getType());
    Value grad = op.getGradOutput();
    if (std::optional<PoolKind> pool = op.getPool()) {
      if (!op.getPoolKernel() || !op.getPoolStride())
        return rewriter.notifyMatchFailure(op, "pool without kernel/stride");
      DenseI64ArrayAttr kernel = op.getPoolKernelAttr(),
                        stride = op.getPoolStrideAttr(),
                        padding = op.getPoolPaddingAttr();
      if (*pool == PoolKind::Avg)
        grad = rewriter.create<AvgPool2DBackwardOp>(
            loc, mapType, grad, kernel, stride, padding,
            rewriter.getDenseI64ArrayAttr(mapType.getShape().drop_front(2)));
      else
        grad = rewriter.create<MaxPool2DBackwardOp>(loc, mapType, grad, map,
                                                    kernel, stride, padding);
    }
    Value gradInput = rewriter.create<ActivationBackwardOp>(
        loc, mapType, grad, map, op.getActAttr());
    Value gradBias = rewriter.create<BiasBackwardOp>(
        loc, op.getGradBias().getType(), gradInput);
    rewriter.replaceOp(op, {gradInput, gradBias});
    return success();
  }
};

/// Σ over every dimension but 1, in one reduction.
struct BiasBackwardLowering : OpRewritePattern<BiasBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BiasBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value gy = op.getGradOutput();
    unsigned rank = cast<RankedTensorType>(gy.getType()).getRank();
    auto type = cast<RankedTensorType>(op.getType());
    Value init =
        fill(rewriter, loc, f32Const(rewriter, loc, 0.0),
             rewriter.create<tensor::EmptyOp>(loc, type, ValueRange{}));
    SmallVector<utils::IteratorType> it(rank, utils::IteratorType::reduction);
    it[1] = utils::IteratorType::parallel;
    AffineMap out = AffineMap::get(rank, 0, rewriter.getAffineDimExpr(1));
    Value sum =
        rewriter
            .create<linalg::GenericOp>(
                loc, type, gy, init,
                ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(rank), out},
                it,
                [](OpBuilder &nb, Location l, ValueRange args) {
                  nb.create<linalg::YieldOp>(
                      l, nb.create<arith::AddFOp>(l, args[1], args[0])
                             .getResult());
                })
            .getResult(0);
    rewriter.replaceOp(op, sum);
    return success();
  }
};

/// The dense gradients are one named matmul each into a zero tensor:
/// grad_input = grad_output [N, M] · weight [M, K] is a plain matmul;
/// grad_weight = grad_outputᵀ · input is a matmul_transpose_a, which reads
/// grad_output [N, M] as [M, N] and sums over the batch.
template <typename OpTy, typename MatmulOpTy>
struct DenseBackwardLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value init = zerosLike(rewriter, op.getLoc(), type, op.getGradOutput());
    rewriter.replaceOpWithNewOp<MatmulOpTy>(
        op, TypeRange{type}, ValueRange{op.getGradOutput(), rhs(op)},
        ValueRange{init});
    return success();
  }
  static Value rhs(DenseBackwardInputOp op) { return op.getWeight(); }
  static Value rhs(DenseBackwardWeightOp op) { return op.getInput(); }
};

/// tensor.expand_shape of dimension 1: no data moves.
struct UnflattenLowering : OpRewritePattern<UnflattenOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnflattenOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value input = op.getInput();
    // expand_shape must add a dimension; [N, K] -> [N, K] is at most a cast.
    if (type.getRank() == 2) {
      rewriter.replaceOpWithNewOp<tensor::CastOp>(op, type, input);
      return success();
    }
    ReassociationIndices rest;
    for (int64_t i = 1, e = type.getRank(); i < e; ++i)
      rest.push_back(i);
    SmallVector<OpFoldResult> sizes = {getSizes(rewriter, loc, input)[0]};
    for (int64_t size : op.getSizes())
      sizes.push_back(rewriter.getIndexAttr(size));
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, type, input, ArrayRef<ReassociationIndices>{{0}, rest}, sizes);
    return success();
  }
};

/// tensor.extract_slice: the input's gradient is a view of grad_output, as
/// its forward values were a view of the joined result. (A generic reading
/// grad_output through a shifted map would take its loop bounds from
/// grad_output where the offset is 0.)
struct ConcatBackwardLowering : OpRewritePattern<ConcatBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatBackwardOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value gy = op.getGradOutput();
    int64_t rank = type.getRank(), axis = op.getAxis();
    SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
    offsets[axis] = rewriter.getIndexAttr(op.getOffset());
    SmallVector<OpFoldResult> sizes = getSizes(rewriter, op.getLoc(), gy);
    sizes[axis] = rewriter.getIndexAttr(op.getSize());
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(op, type, gy, offsets,
                                                        sizes, strides);
    return success();
  }
};

/// With s = k + alpha/size · Σ_window a², the op's formula in four steps:
/// the window sums, then gy·s^-beta and t = gy·a·s^(-beta-1) in one
/// generic, then Σ t over the channels whose window holds c (the mirrored
/// window), then the combination.
struct LocalResponseNormBackwardLowering
    : OpRewritePattern<LocalResponseNormBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LocalResponseNormBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value gy = op.getGradOutput(), x = op.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    if (type.getRank() != 4)
      return rewriter.notifyMatchFailure(op, "LRN is lowered for NCHW only");
    int64_t size = op.getSize();
    double alpha = op.getAlpha().convertToFloat();
    float beta = op.getBeta().convertToFloat();
    float k = op.getK().convertToFloat();

    Value squared = elementwise(
        rewriter, loc, {x}, [](OpBuilder &nb, Location l, ValueRange a) {
          return nb.create<arith::MulFOp>(l, a[0], a[0]).getResult();
        });
    Value sumSq = channelWindowSum(rewriter, loc, squared, size, size / 2);

    AffineMap id = rewriter.getMultiDimIdentityMap(4);
    auto partial = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{type, type}, ValueRange{gy, x, sumSq},
        ValueRange{emptyLike(rewriter, loc, type, x),
                   emptyLike(rewriter, loc, type, x)},
        ArrayRef<AffineMap>{id, id, id, id, id}, parallel(4),
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value s = nb.create<arith::AddFOp>(
              l,
              nb.create<arith::MulFOp>(
                  l, args[2],
                  f32Const(nb, l, alpha / static_cast<double>(size))),
              f32Const(nb, l, k));
          Value sPow = nb.create<math::PowFOp>(l, s, f32Const(nb, l, -beta));
          Value direct = nb.create<arith::MulFOp>(l, args[0], sPow);
          Value gyX = nb.create<arith::MulFOp>(l, args[0], args[1]);
          Value t = nb.create<arith::DivFOp>(
              l, nb.create<arith::MulFOp>(l, gyX, sPow), s);
          nb.create<linalg::YieldOp>(l, ValueRange{direct, t});
        });
    Value cross = channelWindowSum(rewriter, loc, partial.getResult(1), size,
                                   (size - 1) / 2);

    double factor =
        2.0 * alpha * static_cast<double>(beta) / static_cast<double>(size);
    Value result = elementwise(
        rewriter, loc, {partial.getResult(0), x, cross},
        [&](OpBuilder &nb, Location l, ValueRange args) {
          Value ax = nb.create<arith::MulFOp>(l, args[1], args[2]);
          Value scaled =
              nb.create<arith::MulFOp>(l, ax, f32Const(nb, l, factor));
          return nb.create<arith::SubFOp>(l, args[0], scaled).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// softmax: y·(g - Σ g·y); log_softmax: g - exp(y)·Σ g. One reduction
/// along the axis, then one element-wise pass.
template <typename OpTy, bool Log>
struct SoftmaxBackwardLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value gy = op.getGradOutput(), y = op.getOutput();
    int64_t axis = op.getAxis();
    auto type = cast<RankedTensorType>(y.getType());
    unsigned rank = type.getRank();
    Value sum =
        Log ? sumAxis(rewriter, loc, {gy}, axis,
                      [](OpBuilder &, Location, ValueRange a) { return a[0]; })
            : sumAxis(
                  rewriter, loc, {gy, y}, axis,
                  [](OpBuilder &nb, Location l, ValueRange a) {
                    return nb.create<arith::MulFOp>(l, a[0], a[1]).getResult();
                  });
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    Value result =
        generic(rewriter, loc, type, {gy, y, sum},
                {id, id, dropDim(rewriter, rank, axis)}, y,
                [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                  if (Log) {
                    Value p = nb.create<math::ExpOp>(l, a[1]);
                    return nb.create<arith::SubFOp>(
                        l, a[0], nb.create<arith::MulFOp>(l, p, a[2]));
                  }
                  return nb.create<arith::MulFOp>(
                      l, a[1], nb.create<arith::SubFOp>(l, a[0], a[2]));
                });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// (softmax(logits) - onehot(labels)) / N: the row max and Σ exp(x - max)
/// as in the forward loss, then one pass comparing the class index with the
/// row's label.
struct CrossEntropyBackwardLowering : OpRewritePattern<CrossEntropyBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = op.getLogits();
    auto type = cast<RankedTensorType>(logits.getType());
    auto [max, sum] = maxAndSumExp(rewriter, loc, logits, 1);
    Value batch = elementCount(rewriter, loc, op.getLabels());
    AffineMap id = rewriter.getMultiDimIdentityMap(2);
    AffineMap row = dropDim(rewriter, 2, 1);
    Value result =
        generic(rewriter, loc, type, {logits, max, sum, op.getLabels()},
                {id, row, row, row}, logits,
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value e = nb.create<math::ExpOp>(
                      l, nb.create<arith::SubFOp>(l, a[0], a[1]));
                  Value p = nb.create<arith::DivFOp>(l, e, a[2]);
                  Value cls = nb.create<arith::IndexCastOp>(
                      l, nb.getI32Type(), nb.create<linalg::IndexOp>(l, 1));
                  Value hit = nb.create<arith::CmpIOp>(
                      l, arith::CmpIPredicate::eq, cls, a[3]);
                  Value onehot = nb.create<arith::SelectOp>(
                      l, hit, f32Const(nb, l, 1.0), f32Const(nb, l, 0.0));
                  Value diff = nb.create<arith::SubFOp>(l, p, onehot);
                  return nb.create<arith::DivFOp>(l, diff, batch).getResult();
                });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// 2·(prediction - target) / count, the factor computed once.
struct MSEBackwardLowering : OpRewritePattern<MSEBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MSEBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value factor = rewriter.create<arith::DivFOp>(
        loc, f32Const(rewriter, loc, 2.0),
        elementCount(rewriter, loc, op.getPrediction()));
    Value result =
        elementwise(rewriter, loc, {op.getPrediction(), op.getTarget()},
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      Value d = nb.create<arith::SubFOp>(l, a[0], a[1]);
                      return nb.create<arith::MulFOp>(l, d, factor).getResult();
                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::cnn::populateGradientsToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<
      ActivationBackwardLowering, FusedPoolActBackwardLowering,
      BiasBackwardLowering,
      DenseBackwardLowering<DenseBackwardInputOp, linalg::MatmulOp>,
      DenseBackwardLowering<DenseBackwardWeightOp, linalg::MatmulTransposeAOp>,
      UnflattenLowering, ConcatBackwardLowering,
      LocalResponseNormBackwardLowering,
      SoftmaxBackwardLowering<SoftmaxBackwardOp, false>,
      SoftmaxBackwardLowering<LogSoftmaxBackwardOp, true>,
      CrossEntropyBackwardLowering, MSEBackwardLowering>(patterns.getContext());
}
