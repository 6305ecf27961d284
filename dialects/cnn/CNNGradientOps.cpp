//===- CNNGradientOps.cpp - shape rules of the backward ops ---------------===//
//
// A backward op's result has the shape of the forward operand it is the
// gradient of. Each rule rebuilds that forward operand's shape, runs the
// forward layer's own rule on it and checks that the forward result would
// have the shape of `grad_output`: the forward rules stay the one place that
// says what a layer accepts.
//
//===----------------------------------------------------------------------===//

#include "dialects/cnn/CNNOps.h"
#include "dialects/cnn/OperandShapes.h"

#include "llvm/Support/FormatVariadic.h"

#include <utility>

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::detail;
using llvm::ArrayRef;
using llvm::Expected;

namespace {

template <typename... Ts>
llvm::Error gradError(const char *fmt, Ts &&...values) {
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::formatv(fmt, std::forward<Ts>(values)...).str());
}

bool compatible(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip_equal(a, b))
    if (!ShapedType::isDynamic(x) && !ShapedType::isDynamic(y) && x != y)
      return false;
  return true;
}

/// Checks that the forward layer, given the rebuilt operand shapes, yields a
/// result of `gradOutput`'s shape; returns `result` if so.
Expected<Shape> checkForward(Expected<Shape> forward,
                             ArrayRef<int64_t> gradOutput, Shape result) {
  if (!forward)
    return forward.takeError();
  if (!compatible(*forward, gradOutput))
    return gradError("grad_output has shape {0} but the forward layer's "
                     "result has shape {1}",
                     formatShape(gradOutput), formatShape(*forward));
  return result;
}

llvm::Error checkPairAttr(const char *name, ArrayRef<int64_t> values) {
  if (values.size() != 2)
    return gradError("{0} must have 2 values, got {1}", name, values.size());
  return llvm::Error::success();
}

/// [N, C, H, W] from the batch of `gradOutput`, `channels` and `size`.
Shape nchw(ArrayRef<int64_t> gradOutput, int64_t channels,
           ArrayRef<int64_t> size) {
  return {gradOutput.empty() ? ShapedType::kDynamic : gradOutput[0], channels,
          size[0], size[1]};
}

template <typename Adaptor> Conv2DParams convParams(Adaptor adaptor) {
  return Conv2DParams{adaptor.getStride(), adaptor.getPadding(),
                      adaptor.getDilation(),
                      static_cast<int64_t>(adaptor.getGroups()), std::nullopt};
}

using ShapePair = std::pair<ArrayRef<int64_t>, ArrayRef<int64_t>>;

/// The shapes of the operands `a` and `b`, named in the error of the first
/// that is not a ranked tensor.
Expected<ShapePair> shapesOf(Value a, const char *aName, Value b,
                             const char *bName) {
  auto aShape = shapeOf(a, aName);
  if (!aShape)
    return aShape.takeError();
  auto bShape = shapeOf(b, bName);
  if (!bShape)
    return bShape.takeError();
  return ShapePair{*aShape, *bShape};
}

/// The input [N, C, input_size] of a pooling-like layer (C kept) whose
/// gradient is `gy`.
Expected<Shape> pooledInput(ArrayRef<int64_t> gy, ArrayRef<int64_t> inputSize) {
  if (auto error = checkPairAttr("input_size", inputSize))
    return std::move(error);
  if (gy.size() != 4)
    return gradError("grad_output must have rank 4");
  return nchw(gy, gy[1], inputSize);
}

/// `grad` and `other` must have one shape; for element-wise rules.
Expected<Shape> sameShapeAs(Value grad, Value other, const char *otherName) {
  auto shapes = shapesOf(grad, "grad_output", other, otherName);
  if (!shapes)
    return shapes.takeError();
  auto [g, o] = *shapes;
  if (!compatible(g, o))
    return gradError("grad_output has shape {0} but {1} has shape {2}",
                     formatShape(g), otherName, formatShape(o));
  return Shape(o);
}

/// softmax's and log_softmax's gradients: the forward rule on the output.
template <typename Adaptor> Expected<Shape> softmaxBackwardShape(Adaptor a) {
  auto shape = sameShapeAs(a.getGradOutput(), a.getOutput(), "output");
  if (!shape)
    return shape.takeError();
  return inferSoftmaxShape(*shape, a.getAxis());
}

} // namespace

Expected<Shape> Conv2DBackwardInputOp::inferShape(Adaptor adaptor) {
  auto shapes = shapesOf(adaptor.getGradOutput(), "grad_output",
                         adaptor.getWeight(), "weight");
  if (!shapes)
    return shapes.takeError();
  auto [gy, weight] = *shapes;
  if (auto error = checkPairAttr("input_size", adaptor.getInputSize()))
    return std::move(error);
  if (gy.size() != 4 || weight.size() != 4)
    return gradError("grad_output and weight must have rank 4");
  ConnectionTableStorage table(adaptor.getConnectionsAttr());
  Conv2DParams params = convParams(adaptor);
  params.connections = table.table;
  Shape input =
      nchw(gy, weight[1] * adaptor.getGroups(), adaptor.getInputSize());
  return checkForward(inferConv2DShape(input, weight, std::nullopt, params), gy,
                      input);
}

Expected<Shape> Conv2DBackwardWeightOp::inferShape(Adaptor adaptor) {
  auto shapes = shapesOf(adaptor.getInput(), "input", adaptor.getGradOutput(),
                         "grad_output");
  if (!shapes)
    return shapes.takeError();
  auto [input, gy] = *shapes;
  if (auto error = checkPairAttr("kernel", adaptor.getKernel()))
    return std::move(error);
  if (gy.size() != 4 || input.size() != 4)
    return gradError("input and grad_output must have rank 4");
  int64_t groups = adaptor.getGroups();
  if (groups < 1 || ShapedType::isDynamic(input[1]) || input[1] % groups != 0)
    return gradError("input channels {0} do not split into {1} groups",
                     input[1], groups);
  ConnectionTableStorage table(adaptor.getConnectionsAttr());
  Conv2DParams params = convParams(adaptor);
  params.connections = table.table;
  Shape weight{gy[1], input[1] / groups, adaptor.getKernel()[0],
               adaptor.getKernel()[1]};
  return checkForward(inferConv2DShape(input, weight, std::nullopt, params), gy,
                      weight);
}

Expected<Shape> BiasBackwardOp::inferShape(Adaptor adaptor) {
  auto gy = shapeOf(adaptor.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  if (gy->size() < 2 || ShapedType::isDynamic((*gy)[1]))
    return gradError("grad_output must have rank 2 or more and a static "
                     "dimension 1, got {0}",
                     formatShape(*gy));
  return Shape{(*gy)[1]};
}

Expected<Shape> AvgPool2DBackwardOp::inferShape(Adaptor adaptor) {
  auto gy = shapeOf(adaptor.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  auto input = pooledInput(*gy, adaptor.getInputSize());
  if (!input)
    return input.takeError();
  Pool2DParams params{adaptor.getKernel(), adaptor.getStride(),
                      adaptor.getPadding()};
  return checkForward(inferPool2DShape(*input, params), *gy, *input);
}

Expected<Shape> MaxPool2DBackwardOp::inferShape(Adaptor adaptor) {
  auto shapes = shapesOf(adaptor.getGradOutput(), "grad_output",
                         adaptor.getInput(), "input");
  if (!shapes)
    return shapes.takeError();
  auto [gy, input] = *shapes;
  Pool2DParams params{adaptor.getKernel(), adaptor.getStride(),
                      adaptor.getPadding()};
  return checkForward(inferPool2DShape(input, params), gy, Shape(input));
}

Expected<Shape> Subsample2DBackwardInputOp::inferShape(Adaptor adaptor) {
  auto shapes = shapesOf(adaptor.getGradOutput(), "grad_output",
                         adaptor.getCoefficient(), "coefficient");
  if (!shapes)
    return shapes.takeError();
  auto [gy, coefficient] = *shapes;
  auto input = pooledInput(gy, adaptor.getInputSize());
  if (!input)
    return input.takeError();
  return checkForward(inferSubsample2DShape(*input, coefficient, coefficient,
                                            adaptor.getKernel(),
                                            adaptor.getStride()),
                      gy, *input);
}

Expected<Shape> Subsample2DBackwardCoefficientOp::inferShape(Adaptor adaptor) {
  auto shapes = shapesOf(adaptor.getGradOutput(), "grad_output",
                         adaptor.getInput(), "input");
  if (!shapes)
    return shapes.takeError();
  auto [gy, input] = *shapes;
  if (input.size() != 4 || ShapedType::isDynamic(input[1]))
    return gradError("input must be [N, C, H, W] with static C, got {0}",
                     formatShape(input));
  Shape coefficient{input[1]};
  return checkForward(inferSubsample2DShape(input, coefficient, coefficient,
                                            adaptor.getKernel(),
                                            adaptor.getStride()),
                      gy, coefficient);
}

Expected<Shape> ActivationBackwardOp::inferShape(Adaptor adaptor) {
  if (adaptor.getAct() == Activation::None)
    return gradError("act must be an activation, not none");
  return sameShapeAs(adaptor.getGradOutput(), adaptor.getOutput(), "output");
}

Expected<Shape> DenseBackwardInputOp::inferShape(Adaptor adaptor) {
  auto shapes = shapesOf(adaptor.getGradOutput(), "grad_output",
                         adaptor.getWeight(), "weight");
  if (!shapes)
    return shapes.takeError();
  auto [gy, weight] = *shapes;
  if (gy.size() != 2 || weight.size() != 2)
    return gradError("grad_output and weight must have rank 2");
  Shape input{gy[0], weight[1]};
  return checkForward(inferDenseShape(input, weight, std::nullopt), gy, input);
}

Expected<Shape> DenseBackwardWeightOp::inferShape(Adaptor adaptor) {
  auto shapes = shapesOf(adaptor.getGradOutput(), "grad_output",
                         adaptor.getInput(), "input");
  if (!shapes)
    return shapes.takeError();
  auto [gy, input] = *shapes;
  if (gy.size() != 2 || input.size() != 2)
    return gradError("grad_output and input must have rank 2");
  Shape weight{gy[1], input[1]};
  return checkForward(inferDenseShape(input, weight, std::nullopt), gy, weight);
}

Expected<Shape> UnflattenOp::inferShape(Adaptor adaptor) {
  auto input = shapeOf(adaptor.getInput(), "input");
  if (!input)
    return input.takeError();
  if (input->size() != 2)
    return gradError("input must be [N, K], got {0}", formatShape(*input));
  Shape result{(*input)[0]};
  result.append(adaptor.getSizes().begin(), adaptor.getSizes().end());
  return checkForward(inferFlattenShape(result), *input, result);
}

Expected<Shape> ConcatBackwardOp::inferShape(Adaptor adaptor) {
  auto gy = shapeOf(adaptor.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  int64_t axis = adaptor.getAxis(), offset = adaptor.getOffset(),
          size = adaptor.getSize();
  if (axis < 0 || axis >= static_cast<int64_t>(gy->size()))
    return gradError("axis {0} is out of range for grad_output of rank {1}",
                     axis, gy->size());
  if (offset < 0 || size < 1)
    return gradError("offset must be at least 0 and size at least 1, got "
                     "offset {0} and size {1}",
                     offset, size);
  int64_t joined = (*gy)[axis];
  if (!ShapedType::isDynamic(joined) &&
      (offset > joined || size > joined || offset + size > joined))
    return gradError("offset {0} and size {1} along axis {2} reach past "
                     "grad_output {3}",
                     offset, size, axis, formatShape(*gy));
  Shape result(*gy);
  result[axis] = size;
  return result;
}

Expected<Shape> LocalResponseNormBackwardOp::inferShape(Adaptor adaptor) {
  auto shape =
      sameShapeAs(adaptor.getGradOutput(), adaptor.getInput(), "input");
  if (!shape)
    return shape.takeError();
  return inferLocalResponseNormShape(
      *shape, adaptor.getSize(), adaptor.getAlpha().convertToDouble(),
      adaptor.getBeta().convertToDouble(), adaptor.getK().convertToDouble());
}

Expected<Shape> SoftmaxBackwardOp::inferShape(Adaptor adaptor) {
  return softmaxBackwardShape(adaptor);
}

Expected<Shape> LogSoftmaxBackwardOp::inferShape(Adaptor adaptor) {
  return softmaxBackwardShape(adaptor);
}

Expected<Shape> CrossEntropyBackwardOp::inferShape(Adaptor adaptor) {
  auto shapes =
      shapesOf(adaptor.getLogits(), "logits", adaptor.getLabels(), "labels");
  if (!shapes)
    return shapes.takeError();
  auto [logits, labels] = *shapes;
  auto loss = inferCrossEntropyShape(logits, labels);
  if (!loss)
    return loss.takeError();
  return Shape(logits);
}

Expected<Shape> MSEBackwardOp::inferShape(Adaptor adaptor) {
  auto shapes = shapesOf(adaptor.getPrediction(), "prediction",
                         adaptor.getTarget(), "target");
  if (!shapes)
    return shapes.takeError();
  auto [prediction, target] = *shapes;
  auto loss = inferMSEShape(prediction, target);
  if (!loss)
    return loss.takeError();
  return Shape(prediction);
}

namespace {

/// fused_pool_act_backward's rules: `output` is an NCHW activation map with
/// static channels, and `grad_output` has the shape of its pool (or of the
/// map itself without one). Returns the map's shape.
Expected<Shape> fusedPoolActBackwardShape(FusedPoolActBackwardOp::Adaptor a) {
  if (a.getAct() == Activation::None)
    return gradError("act must be an activation, not none");
  auto shapes =
      shapesOf(a.getGradOutput(), "grad_output", a.getOutput(), "output");
  if (!shapes)
    return shapes.takeError();
  auto [gy, output] = *shapes;
  if (output.size() != 4 || ShapedType::isDynamic(output[1]))
    return gradError("output must be [N, C, H, W] with static C, got {0}",
                     formatShape(output));
  if (!a.getPool()) {
    bool hasWindow =
        a.getPoolKernel() || a.getPoolStride() ||
        llvm::any_of(a.getPoolPadding(), [](int64_t p) { return p != 0; });
    if (hasWindow)
      return gradError("pool_kernel, pool_stride and pool_padding are only "
                       "meaningful with pool");
    return sameShapeAs(a.getGradOutput(), a.getOutput(), "output");
  }
  if (!a.getPoolKernel() || !a.getPoolStride())
    return gradError("pool needs kernel and stride");
  Pool2DParams params{*a.getPoolKernel(), *a.getPoolStride(),
                      a.getPoolPadding()};
  return checkForward(inferPool2DShape(output, params), gy, Shape(output));
}

} // namespace

/// The result types of a fused_pool_act_backward whose activation map has
/// `shape`: the map's type and the bias's [C].
static SmallVector<Type, 2> fusedPoolActBackwardTypes(MLIRContext *context,
                                                      ArrayRef<int64_t> shape) {
  auto f32 = Float32Type::get(context);
  return {RankedTensorType::get(shape, f32),
          RankedTensorType::get({shape[1]}, f32)};
}

LogicalResult FusedPoolActBackwardOp::verifyShapeRules() {
  Expected<Shape> shape = fusedPoolActBackwardShape(Adaptor(*this));
  if (!shape)
    return emitOpError(llvm::toString(shape.takeError()));
  for (auto [written, inferred] : llvm::zip_equal(
           getResultTypes(), fusedPoolActBackwardTypes(getContext(), *shape)))
    if (written != inferred)
      return emitOpError("result type ")
             << written << " does not match the inferred " << inferred;
  return success();
}

LogicalResult FusedPoolActBackwardOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> location, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  Expected<Shape> shape = fusedPoolActBackwardShape(adaptor);
  if (!shape)
    return emitOptionalError(location, "'", getOperationName(), "' op ",
                             llvm::toString(shape.takeError()));
  llvm::append_range(types, fusedPoolActBackwardTypes(context, *shape));
  return success();
}
