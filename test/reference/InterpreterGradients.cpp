//===- InterpreterGradients.cpp - the interpreter's backward ops ----------===//
//
// The backward and optimizer ops of CNNGradientOps.td, evaluated with
// ReferenceGradients.h. A backward op's runtime shapes are checked the way
// its verifier checks the static ones: rebuild the forward operand's shape,
// run the forward layer's shape rule (dialects/cnn/ShapeInference.h) on it,
// and require the forward result to have grad_output's runtime shape. That
// also guards the reference loops, which trust their operands' sizes.
//
//===----------------------------------------------------------------------===//

#include "test/reference/InterpreterSupport.h"
#include "test/reference/ReferenceGradients.h"

#include "dialects/cnn/CNNOps.h"
#include "dialects/cnn/OperandShapes.h"
#include "dialects/cnn/ShapeInference.h"

#include "llvm/ADT/TypeSwitch.h"

namespace cnnc::test::interp {

namespace cnn = mlir::cnn;

namespace {

using Result = llvm::Expected<Results>;

Results one(HostTensor t) { return Results{RtValue::of(std::move(t))}; }

/// Checks that the forward layer's result on the rebuilt operand shapes is
/// `got`'s shape (`what`: grad_output, or the input of unflatten).
llvm::Error checkForward(llvm::Expected<cnn::Shape> forward,
                         const HostTensor &got,
                         const char *what = "grad_output") {
  if (!forward)
    return forward.takeError();
  if (llvm::ArrayRef<int64_t>(*forward) != llvm::ArrayRef<int64_t>(got.shape))
    return fail(llvm::Twine(what) + " has shape " + formatShape(got.shape) +
                " but the forward layer's result has shape " +
                formatShape(*forward));
  return llvm::Error::success();
}

/// The dialect's view of a conv op's attributes, for its shape rule.
template <typename ConvOp> struct ShapeRuleConv {
  cnn::detail::ConnectionTableStorage table;
  cnn::Conv2DParams params;
  explicit ShapeRuleConv(ConvOp op)
      : table(op.getConnectionsAttr()), params{op.getStride(), op.getPadding(),
                                               op.getDilation(),
                                               static_cast<int64_t>(
                                                   op.getGroups()),
                                               table.table} {}
};

//===----------------------------------------------------------------------===//
// Convolution, pooling, subsampling
//===----------------------------------------------------------------------===//

Result evalConvInput(const ValueTable &values, cnn::Conv2DBackwardInputOp op) {
  auto t =
      tensors(values, {{op.getGradOutput(), "grad_output", 4, "[N, F, OH, OW]"},
                       {op.getWeight(), "weight", 4, "[F, C/groups, KH, KW]"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0], &w = *(*t)[1];
  auto size = pairAttr(op.getInputSize(), "input_size", 1);
  if (!size)
    return size.takeError();
  int64_t groups = static_cast<int64_t>(op.getGroups());
  int64_t f = w.shape[0], c = w.shape[1] * groups;
  auto p = convAttributes(op.getStride(), op.getPadding(), op.getDilation(),
                          groups, op.getConnections(), f, c);
  if (!p)
    return p.takeError();
  ShapeRuleConv<decltype(op)> rule(op);
  cnn::Shape input{gy.shape[0], c, (*size)[0], (*size)[1]};
  if (llvm::Error err = checkForward(
          cnn::inferConv2DShape(input, w.shape, std::nullopt, rule.params), gy))
    return std::move(err);
  return one(ref::conv2dBackwardInput(gy, w, *size, *p));
}

Result evalConvWeight(const ValueTable &values,
                      cnn::Conv2DBackwardWeightOp op) {
  auto t = tensors(values,
                   {{op.getInput(), "input", 4, "[N, C, H, W]"},
                    {op.getGradOutput(), "grad_output", 4, "[N, F, OH, OW]"}});
  if (!t)
    return t.takeError();
  const HostTensor &x = *(*t)[0], &gy = *(*t)[1];
  auto kernel = pairAttr(op.getKernel(), "kernel", 1);
  if (!kernel)
    return kernel.takeError();
  int64_t f = gy.shape[1], c = x.shape[1];
  auto p = convAttributes(op.getStride(), op.getPadding(), op.getDilation(),
                          static_cast<int64_t>(op.getGroups()),
                          op.getConnections(), f, c);
  if (!p)
    return p.takeError();
  if (c % p->groups != 0)
    return fail("groups " + llvm::Twine(p->groups) + " does not divide " +
                llvm::Twine(c) + " input maps");
  ShapeRuleConv<decltype(op)> rule(op);
  cnn::Shape weight{f, c / p->groups, (*kernel)[0], (*kernel)[1]};
  if (llvm::Error err = checkForward(
          cnn::inferConv2DShape(x.shape, weight, std::nullopt, rule.params),
          gy))
    return std::move(err);
  return one(ref::conv2dBackwardWeight(x, gy, *kernel, *p));
}

Result evalBias(const ValueTable &values, cnn::BiasBackwardOp op) {
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  if ((*gy)->shape.size() < 2)
    return fail("grad_output must have rank 2 or more, got " +
                formatShape((*gy)->shape));
  return one(ref::biasBackward(**gy));
}

Result evalAvgPool(const ValueTable &values, cnn::AvgPool2DBackwardOp op) {
  auto t = tensors(values,
                   {{op.getGradOutput(), "grad_output", 4, "[N, C, OH, OW]"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0];
  auto size = pairAttr(op.getInputSize(), "input_size", 1);
  if (!size)
    return size.takeError();
  auto p = poolAttributes(op.getKernel(), op.getStride(), op.getPadding());
  if (!p)
    return p.takeError();
  cnn::Shape input{gy.shape[0], gy.shape[1], (*size)[0], (*size)[1]};
  if (llvm::Error err = checkForward(
          cnn::inferPool2DShape(
              input, {op.getKernel(), op.getStride(), op.getPadding()}),
          gy))
    return std::move(err);
  return one(ref::avgPool2dBackward(gy, *size, *p));
}

Result evalMaxPool(const ValueTable &values, cnn::MaxPool2DBackwardOp op) {
  auto t = tensors(values, {{op.getGradOutput(), "grad_output"},
                            {op.getInput(), "input", 4, "[N, C, H, W]"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0], &x = *(*t)[1];
  auto p = poolAttributes(op.getKernel(), op.getStride(), op.getPadding());
  if (!p)
    return p.takeError();
  if (llvm::Error err = checkForward(
          cnn::inferPool2DShape(
              x.shape, {op.getKernel(), op.getStride(), op.getPadding()}),
          gy))
    return std::move(err);
  return one(ref::maxPool2dBackward(gy, x, *p));
}

Result evalSubsampleInput(const ValueTable &values,
                          cnn::Subsample2DBackwardInputOp op) {
  auto t =
      tensors(values, {{op.getGradOutput(), "grad_output", 4, "[N, C, OH, OW]"},
                       {op.getCoefficient(), "coefficient"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0], &coefficient = *(*t)[1];
  auto size = pairAttr(op.getInputSize(), "input_size", 1);
  if (!size)
    return size.takeError();
  auto p = poolAttributes(op.getKernel(), op.getStride(), {0, 0});
  if (!p)
    return p.takeError();
  cnn::Shape input{gy.shape[0], gy.shape[1], (*size)[0], (*size)[1]};
  const std::vector<int64_t> &cs = coefficient.shape;
  if (llvm::Error err =
          checkForward(cnn::inferSubsample2DShape(input, cs, cs, op.getKernel(),
                                                  op.getStride()),
                       gy))
    return std::move(err);
  return one(ref::subsample2dBackwardInput(gy, coefficient, p->kernel,
                                           p->stride, *size));
}

Result evalSubsampleCoefficient(const ValueTable &values,
                                cnn::Subsample2DBackwardCoefficientOp op) {
  auto t = tensors(values, {{op.getGradOutput(), "grad_output"},
                            {op.getInput(), "input", 4, "[N, C, H, W]"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0], &x = *(*t)[1];
  auto p = poolAttributes(op.getKernel(), op.getStride(), {0, 0});
  if (!p)
    return p.takeError();
  cnn::Shape coefficient{x.shape[1]};
  if (llvm::Error err = checkForward(
          cnn::inferSubsample2DShape(x.shape, coefficient, coefficient,
                                     op.getKernel(), op.getStride()),
          gy))
    return std::move(err);
  return one(ref::subsample2dBackwardCoefficient(gy, x, p->kernel, p->stride));
}

//===----------------------------------------------------------------------===//
// Element-wise, dense, reshaping, normalisation, losses
//===----------------------------------------------------------------------===//

Result evalActivation(const ValueTable &values, cnn::ActivationBackwardOp op) {
  auto t = sameShapes(values, {{op.getGradOutput(), "grad_output"},
                               {op.getOutput(), "output"}});
  if (!t)
    return t.takeError();
  return one(ref::activationBackward(*(*t)[0], *(*t)[1], toRef(op.getAct())));
}

Result evalDenseInput(const ValueTable &values, cnn::DenseBackwardInputOp op) {
  auto t = tensors(values, {{op.getGradOutput(), "grad_output", 2, "[N, M]"},
                            {op.getWeight(), "weight", 2, "[M, K]"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0], &w = *(*t)[1];
  cnn::Shape input{gy.shape[0], w.shape[1]};
  if (llvm::Error err =
          checkForward(cnn::inferDenseShape(input, w.shape, std::nullopt), gy))
    return std::move(err);
  return one(ref::denseBackwardInput(gy, w));
}

Result evalDenseWeight(const ValueTable &values,
                       cnn::DenseBackwardWeightOp op) {
  auto t = tensors(values, {{op.getGradOutput(), "grad_output", 2, "[N, M]"},
                            {op.getInput(), "input", 2, "[N, K]"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0], &x = *(*t)[1];
  cnn::Shape weight{gy.shape[1], x.shape[1]};
  if (llvm::Error err =
          checkForward(cnn::inferDenseShape(x.shape, weight, std::nullopt), gy))
    return std::move(err);
  return one(ref::denseBackwardWeight(gy, x));
}

Result evalUnflatten(const ValueTable &values, cnn::UnflattenOp op) {
  auto t = tensors(values, {{op.getInput(), "input", 2, "[N, K]"}});
  if (!t)
    return t.takeError();
  const HostTensor &x = *(*t)[0];
  std::vector<int64_t> sizes(op.getSizes().begin(), op.getSizes().end());
  cnn::Shape result{x.shape[0]};
  for (int64_t d : sizes) {
    if (d < 0)
      return fail("sizes must not be negative, got " + formatShape(sizes));
    result.push_back(d);
  }
  if (llvm::Error err =
          checkForward(cnn::inferFlattenShape(result), x, "input"))
    return std::move(err);
  return one(ref::unflatten(x, sizes));
}

Result evalConcatBackward(const ValueTable &values, cnn::ConcatBackwardOp op) {
  auto t = tensors(values, {{op.getGradOutput(), "grad_output"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0];
  int64_t axis = op.getAxis(), offset = op.getOffset(), size = op.getSize();
  if (axis < 0 || axis >= static_cast<int64_t>(gy.shape.size()))
    return fail("axis " + llvm::Twine(axis) + " is out of range for rank " +
                llvm::Twine(gy.shape.size()));
  if (offset < 0 || size < 1 || offset > gy.shape[axis] ||
      size > gy.shape[axis] - offset)
    return fail("slice of " + llvm::Twine(size) + " at " + llvm::Twine(offset) +
                " is outside grad_output " + formatShape(gy.shape));
  return one(ref::concatBackward(gy, axis, offset, size));
}

Result evalLRN(const ValueTable &values, cnn::LocalResponseNormBackwardOp op) {
  auto t = sameShapes(
      values, {{op.getGradOutput(), "grad_output"}, {op.getInput(), "input"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0], &x = *(*t)[1];
  int64_t size = static_cast<int64_t>(op.getSize());
  double alpha = op.getAlpha().convertToDouble(),
         beta = op.getBeta().convertToDouble(), k = op.getK().convertToDouble();
  if (auto shape =
          cnn::inferLocalResponseNormShape(x.shape, size, alpha, beta, k);
      !shape)
    return shape.takeError();
  return one(ref::localResponseNormBackward(gy, x, size, alpha, beta, k));
}

template <typename SoftmaxOp>
Result evalSoftmax(const ValueTable &values, SoftmaxOp op, bool log) {
  auto t = sameShapes(values, {{op.getGradOutput(), "grad_output"},
                               {op.getOutput(), "output"}});
  if (!t)
    return t.takeError();
  const HostTensor &gy = *(*t)[0], &y = *(*t)[1];
  int64_t axis = static_cast<int64_t>(op.getAxis());
  if (auto shape = cnn::inferSoftmaxShape(y.shape, axis); !shape)
    return shape.takeError();
  return one(log ? ref::logSoftmaxBackward(gy, y, axis)
                 : ref::softmaxBackward(gy, y, axis));
}

Result evalCrossEntropy(const ValueTable &values,
                        cnn::CrossEntropyBackwardOp op) {
  auto t = logitsAndLabels(values, op.getLogits(), op.getLabels());
  if (!t)
    return t.takeError();
  return one(ref::crossEntropyBackward(*t->first, *t->second));
}

Result evalMSE(const ValueTable &values, cnn::MSEBackwardOp op) {
  auto t = sameShapes(
      values, {{op.getPrediction(), "prediction"}, {op.getTarget(), "target"}});
  if (!t)
    return t.takeError();
  return one(ref::mseBackward(*(*t)[0], *(*t)[1]));
}

//===----------------------------------------------------------------------===//
// Optimizers: the updated tensors are copies; the operands stay as they were
//===----------------------------------------------------------------------===//

/// The learning rate and the step (counting from 1) of an optimizer op.
struct LrAndStep {
  float lr;
  int64_t step;
};

llvm::Expected<LrAndStep> lrAndStep(const ValueTable &values, mlir::Value lr,
                                    mlir::Value step) {
  auto lrValue = values.real(lr, "lr");
  if (!lrValue)
    return lrValue.takeError();
  auto stepValue = values.integer(step, "step");
  if (!stepValue)
    return stepValue.takeError();
  if (*stepValue < 1)
    return fail("step counts from 1, got " + llvm::Twine(*stepValue));
  return LrAndStep{*lrValue, *stepValue};
}

Result evalSGD(const ValueTable &values, cnn::SGDUpdateOp op) {
  auto t =
      sameShapes(values, {{op.getParam(), "param"}, {op.getGrad(), "grad"}});
  if (!t)
    return t.takeError();
  auto lr = values.real(op.getLr(), "lr");
  if (!lr)
    return lr.takeError();
  HostTensor param = *(*t)[0];
  ref::sgdUpdate(param, *(*t)[1], *lr, op.getWeightDecay().convertToFloat());
  return one(std::move(param));
}

Result evalMomentum(const ValueTable &values, cnn::SGDMomentumUpdateOp op) {
  auto t = sameShapes(values, {{op.getParam(), "param"},
                               {op.getGrad(), "grad"},
                               {op.getMomentumBuffer(), "momentum_buffer"}});
  if (!t)
    return t.takeError();
  auto s = lrAndStep(values, op.getLr(), op.getStep());
  if (!s)
    return s.takeError();
  HostTensor param = *(*t)[0], buffer = *(*t)[2];
  ref::sgdMomentumUpdate(param, *(*t)[1], buffer, s->lr, s->step,
                         op.getMomentum().convertToFloat(),
                         op.getDampening().convertToFloat(), op.getNesterov(),
                         op.getWeightDecay().convertToFloat());
  return Results{RtValue::of(std::move(param)), RtValue::of(std::move(buffer))};
}

Result evalAdam(const ValueTable &values, cnn::AdamUpdateOp op) {
  auto t = sameShapes(values, {{op.getParam(), "param"},
                               {op.getGrad(), "grad"},
                               {op.getExpAvg(), "exp_avg"},
                               {op.getExpAvgSq(), "exp_avg_sq"}});
  if (!t)
    return t.takeError();
  auto s = lrAndStep(values, op.getLr(), op.getStep());
  if (!s)
    return s.takeError();
  HostTensor param = *(*t)[0], m = *(*t)[2], v = *(*t)[3];
  ref::adamUpdate(param, *(*t)[1], m, v, s->lr, s->step,
                  op.getBeta1().convertToFloat(),
                  op.getBeta2().convertToFloat(), op.getEps().convertToFloat(),
                  op.getWeightDecay().convertToFloat());
  return Results{RtValue::of(std::move(param)), RtValue::of(std::move(m)),
                 RtValue::of(std::move(v))};
}

} // namespace

std::optional<Result> evaluateGradientOp(mlir::Operation *op,
                                         const ValueTable &values) {
  using Maybe = std::optional<Result>;
  const ValueTable &v = values;
  return llvm::TypeSwitch<mlir::Operation *, Maybe>(op)
      .Case([&](cnn::Conv2DBackwardInputOp o) { return evalConvInput(v, o); })
      .Case([&](cnn::Conv2DBackwardWeightOp o) { return evalConvWeight(v, o); })
      .Case([&](cnn::BiasBackwardOp o) { return evalBias(v, o); })
      .Case([&](cnn::AvgPool2DBackwardOp o) { return evalAvgPool(v, o); })
      .Case([&](cnn::MaxPool2DBackwardOp o) { return evalMaxPool(v, o); })
      .Case([&](cnn::Subsample2DBackwardInputOp o) {
        return evalSubsampleInput(v, o);
      })
      .Case([&](cnn::Subsample2DBackwardCoefficientOp o) {
        return evalSubsampleCoefficient(v, o);
      })
      .Case([&](cnn::ActivationBackwardOp o) { return evalActivation(v, o); })
      .Case([&](cnn::DenseBackwardInputOp o) { return evalDenseInput(v, o); })
      .Case([&](cnn::DenseBackwardWeightOp o) { return evalDenseWeight(v, o); })
      .Case([&](cnn::UnflattenOp o) { return evalUnflatten(v, o); })
      .Case([&](cnn::ConcatBackwardOp o) { return evalConcatBackward(v, o); })
      .Case([&](cnn::LocalResponseNormBackwardOp o) { return evalLRN(v, o); })
      .Case([&](cnn::SoftmaxBackwardOp o) { return evalSoftmax(v, o, false); })
      .Case(
          [&](cnn::LogSoftmaxBackwardOp o) { return evalSoftmax(v, o, true); })
      .Case(
          [&](cnn::CrossEntropyBackwardOp o) { return evalCrossEntropy(v, o); })
      .Case([&](cnn::MSEBackwardOp o) { return evalMSE(v, o); })
      .Case([&](cnn::SGDUpdateOp o) { return evalSGD(v, o); })
      .Case([&](cnn::SGDMomentumUpdateOp o) { return evalMomentum(v, o); })
      .Case([&](cnn::AdamUpdateOp o) { return evalAdam(v, o); })
      .Default([](mlir::Operation *) { return Maybe(); });
}

} // namespace cnnc::test::interp
