//===- FuseConvActPool.cpp - conv + bias + activation (+ pool) as one op --===//
//
// The signature pattern of LeNet-5 and AlexNet, conv2d -> activation ->
// pooling, becomes one cnn.fused_conv_act_pool, so that code generation can
// keep the convolution's output rows in registers through the activation
// and the pooling and write only the pooled map. A conv2d followed by an
// activation alone fuses without a pool. A convolution whose kernel covers
// its whole input is a dense layer and is not fused.
//
// Intermediate values must have no other use. In the training step the
// backward pass reads the activation's output (activation gradients are
// computed from it), so there the activation map is the fused op's result
// and its pool stays a separate op; the convolution's own output, which
// nothing else reads, still never reaches memory.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/ActivationOps.h"
#include "compiler/transforms/Passes.h"

#include "dialects/cnn/CNNOps.h"
#include "dialects/cnn/ConvGeometry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_FUSECONVACTPOOL
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;
using namespace mlir::cnn;

namespace {

/// The conv2d `v` is the only result of, used once and worth fusing, if so.
/// A convolution whose kernel covers its whole input is not: it lowers as a
/// dense product (WholeInputConvToLinalg), which fusion would take away.
Conv2DOp singleUseConv(Value v) {
  auto conv = v.getDefiningOp<Conv2DOp>();
  if (!conv || !conv->hasOneUse())
    return Conv2DOp();
  bool dense = kernelCoversWholeInput(
      conv.getInput().getType(), conv.getWeight().getType(), conv.getPadding(),
      conv.getDilation(), conv.getGroups(), bool(conv.getConnections()));
  return dense ? Conv2DOp() : conv;
}

/// A fused op replacing `root`, computing conv's convolution, `act` and,
/// when `pool` is set, root's pooling.
FusedConvActPoolOp buildFused(PatternRewriter &rewriter, Operation *root,
                              Conv2DOp conv, Activation act,
                              std::optional<PoolKind> pool,
                              ArrayRef<int64_t> kernel = {},
                              ArrayRef<int64_t> stride = {},
                              ArrayRef<int64_t> padding = {0, 0}) {
  return rewriter.create<FusedConvActPoolOp>(
      root->getLoc(), root->getResult(0).getType(), conv.getInput(),
      conv.getWeight(), conv.getBias(), conv.getStrideAttr(),
      conv.getPaddingAttr(), conv.getDilationAttr(), conv.getGroupsAttr(),
      conv.getConnectionsAttr(),
      ActivationAttr::get(rewriter.getContext(), act),
      pool ? PoolKindAttr::get(rewriter.getContext(), *pool) : PoolKindAttr(),
      pool ? rewriter.getDenseI64ArrayAttr(kernel) : DenseI64ArrayAttr(),
      pool ? rewriter.getDenseI64ArrayAttr(stride) : DenseI64ArrayAttr(),
      rewriter.getDenseI64ArrayAttr(padding));
}

/// pool(act(conv(x))) with single-use intermediates.
template <typename PoolOp, PoolKind Kind>
struct FuseConvActPoolPattern : OpRewritePattern<PoolOp> {
  FuseConvActPoolPattern(MLIRContext *ctx)
      : OpRewritePattern<PoolOp>(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(PoolOp pool,
                                PatternRewriter &rewriter) const override {
    Operation *actOp = pool.getInput().getDefiningOp();
    if (!actOp || !actOp->hasOneUse())
      return failure();
    std::optional<Activation> act = activationOf(actOp);
    Conv2DOp conv = act ? singleUseConv(actOp->getOperand(0)) : Conv2DOp();
    if (!conv)
      return failure();
    rewriter.replaceOp(pool, buildFused(rewriter, pool, conv, *act, Kind,
                                        pool.getKernel(), pool.getStride(),
                                        pool.getPadding())
                                 .getResult());
    return success();
  }
};

/// act(conv(x)) whose activation is not pooled (or not only), or any when
/// pools are not fused.
struct FuseConvActPattern : RewritePattern {
  FuseConvActPattern(MLIRContext *ctx, bool poolsFuse)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        poolsFuse(poolsFuse) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    std::optional<Activation> act = activationOf(op);
    Conv2DOp conv = act ? singleUseConv(op->getOperand(0)) : Conv2DOp();
    if (!conv)
      return failure();
    // Left for the pool pattern, which takes all three.
    if (poolsFuse && op->hasOneUse() &&
        isa<AvgPool2DOp, MaxPool2DOp>(*op->user_begin()))
      return failure();
    rewriter.replaceOp(
        op, buildFused(rewriter, op, conv, *act, std::nullopt).getResult());
    return success();
  }

private:
  bool poolsFuse;
};

struct FuseConvActPoolPass
    : cnn::impl::FuseConvActPoolBase<FuseConvActPoolPass> {
  using FuseConvActPoolBase::FuseConvActPoolBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    RewritePatternSet patterns(&getContext());
    if (fusePool)
      patterns.add<FuseConvActPoolPattern<AvgPool2DOp, PoolKind::Avg>,
                   FuseConvActPoolPattern<MaxPool2DOp, PoolKind::Max>>(
          &getContext());
    patterns.add<FuseConvActPattern>(&getContext(), fusePool);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
