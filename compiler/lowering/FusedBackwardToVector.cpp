//===- FusedBackwardToVector.cpp - a fused group's backward in one pass ---===//
//
// cnn.fused_pool_act_backward as one loop over the activation map: for each
// channel, image and pooled row, the pooled gradient row is read once and
// spread onto the two map rows under it in registers (halved lanes
// duplicated for an average, routed to each window's first maximum for a
// max pool), multiplied by act'(map) there, written once as the gradient at
// the convolution's output, and added into the channel's bias-gradient
// accumulator. The unfused chain makes three passes over the map, writing
// it twice and reading it four times.
//
// Handled: 2x2 pools with stride 2 and no padding over maps of even height
// and width (LeNet-5's), and no pool at all. Other ops are left to
// cnn-to-linalg, which lowers them as the chain of ops they fuse.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"
#include "compiler/lowering/VectorPatterns.h"

#include "dialects/cnn/CNNOps.h"

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

struct FusedPoolActBackwardToVector : OpRewritePattern<FusedPoolActBackwardOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusedPoolActBackwardOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<PoolKind> pool = op.getPool();
    if (pool && !isPool2x2Stride2(op.getPoolKernel(), op.getPoolStride(),
                                  op.getPoolPadding()))
      return rewriter.notifyMatchFailure(op, "pool other than 2x2/2");
    Value gy = op.getGradOutput(), map = op.getOutput();
    if (!staticF32ButBatch({gy, map}))
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    auto mapType = cast<RankedTensorType>(map.getType());
    int64_t channels = mapType.getDimSize(1), height = mapType.getDimSize(2),
            width = mapType.getDimSize(3);
    if (pool && (height % 2 != 0 || width % 2 != 0))
      return rewriter.notifyMatchFailure(op, "pool over an odd-sized map");

    Location loc = op.getLoc();
    RowBuilder rb(rewriter, loc);
    // Map rows in chunks; a pooled gradient chunk covers half a map chunk.
    int64_t lanes = rowChunkLanes(width);
    if (pool && lanes < 2)
      return rewriter.notifyMatchFailure(op, "pool over a 1-wide row");
    int64_t gyLanes = pool ? lanes / 2 : lanes;
    int64_t gyWidth = pool ? width / 2 : width;
    auto row = VectorType::get({lanes}, rewriter.getF32Type());
    auto gyRow = VectorType::get({gyLanes}, rewriter.getF32Type());
    SmallVector<int64_t> starts = rowChunkStarts(width);
    Activation act = op.getAct();

    // The map's gradient rows under the pooled gradient chunk `g` for the
    // map chunks `top` and `bottom`, before act'.
    auto spread = [&](Value g, Value top,
                      Value bottom) -> std::pair<Value, Value> {
      if (*pool == PoolKind::Avg) {
        SmallVector<int64_t> twice;
        for (int64_t i = 0; i < lanes; ++i)
          twice.push_back(i / 2);
        Value spreadRow = rewriter.create<vector::ShuffleOp>(loc, g, g, twice);
        Value quarter = rewriter.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(
                     row, rewriter.getF32FloatAttr(0.25f).getValue()));
        Value each = rewriter.create<arith::MulFOp>(loc, spreadRow, quarter);
        return {each, each};
      }
      // Each window's first maximum in row-major order takes the gradient,
      // as max_pool2d_backward routes it: the window's four elements are
      // lane i of `corners` for pooled column i.
      Value corners[] = {rb.everyOtherLane(top, 0, gyLanes),
                         rb.everyOtherLane(top, 1, gyLanes),
                         rb.everyOtherLane(bottom, 0, gyLanes),
                         rb.everyOtherLane(bottom, 1, gyLanes)};
      Value best = corners[0];
      for (Value c : ArrayRef<Value>(corners).drop_front())
        best = rewriter.create<arith::MaximumFOp>(loc, best, c);
      Value zero = rb.splat(gyRow, rb.f32(0.0));
      Value left = g;
      SmallVector<Value> routed;
      for (Value c : corners) {
        Value wins = rewriter.create<arith::CmpFOp>(
            loc, arith::CmpFPredicate::OEQ, c, best);
        routed.push_back(
            rewriter.create<arith::SelectOp>(loc, wins, left, zero));
        left = rewriter.create<arith::SelectOp>(loc, wins, zero, left);
      }
      SmallVector<int64_t> interleave;
      for (int64_t i = 0; i < gyLanes; ++i)
        interleave.append({i, gyLanes + i});
      return {rewriter.create<vector::ShuffleOp>(loc, routed[0], routed[1],
                                                 interleave),
              rewriter.create<vector::ShuffleOp>(loc, routed[2], routed[3],
                                                 interleave)};
    };

    Value batch = rewriter.create<tensor::DimOp>(loc, map, 0);
    Value zeroRow = rb.splat(row, rb.f32(0.0));
    SmallVector<Value> outs = {
        emptyLike(rewriter, loc, mapType, map),
        rewriter.create<tensor::EmptyOp>(
            loc, cast<RankedTensorType>(op.getGradBias().getType()),
            ValueRange{})};
    // Pooled rows (or map rows without a pool) of one image and channel:
    // the map's gradient rows under them written, their sum added to `acc`.
    auto gradRows = [&](Value grad, Value acc, Value n, Value c, Value y) {
      Value firstRow = pool ? rb.mul(y, 2) : y;
      for (int64_t s : starts) {
        bool inBounds = s + lanes <= width;
        int64_t gyAt = pool ? s / 2 : s;
        Value g = rb.read(gyRow, gy, {n, c, y, rb.index(gyAt)},
                          gyAt + gyLanes <= gyWidth);
        SmallVector<Value> mapRows = {firstRow};
        if (pool)
          mapRows.push_back(rb.add(firstRow, 1));
        SmallVector<Value> values, grads;
        for (Value r : mapRows)
          values.push_back(rb.read(row, map, {n, c, r, rb.index(s)}, inBounds));
        if (pool) {
          auto [top, bottom] = spread(g, values[0], values[1]);
          grads = {top, bottom};
        } else {
          grads = {g};
        }
        for (auto [r, v, gr] : llvm::zip(mapRows, values, grads)) {
          Value gz = activationGradient(rewriter, loc, act, gr, v);
          grad = rb.write(gz, grad, {n, c, r, rb.index(s)}, inBounds);
          acc = rb.addf(acc, gz);
        }
      }
      return SmallVector<Value>{grad, acc};
    };

    int64_t rows = pool ? height / 2 : height;
    SmallVector<Value> results =
        rb.loop(0, channels, 1, outs, [&](Value c, ValueRange outs) {
          SmallVector<Value> summed = rb.loop(
              0, batch, 1, ValueRange{outs[0], zeroRow},
              [&](Value n, ValueRange carried) {
                return rb.loop(
                    0, rows, 1, carried, [&](Value y, ValueRange carried) {
                      return gradRows(carried[0], carried[1], n, c, y);
                    });
              });
          Value bias = rb.insert(rb.sum(summed[1]), outs[1], {c});
          return SmallVector<Value>{summed[0], bias};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mlir::cnn::lowering::populateFusedBackwardToVectorPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FusedPoolActBackwardToVector>(patterns.getContext());
}
