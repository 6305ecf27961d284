//===- CNNOps.cpp - cnn dialect operations --------------------------------===//
//
// Each op's `inferShape` gathers operand shapes and attribute values and
// hands them to its rule in ShapeInference.cpp; the rules, not this file,
// decide what is valid.
//
//===----------------------------------------------------------------------===//

#include "dialects/cnn/CNNOps.h"
#include "dialects/cnn/OperandShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::cnn;
using llvm::ArrayRef;
using llvm::Expected;
using namespace mlir::cnn::detail;

LogicalResult mlir::cnn::detail::verifyShapeRules(Operation *op,
                                                  Expected<Shape> shape) {
  if (!shape)
    return op->emitOpError(llvm::toString(shape.takeError()));
  // Said here, once, rather than by InferTypeOpInterface's two errors.
  Type inferred =
      RankedTensorType::get(*shape, Float32Type::get(op->getContext()));
  Type written = op->getResult(0).getType();
  if (written != inferred)
    return op->emitOpError("result type ")
           << written << " does not match the inferred " << inferred;
  return success();
}

LogicalResult
mlir::cnn::detail::inferF32Result(MLIRContext *context,
                                  std::optional<Location> location,
                                  llvm::StringRef opName, Expected<Shape> shape,
                                  llvm::SmallVectorImpl<Type> &types) {
  if (!shape)
    return emitOptionalError(location, "'", opName, "' op ",
                             llvm::toString(shape.takeError()));
  types.push_back(RankedTensorType::get(*shape, Float32Type::get(context)));
  return success();
}

namespace {

/// For ops whose rule takes two operand shapes.
template <typename Rule>
Expected<Shape> inferFromPair(Value lhs, const char *lhsName, Value rhs,
                              const char *rhsName, Rule rule) {
  auto lhsShape = shapeOf(lhs, lhsName);
  if (!lhsShape)
    return lhsShape.takeError();
  auto rhsShape = shapeOf(rhs, rhsName);
  if (!rhsShape)
    return rhsShape.takeError();
  return rule(*lhsShape, *rhsShape);
}

/// Shared by cnn.conv2d and cnn.fused_conv_act_pool, which carry the same
/// convolution operands and attributes.
template <typename Adaptor>
Expected<Shape> inferConvLike(Adaptor adaptor,
                              std::optional<Pool2DParams> pool) {
  ConnectionTableStorage table(adaptor.getConnectionsAttr());
  Conv2DParams params{adaptor.getStride(), adaptor.getPadding(),
                      adaptor.getDilation(),
                      static_cast<int64_t>(adaptor.getGroups()), table.table};
  return inferFromPair(
      adaptor.getInput(), "input", adaptor.getWeight(), "weight",
      [&](ArrayRef<int64_t> input, ArrayRef<int64_t> weight) {
        return inferFusedConvActPoolShape(
            input, weight, optionalShape(adaptor.getBias()), params, pool);
      });
}

/// For ops whose rule takes one operand shape and plain values.
template <typename Rule, typename... Args>
Expected<Shape> inferFromInput(Value input, Rule rule, Args... args) {
  auto shape = shapeOf(input, "input");
  if (!shape)
    return shape.takeError();
  return rule(*shape, args...);
}

} // namespace

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

Expected<Shape> Conv2DOp::inferShape(Adaptor adaptor) {
  return inferConvLike(adaptor, std::nullopt);
}

Expected<Shape> AvgPool2DOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), inferPool2DShape,
                        Pool2DParams{adaptor.getKernel(), adaptor.getStride(),
                                     adaptor.getPadding()});
}

Expected<Shape> MaxPool2DOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), inferPool2DShape,
                        Pool2DParams{adaptor.getKernel(), adaptor.getStride(),
                                     adaptor.getPadding()});
}

Expected<Shape> Subsample2DOp::inferShape(Adaptor adaptor) {
  auto input = shapeOf(adaptor.getInput(), "input");
  if (!input)
    return input.takeError();
  auto coefficient = shapeOf(adaptor.getCoefficient(), "coefficient");
  if (!coefficient)
    return coefficient.takeError();
  auto bias = shapeOf(adaptor.getBias(), "bias");
  if (!bias)
    return bias.takeError();
  return inferSubsample2DShape(*input, *coefficient, *bias, adaptor.getKernel(),
                               adaptor.getStride());
}

Expected<Shape> FusedConvActPoolOp::inferShape(Adaptor adaptor) {
  bool hasWindow = adaptor.getPoolKernel() || adaptor.getPoolStride();
  if (!adaptor.getPool()) {
    ArrayRef<int64_t> poolPadding = adaptor.getPoolPadding();
    hasWindow |= llvm::any_of(poolPadding, [](int64_t p) { return p != 0; });
    if (hasWindow)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "pool_kernel, pool_stride and "
                                     "pool_padding are only meaningful with "
                                     "pool");
    return inferConvLike(adaptor, std::nullopt);
  }
  if (!adaptor.getPoolKernel() || !adaptor.getPoolStride())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "pool requires both pool_kernel and pool_stride");
  return inferConvLike(adaptor, Pool2DParams{*adaptor.getPoolKernel(),
                                             *adaptor.getPoolStride(),
                                             adaptor.getPoolPadding()});
}

//===----------------------------------------------------------------------===//
// Element-wise and shape-preserving ops
//===----------------------------------------------------------------------===//

/// Activations apply to any ranked f32 tensor and keep its shape.
static Expected<Shape> sameShape(ArrayRef<int64_t> shape) {
  return Shape(shape);
}

Expected<Shape> TanhOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), sameShape);
}

Expected<Shape> ScaledTanhOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), sameShape);
}

Expected<Shape> ReluOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), sameShape);
}

Expected<Shape> SigmoidOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), sameShape);
}

Expected<Shape> LocalResponseNormOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), inferLocalResponseNormShape,
                        static_cast<int64_t>(adaptor.getSize()),
                        adaptor.getAlpha().convertToDouble(),
                        adaptor.getBeta().convertToDouble(),
                        adaptor.getK().convertToDouble());
}

Expected<Shape> DropoutOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), inferDropoutShape,
                        adaptor.getRate().convertToDouble());
}

Expected<Shape> SoftmaxOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), inferSoftmaxShape,
                        static_cast<int64_t>(adaptor.getAxis()));
}

Expected<Shape> LogSoftmaxOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), inferSoftmaxShape,
                        static_cast<int64_t>(adaptor.getAxis()));
}

//===----------------------------------------------------------------------===//
// Dense layers, reshaping, losses
//===----------------------------------------------------------------------===//

Expected<Shape> DenseOp::inferShape(Adaptor adaptor) {
  return inferFromPair(
      adaptor.getInput(), "input", adaptor.getWeight(), "weight",
      [&](ArrayRef<int64_t> input, ArrayRef<int64_t> weight) {
        return inferDenseShape(input, weight, optionalShape(adaptor.getBias()));
      });
}

Expected<Shape> FusedDenseActOp::inferShape(Adaptor adaptor) {
  if (adaptor.getAct() == Activation::None)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "act must be an activation, not none");
  return inferFromPair(
      adaptor.getInput(), "input", adaptor.getWeight(), "weight",
      [&](ArrayRef<int64_t> input, ArrayRef<int64_t> weight) {
        return inferDenseShape(input, weight, optionalShape(adaptor.getBias()));
      });
}

Expected<Shape> AddOp::inferShape(Adaptor adaptor) {
  return inferFromPair(adaptor.getLhs(), "lhs", adaptor.getRhs(), "rhs",
                       inferAddShape);
}

Expected<Shape> ConcatOp::inferShape(Adaptor adaptor) {
  llvm::SmallVector<ArrayRef<int64_t>> shapes;
  for (Value input : adaptor.getInputs()) {
    auto shape = shapeOf(input, "input");
    if (!shape)
      return shape.takeError();
    shapes.push_back(*shape);
  }
  return inferConcatShape(shapes, adaptor.getAxisAttr().getInt());
}

Expected<Shape> FlattenOp::inferShape(Adaptor adaptor) {
  return inferFromInput(adaptor.getInput(), inferFlattenShape);
}

Expected<Shape> CrossEntropyOp::inferShape(Adaptor adaptor) {
  return inferFromPair(adaptor.getLogits(), "logits", adaptor.getLabels(),
                       "labels", inferCrossEntropyShape);
}

Expected<Shape> MSEOp::inferShape(Adaptor adaptor) {
  return inferFromPair(adaptor.getPrediction(), "prediction",
                       adaptor.getTarget(), "target", inferMSEShape);
}

#define GET_OP_CLASSES
#include "dialects/cnn/CNNOps.cpp.inc"
