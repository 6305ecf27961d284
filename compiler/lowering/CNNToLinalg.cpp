//===- CNNToLinalg.cpp - lower forward cnn ops to linalg on tensors -------===//
//
// The first lowering step: every forward cnn op becomes destination-style
// linalg/tensor/arith/math ops on tensors, ready for one-shot bufferization.
// Named linalg ops are used where upstream has one (they keep the door open
// for the transform-dialect schedules in MLIR19-NOTES.md); the rest are
// linalg.generic. The batch dimension may be dynamic throughout.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/Passes.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

#define DEBUG_TYPE "cnn-to-linalg"

namespace mlir::cnn {
#define GEN_PASS_DEF_CONVERTCNNTOLINALG
#include "compiler/lowering/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;
using namespace mlir::cnn;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

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

Value applyActivation(OpBuilder &b, Location loc, Activation act, Value input) {
  switch (act) {
  case Activation::None:
    return input;
  case Activation::Tanh:
    return mapElements(b, loc, input, [](OpBuilder &nb, Location l, Value x) {
      return nb.create<math::TanhOp>(l, x).getResult();
    });
  case Activation::ScaledTanh:
    // LeCun's 1.7159 * tanh(2x/3), chosen so that f(+-1) = +-1.
    return mapElements(b, loc, input, [](OpBuilder &nb, Location l, Value x) {
      Value scaled = nb.create<arith::MulFOp>(l, x, f32Const(nb, l, 2.0 / 3.0));
      Value t = nb.create<math::TanhOp>(l, scaled);
      return nb.create<arith::MulFOp>(l, t, f32Const(nb, l, 1.7159))
          .getResult();
    });
  case Activation::Relu:
    return mapElements(b, loc, input, [](OpBuilder &nb, Location l, Value x) {
      return nb.create<arith::MaximumFOp>(l, x, f32Const(nb, l, 0.0))
          .getResult();
    });
  case Activation::Sigmoid:
    return mapElements(b, loc, input, [](OpBuilder &nb, Location l, Value x) {
      Value one = f32Const(nb, l, 1.0);
      Value e = nb.create<math::ExpOp>(l, nb.create<arith::NegFOp>(l, x));
      return nb
          .create<arith::DivFOp>(l, one, nb.create<arith::AddFOp>(l, one, e))
          .getResult();
    });
  }
  llvm_unreachable("every Activation case is handled above");
}

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

/// A tensor like `input` without dimension `axis`, filled with `value`.
Value reducedInit(OpBuilder &b, Location loc, Value input, int64_t axis,
                  Value value) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (i == axis)
      continue;
    shape.push_back(type.getDimSize(i));
    if (type.isDynamicDim(i))
      dyn.push_back(b.create<tensor::DimOp>(loc, input, i));
  }
  Value empty = b.create<tensor::EmptyOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), dyn);
  return fill(b, loc, value, empty);
}

/// The identity map of `rank` dims with `axis` dropped.
AffineMap dropDim(OpBuilder &b, unsigned rank, int64_t axis) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < rank; ++i)
    if (static_cast<int64_t>(i) != axis)
      exprs.push_back(b.getAffineDimExpr(i));
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

SmallVector<utils::IteratorType> reduceAlong(unsigned rank, int64_t axis) {
  SmallVector<utils::IteratorType> it = parallel(rank);
  it[axis] = utils::IteratorType::reduction;
  return it;
}

/// Row maximum and sum of exp(x - max) along `axis`: the two reductions that
/// softmax, log_softmax and cross-entropy share. Subtracting the maximum
/// keeps exp from overflowing for large logits.
std::pair<Value, Value> maxAndSumExp(OpBuilder &b, Location loc, Value input,
                                     int64_t axis) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  AffineMap red = dropDim(b, rank, axis);
  Value maxInit = reducedInit(b, loc, input, axis, negInf(b, loc));
  Value max =
      b.create<linalg::GenericOp>(
           loc, maxInit.getType(), input, maxInit, ArrayRef<AffineMap>{id, red},
           reduceAlong(rank, axis),
           [](OpBuilder &nb, Location l, ValueRange args) {
             nb.create<linalg::YieldOp>(
                 l,
                 nb.create<arith::MaximumFOp>(l, args[0], args[1]).getResult());
           })
          .getResult(0);
  Value sumInit = reducedInit(b, loc, input, axis, f32Const(b, loc, 0.0));
  Value sum =
      b.create<linalg::GenericOp>(
           loc, sumInit.getType(), ValueRange{input, max}, sumInit,
           ArrayRef<AffineMap>{id, red, red}, reduceAlong(rank, axis),
           [](OpBuilder &nb, Location l, ValueRange args) {
             Value e = nb.create<math::ExpOp>(
                 l, nb.create<arith::SubFOp>(l, args[0], args[1]));
             nb.create<linalg::YieldOp>(
                 l, nb.create<arith::AddFOp>(l, e, args[2]).getResult());
           })
          .getResult(0);
  return {max, sum};
}

/// The number of elements of `value` as an f32 scalar (dynamic dims read at
/// run time), the divisor of the mean losses.
Value elementCount(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t staticCount = 1;
  Value dynCount;
  for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
    if (!type.isDynamicDim(i)) {
      staticCount *= type.getDimSize(i);
      continue;
    }
    Value dim = b.create<tensor::DimOp>(loc, value, i);
    dynCount = dynCount ? b.create<arith::MulIOp>(loc, dynCount, dim) : dim;
  }
  Value count = f32Const(b, loc, static_cast<double>(staticCount));
  if (!dynCount)
    return count;
  Value asInt = b.create<arith::IndexCastOp>(loc, b.getI64Type(), dynCount);
  Value asFloat = b.create<arith::UIToFPOp>(loc, b.getF32Type(), asInt);
  return b.create<arith::MulFOp>(loc, count, asFloat);
}

/// A 0-d f32 tensor holding zero: the accumulator of the losses.
Value scalarZero(OpBuilder &b, Location loc) {
  Value empty =
      b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{}, b.getF32Type());
  return fill(b, loc, f32Const(b, loc, 0.0), empty);
}

/// Multiplies the 0-d `acc` by `factor` (a scalar computed outside).
Value scaleScalar(OpBuilder &b, Location loc, Value acc, Value factor) {
  AffineMap scalar = AffineMap::get(0, 0, b.getContext());
  Value empty =
      b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{}, b.getF32Type());
  return b
      .create<linalg::GenericOp>(
          loc, acc.getType(), acc, empty, ArrayRef<AffineMap>{scalar, scalar},
          ArrayRef<utils::IteratorType>{},
          [&](OpBuilder &nb, Location l, ValueRange args) {
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::MulFOp>(l, args[0], factor).getResult());
          })
      .getResult(0);
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

template <typename OpTy, Activation Act>
struct ActivationLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, applyActivation(rewriter, op.getLoc(), Act, op.getInput()));
    return success();
  }
};

struct AddLowering : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    AffineMap id = rewriter.getMultiDimIdentityMap(type.getRank());
    Value sum =
        rewriter
            .create<linalg::GenericOp>(
                loc, type, ValueRange{op.getLhs(), op.getRhs()},
                emptyLike(rewriter, loc, type, op.getLhs()),
                ArrayRef<AffineMap>{id, id, id}, parallel(type.getRank()),
                [](OpBuilder &nb, Location l, ValueRange args) {
                  nb.create<linalg::YieldOp>(
                      l, nb.create<arith::AddFOp>(l, args[0], args[1])
                             .getResult());
                })
            .getResult(0);
    rewriter.replaceOp(op, sum);
    return success();
  }
};

/// Concatenation as insert_slices into one tensor.empty: this bufferizes in
/// place on 19, where tensor.concat has no bufferization model yet.
struct ConcatLowering : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t axis = op.getAxis();
    int64_t rank = type.getRank();
    ValueRange inputs = op.getInputs();

    // Sizes of the result: the first input's, with the axis summed.
    SmallVector<OpFoldResult> sizes = getSizes(rewriter, loc, inputs[0]);
    SmallVector<Value> dyn;
    Value axisSize;
    for (Value in : inputs) {
      Value d = rewriter.create<tensor::DimOp>(loc, in, axis);
      axisSize =
          axisSize ? rewriter.create<arith::AddIOp>(loc, axisSize, d) : d;
    }
    for (int64_t i = 0; i < rank; ++i) {
      if (!type.isDynamicDim(i))
        continue;
      dyn.push_back(i == axis
                        ? axisSize
                        : rewriter.create<tensor::DimOp>(loc, inputs[0], i));
    }
    Value result = rewriter.create<tensor::EmptyOp>(loc, type, dyn);

    OpFoldResult offset = rewriter.getIndexAttr(0);
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    for (Value in : inputs) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      SmallVector<OpFoldResult> inSizes = getSizes(rewriter, loc, in);
      result = rewriter.create<tensor::InsertSliceOp>(loc, in, result, offsets,
                                                      inSizes, strides);
      // offset += size along the axis, folded while both are constants.
      std::optional<int64_t> a = getConstantIntValue(offset);
      std::optional<int64_t> s = getConstantIntValue(inSizes[axis]);
      if (a && s) {
        offset = rewriter.getIndexAttr(*a + *s);
      } else {
        offset =
            rewriter
                .create<arith::AddIOp>(
                    loc, getValueOrCreateConstantIndexOp(rewriter, loc, offset),
                    getValueOrCreateConstantIndexOp(rewriter, loc,
                                                    inSizes[axis]))
                .getResult();
      }
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct DenseLowering : OpRewritePattern<DenseOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DenseOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value init = op.getBias()
                     ? broadcastAlong(rewriter, loc, op.getBias(), type, 1,
                                      op.getInput())
                     : fill(rewriter, loc, f32Const(rewriter, loc, 0.0),
                            emptyLike(rewriter, loc, type, op.getInput()));
    // The weight is PyTorch's [out, in], so x · weightᵀ is matmul_transpose_b
    // with no transpose materialised.
    Value result =
        rewriter
            .create<linalg::MatmulTransposeBOp>(
                loc, TypeRange{type}, ValueRange{op.getInput(), op.getWeight()},
                ValueRange{init})
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct FlattenLowering : OpRewritePattern<FlattenOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FlattenOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    ReassociationIndices rest;
    for (int64_t i = 1, e = inType.getRank(); i < e; ++i)
      rest.push_back(i);
    SmallVector<ReassociationIndices> reassoc = {{0}};
    if (!rest.empty())
      reassoc.push_back(rest);
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(
        op, op.getType(), op.getInput(), reassoc);
    return success();
  }
};

template <typename OpTy, bool Log>
struct SoftmaxLowering : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    int64_t axis = op.getAxis();
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    auto [max, sum] = maxAndSumExp(rewriter, loc, input, axis);
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap red = dropDim(rewriter, rank, axis);
    Value result =
        rewriter
            .create<linalg::GenericOp>(
                loc, type, ValueRange{input, max, sum},
                emptyLike(rewriter, loc, type, input),
                ArrayRef<AffineMap>{id, red, red, id}, parallel(rank),
                [](OpBuilder &nb, Location l, ValueRange args) {
                  Value shifted = nb.create<arith::SubFOp>(l, args[0], args[1]);
                  Value out;
                  if (Log)
                    out = nb.create<arith::SubFOp>(
                        l, shifted, nb.create<math::LogOp>(l, args[2]));
                  else
                    out = nb.create<arith::DivFOp>(
                        l, nb.create<math::ExpOp>(l, shifted), args[2]);
                  nb.create<linalg::YieldOp>(l, out);
                })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// PyTorch's LocalResponseNorm: square, zero-pad the channels by size/2
/// before and (size-1)/2 after, sum a `size` window along channels, then
/// b = a / (k + alpha/size * sum)^beta.
struct LocalResponseNormLowering : OpRewritePattern<LocalResponseNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LocalResponseNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = op.getInput();
    auto type = cast<RankedTensorType>(input.getType());
    int64_t size = op.getSize();
    float alpha = op.getAlpha().convertToFloat();
    float beta = op.getBeta().convertToFloat();
    float k = op.getK().convertToFloat();

    Value squared = mapElements(
        rewriter, loc, input, [](OpBuilder &nb, Location l, Value x) {
          return nb.create<arith::MulFOp>(l, x, x).getResult();
        });
    Value padded =
        padWith(rewriter, loc, squared, {0, size / 2, 0, 0},
                {0, (size - 1) / 2, 0, 0}, f32Const(rewriter, loc, 0.0));

    // Iteration (n, c, h, w, j): output channel c reads padded channel c + j.
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr n = rewriter.getAffineDimExpr(0),
               c = rewriter.getAffineDimExpr(1),
               h = rewriter.getAffineDimExpr(2),
               w = rewriter.getAffineDimExpr(3),
               j = rewriter.getAffineDimExpr(4);
    AffineMap in = AffineMap::get(5, 0, {n, c + j, h, w}, ctx);
    AffineMap win = AffineMap::get(5, 0, {j}, ctx);
    AffineMap out = AffineMap::get(5, 0, {n, c, h, w}, ctx);
    // Like the named pooling ops, a never-read operand carries the window
    // size into the iteration domain.
    Value window = rewriter.create<tensor::EmptyOp>(
        loc, ArrayRef<int64_t>{size}, rewriter.getF32Type());
    Value sumInit = fill(rewriter, loc, f32Const(rewriter, loc, 0.0),
                         emptyLike(rewriter, loc, type, input));
    SmallVector<utils::IteratorType> it = parallel(5);
    it[4] = utils::IteratorType::reduction;
    Value sum = rewriter
                    .create<linalg::GenericOp>(
                        loc, type, ValueRange{padded, window}, sumInit,
                        ArrayRef<AffineMap>{in, win, out}, it,
                        [](OpBuilder &nb, Location l, ValueRange args) {
                          nb.create<linalg::YieldOp>(
                              l, nb.create<arith::AddFOp>(l, args[0], args[2])
                                     .getResult());
                        })
                    .getResult(0);

    AffineMap id = rewriter.getMultiDimIdentityMap(4);
    double scale = static_cast<double>(alpha) / static_cast<double>(size);
    Value result =
        rewriter
            .create<linalg::GenericOp>(
                loc, type, ValueRange{input, sum},
                emptyLike(rewriter, loc, type, input),
                ArrayRef<AffineMap>{id, id, id}, parallel(4),
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value s = nb.create<arith::MulFOp>(l, args[1],
                                                     f32Const(nb, l, scale));
                  Value base =
                      nb.create<arith::AddFOp>(l, s, f32Const(nb, l, k));
                  Value denom =
                      nb.create<math::PowFOp>(l, base, f32Const(nb, l, beta));
                  nb.create<linalg::YieldOp>(
                      l,
                      nb.create<arith::DivFOp>(l, args[0], denom).getResult());
                })
            .getResult(0);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Inference program: dropout is the identity (training lowers the mask).
struct DropoutLowering : OpRewritePattern<DropoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DropoutOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, op.getInput());
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

/// -mean_n (x[n, label_n] - max_n - log Σ_c exp(x[n, c] - max_n)).
struct CrossEntropyLowering : OpRewritePattern<CrossEntropyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = op.getLogits();
    auto [max, sum] = maxAndSumExp(rewriter, loc, logits, 1);
    MLIRContext *ctx = rewriter.getContext();
    AffineMap row = AffineMap::get(1, 0, rewriter.getAffineDimExpr(0), ctx);
    AffineMap scalar = AffineMap::get(1, 0, ctx);
    // Gathers x[n, label_n] with tensor.extract: linalg has no gather, and
    // the extract bufferizes to a load.
    Value total =
        rewriter
            .create<linalg::GenericOp>(
                loc, RankedTensorType::get({}, rewriter.getF32Type()),
                ValueRange{op.getLabels(), max, sum}, scalarZero(rewriter, loc),
                ArrayRef<AffineMap>{row, row, row, scalar},
                ArrayRef<utils::IteratorType>{utils::IteratorType::reduction},
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  Value n = nb.create<linalg::IndexOp>(l, 0);
                  Value label = nb.create<arith::IndexCastOp>(
                      l, nb.getIndexType(), args[0]);
                  Value x = nb.create<tensor::ExtractOp>(l, logits,
                                                         ValueRange{n, label});
                  Value shifted = nb.create<arith::SubFOp>(l, x, args[1]);
                  Value logp = nb.create<arith::SubFOp>(
                      l, shifted, nb.create<math::LogOp>(l, args[2]));
                  nb.create<linalg::YieldOp>(
                      l,
                      nb.create<arith::AddFOp>(l, args[3], logp).getResult());
                })
            .getResult(0);
    Value batch = elementCount(rewriter, loc, op.getLabels());
    Value factor = rewriter.create<arith::DivFOp>(
        loc, f32Const(rewriter, loc, -1.0), batch);
    rewriter.replaceOp(op, scaleScalar(rewriter, loc, total, factor));
    return success();
  }
};

/// mean((prediction - target)^2) over every element.
struct MSELowering : OpRewritePattern<MSEOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MSEOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getPrediction().getType());
    unsigned rank = type.getRank();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap scalar = AffineMap::get(rank, 0, rewriter.getContext());
    SmallVector<utils::IteratorType> it(rank, utils::IteratorType::reduction);
    Value total =
        rewriter
            .create<linalg::GenericOp>(
                loc, RankedTensorType::get({}, rewriter.getF32Type()),
                ValueRange{op.getPrediction(), op.getTarget()},
                scalarZero(rewriter, loc), ArrayRef<AffineMap>{id, id, scalar},
                it,
                [](OpBuilder &nb, Location l, ValueRange args) {
                  Value d = nb.create<arith::SubFOp>(l, args[0], args[1]);
                  Value sq = nb.create<arith::MulFOp>(l, d, d);
                  nb.create<linalg::YieldOp>(
                      l, nb.create<arith::AddFOp>(l, args[2], sq).getResult());
                })
            .getResult(0);
    Value count = elementCount(rewriter, loc, op.getPrediction());
    Value factor = rewriter.create<arith::DivFOp>(
        loc, f32Const(rewriter, loc, 1.0), count);
    rewriter.replaceOp(op, scaleScalar(rewriter, loc, total, factor));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

struct ConvertCNNToLinalg final
    : mlir::cnn::impl::ConvertCNNToLinalgBase<ConvertCNNToLinalg> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<Conv2DLowering, PoolLowering<AvgPool2DOp, PoolKind::Avg>,
                 PoolLowering<MaxPool2DOp, PoolKind::Max>, Subsample2DLowering,
                 ActivationLowering<TanhOp, Activation::Tanh>,
                 ActivationLowering<ScaledTanhOp, Activation::ScaledTanh>,
                 ActivationLowering<ReluOp, Activation::Relu>,
                 ActivationLowering<SigmoidOp, Activation::Sigmoid>,
                 AddLowering, ConcatLowering, DenseLowering, FlattenLowering,
                 SoftmaxLowering<SoftmaxOp, false>,
                 SoftmaxLowering<LogSoftmaxOp, true>, LocalResponseNormLowering,
                 DropoutLowering, FusedConvActPoolLowering,
                 CrossEntropyLowering, MSELowering>(ctx);

    // Every forward cnn op has a pattern; an op left over (a future op, or
    // a backward op from autodiff) is an error that names it.
    ConversionTarget target(*ctx);
    target.addIllegalDialect<CNNDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect>();
    target.addLegalOp<func::FuncOp, func::ReturnOp>();
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
