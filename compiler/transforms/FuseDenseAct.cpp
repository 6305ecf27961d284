//===- FuseDenseAct.cpp - dense + bias + activation as one op -------------===//
//
// A dense layer followed by its activation, LeNet-5's f6 and AlexNet's
// fully connected layers, becomes one cnn.fused_dense_act, so that code
// generation can apply the activation to each dot product in registers
// instead of writing the layer's output and reading it back.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/ActivationOps.h"
#include "compiler/transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_FUSEDENSEACT
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;
using namespace mlir::cnn;

namespace {

/// act(dense(x)) whose dense result has no other use.
struct FuseDenseActPattern : RewritePattern {
  FuseDenseActPattern(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    std::optional<Activation> act = activationOf(op);
    auto dense = act ? op->getOperand(0).getDefiningOp<DenseOp>() : DenseOp();
    if (!dense || !dense->hasOneUse())
      return failure();
    rewriter.replaceOpWithNewOp<FusedDenseActOp>(
        op, op->getResult(0).getType(), dense.getInput(), dense.getWeight(),
        dense.getBias(), ActivationAttr::get(rewriter.getContext(), *act));
    rewriter.eraseOp(dense);
    return success();
  }
};

struct FuseDenseActPass : cnn::impl::FuseDenseActBase<FuseDenseActPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseDenseActPattern>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
