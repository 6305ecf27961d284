//===- OptimizersToLinalg.cpp - SGD and Adam updates to linalg ------------===//
//
// The optimizer updates of the training step, each one element-wise
// linalg.generic over the flat parameter, gradient and state tensors that
// yields every new tensor at once, so a parameter is read and written once
// per step. What depends only on the step and the hyper-parameters (Adam's
// bias corrections, the step-1 test of momentum) is computed once, as
// scalars outside the loop, with PyTorch's precision: PyTorch evaluates
// those in Python doubles and rounds to f32 where they meet a tensor.
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

/// One linalg.generic over same-shaped `inputs` yielding `results` tensors
/// of their type: `body` gets the input elements and returns one value per
/// result.
SmallVector<Value> updateElementwise(
    OpBuilder &b, Location loc, ValueRange inputs, unsigned results,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(inputs[0].getType());
  unsigned rank = type.getRank();
  SmallVector<Value> inits;
  SmallVector<Type> types(results, type);
  for (unsigned i = 0; i < results; ++i)
    inits.push_back(emptyLike(b, loc, type, inputs[0]));
  SmallVector<AffineMap> maps(inputs.size() + results,
                              b.getMultiDimIdentityMap(rank));
  auto generic = b.create<linalg::GenericOp>(
      loc, types, inputs, inits, maps, parallel(rank),
      [&](OpBuilder &nb, Location l, ValueRange args) {
        nb.create<linalg::YieldOp>(l,
                                   body(nb, l, args.take_front(inputs.size())));
      });
  return SmallVector<Value>(generic.getResults());
}

/// grad + weight_decay·param, or grad alone when the decay is 0 (PyTorch
/// skips the term then, so inf/NaN parameters do not leak into it).
Value decayed(OpBuilder &b, Location loc, Value grad, Value param,
              float weightDecay) {
  if (weightDecay == 0.0f)
    return grad;
  Value term =
      b.create<arith::MulFOp>(loc, param, f32Const(b, loc, weightDecay));
  return b.create<arith::AddFOp>(loc, grad, term);
}

/// 1 - v computed in double and rounded to f32: how PyTorch's
/// `alpha=1 - dampening` and `1 - beta` reach an f32 kernel.
Value oneMinus(OpBuilder &b, Location loc, float v) {
  return f32Const(b, loc, 1.0 - static_cast<double>(v));
}

/// param - lr·(grad + weight_decay·param).
struct SGDUpdateLowering : OpRewritePattern<SGDUpdateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SGDUpdateOp op,
                                PatternRewriter &rewriter) const override {
    Value lr = op.getLr();
    float decay = op.getWeightDecay().convertToFloat();
    SmallVector<Value> results = updateElementwise(
        rewriter, op.getLoc(), {op.getParam(), op.getGrad()}, 1,
        [&](OpBuilder &nb, Location l, ValueRange a) -> SmallVector<Value> {
          Value g = decayed(nb, l, a[1], a[0], decay);
          Value step = nb.create<arith::MulFOp>(l, lr, g);
          return {nb.create<arith::SubFOp>(l, a[0], step)};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// PyTorch's SGD with momentum. At step 1 the buffer is g itself (PyTorch
/// clones the gradient into a fresh buffer); the test is one scalar compare
/// outside the loop and an arith.select inside it.
struct SGDMomentumUpdateLowering : OpRewritePattern<SGDMomentumUpdateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SGDMomentumUpdateOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lr = op.getLr();
    float decay = op.getWeightDecay().convertToFloat();
    float momentum = op.getMomentum().convertToFloat();
    float dampening = op.getDampening().convertToFloat();
    bool nesterov = op.getNesterov();
    Value firstStep = rewriter.create<arith::CmpIOp>(
        loc, arith::CmpIPredicate::eq, op.getStep(),
        rewriter.create<arith::ConstantOp>(loc, rewriter.getI64IntegerAttr(1)));
    SmallVector<Value> results = updateElementwise(
        rewriter, loc, {op.getParam(), op.getGrad(), op.getMomentumBuffer()}, 2,
        [&](OpBuilder &nb, Location l, ValueRange a) -> SmallVector<Value> {
          Value g = decayed(nb, l, a[1], a[0], decay);
          Value mu = f32Const(nb, l, momentum);
          Value kept = nb.create<arith::MulFOp>(l, a[2], mu);
          Value fresh =
              nb.create<arith::MulFOp>(l, g, oneMinus(nb, l, dampening));
          Value later = nb.create<arith::AddFOp>(l, kept, fresh);
          Value buf = nb.create<arith::SelectOp>(l, firstStep, g, later);
          Value dir = nesterov ? nb.create<arith::AddFOp>(
                                     l, g, nb.create<arith::MulFOp>(l, buf, mu))
                               : buf;
          Value param = nb.create<arith::SubFOp>(
              l, a[0], nb.create<arith::MulFOp>(l, lr, dir));
          return {param, buf};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// PyTorch's Adam (L2 decay), operation for operation as its single-tensor
/// f32 path: with bc1 = 1 - beta1^step and bc2 = 1 - beta2^step in double,
/// step_size = lr / bc1 and sqrt(bc2) are rounded to f32 once; per element
/// param - step_size·m / (sqrt(v) / sqrt(bc2) + eps).
struct AdamUpdateLowering : OpRewritePattern<AdamUpdateOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AdamUpdateOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    float decay = op.getWeightDecay().convertToFloat();
    float beta1 = op.getBeta1().convertToFloat();
    float beta2 = op.getBeta2().convertToFloat();
    float eps = op.getEps().convertToFloat();
    auto weight1 = static_cast<float>(1.0 - static_cast<double>(beta1));
    auto weight2 = static_cast<float>(1.0 - static_cast<double>(beta2));

    Type f32 = rewriter.getF32Type(), f64 = rewriter.getF64Type();
    auto f64Const = [&](double v) -> Value {
      return rewriter.create<arith::ConstantOp>(loc,
                                                rewriter.getF64FloatAttr(v));
    };
    Value step = rewriter.create<arith::SIToFPOp>(loc, f64, op.getStep());
    auto correction = [&](float beta) -> Value {
      Value power = rewriter.create<math::PowFOp>(loc, f64Const(beta), step);
      return rewriter.create<arith::SubFOp>(loc, f64Const(1.0), power);
    };
    Value lr = rewriter.create<arith::ExtFOp>(loc, f64, op.getLr());
    Value stepSize = rewriter.create<arith::TruncFOp>(
        loc, f32, rewriter.create<arith::DivFOp>(loc, lr, correction(beta1)));
    Value sqrtBc2 = rewriter.create<arith::TruncFOp>(
        loc, f32, rewriter.create<math::SqrtOp>(loc, correction(beta2)));

    SmallVector<Value> results = updateElementwise(
        rewriter, loc,
        {op.getParam(), op.getGrad(), op.getExpAvg(), op.getExpAvgSq()}, 3,
        [&](OpBuilder &nb, Location l, ValueRange a) -> SmallVector<Value> {
          Value g = decayed(nb, l, a[1], a[0], decay);
          // m moves towards g by lerp (PyTorch's exp_avg.lerp_(g, w), w =
          // 1 - beta1, whose formula depends on w < 0.5); v by
          // v·beta2 + w2·g·g (mul_ then addcmul_).
          Value toG = nb.create<arith::SubFOp>(l, g, a[2]);
          Value m;
          if (weight1 < 0.5f) {
            Value step =
                nb.create<arith::MulFOp>(l, f32Const(nb, l, weight1), toG);
            m = nb.create<arith::AddFOp>(l, a[2], step);
          } else {
            Value back = nb.create<arith::MulFOp>(
                l, toG, f32Const(nb, l, 1.0f - weight1));
            m = nb.create<arith::SubFOp>(l, g, back);
          }
          Value w2g = nb.create<arith::MulFOp>(l, f32Const(nb, l, weight2), g);
          Value v = nb.create<arith::AddFOp>(
              l, nb.create<arith::MulFOp>(l, a[3], f32Const(nb, l, beta2)),
              nb.create<arith::MulFOp>(l, w2g, g));
          Value denom = nb.create<arith::AddFOp>(
              l,
              nb.create<arith::DivFOp>(l, nb.create<math::SqrtOp>(l, v),
                                       sqrtBc2),
              f32Const(nb, l, eps));
          Value update = nb.create<arith::DivFOp>(
              l, nb.create<arith::MulFOp>(l, stepSize, m), denom);
          return {nb.create<arith::SubFOp>(l, a[0], update), m, v};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mlir::cnn::populateOptimizersToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<SGDUpdateLowering, SGDMomentumUpdateLowering, AdamUpdateLowering>(
          patterns.getContext());
}
