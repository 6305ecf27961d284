//===- CNNToLinalg.cpp - lower cnn ops to linalg on tensors ---------------===//
//
// The first lowering step: every cnn op becomes destination-style
// linalg/tensor/arith/math ops on tensors, ready for one-shot bufferization.
// Named linalg ops are used where upstream has one (they keep the door open
// for the transform-dialect schedules in MLIR19-NOTES.md); the rest are
// linalg.generic. The batch dimension may be dynamic throughout.
//
// This file has the pass and the non-spatial ops (activations, dense,
// softmax, LRN, shape ops, losses); conv and pooling are in
// ConvPoolToLinalg.cpp; the training program's ops (backward ops, dropout's
// mask, optimizer updates) in the files LoweringPatterns.h lists.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"
#include "compiler/lowering/Passes.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#define DEBUG_TYPE "cnn-to-linalg"

namespace mlir::cnn {
#define GEN_PASS_DEF_CONVERTCNNTOLINALG
#include "compiler/lowering/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A 0-d f32 tensor holding zero: the accumulator of the losses.
Value scalarZero(OpBuilder &b, Location loc) {
  Value empty =
      b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{}, b.getF32Type());
  return fill(b, loc, f32Const(b, loc, 0.0), empty);
}

/// Multiplies the 0-d `acc` by `factor` (a scalar computed outside).
Value scaleScalar(OpBuilder &b, Location loc, Value acc, Value factor) {
  AffineMap scalar = AffineMap::get(0, 0, b.getContext());
  Value empty =
      b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{}, b.getF32Type());
  return b
      .create<linalg::GenericOp>(
          loc, acc.getType(), acc, empty, ArrayRef<AffineMap>{scalar, scalar},
          ArrayRef<utils::IteratorType>{},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::MulFOp>(l, args[0], factor).getResult());
          })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

template <typename OpTy, Activation Act>
struct ActivationLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, applyActivation(rewriter, op.getLoc(), Act, op.getInput()));
    return success();
  }
};

struct AddLowering : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    Value sum = elementwise(
        rewriter, op.getLoc(), {op.getLhs(), op.getRhs()},
        [](OpBuilder &nb, Location l, ValueRange args) {
          return nb.create<arith::AddFOp>(l, args[0], args[1]).getResult();
        });
    rewriter.replaceOp(op, sum);
    return success();
  }
};

/// Concatenation as insert_slices into one tensor.empty: this bufferizes in
/// place on 19, where tensor.concat has no bufferization model yet.
struct ConcatLowering : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis();
    int64_t rank = type.getRank();
    ValueRange inputs = op.getInputs();

    // Sizes of the result: the first input's, with the axis summed.
    SmallVector<OpFoldResult> sizes = getSizes(rewriter, loc, inputs[0]);
    SmallVector<Value> dyn;
    Value axisSize;
    for (Value in : inputs) {
      Value d = rewriter.create<tensor::DimOp>(loc, in, axis);
      axisSize =
          axisSize ? rewriter.create<arith::AddIOp>(loc, axisSize, d) : d;
    }
    for (int64_t i = 0; i < rank; ++i) {
      if (!type.isDynamicDim(i))
        continue;
      dyn.push_back(i == axis
                        ? axisSize
                        : rewriter.create<tensor::DimOp>(loc, inputs[0], i));
    }
    Value result = rewriter.create<tensor::EmptyOp>(loc, type, dyn);

    OpFoldResult offset = rewriter.getIndexAttr(0);
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    for (Value in : inputs) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      SmallVector<OpFoldResult> inSizes = getSizes(rewriter, loc, in);
      result = rewriter.create<tensor::InsertSliceOp>(loc, in, result, offsets,
                                                      inSizes, strides);
      // offset += size along the axis, folded while both are constants.
      std::optional<int64_t> a = getConstantIntValue(offset);
      std::optional<int64_t> s = getConstantIntValue(inSizes[axis]);
      if (a && s) {
        offset = rewriter.getIndexAttr(*a + *s);
      } else {
        offset =
            rewriter
                .create<arith::AddIOp>(
                    loc, getValueOrCreateConstantIndexOp(rewriter, loc, offset),
                    getValueOrCreateConstantIndexOp(rewriter, loc,
                                                    inSizes[axis]))
                .getResult();
      }
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// x · weightᵀ (+ bias) as a named matmul into the broadcast bias.
Value lowerDense(OpBuilder &b, Location loc, RankedTensorType type, Value input,
                 Value weight, Value bias) {
  Value init = bias ? broadcastAlong(b, loc, bias, type, 1, input)
                    : fill(b, loc, f32Const(b, loc, 0.0),
                           emptyLike(b, loc, type, input));
  // The weight is PyTorch's [out, in], so x · weightᵀ is matmul_transpose_b
  // with no transpose materialised.
  return b
      .create<linalg::MatmulTransposeBOp>(
          loc, TypeRange{type}, ValueRange{input, weight}, ValueRange{init})
      .getResult(0);
}

struct DenseLowering : OpRewritePattern<DenseOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DenseOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       lowerDense(rewriter, op.getLoc(),
                                  cast<RankedTensorType>(op.getType()),
                                  op.getInput(), op.getWeight(), op.getBias()));
    return success();
  }
};

/// A fused dense the vector code did not take (cnn-fused-to-vector): the
/// dense product, then the activation over its result.
struct FusedDenseActLowering : OpRewritePattern<FusedDenseActOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FusedDenseActOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dense =
        lowerDense(rewriter, loc, cast<RankedTensorType>(op.getType()),
                   op.getInput(), op.getWeight(), op.getBias());
    rewriter.replaceOp(op, applyActivation(rewriter, loc, op.getAct(), dense));
    return success();
  }
};

struct FlattenLowering : OpRewritePattern<FlattenOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FlattenOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    ReassociationIndices rest;
    for (int64_t i = 1, e = inType.getRank(); i < e; ++i)
      rest.push_back(i);
    SmallVector<ReassociationIndices> reassoc = {{0}};
    if (!rest.empty())
      reassoc.push_back(rest);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getType(), op.getInput(), reassoc);
    return success();
  }
};

template <typename OpTy, bool Log>
struct SoftmaxLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    int64_t axis = op.getAxis();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    auto [max, sum] = maxAndSumExp(rewriter, loc, input, axis);
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap red = dropDim(rewriter, rank, axis);
    Value result =
        generic(rewriter, loc, type, {input, max, sum}, {id, red, red}, input,
                [](OpBuilder &nb, Location l, ValueRange args) -> Value {
                  Value shifted = nb.create<arith::SubFOp>(l, args[0], args[1]);
                  if (Log)
                    return nb.create<arith::SubFOp>(
                        l, shifted, nb.create<math::LogOp>(l, args[2]));
                  return nb.create<arith::DivFOp>(
                      l, nb.create<math::ExpOp>(l, shifted), args[2]);
                });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// PyTorch's LocalResponseNorm: square, zero-pad the channels by size/2
/// before and (size-1)/2 after, sum a `size` window along channels, then
/// b = a / (k + alpha/size * sum)^beta.
struct LocalResponseNormLowering : OpRewritePattern<LocalResponseNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LocalResponseNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    int64_t size = op.getSize();
    float alpha = op.getAlpha().convertToFloat();
    float beta = op.getBeta().convertToFloat();
    float k = op.getK().convertToFloat();

    Value squared = mapElements(
        rewriter, loc, input, [](OpBuilder &nb, Location l, Value x) {
          return nb.create<arith::MulFOp>(l, x, x).getResult();
        });
    Value sum = channelWindowSum(rewriter, loc, squared, size, size / 2);

    double scale = static_cast<double>(alpha) / static_cast<double>(size);
    Value result = elementwise(
        rewriter, loc, {input, sum},
        [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
          Value s =
              nb.create<arith::MulFOp>(l, args[1], f32Const(nb, l, scale));
          Value base = nb.create<arith::AddFOp>(l, s, f32Const(nb, l, k));
          Value denom = nb.create<math::PowFOp>(l, base, f32Const(nb, l, beta));
          return nb.create<arith::DivFOp>(l, args[0], denom);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// -mean_n (x[n, label_n] - max_n - log Σ_c exp(x[n, c] - max_n)).
struct CrossEntropyLowering : OpRewritePattern<CrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = op.getLogits();
    auto [max, sum] = maxAndSumExp(rewriter, loc, logits, 1);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap row = AffineMap::get(1, 0, rewriter.getAffineDimExpr(0), ctx);
    AffineMap scalar = AffineMap::get(1, 0, ctx);
    // Gathers x[n, label_n] with tensor.extract: linalg has no gather, and
    // the extract bufferizes to a load.
    Value total =
        rewriter
            .create<linalg::GenericOp>(
                loc, RankedTensorType::get({}, rewriter.getF32Type()),
                ValueRange{op.getLabels(), max, sum}, scalarZero(rewriter, loc),
                ArrayRef<AffineMap>{row, row, row, scalar},
                ArrayRef<utils::IteratorType>{utils::IteratorType::reduction},
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value n = nb.create<linalg::IndexOp>(l, 0);
                  Value label = nb.create<arith::IndexCastOp>(
                      l, nb.getIndexType(), args[0]);
                  Value x = nb.create<tensor::ExtractOp>(l, logits,
                                                         ValueRange{n, label});
                  Value shifted = nb.create<arith::SubFOp>(l, x, args[1]);
                  Value logp = nb.create<arith::SubFOp>(
                      l, shifted, nb.create<math::LogOp>(l, args[2]));
                  nb.create<linalg::YieldOp>(
                      l,
                      nb.create<arith::AddFOp>(l, args[3], logp).getResult());
                })
            .getResult(0);
    Value batch = elementCount(rewriter, loc, op.getLabels());
    Value factor = rewriter.create<arith::DivFOp>(
        loc, f32Const(rewriter, loc, -1.0), batch);
    rewriter.replaceOp(op, scaleScalar(rewriter, loc, total, factor));
    return success();
  }
};

/// mean((prediction - target)^2) over every element.
struct MSELowering : OpRewritePattern<MSEOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MSEOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getPrediction().getType());
    unsigned rank = type.getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap scalar = AffineMap::get(rank, 0, rewriter.getContext());
    SmallVector<utils::IteratorType> it(rank, utils::IteratorType::reduction);
    Value total =
        rewriter
            .create<linalg::GenericOp>(
                loc, RankedTensorType::get({}, rewriter.getF32Type()),
                ValueRange{op.getPrediction(), op.getTarget()},
                scalarZero(rewriter, loc), ArrayRef<AffineMap>{id, id, scalar},
                it,
                [](OpBuilder &nb, Location l, ValueRange args) {
                  Value d = nb.create<arith::SubFOp>(l, args[0], args[1]);
                  Value sq = nb.create<arith::MulFOp>(l, d, d);
                  nb.create<linalg::YieldOp>(
                      l, nb.create<arith::AddFOp>(l, args[2], sq).getResult());
                })
            .getResult(0);
    Value count = elementCount(rewriter, loc, op.getPrediction());
    Value factor = rewriter.create<arith::DivFOp>(
        loc, f32Const(rewriter, loc, 1.0), count);
    rewriter.replaceOp(op, scaleScalar(rewriter, loc, total, factor));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertCNNToLinalg final
    : mlir::cnn::impl::ConvertCNNToLinalgBase<ConvertCNNToLinalg> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateConvPoolToLinalgPatterns(patterns);
    populateWholeInputConvToLinalgPatterns(patterns);
    populateSpatialGradientsToLinalgPatterns(patterns);
    populateMaxPoolGradientToLinalgPatterns(patterns);
    populateGradientsToLinalgPatterns(patterns);
    populateDropoutToLinalgPatterns(patterns);
    populateOptimizersToLinalgPatterns(patterns);
    patterns.add<
        ActivationLowering<TanhOp, Activation::Tanh>,
        ActivationLowering<ScaledTanhOp, Activation::ScaledTanh>,
        ActivationLowering<ReluOp, Activation::Relu>,
        ActivationLowering<SigmoidOp, Activation::Sigmoid>, AddLowering,
        ConcatLowering, DenseLowering, FusedDenseActLowering, FlattenLowering,
        SoftmaxLowering<SoftmaxOp, false>, SoftmaxLowering<LogSoftmaxOp, true>,
        LocalResponseNormLowering, CrossEntropyLowering, MSELowering>(ctx);

    // Every cnn op has a pattern; an op left over (a future op) is an error
    // that names it.
    ConversionTarget target(*ctx);
    target.addIllegalDialect<CNNDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect>();
    target.addLegalOp<func::FuncOp, func::ReturnOp>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
