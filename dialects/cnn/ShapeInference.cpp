//===- ShapeInference.cpp - shape rules of the cnn layers -----------------===//
//
// Every rule checks attributes first (so no later arithmetic divides by zero
// or overflows), then operand ranks, then the relations between operands, and
// finally computes the result. Arithmetic on sizes is checked: a model may
// carry any number a user typed.
//
//===----------------------------------------------------------------------===//

#include "dialects/cnn/ShapeInference.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace mlir::cnn;
using llvm::ArrayRef;
using llvm::Expected;

namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;

bool isStatic(int64_t dim) { return !ShapedType::isDynamic(dim); }

template <typename... Ts>
llvm::Error shapeError(const char *fmt, Ts &&...values) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv(fmt, std::forward<Ts>(values)...).str());
}

const char *axisName(size_t axis) { return axis == 0 ? "height" : "width"; }

/// "1 channel", "3 channels".
std::string count(int64_t n, llvm::StringRef noun) {
  return std::to_string(n) + " " + noun.str() + (n == 1 ? "" : "s");
}

/// Reals in messages keep their significant digits: "-0.0001", not "-0.00".
std::string real(double value) {
  if (std::isnan(value))
    return "nan"; // not "-nan": the sign of a NaN means nothing to a user
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format("%g", value);
  return text;
}

/// `name` has `rank` dimensions, laid out as `layout` ("[N, C, H, W]").
llvm::Error checkRank(const char *name, ArrayRef<int64_t> shape, size_t rank,
                      const char *layout) {
  if (shape.size() == rank)
    return llvm::Error::success();
  return shapeError("{0} must have rank {1} {2}, got rank {3} ({4})", name,
                    rank, layout, shape.size(), formatShape(shape));
}

/// Parameters are fixed at compile time: their shapes must be known.
llvm::Error checkStatic(const char *name, ArrayRef<int64_t> shape) {
  if (llvm::all_of(shape, isStatic))
    return llvm::Error::success();
  return shapeError("{0} must have a static shape, got {1}", name,
                    formatShape(shape));
}

/// Parameters hold at least one element along every dimension; a zero-sized
/// kernel would make the window arithmetic meaningless.
llvm::Error checkPositive(const char *name, ArrayRef<int64_t> shape) {
  if (llvm::all_of(shape, [](int64_t dim) { return dim >= 1; }))
    return llvm::Error::success();
  return shapeError("{0} dimensions must be at least 1, got {1}", name,
                    formatShape(shape));
}

/// A [h, w] attribute whose values are all at least `minimum`.
llvm::Error checkPair(const char *name, ArrayRef<int64_t> values,
                      int64_t minimum) {
  if (values.size() != 2)
    return shapeError("{0} must have 2 values [h, w], got {1}", name,
                      values.size());
  for (auto [axis, value] : llvm::enumerate(values))
    if (value < minimum)
      return shapeError("{0} {1} must be at least {2}, got {3}", name,
                        axisName(axis), minimum, value);
  return llvm::Error::success();
}

/// A 1-D operand with one entry per channel or output of `owner`:
/// "bias has 5 elements but weight has 6 output channels".
llvm::Error checkVector(const char *name, ArrayRef<int64_t> shape,
                        int64_t expected, const char *owner,
                        llvm::StringRef noun) {
  if (shape.size() != 1)
    return shapeError("{0} must have rank 1, got rank {1} ({2})", name,
                      shape.size(), formatShape(shape));
  if (isStatic(shape[0]) && isStatic(expected) && shape[0] != expected)
    return shapeError("{0} has {1} but {2} has {3}", name,
                      count(shape[0], "element"), owner, count(expected, noun));
  return llvm::Error::success();
}

/// Output size of a sliding window along one axis: the window of
/// `dilation * (kernel - 1) + 1` elements moves by `stride` over the input
/// padded by `padding` on both sides, rounding down.
Expected<int64_t> windowOutputSize(int64_t input, int64_t kernel,
                                   int64_t stride, int64_t padding,
                                   int64_t dilation, size_t axis,
                                   const char *what) {
  auto kernelSpan = llvm::checkedMul(dilation, kernel - 1);
  if (kernelSpan)
    kernelSpan = llvm::checkedAdd(*kernelSpan, int64_t{1});
  if (!kernelSpan)
    return shapeError("{0} {1} window is too large", what, axisName(axis));
  auto twoPad = llvm::checkedMul(padding, int64_t{2});
  if (!twoPad)
    return shapeError("{0} padding {1} {2} is too large", what, axisName(axis),
                      padding);
  if (!isStatic(input))
    return kDynamic;
  auto padded = llvm::checkedAdd(input, *twoPad);
  if (!padded)
    return shapeError("{0} padded input {1} is too large", what,
                      axisName(axis));
  if (*kernelSpan > *padded) {
    if (dilation != 1)
      return shapeError("{0} dilated kernel {1} {2} does not fit input {1} {3} "
                        "(padding {4})",
                        what, axisName(axis), *kernelSpan, input, padding);
    return shapeError("{0} kernel {1} {2} does not fit input {1} {3} "
                      "(padding {4})",
                      what, axisName(axis), *kernelSpan, input, padding);
  }
  return (*padded - *kernelSpan) / stride + 1;
}

/// [N, C, OH, OW] for windows over the spatial dims of [N, C, H, W].
Expected<Shape> windowedShape(ArrayRef<int64_t> input, int64_t channels,
                              ArrayRef<int64_t> kernel,
                              ArrayRef<int64_t> stride,
                              ArrayRef<int64_t> padding,
                              ArrayRef<int64_t> dilation, const char *what) {
  Shape result{input[0], channels};
  for (size_t axis = 0; axis < 2; ++axis) {
    Expected<int64_t> size =
        windowOutputSize(input[2 + axis], kernel[axis], stride[axis],
                         padding[axis], dilation[axis], axis, what);
    if (!size)
      return size.takeError();
    result.push_back(*size);
  }
  return result;
}

llvm::Error checkConnectionTable(const ConnectionTable &table, int64_t outputs,
                                 int64_t inputs, int64_t groups) {
  if (groups != 1)
    return shapeError("a connection table requires groups = 1, got {0}",
                      groups);
  if (table.shape.size() != 2)
    return shapeError("connection table must have rank 2 [output maps, input "
                      "maps], got rank {0}",
                      table.shape.size());
  if (table.shape[0] != outputs)
    return shapeError("connection table has {0} rows but weight has {1} "
                      "output channels",
                      table.shape[0], outputs);
  if (table.shape[1] != inputs)
    return shapeError("connection table has {0} columns but weight has {1} "
                      "input channels",
                      table.shape[1], inputs);
  std::optional<int64_t> entries = llvm::checkedMul(outputs, inputs);
  if (!entries || *entries > kMaxConnectionTableEntries)
    return shapeError("connection table [{0}, {1}] is too large (at most {2} "
                      "entries)",
                      outputs, inputs, kMaxConnectionTableEntries);
  if (table.connected.size() != static_cast<size_t>(*entries))
    return shapeError("connection table has {0} entries, expected {1}",
                      table.connected.size(), *entries);
  for (int64_t o = 0; o < outputs; ++o) {
    ArrayRef<bool> row = table.connected.slice(o * inputs, inputs);
    if (llvm::none_of(row, [](bool c) { return c; }))
      return shapeError("connection table: output map {0} reads no input map",
                        o);
  }
  return llvm::Error::success();
}

} // namespace

std::string mlir::cnn::formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += isStatic(dim) ? std::to_string(dim) : "?";
  }
  return text + "]";
}

Expected<Shape>
mlir::cnn::inferConv2DShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                            std::optional<ArrayRef<int64_t>> bias,
                            const Conv2DParams &params) {
  if (auto err = checkPair("stride", params.stride, 1))
    return std::move(err);
  if (auto err = checkPair("padding", params.padding, 0))
    return std::move(err);
  if (auto err = checkPair("dilation", params.dilation, 1))
    return std::move(err);
  if (params.groups < 1)
    return shapeError("groups must be at least 1, got {0}", params.groups);
  if (auto err = checkRank("input", input, 4, "[N, C, H, W]"))
    return std::move(err);
  if (auto err = checkRank("weight", weight, 4, "[F, C/groups, KH, KW]"))
    return std::move(err);
  if (auto err = checkStatic("weight", weight))
    return std::move(err);
  if (auto err = checkPositive("weight", weight))
    return std::move(err);

  int64_t outputs = weight[0], channels = input[1];
  if (bias)
    if (auto err =
            checkVector("bias", *bias, outputs, "weight", "output channel"))
      return std::move(err);

  if (params.connections) {
    if (auto err = checkConnectionTable(*params.connections, outputs, weight[1],
                                        params.groups))
      return std::move(err);
    if (isStatic(channels) && channels != weight[1])
      return shapeError("input has {0} but weight expects {1}",
                        count(channels, "channel"), weight[1]);
  } else {
    if (outputs % params.groups != 0)
      return shapeError("weight has {0} output channels, which groups = {1} "
                        "does not divide",
                        outputs, params.groups);
    if (isStatic(channels)) {
      if (channels % params.groups != 0)
        return shapeError("input has {0} channels, which groups = {1} does "
                          "not divide",
                          channels, params.groups);
      if (channels / params.groups != weight[1]) {
        if (params.groups == 1)
          return shapeError("input has {0} but weight expects {1}",
                            count(channels, "channel"), weight[1]);
        return shapeError("input has {0} channels, {1} per group of {2}, but "
                          "weight expects {3} per group",
                          channels, channels / params.groups, params.groups,
                          weight[1]);
      }
    }
  }
  return windowedShape(input, outputs, weight.drop_front(2), params.stride,
                       params.padding, params.dilation, "conv2d");
}

Expected<Shape> mlir::cnn::inferPool2DShape(ArrayRef<int64_t> input,
                                            const Pool2DParams &params) {
  if (auto err = checkPair("kernel", params.kernel, 1))
    return std::move(err);
  if (auto err = checkPair("stride", params.stride, 1))
    return std::move(err);
  if (auto err = checkPair("padding", params.padding, 0))
    return std::move(err);
  // A window that could lie wholly in the padding has no input to reduce.
  for (size_t axis = 0; axis < 2; ++axis)
    if (params.padding[axis] > params.kernel[axis] / 2)
      return shapeError("padding {0} {1} must be at most half of kernel {0} "
                        "{2}",
                        axisName(axis), params.padding[axis],
                        params.kernel[axis]);
  if (auto err = checkRank("input", input, 4, "[N, C, H, W]"))
    return std::move(err);
  const int64_t noDilation[] = {1, 1};
  return windowedShape(input, input[1], params.kernel, params.stride,
                       params.padding, noDilation, "pooling");
}

Expected<Shape> mlir::cnn::inferSubsample2DShape(ArrayRef<int64_t> input,
                                                 ArrayRef<int64_t> coefficient,
                                                 ArrayRef<int64_t> bias,
                                                 ArrayRef<int64_t> kernel,
                                                 ArrayRef<int64_t> stride) {
  if (auto err = checkPair("kernel", kernel, 1))
    return std::move(err);
  if (auto err = checkPair("stride", stride, 1))
    return std::move(err);
  if (auto err = checkRank("input", input, 4, "[N, C, H, W]"))
    return std::move(err);
  if (auto err =
          checkVector("coefficient", coefficient, input[1], "input", "channel"))
    return std::move(err);
  if (auto err = checkVector("bias", bias, input[1], "input", "channel"))
    return std::move(err);
  const int64_t noPadding[] = {0, 0};
  return inferPool2DShape(input, {kernel, stride, noPadding});
}

Expected<Shape>
mlir::cnn::inferDenseShape(ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
                           std::optional<ArrayRef<int64_t>> bias) {
  if (auto err = checkRank("input", input, 2, "[N, K]"))
    return std::move(err);
  if (auto err = checkRank("weight", weight, 2, "[M, K]"))
    return std::move(err);
  if (auto err = checkStatic("weight", weight))
    return std::move(err);
  if (auto err = checkPositive("weight", weight))
    return std::move(err);
  if (isStatic(input[1]) && input[1] != weight[1])
    return shapeError("input has {0} but weight expects {1}",
                      count(input[1], "feature"), weight[1]);
  if (bias)
    if (auto err = checkVector("bias", *bias, weight[0], "weight", "output"))
      return std::move(err);
  return Shape{input[0], weight[0]};
}

Expected<Shape> mlir::cnn::inferFlattenShape(ArrayRef<int64_t> input) {
  if (input.size() < 2)
    return shapeError("input must have rank 2 or more [N, ...], got rank {0}",
                      input.size());
  // A static zero empties the result whatever the unknown sizes are.
  if (llvm::is_contained(input.drop_front(), 0))
    return Shape{input[0], 0};
  int64_t features = 1;
  for (int64_t dim : input.drop_front()) {
    if (!isStatic(dim))
      return Shape{input[0], kDynamic};
    auto product = llvm::checkedMul(features, dim);
    if (!product)
      return shapeError("input {0} has too many features to flatten",
                        formatShape(input));
    features = *product;
  }
  return Shape{input[0], features};
}

Expected<Shape> mlir::cnn::inferAddShape(ArrayRef<int64_t> lhs,
                                         ArrayRef<int64_t> rhs) {
  bool compatible = lhs.size() == rhs.size();
  Shape result;
  for (size_t i = 0; compatible && i < lhs.size(); ++i) {
    compatible = !isStatic(lhs[i]) || !isStatic(rhs[i]) || lhs[i] == rhs[i];
    result.push_back(isStatic(lhs[i]) ? lhs[i] : rhs[i]);
  }
  if (!compatible)
    return shapeError("lhs has shape {0} but rhs has shape {1}",
                      formatShape(lhs), formatShape(rhs));
  return result;
}

Expected<Shape> mlir::cnn::inferConcatShape(ArrayRef<ArrayRef<int64_t>> inputs,
                                            int64_t axis) {
  if (inputs.size() < 2)
    return shapeError("concat needs at least 2 inputs, got {0}", inputs.size());
  ArrayRef<int64_t> first = inputs.front();
  if (axis < 0 || axis >= static_cast<int64_t>(first.size()))
    return shapeError("axis {0} is out of range for inputs of rank {1}", axis,
                      first.size());
  Shape result(first);
  // Which input fixed each static size, to name the two that disagree.
  llvm::SmallVector<size_t> owner(first.size(), 0);
  for (auto [position, input] : llvm::enumerate(inputs.drop_front())) {
    size_t index = position + 1;
    if (input.size() != first.size())
      return shapeError("input {0} has rank {1} but input 0 has rank {2}",
                        index, input.size(), first.size());
    for (size_t dim = 0; dim < first.size(); ++dim) {
      if (static_cast<int64_t>(dim) == axis) {
        std::optional<int64_t> sum;
        if (isStatic(result[dim]) && isStatic(input[dim]))
          sum = llvm::checkedAdd(result[dim], input[dim]);
        else
          sum = kDynamic;
        if (!sum)
          return shapeError("concatenated size along axis {0} is too large",
                            axis);
        result[dim] = *sum;
      } else if (isStatic(result[dim]) && isStatic(input[dim]) &&
                 result[dim] != input[dim]) {
        return shapeError("input {0} has shape {1}, which differs from input "
                          "{2}'s {3} outside axis {4}",
                          index, formatShape(input), owner[dim],
                          formatShape(inputs[owner[dim]]), axis);
      } else if (!isStatic(result[dim])) {
        result[dim] = input[dim];
        owner[dim] = index;
      }
    }
  }
  return result;
}

Expected<Shape> mlir::cnn::inferLocalResponseNormShape(ArrayRef<int64_t> input,
                                                       int64_t size,
                                                       double alpha,
                                                       double beta, double k) {
  if (size < 1)
    return shapeError("size must be at least 1, got {0}", size);
  // Written as negations so that NaN fails too.
  if (!(alpha >= 0) || !std::isfinite(alpha))
    return shapeError("alpha must be finite and non-negative, got {0}",
                      real(alpha));
  if (!(beta >= 0) || !std::isfinite(beta))
    return shapeError("beta must be finite and non-negative, got {0}",
                      real(beta));
  if (!(k > 0) || !std::isfinite(k))
    return shapeError("k must be finite and positive, got {0}", real(k));
  if (auto err = checkRank("input", input, 4, "[N, C, H, W]"))
    return std::move(err);
  return Shape(input);
}

Expected<Shape> mlir::cnn::inferDropoutShape(ArrayRef<int64_t> input,
                                             double rate) {
  if (!(rate >= 0 && rate < 1))
    return shapeError("rate must be in [0, 1), got {0}", real(rate));
  return Shape(input);
}

Expected<Shape> mlir::cnn::inferSoftmaxShape(ArrayRef<int64_t> input,
                                             int64_t axis) {
  if (input.empty())
    return shapeError("input must have rank 1 or more, got rank 0");
  if (axis < 0 || axis >= static_cast<int64_t>(input.size()))
    return shapeError("axis {0} is out of range for input of rank {1}", axis,
                      input.size());
  return Shape(input);
}

Expected<Shape> mlir::cnn::inferCrossEntropyShape(ArrayRef<int64_t> logits,
                                                  ArrayRef<int64_t> labels) {
  if (auto err = checkRank("logits", logits, 2, "[N, classes]"))
    return std::move(err);
  if (auto err = checkRank("labels", labels, 1, "[N]"))
    return std::move(err);
  if (logits[1] == 0)
    return shapeError("logits must have at least one class, got 0");
  if (isStatic(logits[0]) && isStatic(labels[0]) && logits[0] != labels[0])
    return shapeError("labels has {0} {1} but logits has {2}", labels[0],
                      labels[0] == 1 ? "entry" : "entries",
                      count(logits[0], "row"));
  return Shape{};
}

Expected<Shape> mlir::cnn::inferMSEShape(ArrayRef<int64_t> prediction,
                                         ArrayRef<int64_t> target) {
  bool compatible = prediction.size() == target.size();
  for (size_t i = 0; compatible && i < prediction.size(); ++i)
    compatible = !isStatic(prediction[i]) || !isStatic(target[i]) ||
                 prediction[i] == target[i];
  if (!compatible)
    return shapeError("prediction has shape {0} but target has shape {1}",
                      formatShape(prediction), formatShape(target));
  return Shape{};
}

Expected<Shape> mlir::cnn::inferFusedConvActPoolShape(
    ArrayRef<int64_t> input, ArrayRef<int64_t> weight,
    std::optional<ArrayRef<int64_t>> bias, const Conv2DParams &conv,
    std::optional<Pool2DParams> pool) {
  Expected<Shape> convShape = inferConv2DShape(input, weight, bias, conv);
  if (!convShape || !pool)
    return convShape;
  Expected<Shape> pooled = inferPool2DShape(*convShape, *pool);
  if (!pooled)
    return shapeError("pool: {0}", llvm::toString(pooled.takeError()));
  return pooled;
}
