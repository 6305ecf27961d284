//===- ConvToVector.cpp - convolutions as row-vector loops for the CPU ----===//
//
// The convolutions of a model (forward, and the input gradient, which is a
// convolution too) and their weight gradient, rewritten from linalg on
// tensors into scf loops over vector rows. NCHW keeps an image row
// contiguous, so the vectors run along the output width: a forward tile is a
// few filters' output rows held in registers while the loops over input
// channels and kernel rows add, for each kernel column, one shifted input
// row times each filter's weight (one load and a broadcast per FMA). The
// weight gradient holds one vector accumulator per kernel column over the
// whole batch and reduces each once. The loops are built here directly, not by
// the linalg vectorizer: its 1-D convolution path transposes every tile to NWC
// and blows up both code size and compile time on these shapes.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/VectorPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::cnn::lowering;

int64_t mlir::cnn::lowering::rowChunkLanes(int64_t width) {
  return std::min<int64_t>(kRowLanes, llvm::PowerOf2Ceil(width));
}

SmallVector<int64_t> mlir::cnn::lowering::rowChunkStarts(int64_t width) {
  SmallVector<int64_t> starts;
  for (int64_t s = 0; s < width; s += rowChunkLanes(width))
    starts.push_back(s);
  return starts;
}

SmallVector<SmallVector<int64_t>>
mlir::cnn::lowering::rowChunkGroups(int64_t width, int64_t perGroup) {
  SmallVector<SmallVector<int64_t>> groups;
  for (int64_t s : rowChunkStarts(width)) {
    if (groups.empty() ||
        static_cast<int64_t>(groups.back().size()) == perGroup)
      groups.emplace_back();
    groups.back().push_back(s);
  }
  return groups;
}

std::optional<std::pair<int64_t, int64_t>>
mlir::cnn::lowering::unpaddedRows(Value input) {
  auto insert = input.getDefiningOp<tensor::InsertSliceOp>();
  if (!insert || insert.getSourceType().getRank() != 4 ||
      !llvm::all_of(insert.getStaticStrides(),
                    [](int64_t s) { return s == 1; }) ||
      ShapedType::isDynamic(insert.getStaticOffsets()[2]) ||
      ShapedType::isDynamic(insert.getStaticSizes()[2]))
    return std::nullopt;
  auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
  if (!fill)
    return std::nullopt;
  auto zero = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto value = zero ? dyn_cast<FloatAttr>(zero.getValue()) : FloatAttr();
  if (!value || !value.getValue().isPosZero())
    return std::nullopt;
  int64_t begin = insert.getStaticOffsets()[2];
  return std::make_pair(begin, begin + insert.getStaticSizes()[2]);
}

SmallVector<Value> mlir::cnn::lowering::accumulateConvRows(RowBuilder &rb,
                                                           const ConvRows &rows,
                                                           Value n, Value y,
                                                           ArrayRef<Value> f,
                                                           ValueRange acc) {
  ArrayRef<int64_t> wShape =
      cast<RankedTensorType>(rows.weight.getType()).getShape();
  int64_t channels = wShape[1], kh = wShape[2], kw = wShape[3];
  int64_t inputWidth = dimOf(rows.input, 3),
          lanes = rows.rowType.getNumElements();
  size_t chunks = rows.chunkStarts.size();
  // Kernel rows r with first <= y·strideH + r < end, the unpadded rows.
  Value firstTap = rb.index(0), endTap = rb.index(kh);
  std::optional<std::pair<int64_t, int64_t>> live = unpaddedRows(rows.input);
  if (live && rows.dilationH == 1) {
    Value top = rb.mul(y, rows.strideH);
    firstTap = rb.max(firstTap, rb.sub(rb.index(live->first), top));
    endTap = rb.min(endTap, rb.sub(rb.index(live->second), top));
  }
  return rb.loop(0, channels, 1, acc, [&](Value c, ValueRange acc) {
    return rb.loop(firstTap, endTap, 1, acc, [&](Value r, ValueRange acc) {
      Value row = rb.add(rb.mul(y, rows.strideH), rb.mul(r, rows.dilationH));
      SmallVector<Value> next(acc);
      for (int64_t k = 0; k < kw; ++k) {
        SmallVector<Value> splats;
        for (size_t t = 0; t < f.size(); ++t)
          splats.push_back(
              rb.splat(rows.rowType,
                       rb.extract(rows.weight, {f[t], c, r, rb.index(k)})));
        for (size_t j = 0; j < chunks; ++j) {
          int64_t column = rows.chunkStarts[j] + k * rows.dilationW;
          Value x =
              rb.read(rows.rowType, rows.input, {n, c, row, rb.index(column)},
                      column + lanes <= inputWidth);
          for (size_t t = 0; t < f.size(); ++t)
            next[t * chunks + j] = rb.fma(x, splats[t], next[t * chunks + j]);
        }
      }
      return next;
    });
  });
}

namespace {

/// out[n, f, oh, :] += sum over c, kh, kw of w[f, c, kh, kw] *
/// in[n, c, oh * sh + kh * dh, kw * dw : kw * dw + OW] (stride 1 along the
/// width, so every input row read is contiguous), a few filters and row
/// chunks at a time.
struct DirectConvToVector : OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return failure();
    Value in = op.getDpsInputs()[0], w = op.getDpsInputs()[1];
    Value init = op.getDpsInits()[0];
    if (!staticF32ButBatch({in, init}) ||
        !cast<RankedTensorType>(w.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    auto strides = llvm::to_vector(op.getStrides().getValues<int64_t>());
    auto dilations = llvm::to_vector(op.getDilations().getValues<int64_t>());
    if (strides[1] != 1)
      return rewriter.notifyMatchFailure(op, "strided rows are not contiguous");

    ArrayRef<int64_t> wShape = cast<RankedTensorType>(w.getType()).getShape();
    ArrayRef<int64_t> outShape =
        cast<RankedTensorType>(init.getType()).getShape();
    int64_t filters = wShape[0], oh = outShape[2], ow = outShape[3];
    int64_t tile =
        filtersPerTile(filters, rowChunkStarts(ow).size(), kLiveAccumulators);
    int64_t lanes = rowChunkLanes(ow);
    SmallVector<SmallVector<int64_t>> groups =
        rowChunkGroups(ow, std::max<int64_t>(1, kLiveAccumulators / tile));

    Location loc = op.getLoc();
    RowBuilder rb(rewriter, loc);
    auto rowType = VectorType::get({lanes}, rewriter.getF32Type());
    Value batch = rewriter.create<tensor::DimOp>(loc, in, 0);

    Value result = rb.loop(0, batch, 1, init, [&](Value n, ValueRange outs) {
      return rb.loop(0, filters, tile, outs, [&](Value f0, ValueRange outs) {
        return rb.loop(0, oh, 1, outs, [&](Value y, ValueRange outs) {
          Value out = outs[0];
          SmallVector<Value> f(tile);
          for (int64_t t = 0; t < tile; ++t)
            f[t] = rb.add(f0, t);
          for (ArrayRef<int64_t> starts : groups) {
            SmallVector<Value> acc;
            for (int64_t t = 0; t < tile; ++t)
              for (int64_t s : starts)
                acc.push_back(rb.read(rowType, out, {n, f[t], y, rb.index(s)},
                                      s + lanes <= ow));
            ConvRows rows{in,
                          w,
                          rowType,
                          strides[0],
                          dilations[0],
                          dilations[1],
                          SmallVector<int64_t>(starts)};
            SmallVector<Value> sums =
                accumulateConvRows(rb, rows, n, y, f, acc);
            for (int64_t t = 0; t < tile; ++t)
              for (auto [j, s] : llvm::enumerate(starts))
                out = rb.write(sums[t * starts.size() + j], out,
                               {n, f[t], y, rb.index(s)}, s + lanes <= ow);
          }
          return SmallVector<Value>{out};
        });
      });
    })[0];
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The coefficients of a linear affine expression in each dimension, or
/// nothing when it has a constant term.
std::optional<SmallVector<int64_t>> linearCoefficients(AffineExpr e,
                                                       unsigned numDims) {
  AffineMap map = AffineMap::get(numDims, 0, e);
  SmallVector<int64_t> point(numDims, 0);
  if (map.compose(point)[0] != 0)
    return std::nullopt;
  SmallVector<int64_t> coeffs(numDims);
  for (unsigned d = 0; d < numDims; ++d) {
    point.assign(numDims, 0);
    point[d] = 1;
    coeffs[d] = map.compose(point)[0];
  }
  // Linear only: the expression must equal the sum it was sampled as.
  AffineExpr rebuilt = getAffineConstantExpr(0, e.getContext());
  for (unsigned d = 0; d < numDims; ++d)
    rebuilt = rebuilt + getAffineDimExpr(d, e.getContext()) * coeffs[d];
  if (simplifyAffineExpr(rebuilt - e, numDims, 0) !=
      getAffineConstantExpr(0, e.getContext()))
    return std::nullopt;
  return coeffs;
}

/// The weight gradient SpatialGradientsToLinalg emits for an ungrouped
/// convolution, iteration (f, c, kh, kw, n, oh, ow):
///   dw[f, c, kh, kw] += x[n, c, oh * sh + kh * dh, ow * sw + kw * dw]
///                       * dy[n, f, oh, ow]
/// recognised by its maps and body. With sw = 1 every x row read is
/// contiguous.
struct ConvWeightGradientShape {
  int64_t strideH, dilationH, dilationW;
};

std::optional<ConvWeightGradientShape>
matchConvWeightGradient(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 7 || !op.hasPureTensorSemantics())
    return std::nullopt;
  auto it = op.getIteratorTypesArray();
  for (unsigned i = 0; i < 7; ++i)
    if ((i < 4) != (it[i] == utils::IteratorType::parallel))
      return std::nullopt;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[1] != AffineMap::get(7, 0, {d(4), d(0), d(5), d(6)}, ctx) ||
      maps[2] != AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx))
    return std::nullopt;
  AffineMap x = maps[0];
  if (x.getResult(0) != d(4) || x.getResult(1) != d(1))
    return std::nullopt;
  auto rows = linearCoefficients(x.getResult(2), 7);
  auto cols = linearCoefficients(x.getResult(3), 7);
  if (!rows || !cols)
    return std::nullopt;
  for (unsigned i = 0; i < 7; ++i)
    if (((i != 2 && i != 5) && (*rows)[i] != 0) ||
        ((i != 3 && i != 6) && (*cols)[i] != 0))
      return std::nullopt;
  if ((*cols)[6] != 1)
    return std::nullopt;

  // The body: out + in0 * in1.
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || body.getOperations().size() != 3)
    return std::nullopt;
  auto mul = add.getRhs().getDefiningOp<arith::MulFOp>();
  if (!mul || add.getLhs() != body.getArgument(2) ||
      mul.getLhs() != body.getArgument(0) ||
      mul.getRhs() != body.getArgument(1))
    return std::nullopt;
  return ConvWeightGradientShape{(*rows)[5], (*rows)[2], (*cols)[3]};
}

/// Accumulators of a weight-gradient tile: more than a forward tile's, since
/// its other operands are only the few gradient rows and one input row.
constexpr int64_t kGradientAccumulators = 24;

struct ConvWeightGradientToVector : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<ConvWeightGradientShape> shape = matchConvWeightGradient(op);
    if (!shape)
      return failure();
    Value x = op.getDpsInputs()[0], dy = op.getDpsInputs()[1];
    Value init = op.getDpsInits()[0];
    if (!staticF32ButBatch({x, dy}) ||
        !cast<RankedTensorType>(init.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    ArrayRef<int64_t> wShape =
        cast<RankedTensorType>(init.getType()).getShape();
    ArrayRef<int64_t> dyShape = cast<RankedTensorType>(dy.getType()).getShape();
    int64_t filters = wShape[0], channels = wShape[1], kh = wShape[2],
            kw = wShape[3], oh = dyShape[2], ow = dyShape[3];

    Location loc = op.getLoc();
    RowBuilder rb(rewriter, loc);
    int64_t lanes = rowChunkLanes(ow), xWidth = dimOf(x, 3);
    auto rowType = VectorType::get({lanes}, rewriter.getF32Type());
    SmallVector<SmallVector<int64_t>> groups =
        rowChunkGroups(ow, std::max<int64_t>(1, kLiveAccumulators / kw));
    // A few filters share each input row read: with one filter, every FMA
    // needed its own load of a shifted input row.
    int64_t groupChunks = static_cast<int64_t>(groups.front().size());
    int64_t tile = 1;
    for (int64_t t = std::min<int64_t>(filters, 4); t > 1 && tile == 1; --t)
      if (filters % t == 0 && t * kw * groupChunks <= kGradientAccumulators)
        tile = t;
    Value batch = rewriter.create<tensor::DimOp>(loc, x, 0);
    Value zero = rb.splat(rowType, rb.f32(0.0));

    // The accumulators, one per filter of the tile, kernel column and row
    // chunk, run over the whole batch before their one reduction each; a
    // (filter tile, channel) pair reads its images' rows, which stay in the
    // L2 cache for LeNet-sized layers. Lanes past the output row read a zero
    // gradient.
    Value result =
        rb.loop(0, filters, tile, init, [&](Value f0, ValueRange outs) {
          SmallVector<Value> f;
          for (int64_t t = 0; t < tile; ++t)
            f.push_back(rb.add(f0, t));
          return rb.loop(0, channels, 1, outs, [&](Value c, ValueRange outs) {
            return rb.loop(0, kh, 1, outs, [&](Value r, ValueRange outs) {
              Value out = outs[0];
              // totals[t·kw + k] and, per group, acc[(t·kw + k)·chunks + j].
              SmallVector<Value> totals;
              for (int64_t t = 0; t < tile; ++t)
                for (int64_t k = 0; k < kw; ++k)
                  totals.push_back(rb.extract(out, {f[t], c, r, rb.index(k)}));
              for (ArrayRef<int64_t> starts : groups) {
                size_t chunks = starts.size();
                SmallVector<Value> acc(tile * kw * chunks, zero);
                SmallVector<Value> sums =
                    rb.loop(0, batch, 1, acc, [&](Value n, ValueRange acc) {
                      return rb.loop(
                          0, oh, 1, acc, [&](Value y, ValueRange acc) {
                            Value row = rb.add(rb.mul(y, shape->strideH),
                                               rb.mul(r, shape->dilationH));
                            SmallVector<Value> next(acc);
                            for (auto [j, s] : llvm::enumerate(starts)) {
                              SmallVector<Value> g;
                              for (int64_t t = 0; t < tile; ++t)
                                g.push_back(rb.read(rowType, dy,
                                                    {n, f[t], y, rb.index(s)},
                                                    s + lanes <= ow));
                              for (int64_t k = 0; k < kw; ++k) {
                                int64_t column = s + k * shape->dilationW;
                                Value in = rb.read(
                                    rowType, x, {n, c, row, rb.index(column)},
                                    column + lanes <= xWidth);
                                for (int64_t t = 0; t < tile; ++t) {
                                  Value &a = next[(t * kw + k) * chunks + j];
                                  a = rb.fma(g[t], in, a);
                                }
                              }
                            }
                            return next;
                          });
                    });
                for (int64_t i = 0; i < tile * kw; ++i) {
                  Value row = sums[i * chunks];
                  for (size_t j = 1; j < chunks; ++j)
                    row = rb.addf(row, sums[i * chunks + j]);
                  totals[i] = rb.addf(totals[i], rb.sum(row));
                }
              }
              for (int64_t t = 0; t < tile; ++t)
                for (int64_t k = 0; k < kw; ++k)
                  out = rb.insert(totals[t * kw + k], out,
                                  {f[t], c, r, rb.index(k)});
              return SmallVector<Value>{out};
            });
          });
        })[0];
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::cnn::lowering::populateConvToVectorPatterns(
    RewritePatternSet &patterns) {
  patterns.add<DirectConvToVector, ConvWeightGradientToVector>(
      patterns.getContext());
}
