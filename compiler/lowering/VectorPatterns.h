//===- VectorPatterns.h - hot linalg ops as vector loops for the CPU -*- C++
//-*-===//
//
// The rewrites cnn-vectorize-cpu applies: the convolutions, their weight
// gradients and the matrix products of a model, from linalg on tensors to
// scf loops over vector rows (ConvToVector.cpp, MatmulToVector.cpp,
// PoolToVector.cpp), the
// element-wise generics row by row (ElementwiseToVector.cpp), and the small
// builder they share.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_LOWERING_VECTORPATTERNS_H
#define CNNC_COMPILER_LOWERING_VECTORPATTERNS_H

#include "compiler/lowering/LoweringPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>

namespace mlir::cnn::lowering {

void populateConvToVectorPatterns(RewritePatternSet &patterns);
void populateMatmulToVectorPatterns(RewritePatternSet &patterns);
void populatePoolToVectorPatterns(RewritePatternSet &patterns);
void populateChannelSumToVectorPatterns(RewritePatternSet &patterns);
/// cnn.fused_pool_act_backward and cnn.fused_dense_act (cnn-fused-to-vector
/// runs these).
void populateFusedBackwardToVectorPatterns(RewritePatternSet &patterns);
void populateFusedDenseToVectorPatterns(RewritePatternSet &patterns);
/// Tiles every element-wise generic of `func` to rows and vectorizes them.
void vectorizeElementwiseRows(func::FuncOp func);

/// Builds loop nests of vector code on tensors: every loop carries the
/// tensors (or vector accumulators) it updates as iteration arguments, so the
/// result stays destination-style for one-shot bufferization.
class RowBuilder {
public:
  RowBuilder(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  using Body = llvm::function_ref<SmallVector<Value>(Value, ValueRange)>;

  /// for iv = lb to ub step `step`, carrying `carried`; returns the results.
  SmallVector<Value> loop(int64_t lb, Value ub, int64_t step,
                          ValueRange carried, Body body) {
    return loop(index(lb), ub, step, carried, body);
  }
  SmallVector<Value> loop(Value lb, Value ub, int64_t step, ValueRange carried,
                          Body body) {
    auto forOp = b.create<scf::ForOp>(
        loc, lb, ub, index(step), carried,
        [&](OpBuilder &nested, Location, Value iv, ValueRange args) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nested.getInsertionBlock(),
                              nested.getInsertionPoint());
          SmallVector<Value> results = body(iv, args);
          b.create<scf::YieldOp>(loc, results);
        });
    return forOp.getResults();
  }
  SmallVector<Value> loop(int64_t lb, int64_t ub, int64_t step,
                          ValueRange carried, Body body) {
    return loop(lb, index(ub), step, carried, body);
  }

  Value index(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value f32(double v) {
    return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(v));
  }
  Value add(Value i, int64_t c) { return c == 0 ? i : add(i, index(c)); }
  Value add(Value i, Value j) { return b.create<arith::AddIOp>(loc, i, j); }
  Value mul(Value i, int64_t c) {
    return c == 1 ? i : b.create<arith::MulIOp>(loc, i, index(c)).getResult();
  }
  Value addf(Value x, Value y) { return b.create<arith::AddFOp>(loc, x, y); }
  Value min(Value i, Value j) { return b.create<arith::MinSIOp>(loc, i, j); }
  Value max(Value i, Value j) { return b.create<arith::MaxSIOp>(loc, i, j); }
  Value sub(Value i, Value j) { return b.create<arith::SubIOp>(loc, i, j); }

  /// A contiguous row of `type`'s length starting at `at`; unless
  /// `inBounds`, lanes past the end of the source's last dimension are
  /// masked off and read as zero.
  Value read(VectorType type, Value source, ValueRange at,
             bool inBounds = true) {
    if (inBounds)
      return b.create<vector::TransferReadOp>(loc, type, source, at,
                                              ArrayRef<bool>{true});
    Value zero = b.create<arith::ConstantOp>(
        loc, b.getFloatAttr(type.getElementType(), 0.0));
    return b.create<vector::TransferReadOp>(loc, type, source, at, zero,
                                            ArrayRef<bool>{false});
  }
  /// The tensor `dest` with the row `row` written at `at`; unless
  /// `inBounds`, lanes past the end of its last dimension are not written.
  Value write(Value row, Value dest, ValueRange at, bool inBounds = true) {
    return b
        .create<vector::TransferWriteOp>(loc, row, dest, at,
                                         ArrayRef<bool>{inBounds})
        .getResult();
  }
  Value extract(Value tensor, ValueRange at) {
    return b.create<tensor::ExtractOp>(loc, tensor, at);
  }
  Value insert(Value scalar, Value tensor, ValueRange at) {
    return b.create<tensor::InsertOp>(loc, scalar, tensor, at);
  }
  Value splat(VectorType type, Value scalar) {
    return b.create<vector::BroadcastOp>(loc, type, scalar);
  }
  Value fma(Value x, Value y, Value acc) {
    return b.create<vector::FMAOp>(loc, x, y, acc);
  }
  Value sum(Value row) {
    return b.create<vector::ReductionOp>(loc, vector::CombiningKind::ADD, row);
  }
  /// Lanes first, first + 2, ... of `v`: `count` of them (one lane of each
  /// pair of columns of a row, for 2-wide pooling windows).
  Value everyOtherLane(Value v, int64_t first, int64_t count) {
    SmallVector<int64_t> lanes;
    for (int64_t i = 0; i < count; ++i)
      lanes.push_back(first + 2 * i);
    return b.create<vector::ShuffleOp>(loc, v, v, lanes);
  }

private:
  OpBuilder &b;
  Location loc;
};

/// Whether every value is an f32 tensor static in every dimension but the
/// batch (staticButBatch): the rows the vector loops read and write.
inline bool staticF32ButBatch(ValueRange values) {
  return llvm::all_of(values,
                      [](Value v) {
                        auto type = dyn_cast<RankedTensorType>(v.getType());
                        return type && type.getElementType().isF32();
                      }) &&
         staticButBatch(values);
}

/// Whether a pooling window is 2x2 with stride 2 and no padding (LeNet-5's):
/// the one the fused vector loops compute by pairing rows and lanes.
inline bool isPool2x2Stride2(std::optional<ArrayRef<int64_t>> kernel,
                             std::optional<ArrayRef<int64_t>> stride,
                             ArrayRef<int64_t> padding) {
  auto isPair = [](std::optional<ArrayRef<int64_t>> v, int64_t a) {
    return v && v->size() == 2 && (*v)[0] == a && (*v)[1] == a;
  };
  return isPair(kernel, 2) && isPair(stride, 2) && isPair(padding, 0);
}

/// How many filters of `filters` share one input row load when each holds
/// `chunks` accumulators and `budget` of them may be live: the largest
/// divisor up to budget / chunks, and at most 8. More filters also mean
/// more independent FMA chains: with 4, each waited on its own previous FMA
/// and the loop ran at half the FMA units' rate.
inline int64_t filtersPerTile(int64_t filters, int64_t chunks, int64_t budget) {
  int64_t most = std::clamp<int64_t>(budget / std::max<int64_t>(chunks, 1), 1,
                                     std::min<int64_t>(filters, 8));
  for (int64_t d = most; d > 1; --d)
    if (filters % d == 0)
      return d;
  return 1;
}

/// The lanes of the vectors that hold a row piece by piece: 16 f32 fill an
/// AVX-512 register (two AVX2 ones). A row of another width is cut into
/// chunks of 16 with the last one masked, rather than given a vector of its
/// own width, which LLVM splits into power-of-two pieces put together lane
/// by lane.
constexpr int64_t kRowLanes = 16;

/// Accumulator chunks live at once (filter tiles times row chunks): half the
/// vector registers of AVX-512, leaving room for the input chunks and the
/// broadcast weights.
constexpr int64_t kLiveAccumulators = 16;

/// The lanes of the chunks a row of `width` is held in: kRowLanes, or the
/// next power of two when the row is narrower.
int64_t rowChunkLanes(int64_t width);

/// The first column of each chunk along a row of `width`.
SmallVector<int64_t> rowChunkStarts(int64_t width);

/// The chunk starts of a row of `width` in groups of at most `perGroup`
/// chunks: the chunks whose accumulators are live together.
SmallVector<SmallVector<int64_t>> rowChunkGroups(int64_t width,
                                                 int64_t perGroup);

/// A convolution read row by row: NCHW `input` (padded already), weight
/// [F, C, KH, KW], output rows held as vectors of `rowType` starting at
/// the columns `chunkStarts`, unit stride along the width.
struct ConvRows {
  Value input, weight;
  VectorType rowType;
  int64_t strideH, dilationH, dilationW;
  SmallVector<int64_t> chunkStarts = {0};
};

/// The rows [begin, end) of `input` that are not zero padding, when it is a
/// tensor inserted at a static place into a zero-filled one (padHW, and the
/// grid an input gradient spreads its output gradient onto).
std::optional<std::pair<int64_t, int64_t>> unpaddedRows(Value input);

/// acc[t·chunks + j] + sum over c, kh, kw of weight[f[t], c, kh, kw] *
/// input[n, c, y * strideH + kh * dilationH, s_j + kw * dilationW : + lanes]
/// (s_j the start of chunk j): chunk j of the output rows y of image n for
/// filters f, one input load shared by all of f per kernel column and chunk.
/// Input lanes past the row's end read zero; with unit dilation, kernel rows
/// that would read a zero padding row of `input` (unpaddedRows) are skipped.
SmallVector<Value> accumulateConvRows(RowBuilder &rb, const ConvRows &rows,
                                      Value n, Value y, ArrayRef<Value> f,
                                      ValueRange acc);

} // namespace mlir::cnn::lowering

#endif // CNNC_COMPILER_LOWERING_VECTORPATTERNS_H
