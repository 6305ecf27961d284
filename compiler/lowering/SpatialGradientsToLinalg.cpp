//===- SpatialGradientsToLinalg.cpp - conv/pool gradients to linalg -------===//
//
// The backward ops of conv2d, avg_pool2d and subsample2d, written as gathers
// (each result element reduces over what it depends on) so that every op is
// destination-style and bufferizes without read-modify-write scatters:
//
// - The input gradients of conv2d, avg_pool2d and subsample2d spread
//   grad_output onto a zero grid the size of the (padded) input with the
//   forward stride between elements; the gradient is then a stride-1 window
//   reduction over that grid: a named convolution with the flipped,
//   channel-transposed weight, or a named sum pooling. With stride s the
//   grid is mostly zeros (s² times the multiply-adds of a gather that skips
//   them); the one strided convolution of the shipped models is AlexNet's
//   first, whose input gradient training never asks for, and the named ops
//   keep the vectorising schedules of MLIR19-NOTES.md within reach.
// - The weight gradient of conv2d is one reduction over (n, oh, ow); for a
//   strided convolution that the forward pass computes over its input's
//   phases (StridedConvPhases.cpp), the same unit-stride reduction over
//   those phases.
//
// max_pool2d's gradient, which routes rather than spreads, is in
// MaxPoolGradientToLinalg.cpp.
//
// Spatial and channel sizes must be static (they come from attributes or
// weights); the batch may be dynamic.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstdint>

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Lays `gy` [N, C, OH, OW] out on a zero grid of [N, C, H + E_h - 1,
/// W + E_w - 1], output (oh, ow) at (L_h + oh·s_h, L_w + ow·s_w) with
/// L = E - 1 - padding, E the window extent (dilation·(K - 1) + 1). Then
/// a stride-1 window of extent E at input position h covers exactly the
/// outputs whose forward window read h, with the taps in flipped order:
/// the input gradient is a stride-1 correlation over this grid.
/// Outputs that fall outside the grid (padding wider than the window) read
/// no input element and are dropped.
Value spreadOnGrid(OpBuilder &b, Location loc, Value gy,
                   ArrayRef<int64_t> extent, ArrayRef<int64_t> stride,
                   ArrayRef<int64_t> padding, ArrayRef<int64_t> inputSize) {
  SmallVector<OpFoldResult> sizes = getSizes(b, loc, gy);
  SmallVector<OpFoldResult> first = {b.getIndexAttr(0), b.getIndexAttr(0)},
                            count = {sizes[0], sizes[1]},
                            at = {b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<int64_t> gridShape = {dimOf(gy, 0), dimOf(gy, 1)};
  bool trimmed = false, empty = false;
  for (int i = 0; i < 2; ++i) {
    int64_t outSize = dimOf(gy, 2 + i);
    int64_t gridSize = inputSize[i] + extent[i] - 1;
    int64_t low = extent[i] - 1 - padding[i];
    int64_t begin = low < 0 ? llvm::divideCeilSigned(-low, stride[i]) : 0;
    int64_t end = std::min(
        outSize, llvm::divideFloorSigned(gridSize - 1 - low, stride[i]) + 1);
    trimmed |= begin != 0 || end != outSize;
    empty |= end <= begin;
    gridShape.push_back(gridSize);
    first.push_back(b.getIndexAttr(begin));
    count.push_back(b.getIndexAttr(std::max<int64_t>(end - begin, 0)));
    at.push_back(b.getIndexAttr(low + begin * stride[i]));
  }
  auto gridType = RankedTensorType::get(gridShape, b.getF32Type());
  Value grid = zerosLike(b, loc, gridType, gy);
  if (empty)
    return grid;
  SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
  if (trimmed)
    gy = b.create<tensor::ExtractSliceOp>(loc, gy, first, count, ones);
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1),
                                       b.getIndexAttr(stride[0]),
                                       b.getIndexAttr(stride[1])};
  return b.create<tensor::InsertSliceOp>(loc, gy, grid, at, count, strides);
}

/// [N, G·K, ...] -> [N, G, K, ...]: the channel split of grouped convs.
Value splitChannels(OpBuilder &b, Location loc, Value v, int64_t groups) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape = {type.getDimSize(0), groups,
                                type.getDimSize(1) / groups};
  shape.append(type.getShape().begin() + 2, type.getShape().end());
  SmallVector<OpFoldResult> sizes = getSizes(b, loc, v);
  SmallVector<OpFoldResult> outShape = {sizes[0], b.getIndexAttr(shape[1]),
                                        b.getIndexAttr(shape[2])};
  outShape.append(sizes.begin() + 2, sizes.end());
  SmallVector<ReassociationIndices> reassoc = {{0}, {1, 2}};
  for (int64_t i = 3, e = shape.size(); i < e; ++i)
    reassoc.push_back({i});
  return b.create<tensor::ExpandShapeOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), v, reassoc,
      outShape);
}

/// The [F, C] connection table as an i1 constant.
Value tableConstant(OpBuilder &b, Location loc, DenseIntElementsAttr table) {
  SmallVector<bool> values;
  for (const APInt &v : table.getValues<APInt>())
    values.push_back(!v.isZero());
  auto type = RankedTensorType::get(table.getType().getShape(), b.getI1Type());
  return b.create<arith::ConstantOp>(loc, DenseElementsAttr::get(type, values));
}

/// Σ over each `kernel` window at stride `stride` (no dilation, no padding).
Value windowSum(OpBuilder &b, Location loc, Value input,
                RankedTensorType resultType, ArrayRef<int64_t> kernel,
                ArrayRef<int64_t> stride) {
  Value window = b.create<tensor::EmptyOp>(loc, kernel, b.getF32Type());
  return b
      .create<linalg::PoolingNchwSumOp>(
          loc, TypeRange{resultType}, ValueRange{input, window},
          ValueRange{zerosLike(b, loc, resultType, input)},
          b.getI64TensorAttr(stride), b.getI64TensorAttr({1, 1}))
      .getResult(0);
}

/// The input gradient of a window average with `kernel`, `stride` and
/// `padding`, before dividing by the window size: every window's gradient
/// summed over the input elements it covers (padding included, then dropped).
Value avgPoolGradSum(OpBuilder &b, Location loc, Value gy,
                     RankedTensorType resultType, ArrayRef<int64_t> kernel,
                     ArrayRef<int64_t> stride, ArrayRef<int64_t> padding) {
  Value grid = spreadOnGrid(b, loc, gy, kernel, stride, padding,
                            resultType.getShape().drop_front(2));
  return windowSum(b, loc, grid, resultType, kernel, {1, 1});
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

/// gx = the stride-1 correlation, dilated like the forward op, of the spread
/// grad_output with wt[g, c, f, kh, kw] = w[g·F/G + f, c, KH-1-kh, KW-1-kw]
/// (masked by the connection table): conv_2d_nchw_fchw, or
/// conv_2d_ngchw_gfchw over split channels when grouped.
struct Conv2DBackwardInputLowering : OpRewritePattern<Conv2DBackwardInputOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DBackwardInputOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value gy = op.getGradOutput(), w = op.getWeight();
    auto type = cast<RankedTensorType>(op.getType());
    if (!staticButBatch({gy, op.getResult()}) ||
        !cast<RankedTensorType>(w.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    int64_t groups = op.getGroups();
    int64_t filters = dimOf(w, 0), channels = dimOf(w, 1);
    int64_t kh = dimOf(w, 2), kw = dimOf(w, 3);
    ArrayRef<int64_t> dilation = op.getDilation();
    SmallVector<int64_t> extent = {dilation[0] * (kh - 1) + 1,
                                   dilation[1] * (kw - 1) + 1};
    Value grid = spreadOnGrid(rewriter, loc, gy, extent, op.getStride(),
                              op.getPadding(), op.getInputSize());

    // The flipped, transposed weight [G, C/G, F/G, KH, KW].
    MLIRContext *ctx = rewriter.getContext();
    int64_t perGroup = filters / groups;
    AffineExpr g = rewriter.getAffineDimExpr(0),
               c = rewriter.getAffineDimExpr(1),
               f = rewriter.getAffineDimExpr(2),
               y = rewriter.getAffineDimExpr(3),
               x = rewriter.getAffineDimExpr(4);
    SmallVector<Value> ins = {w};
    SmallVector<AffineMap> maps = {AffineMap::get(
        5, 0, {g * perGroup + f, c, (kh - 1) - y, (kw - 1) - x}, ctx)};
    std::optional<DenseIntElementsAttr> table = op.getConnections();
    if (table) {
      ins.push_back(tableConstant(rewriter, loc, *table));
      maps.push_back(AffineMap::get(5, 0, {g * perGroup + f, c}, ctx));
    }
    maps.push_back(rewriter.getMultiDimIdentityMap(5));
    auto wtType = RankedTensorType::get({groups, channels, perGroup, kh, kw},
                                        rewriter.getF32Type());
    Value wt = rewriter
                   .create<linalg::GenericOp>(
                       loc, wtType, ins, emptyLike(rewriter, loc, wtType, w),
                       maps, parallel(5),
                       [&](OpBuilder &nb, Location l, ValueRange args) {
                         Value v = args[0];
                         if (table)
                           v = nb.create<arith::SelectOp>(l, args[1], v,
                                                          f32Const(nb, l, 0.0));
                         nb.create<linalg::YieldOp>(l, v);
                       })
                   .getResult(0);

    auto strides = rewriter.getI64TensorAttr({1, 1});
    auto dilations = rewriter.getI64TensorAttr(dilation);
    if (groups == 1) {
      auto wt4Type = RankedTensorType::get({channels, filters, kh, kw},
                                           rewriter.getF32Type());
      Value wt4 = rewriter.create<tensor::CollapseShapeOp>(
          loc, wt4Type, wt,
          ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
      rewriter.replaceOpWithNewOp<linalg::Conv2DNchwFchwOp>(
          op, TypeRange{type}, ValueRange{grid, wt4},
          ValueRange{zerosLike(rewriter, loc, type, gy)}, strides, dilations);
      return success();
    }
    auto groupedType =
        RankedTensorType::get({type.getDimSize(0), groups, channels,
                               type.getDimSize(2), type.getDimSize(3)},
                              rewriter.getF32Type());
    Value conv =
        rewriter
            .create<linalg::Conv2DNgchwGfchwOp>(
                loc, TypeRange{groupedType},
                ValueRange{splitChannels(rewriter, loc, grid, groups), wt},
                ValueRange{zerosLike(rewriter, loc, groupedType, gy)}, strides,
                dilations)
            .getResult(0);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, type, conv, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
    return success();
  }
};

/// gw[f, c, kh, kw] = Σ_{n, oh, ow} x_padded[n, c, oh·s + kh·d, ow·s + kw·d]
/// · gy[n, f, oh, ow], one reduction of result `type`; grouped, the channel
/// of x is offset by the group and the result is built as
/// [G, F/G, C/G, KH, KW].
Value weightGradientSum(OpBuilder &b, Location loc, Value padded, Value gy,
                        RankedTensorType type, ArrayRef<int64_t> s,
                        ArrayRef<int64_t> d, int64_t groups) {
  // Iteration (g, f, c, kh, kw, n, oh, ow); without groups g is dropped.
  MLIRContext *ctx = b.getContext();
  bool grouped = groups > 1;
  unsigned first = grouped ? 1 : 0, rank = first + 7;
  auto dim = [&](unsigned i) { return b.getAffineDimExpr(first + i); };
  AffineExpr f = dim(0), c = dim(1), y = dim(2), xw = dim(3), n = dim(4),
             oh = dim(5), ow = dim(6);
  AffineExpr inC = c, outF = f;
  SmallVector<AffineExpr> outExprs = {f, c, y, xw};
  SmallVector<int64_t> shape(type.getShape());
  if (grouped) {
    AffineExpr g = b.getAffineDimExpr(0);
    inC = g * type.getDimSize(1) + c;
    outF = g * (type.getDimSize(0) / groups) + f;
    outExprs.insert(outExprs.begin(), g);
    shape[0] /= groups;
    shape.insert(shape.begin(), groups);
  }
  auto accType = RankedTensorType::get(shape, b.getF32Type());
  SmallVector<AffineMap> maps = {
      AffineMap::get(
          rank, 0, {n, inC, oh * s[0] + y * d[0], ow * s[1] + xw * d[1]}, ctx),
      AffineMap::get(rank, 0, {n, outF, oh, ow}, ctx),
      AffineMap::get(rank, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> it = parallel(rank);
  std::fill(it.end() - 3, it.end(), utils::IteratorType::reduction);
  Value grad =
      b.create<linalg::GenericOp>(
           loc, accType, ValueRange{padded, gy}, zerosLike(b, loc, accType, gy),
           maps, it,
           [](OpBuilder &nb, Location l, ValueRange args) {
             Value p = nb.create<arith::MulFOp>(l, args[0], args[1]);
             nb.create<linalg::YieldOp>(
                 l, nb.create<arith::AddFOp>(l, args[2], p).getResult());
           })
          .getResult(0);
  if (grouped)
    grad = b.create<tensor::CollapseShapeOp>(
        loc, type, grad, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
  return grad;
}

/// The weight gradient as one reduction (weightGradientSum), at unit stride
/// over the input's phases where the forward op is computed that way
/// (StridedConvPhases.cpp). A connection table zeroes the unconnected
/// kernels afterwards.
struct Conv2DBackwardWeightLowering : OpRewritePattern<Conv2DBackwardWeightOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DBackwardWeightOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput(), gy = op.getGradOutput();
    auto type = cast<RankedTensorType>(op.getType());
    if (!staticButBatch({x, gy}) || !type.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    int64_t groups = op.getGroups();
    ArrayRef<int64_t> s = op.getStride(), d = op.getDilation();
    ArrayRef<int64_t> kernel = type.getShape().drop_front(2);
    Value padded =
        padHW(rewriter, loc, x, op.getPadding(), f32Const(rewriter, loc, 0.0));
    Value grad;
    if (phasesMakeUnitStride(kernel, s, d, groups)) {
      Value phased = splitInputPhases(rewriter, loc, padded, kernel, s,
                                      {dimOf(gy, 2), dimOf(gy, 3)});
      auto phasedType =
          RankedTensorType::get({type.getDimSize(0), dimOf(phased, 1),
                                 dimOf(phased, 2) - dimOf(gy, 2) + 1,
                                 dimOf(phased, 3) - dimOf(gy, 3) + 1},
                                rewriter.getF32Type());
      Value sum = weightGradientSum(rewriter, loc, phased, gy, phasedType,
                                    {1, 1}, {1, 1}, 1);
      grad = joinKernelPhases(rewriter, loc, sum, s, kernel);
    } else {
      grad = weightGradientSum(rewriter, loc, padded, gy, type, s, d, groups);
    }

    MLIRContext *ctx = rewriter.getContext();
    if (std::optional<DenseIntElementsAttr> table = op.getConnections()) {
      AffineMap id = rewriter.getMultiDimIdentityMap(4);
      AffineMap fc = AffineMap::get(
          4, 0, {rewriter.getAffineDimExpr(0), rewriter.getAffineDimExpr(1)},
          ctx);
      grad = rewriter
                 .create<linalg::GenericOp>(
                     loc, type,
                     ValueRange{grad, tableConstant(rewriter, loc, *table)},
                     emptyLike(rewriter, loc, type, grad),
                     ArrayRef<AffineMap>{id, fc, id}, parallel(4),
                     [](OpBuilder &nb, Location l, ValueRange args) {
                       nb.create<linalg::YieldOp>(
                           l, nb.create<arith::SelectOp>(l, args[1], args[0],
                                                         f32Const(nb, l, 0.0))
                                  .getResult());
                     })
                 .getResult(0);
    }
    rewriter.replaceOp(op, grad);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling and subsampling
//===----------------------------------------------------------------------===//

/// Multiplies every element of a [N, C, H, W] tensor by `scale` and, when
/// given, by `perChannel[c]`.
Value scaleChannels(OpBuilder &b, Location loc, Value input, double scale,
                    Value perChannel) {
  auto type = cast<RankedTensorType>(input.getType());
  AffineMap id = b.getMultiDimIdentityMap(4);
  SmallVector<Value> ins = {input};
  SmallVector<AffineMap> maps = {id};
  if (perChannel) {
    ins.push_back(perChannel);
    maps.push_back(AffineMap::get(4, 0, b.getAffineDimExpr(1)));
  }
  maps.push_back(id);
  return b
      .create<linalg::GenericOp>(
          loc, type, ins, emptyLike(b, loc, type, input), maps, parallel(4),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            Value v =
                nb.create<arith::MulFOp>(l, args[0], f32Const(nb, l, scale));
            if (perChannel)
              v = nb.create<arith::MulFOp>(l, v, args[1]);
            nb.create<linalg::YieldOp>(l, v);
          })
      .getResult(0);
}

/// avg_pool2d's and subsample2d's input gradients: the window sums of the
/// spread grad_output, divided by the window size (and, for subsample2d,
/// multiplied by the channel's coefficient; its windows are never padded).
template <typename OpTy>
struct WindowMeanBackwardLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (!staticButBatch({op.getGradOutput(), op.getResult()}))
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    Location loc = op.getLoc();
    ArrayRef<int64_t> kernel = op.getKernel();
    Value sum = avgPoolGradSum(rewriter, loc, op.getGradOutput(),
                               cast<RankedTensorType>(op.getType()), kernel,
                               op.getStride(), padding(op));
    rewriter.replaceOp(op, scaleChannels(rewriter, loc, sum,
                                         1.0 / (kernel[0] * kernel[1]),
                                         coefficient(op)));
    return success();
  }
  static ArrayRef<int64_t> padding(AvgPool2DBackwardOp op) {
    return op.getPadding();
  }
  static ArrayRef<int64_t> padding(Subsample2DBackwardInputOp) {
    static constexpr int64_t none[] = {0, 0};
    return none;
  }
  static Value coefficient(AvgPool2DBackwardOp) { return {}; }
  static Value coefficient(Subsample2DBackwardInputOp op) {
    return op.getCoefficient();
  }
};

/// Σ_{n, oh, ow} gy · (window sum of x) / (KH·KW): the forward window sums
/// (a named sum pooling), then one reduction to [C].
struct Subsample2DBackwardCoefficientLowering
    : OpRewritePattern<Subsample2DBackwardCoefficientOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Subsample2DBackwardCoefficientOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value gy = op.getGradOutput(), x = op.getInput();
    if (!staticButBatch({gy, x}))
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    ArrayRef<int64_t> kernel = op.getKernel();
    auto gyType = cast<RankedTensorType>(gy.getType());
    auto sumsType = RankedTensorType::get(
        {dimOf(x, 0), dimOf(x, 1), gyType.getDimSize(2), gyType.getDimSize(3)},
        rewriter.getF32Type());
    Value sums = windowSum(rewriter, loc, x, sumsType, kernel, op.getStride());
    auto type = cast<RankedTensorType>(op.getType());
    AffineMap id = rewriter.getMultiDimIdentityMap(4);
    AffineMap channel = AffineMap::get(4, 0, rewriter.getAffineDimExpr(1));
    SmallVector<utils::IteratorType> it(4, utils::IteratorType::reduction);
    it[1] = utils::IteratorType::parallel;
    Value init =
        fill(rewriter, loc, f32Const(rewriter, loc, 0.0),
             rewriter.create<tensor::EmptyOp>(loc, type, ValueRange{}));
    double scale = 1.0 / static_cast<double>(kernel[0] * kernel[1]);
    Value grad =
        rewriter
            .create<linalg::GenericOp>(
                loc, type, ValueRange{gy, sums}, init,
                ArrayRef<AffineMap>{id, id, channel}, it,
                [](OpBuilder &nb, Location l, ValueRange args) {
                  Value p = nb.create<arith::MulFOp>(l, args[0], args[1]);
                  nb.create<linalg::YieldOp>(
                      l, nb.create<arith::AddFOp>(l, args[2], p).getResult());
                })
            .getResult(0);
    grad = mapElements(
        rewriter, loc, grad, [scale](OpBuilder &nb, Location l, Value v) {
          return nb.create<arith::MulFOp>(l, v, f32Const(nb, l, scale))
              .getResult();
        });
    rewriter.replaceOp(op, grad);
    return success();
  }
};

} // namespace

void mlir::cnn::populateSpatialGradientsToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<Conv2DBackwardInputLowering, Conv2DBackwardWeightLowering,
               WindowMeanBackwardLowering<AvgPool2DBackwardOp>,
               WindowMeanBackwardLowering<Subsample2DBackwardInputOp>,
               Subsample2DBackwardCoefficientLowering>(patterns.getContext());
}
