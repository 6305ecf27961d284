//===- PoolToVector.cpp - pooling windows as vector rows ------------------===//
//
// linalg.pooling_nchw_sum / pooling_nchw_max (the average and max pools,
// and the stride-1 window sums of the average pool's gradient) rewritten
// into loops over output rows: each output row of an image and channel is
// one vector accumulator, and each window position adds (or takes the max
// of) one input row. With a width stride s the row is read s times as long
// and its every s-th lane shuffled out.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/VectorPatterns.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::cnn::lowering;

namespace {

template <typename PoolOp, bool IsMax>
struct PoolToVector : OpRewritePattern<PoolOp> {
  using OpRewritePattern<PoolOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    Value in = op.getDpsInputs()[0], window = op.getDpsInputs()[1];
    Value init = op.getDpsInits()[0];
    auto windowType = cast<RankedTensorType>(window.getType());
    if (!staticF32ButBatch({in, init}) || !windowType.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    auto strides =
        llvm::to_vector(op.getStrides().template getValues<int64_t>());
    auto dilations =
        llvm::to_vector(op.getDilations().template getValues<int64_t>());
    if (dilations[0] != 1 || dilations[1] != 1)
      return rewriter.notifyMatchFailure(op, "dilated window");

    ArrayRef<int64_t> outShape =
        cast<RankedTensorType>(init.getType()).getShape();
    int64_t channels = outShape[1], rows = outShape[2], width = outShape[3];
    int64_t kh = windowType.getDimSize(0), kw = windowType.getDimSize(1);
    int64_t sw = strides[1];

    Location loc = op.getLoc();
    RowBuilder rb(rewriter, loc);
    auto rowType = VectorType::get({width}, rewriter.getF32Type());
    auto spanType =
        VectorType::get({sw * (width - 1) + 1}, rewriter.getF32Type());
    SmallVector<int64_t> lanes;
    for (int64_t i = 0; i < width; ++i)
      lanes.push_back(i * sw);
    Value batch = rewriter.create<tensor::DimOp>(loc, in, 0);

    // One input row under window column k, every sw-th element.
    auto inputRow = [&](Value n, Value c, Value row, int64_t k) -> Value {
      if (sw == 1)
        return rb.read(rowType, in, {n, c, row, rb.index(k)});
      Value span = rb.read(spanType, in, {n, c, row, rb.index(k)});
      return rewriter.create<vector::ShuffleOp>(loc, span, span, lanes);
    };
    auto combine = [&](Value acc, Value x) -> Value {
      if (IsMax)
        return rewriter.create<arith::MaximumFOp>(loc, acc, x);
      return rewriter.create<arith::AddFOp>(loc, acc, x);
    };

    Value result = rb.loop(0, batch, 1, init, [&](Value n, ValueRange outs) {
      return rb.loop(0, channels, 1, outs, [&](Value c, ValueRange outs) {
        return rb.loop(0, rows, 1, outs, [&](Value y, ValueRange outs) {
          Value at = rb.index(0);
          Value acc = rb.read(rowType, outs[0], {n, c, y, at});
          Value top = rb.mul(y, strides[0]);
          for (int64_t r = 0; r < kh; ++r) {
            Value row = rb.add(top, r);
            for (int64_t k = 0; k < kw; ++k)
              acc = combine(acc, inputRow(n, c, row, k));
          }
          return SmallVector<Value>{rb.write(acc, outs[0], {n, c, y, at})};
        });
      });
    })[0];
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::cnn::lowering::populatePoolToVectorPatterns(
    RewritePatternSet &patterns) {
  patterns.add<PoolToVector<linalg::PoolingNchwSumOp, false>,
               PoolToVector<linalg::PoolingNchwMaxOp, true>>(
      patterns.getContext());
}
