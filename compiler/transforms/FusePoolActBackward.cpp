//===- FusePoolActBackward.cpp - a fused group's backward as one op -------===//
//
// The backward of conv2d -> activation -> pool starts with three passes over
// the activation map: the pool's backward, the activation's and the bias's.
// They become one cnn.fused_pool_act_backward, which code generation runs as
// one loop over the map. Only groups the forward fusion made are matched
// (the activation map is a cnn.fused_conv_act_pool's result), so the
// unfused build keeps the chain of ops to compare with.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/Passes.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_FUSEPOOLACTBACKWARD
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;
using namespace mlir::cnn;

namespace {

/// The pool backward whose result is the activation's incoming gradient.
struct PoolBackward {
  Value gradOutput;
  PoolKind kind;
  ArrayRef<int64_t> kernel, stride, padding;
};

/// The pool backward that computes `grad` over the activation map `map`,
/// when it has no other use, so the fused op can take its place.
std::optional<PoolBackward> poolBackwardOf(Value grad, Value map) {
  if (!grad.hasOneUse())
    return std::nullopt;
  if (auto avg = grad.getDefiningOp<AvgPool2DBackwardOp>())
    return PoolBackward{avg.getGradOutput(), PoolKind::Avg, avg.getKernel(),
                        avg.getStride(), avg.getPadding()};
  if (auto max = grad.getDefiningOp<MaxPool2DBackwardOp>();
      max && max.getInput() == map)
    return PoolBackward{max.getGradOutput(), PoolKind::Max, max.getKernel(),
                        max.getStride(), max.getPadding()};
  return std::nullopt;
}

struct FusePoolActBackwardPattern : OpRewritePattern<ActivationBackwardOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ActivationBackwardOp op,
                                PatternRewriter &rewriter) const override {
    auto fused = op.getOutput().getDefiningOp<FusedConvActPoolOp>();
    if (!fused || fused.getPool() || fused.getAct() != op.getAct())
      return rewriter.notifyMatchFailure(op, "not a fused group's activation");
    std::optional<PoolBackward> pool =
        poolBackwardOf(op.getGradOutput(), op.getOutput());
    MLIRContext *ctx = rewriter.getContext();
    auto backward = rewriter.create<FusedPoolActBackwardOp>(
        op.getLoc(), pool ? pool->gradOutput : op.getGradOutput(),
        op.getOutput(), op.getActAttr(),
        pool ? PoolKindAttr::get(ctx, pool->kind) : PoolKindAttr(),
        pool ? rewriter.getDenseI64ArrayAttr(pool->kernel)
             : DenseI64ArrayAttr(),
        pool ? rewriter.getDenseI64ArrayAttr(pool->stride)
             : DenseI64ArrayAttr(),
        rewriter.getDenseI64ArrayAttr(pool ? pool->padding
                                           : ArrayRef<int64_t>{0, 0}));
    for (Operation *user : llvm::to_vector(op->getUsers()))
      if (auto bias = dyn_cast<BiasBackwardOp>(user))
        rewriter.replaceOp(bias, backward.getGradBias());
    Operation *poolOp = op.getGradOutput().getDefiningOp();
    rewriter.replaceOp(op, backward.getGradInput());
    if (pool)
      rewriter.eraseOp(poolOp);
    return success();
  }
};

struct FusePoolActBackwardPass
    : cnn::impl::FusePoolActBackwardBase<FusePoolActBackwardPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FusePoolActBackwardPattern>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
