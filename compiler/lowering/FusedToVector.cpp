//===- FusedToVector.cpp - fused conv + activation + pool in registers ----===//
//
// cnn.fused_conv_act_pool as one loop nest of vector rows: for each image, a
// tile of filters and each pooled output row, the two convolution rows under
// it are accumulated in registers (accumulateConvRows, as for a plain
// convolution, starting from the bias), the activation is applied to them
// there, the two rows are combined, and adjacent lanes are paired with
// shuffles into the pooled row, the only thing written. Neither the
// convolution's output nor the activation map ever reaches memory.
//
// Handled: ungrouped convolutions without a connection table and with unit
// stride along the width, followed by no pool or a 2x2 pool with stride 2
// and no padding (LeNet-5's). Other fused ops are left to cnn-to-linalg,
// which lowers them as the chained ops.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"
#include "compiler/lowering/Passes.h"
#include "compiler/lowering/VectorPatterns.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_FUSEDTOVECTOR
#include "compiler/lowering/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

bool isPair(std::optional<ArrayRef<int64_t>> v, int64_t a) {
  return v && v->size() == 2 && (*v)[0] == a && (*v)[1] == a;
}

/// Lanes first, first + 2, ... of `v`: `count` of them.
Value everyOtherLane(OpBuilder &b, Location loc, Value v, int64_t first,
                     int64_t count) {
  SmallVector<int64_t> lanes;
  for (int64_t i = 0; i < count; ++i)
    lanes.push_back(first + 2 * i);
  return b.create<vector::ShuffleOp>(loc, v, v, lanes);
}

struct FusedConvActPoolToVector : OpRewritePattern<FusedConvActPoolOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusedConvActPoolOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<PoolKind> pool = op.getPool();
    if (op.getGroups() != 1 || op.getConnections() || op.getStride()[1] != 1)
      return rewriter.notifyMatchFailure(op, "grouped, tabled or strided");
    if (pool &&
        (!isPair(op.getPoolKernel(), 2) || !isPair(op.getPoolStride(), 2) ||
         !isPair(op.getPoolPadding(), 0)))
      return rewriter.notifyMatchFailure(op, "pool other than 2x2/2");
    Value w = op.getWeight();
    if (!staticF32ButBatch({op.getInput(), op.getResult()}) ||
        !cast<RankedTensorType>(w.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");

    Location loc = op.getLoc();
    Value input = padHW(rewriter, loc, op.getInput(), op.getPadding(),
                        f32Const(rewriter, loc, 0.0));
    auto inType = cast<RankedTensorType>(input.getType());
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> wShape = cast<RankedTensorType>(w.getType()).getShape();
    ArrayRef<int64_t> dilation = op.getDilation();
    int64_t filters = wShape[0];
    int64_t convWidth = inType.getDimSize(3) - dilation[1] * (wShape[3] - 1);
    int64_t rows = type.getDimSize(2), width = type.getDimSize(3);
    int64_t tile = filtersPerTile(filters);

    RowBuilder rb(rewriter, loc);
    auto convRow = VectorType::get({convWidth}, rewriter.getF32Type());
    auto outRow = VectorType::get({width}, rewriter.getF32Type());
    ConvRows conv{input,       w,          convRow, op.getStride()[0],
                  dilation[0], dilation[1]};
    Value zero = rb.splat(convRow, rb.f32(0.0));
    Value out = emptyLike(rewriter, loc, type, op.getInput());
    Value batch = rewriter.create<tensor::DimOp>(loc, input, 0);

    // act(conv rows y of image n for filters f), starting from the bias.
    auto activatedRows = [&](Value n, Value y, ArrayRef<Value> f) {
      SmallVector<Value> acc;
      for (Value filter : f)
        acc.push_back(op.getBias()
                          ? rb.splat(convRow, rb.extract(op.getBias(), filter))
                          : zero);
      SmallVector<Value> sums = accumulateConvRows(rb, conv, n, y, f, acc);
      for (Value &row : sums)
        row = activate(rewriter, loc, op.getAct(), row);
      return sums;
    };
    // The pooled row of the activated rows `top` and `bottom`.
    auto poolRows = [&](Value top, Value bottom) -> Value {
      bool avg = *pool == PoolKind::Avg;
      auto combine = [&](Value a, Value b) -> Value {
        return avg ? rewriter.create<arith::AddFOp>(loc, a, b).getResult()
                   : rewriter.create<arith::MaximumFOp>(loc, a, b).getResult();
      };
      Value both = combine(top, bottom);
      Value pooled = combine(everyOtherLane(rewriter, loc, both, 0, width),
                             everyOtherLane(rewriter, loc, both, 1, width));
      if (!avg)
        return pooled;
      Value quarter = rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(
                   outRow, rewriter.getF32FloatAttr(0.25).getValue()));
      return rewriter.create<arith::MulFOp>(loc, pooled, quarter);
    };

    Value result = rb.loop(0, batch, 1, out, [&](Value n, ValueRange outs) {
      return rb.loop(0, filters, tile, outs, [&](Value f0, ValueRange outs) {
        return rb.loop(0, rows, 1, outs, [&](Value y, ValueRange outs) {
          SmallVector<Value> f;
          for (int64_t t = 0; t < tile; ++t)
            f.push_back(rb.add(f0, t));
          SmallVector<Value> results;
          if (!pool) {
            results = activatedRows(n, y, f);
          } else {
            Value top = rb.mul(y, 2);
            SmallVector<Value> upper = activatedRows(n, top, f);
            SmallVector<Value> lower = activatedRows(n, rb.add(top, 1), f);
            for (int64_t t = 0; t < tile; ++t)
              results.push_back(poolRows(upper[t], lower[t]));
          }
          Value written = outs[0];
          for (int64_t t = 0; t < tile; ++t)
            written = rb.write(results[t], written, {n, f[t], y, rb.index(0)});
          return SmallVector<Value>{written};
        });
      });
    })[0];
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FusedToVectorPass : cnn::impl::FusedToVectorBase<FusedToVectorPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FusedConvActPoolToVector>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
