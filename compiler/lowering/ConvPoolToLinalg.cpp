//===- ConvPoolToLinalg.cpp - conv and pooling to linalg on tensors -------===//
//
// The spatial half of cnn-to-linalg: conv2d (padding, stride, dilation,
// groups, connection tables, bias), avg/max pooling, LeNet's trainable
// subsampling and the fused conv + activation + pool op, as named linalg
// convolution/pooling ops where upstream has them. Also defines the
// tensor-building helpers (padding, broadcasts, activations) that the other
// patterns in CNNToLinalg.cpp reuse.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

namespace mlir::cnn::lowering {

/// The sizes of `value`, as constants where static and tensor.dim where not.
SmallVector<OpFoldResult> getSizes(OpBuilder &b, Location loc, Value value) {
  return tensor::getMixedSizes(b, loc, value);
}

/// A tensor.empty of `type` whose dynamic sizes are read from `like` at the
/// same positions. Every op here keeps the batch as dimension 0, so the
/// input's sizes are the ones to copy.
Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type, Value like) {
  SmallVector<Value> dynSizes;
  for (auto [i, size] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(size))
      dynSizes.push_back(b.create<tensor::DimOp>(loc, like, i));
  return b.create<tensor::EmptyOp>(loc, type, dynSizes);
}

Value f32Const(OpBuilder &b, Location loc, double value) {
  return b.create<arith::ConstantOp>(loc, b.getF32FloatAttr(value));
}

Value negInf(OpBuilder &b, Location loc) {
  return f32Const(b, loc, -std::numeric_limits<float>::infinity());
}

Value fill(OpBuilder &b, Location loc, Value scalar, Value init) {
  return b.create<linalg::FillOp>(loc, scalar, init).getResult(0);
}

SmallVector<utils::IteratorType> parallel(unsigned n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

/// Pads `input` by `low`/`high` elements per dimension with `padValue`.
///
/// Built as fill + insert_slice rather than tensor.pad: on MLIR 19, one-shot
/// bufferization of a tensor.pad with a dynamic (batch) dimension emits a
/// memref.dim of the new buffer before the buffer exists ("operand #0 does
/// not dominate this use"). The fill + insert_slice form bufferizes to an
/// alloc, a fill and a copy into a subview.
Value padWith(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
              ArrayRef<int64_t> high, Value padValue) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> shape(type.getShape());
  SmallVector<Value> dyn;
  for (int64_t i = 0; i < rank; ++i) {
    if (ShapedType::isDynamic(shape[i])) {
      Value d = b.create<tensor::DimOp>(loc, input, i);
      if (low[i] + high[i] != 0)
        d = b.create<arith::AddIOp>(
            loc, d, b.create<arith::ConstantIndexOp>(loc, low[i] + high[i]));
      dyn.push_back(d);
    } else {
      shape[i] += low[i] + high[i];
    }
  }
  Value empty = b.create<tensor::EmptyOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), dyn);
  Value filled = fill(b, loc, padValue, empty);
  SmallVector<OpFoldResult> offsets, strides(rank, b.getIndexAttr(1));
  for (int64_t i = 0; i < rank; ++i)
    offsets.push_back(b.getIndexAttr(low[i]));
  return b.create<tensor::InsertSliceOp>(loc, input, filled, offsets,
                                         getSizes(b, loc, input), strides);
}

/// Pads dimensions 2 and 3 of an NCHW tensor symmetrically with `padValue`.
Value padHW(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> padding,
            Value padValue) {
  if (padding[0] == 0 && padding[1] == 0)
    return input;
  SmallVector<int64_t> pads = {0, 0, padding[0], padding[1]};
  return padWith(b, loc, input, pads, pads, padValue);
}

/// Applies `body(x)` to every element of `input`.
Value mapElements(OpBuilder &b, Location loc, Value input,
                  function_ref<Value(OpBuilder &, Location, Value)> body) {
  auto type = cast<RankedTensorType>(input.getType());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  return b
      .create<linalg::GenericOp>(
          loc, type, input, emptyLike(b, loc, type, input),
          ArrayRef<AffineMap>{id, id}, parallel(type.getRank()),
          [&](OpBuilder &nb, Location nloc, ValueRange args) {
            nb.create<linalg::YieldOp>(nloc, body(nb, nloc, args[0]));
          })
      .getResult(0);
}

/// A tensor of `type` (rank >= 2) holding `vec[d]` at every position whose
/// index along dimension `dim` is d: the bias broadcast that conv and dense
/// accumulate into.
Value broadcastAlong(OpBuilder &b, Location loc, Value vec,
                     RankedTensorType type, unsigned dim, Value like) {
  unsigned rank = type.getRank();
  AffineMap in = AffineMap::get(rank, 0, b.getAffineDimExpr(dim));
  AffineMap out = b.getMultiDimIdentityMap(rank);
  return b
      .create<linalg::GenericOp>(
          loc, type, vec, emptyLike(b, loc, type, like),
          ArrayRef<AffineMap>{in, out}, parallel(rank),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            nb.create<linalg::YieldOp>(nloc, args[0]);
          })
      .getResult(0);
}

/// `c` as a constant of `like`'s type: a scalar, or a splat vector.
static Value constantLike(OpBuilder &b, Location loc, Value like, double c) {
  Type type = like.getType();
  auto scalar = b.getF32FloatAttr(static_cast<float>(c));
  if (auto vector = dyn_cast<VectorType>(type))
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(vector, scalar.getValue()));
  return b.create<arith::ConstantOp>(loc, scalar);
}

Value activate(OpBuilder &b, Location loc, Activation act, Value x) {
  switch (act) {
  case Activation::None:
    return x;
  case Activation::Tanh:
    return b.create<math::TanhOp>(loc, x);
  case Activation::ScaledTanh: {
    // LeCun's 1.7159 * tanh(2x/3), chosen so that f(+-1) = +-1.
    Value scaled =
        b.create<arith::MulFOp>(loc, x, constantLike(b, loc, x, 2.0 / 3.0));
    Value t = b.create<math::TanhOp>(loc, scaled);
    return b.create<arith::MulFOp>(loc, t, constantLike(b, loc, x, 1.7159));
  }
  case Activation::Relu:
    return b.create<arith::MaximumFOp>(loc, x, constantLike(b, loc, x, 0.0));
  case Activation::Sigmoid: {
    Value one = constantLike(b, loc, x, 1.0);
    Value e = b.create<math::ExpOp>(loc, b.create<arith::NegFOp>(loc, x));
    return b.create<arith::DivFOp>(loc, one,
                                   b.create<arith::AddFOp>(loc, one, e));
  }
  }
  llvm_unreachable("every Activation case is handled above");
}

Value activationGradient(OpBuilder &b, Location loc, Activation act, Value gy,
                         Value y) {
  // Each operand is built in its own statement: ops are created in the
  // order written, not in C++'s unspecified argument order.
  Value slope;
  switch (act) {
  case Activation::None:
    return gy;
  case Activation::Tanh: {
    Value one = constantLike(b, loc, y, 1.0);
    Value square = b.create<arith::MulFOp>(loc, y, y);
    slope = b.create<arith::SubFOp>(loc, one, square);
    break;
  }
  case Activation::ScaledTanh: {
    // (2/3)(1.7159 - y²/1.7159) with both constants folded in double.
    Value a = constantLike(b, loc, y, 2.0 / 3.0 * 1.7159);
    Value c = constantLike(b, loc, y, 2.0 / 3.0 / 1.7159);
    Value square = b.create<arith::MulFOp>(loc, y, y);
    slope = b.create<arith::SubFOp>(
        loc, a, b.create<arith::MulFOp>(loc, c, square).getResult());
    break;
  }
  case Activation::Relu: {
    Value zero = constantLike(b, loc, y, 0.0);
    Value positive =
        b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, y, zero);
    return b.create<arith::SelectOp>(loc, positive, gy, zero);
  }
  case Activation::Sigmoid: {
    Value one = constantLike(b, loc, y, 1.0);
    Value oneMinusY = b.create<arith::SubFOp>(loc, one, y);
    slope = b.create<arith::MulFOp>(loc, y, oneMinusY);
    break;
  }
  }
  return b.create<arith::MulFOp>(loc, gy, slope);
}

Value applyActivation(OpBuilder &b, Location loc, Activation act, Value input) {
  if (act == Activation::None)
    return input;
  return mapElements(b, loc, input, [&](OpBuilder &nb, Location l, Value x) {
    return activate(nb, l, act, x);
  });
}

} // namespace mlir::cnn::lowering

namespace {

//===----------------------------------------------------------------------===//
// Convolution and pooling helpers
//===----------------------------------------------------------------------===//

/// The output type of a 2-D convolution of `input` by `weight`.
RankedTensorType convResultType(Value input, Value weight,
                                ArrayRef<int64_t> stride,
                                ArrayRef<int64_t> padding,
                                ArrayRef<int64_t> dilation) {
  auto in = cast<RankedTensorType>(input.getType());
  auto w = cast<RankedTensorType>(weight.getType());
  SmallVector<int64_t> shape = {in.getDimSize(0), w.getDimSize(0)};
  for (int i = 0; i < 2; ++i) {
    int64_t size = in.getDimSize(2 + i);
    if (ShapedType::isDynamic(size)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    int64_t extent = dilation[i] * (w.getDimSize(2 + i) - 1) + 1;
    shape.push_back((size + 2 * padding[i] - extent) / stride[i] + 1);
  }
  return RankedTensorType::get(shape, in.getElementType());
}

/// The output type of a 2-D pooling of `input`.
RankedTensorType poolResultType(Value input, ArrayRef<int64_t> kernel,
                                ArrayRef<int64_t> stride,
                                ArrayRef<int64_t> padding) {
  auto in = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape(in.getShape());
  for (int i = 0; i < 2; ++i)
    if (!ShapedType::isDynamic(shape[2 + i]))
      shape[2 + i] =
          (shape[2 + i] + 2 * padding[i] - kernel[i]) / stride[i] + 1;
  return RankedTensorType::get(shape, in.getElementType());
}

/// Multiplies the full [F, C, KH, KW] weight by the [F, C] connection table
/// broadcast over KH and KW, so unconnected kernels read as zero whatever
/// their stored values (the gradient through the mask is zero too).
Value maskWeight(OpBuilder &b, Location loc, Value weight,
                 DenseIntElementsAttr table) {
  auto wType = cast<RankedTensorType>(weight.getType());
  auto maskType = RankedTensorType::get(
      {wType.getDimSize(0), wType.getDimSize(1)}, b.getF32Type());
  SmallVector<float> values;
  for (const APInt &v : table.getValues<APInt>())
    values.push_back(v.isZero() ? 0.0f : 1.0f);
  Value mask = b.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(maskType, ArrayRef<float>(values)));
  AffineMap id = b.getMultiDimIdentityMap(4);
  AffineMap fc = AffineMap::get(
      4, 0, {b.getAffineDimExpr(0), b.getAffineDimExpr(1)}, b.getContext());
  return b
      .create<linalg::GenericOp>(
          loc, wType, ValueRange{weight, mask},
          emptyLike(b, loc, wType, weight), ArrayRef<AffineMap>{id, fc, id},
          parallel(4),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            nb.create<linalg::YieldOp>(
                nloc,
                nb.create<arith::MulFOp>(nloc, args[0], args[1]).getResult());
          })
      .getResult(0);
}

/// conv2d with everything the cnn op can say: padding, stride, dilation,
/// groups, a connection table and an optional bias.
Value lowerConv(OpBuilder &b, Location loc, Value input, Value weight,
                Value bias, ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                ArrayRef<int64_t> dilation, int64_t groups,
                std::optional<DenseIntElementsAttr> connections) {
  RankedTensorType resultType =
      convResultType(input, weight, stride, padding, dilation);
  if (connections)
    weight = maskWeight(b, loc, weight, *connections);

  Value init;
  if (bias) {
    init = broadcastAlong(b, loc, bias, resultType, 1, input);
  } else {
    init = fill(b, loc, f32Const(b, loc, 0.0),
                emptyLike(b, loc, resultType, input));
  }

  Value padded = padHW(b, loc, input, padding, f32Const(b, loc, 0.0));
  ArrayRef<int64_t> kernel =
      cast<RankedTensorType>(weight.getType()).getShape().drop_front(2);
  if (phasesMakeUnitStride(kernel, stride, dilation, groups))
    return convByPhases(b, loc, padded, weight, init, stride);
  auto strides = b.getI64TensorAttr(stride);
  auto dilations = b.getI64TensorAttr(dilation);
  if (groups == 1)
    return b
        .create<linalg::Conv2DNchwFchwOp>(loc, TypeRange{resultType},
                                          ValueRange{padded, weight},
                                          ValueRange{init}, strides, dilations)
        .getResult(0);

  // Grouped: split channels into [G, C/G] (input), [G, F/G] (weight, init)
  // and run the grouped named op, then merge the groups back.
  auto split = [&](Value v, int64_t dim, int64_t outer) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape;
    SmallVector<ReassociationIndices> reassoc;
    for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
      if (i == dim) {
        shape.push_back(outer);
        shape.push_back(type.getDimSize(i) / outer);
        reassoc.push_back({static_cast<int64_t>(shape.size()) - 2,
                           static_cast<int64_t>(shape.size()) - 1});
      } else {
        shape.push_back(type.getDimSize(i));
        reassoc.push_back({static_cast<int64_t>(shape.size()) - 1});
      }
    }
    SmallVector<OpFoldResult> outShape;
    SmallVector<OpFoldResult> sizes = getSizes(b, loc, v);
    for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
      if (i == dim) {
        outShape.push_back(b.getIndexAttr(outer));
        outShape.push_back(b.getIndexAttr(type.getDimSize(i) / outer));
      } else {
        outShape.push_back(sizes[i]);
      }
    }
    return b
        .create<tensor::ExpandShapeOp>(
            loc, RankedTensorType::get(shape, type.getElementType()), v,
            reassoc, outShape)
        .getResult();
  };
  Value gInput = split(padded, 1, groups);
  Value gWeight = split(weight, 0, groups);
  Value gInit = split(init, 1, groups);
  Value conv =
      b.create<linalg::Conv2DNgchwGfchwOp>(
           loc, TypeRange{gInit.getType()}, ValueRange{gInput, gWeight},
           ValueRange{gInit}, strides, dilations)
          .getResult(0);
  SmallVector<ReassociationIndices> merge = {{0}, {1, 2}, {3}, {4}};
  return b.create<tensor::CollapseShapeOp>(loc, resultType, conv, merge);
}

/// Window sum (avg) or max over `kernel` windows, padded as the op says.
/// The sum is not yet divided: callers scale it.
Value lowerPoolReduction(OpBuilder &b, Location loc, PoolKind kind, Value input,
                         ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                         ArrayRef<int64_t> padding) {
  RankedTensorType resultType = poolResultType(input, kernel, stride, padding);
  // Average pooling counts padding (PyTorch's count_include_pad), so zero is
  // the right pad; max pooling pads with -inf so padding never wins.
  Value identity =
      kind == PoolKind::Avg ? f32Const(b, loc, 0.0) : negInf(b, loc);
  Value padded = padHW(b, loc, input, padding, identity);
  Value init = fill(b, loc, identity, emptyLike(b, loc, resultType, input));
  // The named pooling ops take the window shape from an operand whose
  // contents are never read.
  Value window =
      b.create<tensor::EmptyOp>(loc, kernel, b.getF32Type()).getResult();
  auto strides = b.getI64TensorAttr(stride);
  auto dilations = b.getI64TensorAttr({1, 1});
  if (kind == PoolKind::Max)
    return b
        .create<linalg::PoolingNchwMaxOp>(loc, TypeRange{resultType},
                                          ValueRange{padded, window},
                                          ValueRange{init}, strides, dilations)
        .getResult(0);
  return b
      .create<linalg::PoolingNchwSumOp>(loc, TypeRange{resultType},
                                        ValueRange{padded, window},
                                        ValueRange{init}, strides, dilations)
      .getResult(0);
}

Value lowerPool(OpBuilder &b, Location loc, PoolKind kind, Value input,
                ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                ArrayRef<int64_t> padding) {
  Value reduced =
      lowerPoolReduction(b, loc, kind, input, kernel, stride, padding);
  if (kind == PoolKind::Max)
    return reduced;
  double scale = 1.0 / static_cast<double>(kernel[0] * kernel[1]);
  return mapElements(
      b, loc, reduced, [scale](OpBuilder &nb, Location l, Value x) {
        return nb.create<arith::MulFOp>(l, x, f32Const(nb, l, scale))
            .getResult();
      });
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct Conv2DLowering : OpRewritePattern<Conv2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2DOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, lowerConv(rewriter, op.getLoc(), op.getInput(), op.getWeight(),
                      op.getBias(), op.getStride(), op.getPadding(),
                      op.getDilation(), op.getGroups(), op.getConnections()));
    return success();
  }
};

template <typename OpTy, PoolKind Kind>
struct PoolLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, lowerPool(rewriter, op.getLoc(), Kind, op.getInput(),
                                     op.getKernel(), op.getStride(),
                                     op.getPadding()));
    return success();
  }
};

struct Subsample2DLowering : OpRewritePattern<Subsample2DOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Subsample2DOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> kernel = op.getKernel();
    Value sum = lowerPoolReduction(rewriter, loc, PoolKind::Avg, op.getInput(),
                                   kernel, op.getStride(), {0, 0});
    auto type = cast<RankedTensorType>(sum.getType());
    // coefficient[c] * sum / (kh*kw) + bias[c], in one pass over the sums.
    AffineMap id = rewriter.getMultiDimIdentityMap(4);
    AffineMap channel = AffineMap::get(4, 0, rewriter.getAffineDimExpr(1));
    double scale = 1.0 / static_cast<double>(kernel[0] * kernel[1]);
    Value result =
        rewriter
            .create<linalg::GenericOp>(
                loc, type, ValueRange{sum, op.getCoefficient(), op.getBias()},
                emptyLike(rewriter, loc, type, op.getInput()),
                ArrayRef<AffineMap>{id, channel, channel, id}, parallel(4),
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value avg = nb.create<arith::MulFOp>(l, args[0],
                                                       f32Const(nb, l, scale));
                  Value scaled = nb.create<arith::MulFOp>(l, avg, args[1]);
                  nb.create<linalg::YieldOp>(
                      l,
                      nb.create<arith::AddFOp>(l, scaled, args[2]).getResult());
                })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FusedConvActPoolLowering : OpRewritePattern<FusedConvActPoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FusedConvActPoolOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value value =
        lowerConv(rewriter, loc, op.getInput(), op.getWeight(), op.getBias(),
                  op.getStride(), op.getPadding(), op.getDilation(),
                  op.getGroups(), op.getConnections());
    value = applyActivation(rewriter, loc, op.getAct(), value);
    std::optional<PoolKind> pool = op.getPool();
    std::optional<ArrayRef<int64_t>> kernel = op.getPoolKernel();
    std::optional<ArrayRef<int64_t>> stride = op.getPoolStride();
    if (pool) {
      // The verifier requires kernel and stride with a pool; say so rather
      // than crash if IR built without verification gets here.
      if (!kernel || !stride)
        return rewriter.notifyMatchFailure(op, "pool without kernel/stride");
      value = lowerPool(rewriter, loc, *pool, value, *kernel, *stride,
                        op.getPoolPadding());
    }
    rewriter.replaceOp(op, value);
    return success();
  }
};

} // namespace

void mlir::cnn::populateConvPoolToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<Conv2DLowering, PoolLowering<AvgPool2DOp, PoolKind::Avg>,
               PoolLowering<MaxPool2DOp, PoolKind::Max>, Subsample2DLowering,
               FusedConvActPoolLowering>(patterns.getContext());
}
