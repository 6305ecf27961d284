//===- LoweringPatterns.cpp - helpers shared by the lowering files --------===//
//
// The generics, reductions and shape queries that more than one of the
// cnn-to-linalg files needs: the forward ops and their gradients build the
// same row reductions, element counts and channel windows, and the spatial
// backward ops share their static-shape checks. The tensor-building helpers
// the spatial forward ops introduced stay in ConvPoolToLinalg.cpp.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"

namespace mlir::cnn::lowering {

Value generic(OpBuilder &b, Location loc, RankedTensorType type,
              ValueRange inputs, ArrayRef<AffineMap> maps, Value like,
              BodyFn body) {
  SmallVector<AffineMap> all(maps);
  all.push_back(b.getMultiDimIdentityMap(type.getRank()));
  return b
      .create<linalg::GenericOp>(
          loc, type, inputs, emptyLike(b, loc, type, like), all,
          parallel(type.getRank()),
          [&](OpBuilder &nb, Location l, ValueRange args) {
            nb.create<linalg::YieldOp>(l, body(nb, l, args));
          })
      .getResult(0);
}

Value elementwise(OpBuilder &b, Location loc, ValueRange inputs, BodyFn body) {
  auto type = cast<RankedTensorType>(inputs[0].getType());
  SmallVector<AffineMap> maps(inputs.size(),
                              b.getMultiDimIdentityMap(type.getRank()));
  return generic(b, loc, type, inputs, maps, inputs[0], body);
}

AffineMap dropDim(OpBuilder &b, unsigned rank, int64_t axis) {
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < rank; ++i)
    if (static_cast<int64_t>(i) != axis)
      exprs.push_back(b.getAffineDimExpr(i));
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

Value reduceAxis(OpBuilder &b, Location loc, ValueRange inputs, int64_t axis,
                 Value init, BodyFn combine) {
  auto type = cast<RankedTensorType>(inputs[0].getType());
  unsigned rank = type.getRank();
  SmallVector<int64_t> shape;
  SmallVector<Value> dyn;
  for (unsigned i = 0; i < rank; ++i) {
    if (static_cast<int64_t>(i) == axis)
      continue;
    shape.push_back(type.getDimSize(i));
    if (type.isDynamicDim(i))
      dyn.push_back(b.create<tensor::DimOp>(loc, inputs[0], i));
  }
  Value acc = fill(b, loc, init,
                   b.create<tensor::EmptyOp>(loc, shape, b.getF32Type(), dyn));
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(cast<RankedTensorType>(in.getType()).getRank() == rank
                       ? b.getMultiDimIdentityMap(rank)
                       : dropDim(b, rank, axis));
  maps.push_back(dropDim(b, rank, axis));
  SmallVector<utils::IteratorType> it = parallel(rank);
  it[axis] = utils::IteratorType::reduction;
  return b
      .create<linalg::GenericOp>(
          loc, acc.getType(), inputs, acc, maps, it,
          [&](OpBuilder &nb, Location l, ValueRange args) {
            nb.create<linalg::YieldOp>(l, combine(nb, l, args));
          })
      .getResult(0);
}

Value sumAxis(OpBuilder &b, Location loc, ValueRange inputs, int64_t axis,
              BodyFn term) {
  return reduceAxis(b, loc, inputs, axis, f32Const(b, loc, 0.0),
                    [&](OpBuilder &nb, Location l, ValueRange args) {
                      Value t = term(nb, l, args.drop_back());
                      return nb.create<arith::AddFOp>(l, args.back(), t);
                    });
}

std::pair<Value, Value> maxAndSumExp(OpBuilder &b, Location loc, Value input,
                                     int64_t axis) {
  Value max = reduceAxis(
      b, loc, {input}, axis, negInf(b, loc),
      [](OpBuilder &nb, Location l, ValueRange a) {
        return nb.create<arith::MaximumFOp>(l, a[0], a[1]).getResult();
      });
  Value sum = sumAxis(b, loc, {input, max}, axis,
                      [](OpBuilder &nb, Location l, ValueRange a) {
                        Value d = nb.create<arith::SubFOp>(l, a[0], a[1]);
                        return nb.create<math::ExpOp>(l, d).getResult();
                      });
  return {max, sum};
}

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

Value channelWindowSum(OpBuilder &b, Location loc, Value input, int64_t size,
                       int64_t low) {
  auto type = cast<RankedTensorType>(input.getType());
  Value padded = padWith(b, loc, input, {0, low, 0, 0},
                         {0, size - 1 - low, 0, 0}, f32Const(b, loc, 0.0));
  MLIRContext *ctx = b.getContext();
  AffineExpr n = b.getAffineDimExpr(0), c = b.getAffineDimExpr(1),
             h = b.getAffineDimExpr(2), w = b.getAffineDimExpr(3),
             j = b.getAffineDimExpr(4);
  // A never-read operand carries the window size into the iteration domain,
  // as the named pooling ops do.
  Value window =
      b.create<tensor::EmptyOp>(loc, ArrayRef<int64_t>{size}, b.getF32Type());
  SmallVector<utils::IteratorType> it = parallel(5);
  it[4] = utils::IteratorType::reduction;
  return b
      .create<linalg::GenericOp>(
          loc, type, ValueRange{padded, window}, zerosLike(b, loc, type, input),
          ArrayRef<AffineMap>{AffineMap::get(5, 0, {n, c + j, h, w}, ctx),
                              AffineMap::get(5, 0, {j}, ctx),
                              AffineMap::get(5, 0, {n, c, h, w}, ctx)},
          it,
          [](OpBuilder &nb, Location l, ValueRange args) {
            nb.create<linalg::YieldOp>(
                l, nb.create<arith::AddFOp>(l, args[0], args[2]).getResult());
          })
      .getResult(0);
}

int64_t dimOf(Value v, int64_t i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

bool staticButBatch(ValueRange values) {
  for (Value v : values) {
    auto type = cast<RankedTensorType>(v.getType());
    for (int64_t i = 1, e = type.getRank(); i < e; ++i)
      if (type.isDynamicDim(i))
        return false;
  }
  return true;
}

Value zerosLike(OpBuilder &b, Location loc, RankedTensorType type, Value like) {
  return fill(b, loc, f32Const(b, loc, 0.0), emptyLike(b, loc, type, like));
}

} // namespace mlir::cnn::lowering
