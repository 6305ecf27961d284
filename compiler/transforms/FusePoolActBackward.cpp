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

/// Where the activation's incoming gradient comes from, as the fused op
/// takes it: a pool backward it replaces (`op`), or, with `op` null, the
/// gradient itself and no pool.
struct GradientSource {
  Operation *op;
  Value gradOutput;
  PoolKindAttr kind;
  DenseI64ArrayAttr kernel, stride, padding;
};

/// The pool backward that computes `grad` over the activation map `map`,
/// when it has no other use, so the fused op can take its place; else
/// `grad` itself.
GradientSource gradientSourceOf(PatternRewriter &rewriter, Value grad,
                                Value map) {
  MLIRContext *ctx = rewriter.getContext();
  if (grad.hasOneUse()) {
    if (auto avg = grad.getDefiningOp<AvgPool2DBackwardOp>())
      return {avg,
              avg.getGradOutput(),
              PoolKindAttr::get(ctx, PoolKind::Avg),
              avg.getKernelAttr(),
              avg.getStrideAttr(),
              avg.getPaddingAttr()};
    if (auto max = grad.getDefiningOp<MaxPool2DBackwardOp>();
        max && max.getInput() == map)
      return {max,
              max.getGradOutput(),
              PoolKindAttr::get(ctx, PoolKind::Max),
              max.getKernelAttr(),
              max.getStrideAttr(),
              max.getPaddingAttr()};
  }
  return {nullptr,
          grad,
          PoolKindAttr(),
          DenseI64ArrayAttr(),
          DenseI64ArrayAttr(),
          rewriter.getDenseI64ArrayAttr({0, 0})};
}

struct FusePoolActBackwardPattern : OpRewritePattern<ActivationBackwardOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ActivationBackwardOp op,
                                PatternRewriter &rewriter) const override {
    auto fused = op.getOutput().getDefiningOp<FusedConvActPoolOp>();
    if (!fused || fused.getPool() || fused.getAct() != op.getAct())
      return rewriter.notifyMatchFailure(op, "not a fused group's activation");
    GradientSource source =
        gradientSourceOf(rewriter, op.getGradOutput(), op.getOutput());
    auto backward = rewriter.create<FusedPoolActBackwardOp>(
        op.getLoc(), source.gradOutput, op.getOutput(), op.getActAttr(),
        source.kind, source.kernel, source.stride, source.padding);
    for (Operation *user : llvm::to_vector(op->getUsers()))
      if (auto bias = dyn_cast<BiasBackwardOp>(user))
        rewriter.replaceOp(bias, backward.getGradBias());
    rewriter.replaceOp(op, backward.getGradInput());
    if (source.op)
      rewriter.eraseOp(source.op);
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
