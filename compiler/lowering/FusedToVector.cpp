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
// In the training step the activation map is the fused op's result, since
// the backward pass reads it, and its pool a separate op. When that pool is
// 2x2/2 it is computed in the same loop nest, and the activated rows are
// written to the map on the way: the map is written once and never read
// back for the pool.
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

struct FusedConvActPoolToVector : OpRewritePattern<FusedConvActPoolOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusedConvActPoolOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<PoolKind> pool = op.getPool();
    if (op.getGroups() != 1 || op.getConnections() || op.getStride()[1] != 1)
      return rewriter.notifyMatchFailure(op, "grouped, tabled or strided");
    if (pool && !isPool2x2Stride2(op.getPoolKernel(), op.getPoolStride(),
                                  op.getPoolPadding()))
      return rewriter.notifyMatchFailure(op, "pool other than 2x2/2");
    Value w = op.getWeight();
    if (!staticF32ButBatch({op.getInput(), op.getResult()}) ||
        !cast<RankedTensorType>(w.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    // In the training step the activation map is the fused op's result, read
    // by the backward pass, and its pool is a separate op: that pool is
    // computed here too, from the rows in registers, and the map written
    // beside it.
    Operation *keptPool = pool ? nullptr : poolOfActivation(op);
    if (keptPool)
      pool = isa<AvgPool2DOp>(keptPool) ? PoolKind::Avg : PoolKind::Max;

    Location loc = op.getLoc();
    Value input = padHW(rewriter, loc, op.getInput(), op.getPadding(),
                        f32Const(rewriter, loc, 0.0));
    auto inType = cast<RankedTensorType>(input.getType());
    auto type = cast<RankedTensorType>(
        keptPool ? keptPool->getResult(0).getType() : op.getType());
    ArrayRef<int64_t> wShape = cast<RankedTensorType>(w.getType()).getShape();
    ArrayRef<int64_t> dilation = op.getDilation();
    int64_t filters = wShape[0];
    int64_t convWidth = inType.getDimSize(3) - dilation[1] * (wShape[3] - 1);
    int64_t rows = type.getDimSize(2), width = type.getDimSize(3);

    // Conv rows are held in chunks (VectorPatterns.h); a pooled chunk is half
    // a conv chunk. Pooled rows keep the upper row's chunks live while the
    // lower ones accumulate, so their groups are half as wide.
    int64_t lanes = rowChunkLanes(convWidth);
    if (pool && lanes < 2)
      return rewriter.notifyMatchFailure(op, "pool over a 1-wide row");
    int64_t outLanes = pool ? lanes / 2 : lanes;
    int64_t budget = pool ? kLiveAccumulators / 2 : kLiveAccumulators;
    int64_t tile =
        filtersPerTile(filters, rowChunkStarts(convWidth).size(), budget);
    SmallVector<SmallVector<int64_t>> groups =
        rowChunkGroups(convWidth, std::max<int64_t>(1, budget / tile));

    RowBuilder rb(rewriter, loc);
    auto convRow = VectorType::get({lanes}, rewriter.getF32Type());
    auto outRow = VectorType::get({outLanes}, rewriter.getF32Type());
    Value zero = rb.splat(convRow, rb.f32(0.0));
    SmallVector<Value> outs = {emptyLike(rewriter, loc, type, op.getInput())};
    if (keptPool)
      outs.push_back(emptyLike(
          rewriter, loc, cast<RankedTensorType>(op.getType()), op.getInput()));
    Value batch = rewriter.create<tensor::DimOp>(loc, input, 0);

    // act(the chunks at `starts` of conv rows y of image n for filters f),
    // starting from the bias; chunk j of filter t at [t·chunks + j].
    auto activatedRows = [&](Value n, Value y, ArrayRef<Value> f,
                             ArrayRef<int64_t> starts) {
      SmallVector<Value> acc;
      for (Value filter : f) {
        Value bias = op.getBias()
                         ? rb.splat(convRow, rb.extract(op.getBias(), filter))
                         : zero;
        acc.append(starts.size(), bias);
      }
      ConvRows conv{input,
                    w,
                    convRow,
                    op.getStride()[0],
                    dilation[0],
                    dilation[1],
                    SmallVector<int64_t>(starts)};
      SmallVector<Value> sums = accumulateConvRows(rb, conv, n, y, f, acc);
      for (Value &row : sums)
        row = activate(rewriter, loc, op.getAct(), row);
      return sums;
    };
    // The pooled chunk of the activated chunks `top` and `bottom`.
    auto poolRows = [&](Value top, Value bottom) -> Value {
      bool avg = *pool == PoolKind::Avg;
      auto combine = [&](Value a, Value b) -> Value {
        return avg ? rewriter.create<arith::AddFOp>(loc, a, b).getResult()
                   : rewriter.create<arith::MaximumFOp>(loc, a, b).getResult();
      };
      Value both = combine(top, bottom);
      Value pooled = combine(rb.everyOtherLane(both, 0, outLanes),
                             rb.everyOtherLane(both, 1, outLanes));
      if (!avg)
        return pooled;
      Value quarter = rewriter.create<arith::ConstantOp>(
          loc, DenseElementsAttr::get(
                   outRow, rewriter.getF32FloatAttr(0.25).getValue()));
      return rewriter.create<arith::MulFOp>(loc, pooled, quarter);
    };

    // The activated chunks `chunks` of rows y of the kept activation map.
    auto keepRows = [&](Value map, Value n, Value y, ArrayRef<Value> f,
                        ArrayRef<int64_t> starts, ArrayRef<Value> chunks) {
      for (size_t t = 0; t < f.size(); ++t)
        for (auto [j, s] : llvm::enumerate(starts))
          map = rb.write(chunks[t * starts.size() + j], map,
                         {n, f[t], y, rb.index(s)}, s + lanes <= convWidth);
      return map;
    };

    SmallVector<Value> results =
        rb.loop(0, batch, 1, outs, [&](Value n, ValueRange outs) {
          return rb.loop(
              0, filters, tile, outs, [&](Value f0, ValueRange outs) {
                return rb.loop(0, rows, 1, outs, [&](Value y, ValueRange outs) {
                  SmallVector<Value> f;
                  for (int64_t t = 0; t < tile; ++t)
                    f.push_back(rb.add(f0, t));
                  SmallVector<Value> written(outs);
                  for (ArrayRef<int64_t> starts : groups) {
                    SmallVector<Value> results;
                    if (!pool) {
                      results = activatedRows(n, y, f, starts);
                    } else {
                      Value top = rb.mul(y, 2);
                      SmallVector<Value> upper =
                          activatedRows(n, top, f, starts);
                      SmallVector<Value> lower =
                          activatedRows(n, rb.add(top, 1), f, starts);
                      if (keptPool) {
                        written[1] =
                            keepRows(written[1], n, top, f, starts, upper);
                        written[1] = keepRows(written[1], n, rb.add(top, 1), f,
                                              starts, lower);
                      }
                      for (auto [u, l] : llvm::zip(upper, lower))
                        results.push_back(poolRows(u, l));
                    }
                    for (int64_t t = 0; t < tile; ++t)
                      for (auto [j, s] : llvm::enumerate(starts)) {
                        int64_t at = pool ? s / 2 : s;
                        written[0] = rb.write(
                            results[t * starts.size() + j], written[0],
                            {n, f[t], y, rb.index(at)}, at + outLanes <= width);
                      }
                  }
                  return written;
                });
              });
        });
    if (keptPool) {
      rewriter.replaceOp(keptPool, results[0]);
      rewriter.replaceOp(op, results[1]);
    } else {
      rewriter.replaceOp(op, results[0]);
    }
    return success();
  }

  /// The 2x2/2 pool, without padding, that reads `op`'s activation map
  /// when `op` has no pool of its own and its map has an even number of
  /// rows (so the pooled rows cover all of them); null otherwise.
  static Operation *poolOfActivation(FusedConvActPoolOp op) {
    if (op.getType().getDimSize(2) % 2 != 0)
      return nullptr;
    for (Operation *user : op->getUsers()) {
      auto matches = [&](auto pool) {
        return pool && pool.getInput() == op.getResult() &&
               pool.getKernel() == ArrayRef<int64_t>{2, 2} &&
               pool.getStride() == ArrayRef<int64_t>{2, 2} &&
               pool.getPadding() == ArrayRef<int64_t>{0, 0};
      };
      if (matches(dyn_cast<AvgPool2DOp>(user)) ||
          matches(dyn_cast<MaxPool2DOp>(user)))
        return user;
    }
    return nullptr;
  }
};

struct FusedToVectorPass : cnn::impl::FusedToVectorBase<FusedToVectorPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FusedConvActPoolToVector>(&getContext());
    populateFusedBackwardToVectorPatterns(patterns);
    populateFusedDenseToVectorPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
