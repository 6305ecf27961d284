//===- ChannelSumToVector.cpp - per-channel sums as vector loops ----------===//
//
// The bias gradient of a convolution sums its output gradient over
// everything but the channel: out[c] += Σ_{n, h, w} in[n, c, h, w]. As
// linalg it becomes scalar loops whose every addition waits for the one
// before (floating-point addition is not reassociated), and for LeNet-5's
// first layer that chain ran over 784 elements per image and channel. Here
// each image's h·w plane, contiguous in NCHW, is read in 16-lane chunks into
// one vector accumulator per chunk over the batch, reduced once per channel.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/VectorPatterns.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::cnn::lowering;

namespace {

/// linalg.generic {iterators [reduction, parallel, reduction, reduction]}
/// ins(in: [N, C, H, W]) outs(out: [C]) { out + in }, as cnn-to-linalg
/// lowers cnn.bias_backward of a convolution.
bool isChannelSum(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 4 || !op.hasPureTensorSemantics())
    return false;
  auto it = op.getIteratorTypesArray();
  for (unsigned i = 0; i < 4; ++i)
    if ((i == 1) != (it[i] == utils::IteratorType::parallel))
      return false;
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps[0].isIdentity() ||
      maps[1] != AffineMap::get(4, 0, getAffineDimExpr(1, ctx), ctx))
    return false;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  return add && body.getOperations().size() == 2 &&
         ((add.getLhs() == body.getArgument(1) &&
           add.getRhs() == body.getArgument(0)) ||
          (add.getLhs() == body.getArgument(0) &&
           add.getRhs() == body.getArgument(1)));
}

struct ChannelSumToVector : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!isChannelSum(op))
      return failure();
    Value in = op.getDpsInputs()[0], init = op.getDpsInits()[0];
    if (!staticF32ButBatch({in}) ||
        !cast<RankedTensorType>(init.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    int64_t channels = dimOf(in, 1), plane = dimOf(in, 2) * dimOf(in, 3);
    Location loc = op.getLoc();
    RowBuilder rb(rewriter, loc);

    SmallVector<int64_t> flatShape = {dimOf(in, 0), channels, plane};
    Value flat = rewriter.create<tensor::CollapseShapeOp>(
        loc, RankedTensorType::get(flatShape, rewriter.getF32Type()), in,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    Value batch = rewriter.create<tensor::DimOp>(loc, in, 0);
    int64_t lanes = rowChunkLanes(plane);
    auto chunkType = VectorType::get({lanes}, rewriter.getF32Type());
    SmallVector<int64_t> starts = rowChunkStarts(plane);
    // Accumulators live at once; the plane's chunks are dealt round-robin.
    size_t numAcc = std::min<size_t>(starts.size(), kLiveAccumulators);
    Value zero = rb.splat(chunkType, rb.f32(0.0));

    Value result = rb.loop(0, channels, 1, init, [&](Value c, ValueRange outs) {
      SmallVector<Value> acc(numAcc, zero);
      SmallVector<Value> sums =
          rb.loop(0, batch, 1, acc, [&](Value n, ValueRange acc) {
            SmallVector<Value> next(acc);
            for (auto [j, s] : llvm::enumerate(starts)) {
              Value chunk = rb.read(chunkType, flat, {n, c, rb.index(s)},
                                    s + lanes <= plane);
              next[j % numAcc] = rb.addf(next[j % numAcc], chunk);
            }
            return next;
          });
      Value total = sums[0];
      for (size_t j = 1; j < numAcc; ++j)
        total = rb.addf(total, sums[j]);
      Value out = outs[0];
      Value sum = rb.addf(rb.extract(out, {c}), rb.sum(total));
      return SmallVector<Value>{rb.insert(sum, out, {c})};
    })[0];
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::cnn::lowering::populateChannelSumToVectorPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ChannelSumToVector>(patterns.getContext());
}
