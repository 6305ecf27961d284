//===- StridedConvPhases.cpp - strided convolutions at unit stride --------===//
//
// A convolution with stride s reads every s-th input column, so its rows are
// not contiguous and the CPU's vector loops (ConvToVector.cpp), which need
// unit width stride, left it as scalar loops: AlexNet's 11x11/4 first layer
// took over half of the network's inference time that way. Splitting the
// input into its s_h·s_w phases (space to depth) turns it into a unit-stride
// convolution. With k = s·q + p,
//
//   y[n, f, oy, ox] = Σ x[n, c, s_h·oy + ky, s_w·ox + kx] · w[f, c, ky, kx]
//                   = Σ x'[n, (c, py, px), oy + qy, ox + qx]
//                       · w'[f, (c, py, px), qy, qx]
//
// where x'[n, (c, py, px), qy, qx] = x[n, c, s_h·qy + py, s_w·qx + px] and
// w' is w padded with zeros to a multiple of the stride and split the same
// way. The kernel grows from K to s·⌈K/s⌉ (AlexNet's 11 to 12: 19 % more
// multiply-adds), so this is used only where that costs at most twice the
// work. The weight gradient is the unit-stride weight gradient over x',
// its phases put back in place.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

/// The kernel size in phases along one dimension: ⌈k / s⌉.
int64_t phaseKernel(int64_t k, int64_t s) { return llvm::divideCeil(k, s); }

/// `v` reshaped to `shape` by `groups`; only dimension 0 (the batch) may be
/// dynamic.
Value expand(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> shape,
             ArrayRef<ReassociationIndices> groups) {
  SmallVector<OpFoldResult> outShape;
  OpFoldResult batch = getSizes(b, loc, v)[0];
  for (int64_t size : shape)
    outShape.push_back(ShapedType::isDynamic(size)
                           ? batch
                           : OpFoldResult(b.getIndexAttr(size)));
  auto type = cast<RankedTensorType>(v.getType());
  return b.create<tensor::ExpandShapeOp>(
      loc, RankedTensorType::get(shape, type.getElementType()), v, groups,
      outShape);
}

Value transpose(OpBuilder &b, Location loc, Value v,
                ArrayRef<int64_t> permutation) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : permutation)
    shape.push_back(type.getDimSize(p));
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  // Only dimension 0 (the batch) may be dynamic, and it stays in place.
  Value init = emptyLike(b, loc, resultType, v);
  return b.create<linalg::TransposeOp>(loc, v, init, permutation)
      .getResult()[0];
}

/// x [N, C, H, W] -> x' [N, C·s_h·s_w, rows, cols] with
/// x'[n, (c, py, px), qy, qx] = x[n, c, s_h·qy + py, s_w·qx + px].
Value splitPhases(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> stride,
                  int64_t rows, int64_t cols) {
  int64_t sh = stride[0], sw = stride[1];
  int64_t h = dimOf(x, 2), w = dimOf(x, 3);
  // Exactly rows·s_h by cols·s_w: padded with zeros, which only ever meet
  // zero weights or feed no output, or cut where no output reads.
  if (h < rows * sh || w < cols * sw)
    x = padWith(b, loc, x, {0, 0, 0, 0},
                {0, 0, std::max<int64_t>(rows * sh - h, 0),
                 std::max<int64_t>(cols * sw - w, 0)},
                f32Const(b, loc, 0.0));
  if (h > rows * sh || w > cols * sw) {
    SmallVector<OpFoldResult> sizes = getSizes(b, loc, x);
    sizes[2] = b.getIndexAttr(rows * sh);
    sizes[3] = b.getIndexAttr(cols * sw);
    SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
        ones(4, b.getIndexAttr(1));
    x = b.create<tensor::ExtractSliceOp>(loc, x, zeros, sizes, ones);
  }
  int64_t n = dimOf(x, 0), c = dimOf(x, 1);
  Value split =
      expand(b, loc, x, {n, c, rows, sh, cols, sw}, {{0}, {1}, {2, 3}, {4, 5}});
  Value phases = transpose(b, loc, split, {0, 1, 3, 5, 2, 4});
  auto type =
      RankedTensorType::get({n, c * sh * sw, rows, cols}, b.getF32Type());
  return b.create<tensor::CollapseShapeOp>(
      loc, type, phases,
      ArrayRef<ReassociationIndices>{{0}, {1, 2, 3}, {4}, {5}});
}

} // namespace

bool mlir::cnn::lowering::phasesMakeUnitStride(ArrayRef<int64_t> kernel,
                                               ArrayRef<int64_t> stride,
                                               ArrayRef<int64_t> dilation,
                                               int64_t groups) {
  if (groups != 1 || dilation[0] != 1 || dilation[1] != 1 ||
      (stride[0] == 1 && stride[1] == 1))
    return false;
  int64_t padded = phaseKernel(kernel[0], stride[0]) * stride[0] *
                   phaseKernel(kernel[1], stride[1]) * stride[1];
  return padded <= 2 * kernel[0] * kernel[1];
}

Value mlir::cnn::lowering::splitInputPhases(OpBuilder &b, Location loc,
                                            Value padded,
                                            ArrayRef<int64_t> kernel,
                                            ArrayRef<int64_t> stride,
                                            ArrayRef<int64_t> outputSize) {
  return splitPhases(b, loc, padded, stride,
                     outputSize[0] + phaseKernel(kernel[0], stride[0]) - 1,
                     outputSize[1] + phaseKernel(kernel[1], stride[1]) - 1);
}

Value mlir::cnn::lowering::convByPhases(OpBuilder &b, Location loc,
                                        Value padded, Value weight, Value init,
                                        ArrayRef<int64_t> stride) {
  int64_t kh = dimOf(weight, 2), kw = dimOf(weight, 3);
  Value phasedWeight =
      splitPhases(b, loc, weight, stride, phaseKernel(kh, stride[0]),
                  phaseKernel(kw, stride[1]));
  Value phasedInput = splitInputPhases(b, loc, padded, {kh, kw}, stride,
                                       {dimOf(init, 2), dimOf(init, 3)});
  auto ones = b.getI64TensorAttr({1, 1});
  return b
      .create<linalg::Conv2DNchwFchwOp>(loc, TypeRange{init.getType()},
                                        ValueRange{phasedInput, phasedWeight},
                                        ValueRange{init}, ones, ones)
      .getResult(0);
}

Value mlir::cnn::lowering::joinKernelPhases(OpBuilder &b, Location loc,
                                            Value phased,
                                            ArrayRef<int64_t> stride,
                                            ArrayRef<int64_t> kernel) {
  int64_t sh = stride[0], sw = stride[1];
  int64_t f = dimOf(phased, 0), qh = dimOf(phased, 2), qw = dimOf(phased, 3);
  int64_t c = dimOf(phased, 1) / (sh * sw);
  Value split = expand(b, loc, phased, {f, c, sh, sw, qh, qw},
                       {{0}, {1, 2, 3}, {4}, {5}});
  // [F, C, s_h, s_w, Qh, Qw] -> [F, C, Qh, s_h, Qw, s_w]: k = s·q + p.
  Value placed = transpose(b, loc, split, {0, 1, 4, 2, 5, 3});
  auto fullType =
      RankedTensorType::get({f, c, qh * sh, qw * sw}, b.getF32Type());
  Value full = b.create<tensor::CollapseShapeOp>(
      loc, fullType, placed,
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4, 5}});
  if (qh * sh == kernel[0] && qw * sw == kernel[1])
    return full;
  SmallVector<OpFoldResult> zeros(4, b.getIndexAttr(0)),
      ones(4, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(f), b.getIndexAttr(c),
                                     b.getIndexAttr(kernel[0]),
                                     b.getIndexAttr(kernel[1])};
  return b.create<tensor::ExtractSliceOp>(loc, full, zeros, sizes, ones);
}
