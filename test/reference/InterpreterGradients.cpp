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

/// Reads `count` tensor operands and requires them all to have one shape.
llvm::Expected<llvm::SmallVector<const HostTensor *, 4>>
sameShapes(const ValueTable &values, llvm::ArrayRef<mlir::Value> operands,
           llvm::ArrayRef<const char *> names) {
  llvm::SmallVector<const HostTensor *, 4> tensors;
  for (auto [value, name] : llvm::zip_equal(operands, names)) {
    auto t = values.tensor(value, name);
    if (!t)
      return t.takeError();
    if (!tensors.empty() && (*t)->shape != tensors.front()->shape)
      return fail(llvm::Twine(name) + " has shape " + formatShape((*t)->shape) +
                  " but " + names.front() + " has shape " +
                  formatShape(tensors.front()->shape));
    tensors.push_back(*t);
  }
  return tensors;
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
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  auto w = values.tensor(op.getWeight(), "weight");
  if (!w)
    return w.takeError();
  if (llvm::Error err = checkRank(**gy, 4, "grad_output", "[N, F, OH, OW]"))
    return std::move(err);
  if (llvm::Error err = checkRank(**w, 4, "weight", "[F, C/groups, KH, KW]"))
    return std::move(err);
  auto size = pairAttr(op.getInputSize(), "input_size", 1);
  if (!size)
    return size.takeError();
  int64_t groups = static_cast<int64_t>(op.getGroups());
  int64_t f = (*w)->shape[0], c = (*w)->shape[1] * groups;
  auto p = convAttributes(op.getStride(), op.getPadding(), op.getDilation(),
                          groups, op.getConnections(), f, c);
  if (!p)
    return p.takeError();
  ShapeRuleConv<decltype(op)> rule(op);
  cnn::Shape input{(*gy)->shape[0], c, (*size)[0], (*size)[1]};
  if (llvm::Error err = checkForward(
          cnn::inferConv2DShape(input, (*w)->shape, std::nullopt, rule.params),
          **gy))
    return std::move(err);
  return one(ref::conv2dBackwardInput(**gy, **w, *size, *p));
}

Result evalConvWeight(const ValueTable &values,
                      cnn::Conv2DBackwardWeightOp op) {
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  if (llvm::Error err = checkRank(**x, 4, "input", "[N, C, H, W]"))
    return std::move(err);
  if (llvm::Error err = checkRank(**gy, 4, "grad_output", "[N, F, OH, OW]"))
    return std::move(err);
  auto kernel = pairAttr(op.getKernel(), "kernel", 1);
  if (!kernel)
    return kernel.takeError();
  int64_t f = (*gy)->shape[1], c = (*x)->shape[1];
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
          cnn::inferConv2DShape((*x)->shape, weight, std::nullopt, rule.params),
          **gy))
    return std::move(err);
  return one(ref::conv2dBackwardWeight(**x, **gy, *kernel, *p));
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

/// kernel, stride and padding of a pooling op, both as the reference and as
/// the shape rule want them.
llvm::Expected<ref::Pool2DParams>
poolAttributes(llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> stride,
               llvm::ArrayRef<int64_t> padding) {
  auto k = pairAttr(kernel, "kernel", 1);
  if (!k)
    return k.takeError();
  auto s = pairAttr(stride, "stride", 1);
  if (!s)
    return s.takeError();
  auto p = pairAttr(padding, "padding", 0);
  if (!p)
    return p.takeError();
  return ref::Pool2DParams{*k, *s, *p};
}

Result evalAvgPool(const ValueTable &values, cnn::AvgPool2DBackwardOp op) {
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  if (llvm::Error err = checkRank(**gy, 4, "grad_output", "[N, C, OH, OW]"))
    return std::move(err);
  auto size = pairAttr(op.getInputSize(), "input_size", 1);
  if (!size)
    return size.takeError();
  auto p = poolAttributes(op.getKernel(), op.getStride(), op.getPadding());
  if (!p)
    return p.takeError();
  cnn::Shape input{(*gy)->shape[0], (*gy)->shape[1], (*size)[0], (*size)[1]};
  if (llvm::Error err = checkForward(
          cnn::inferPool2DShape(
              input, {op.getKernel(), op.getStride(), op.getPadding()}),
          **gy))
    return std::move(err);
  return one(ref::avgPool2dBackward(**gy, *size, *p));
}

Result evalMaxPool(const ValueTable &values, cnn::MaxPool2DBackwardOp op) {
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  if (llvm::Error err = checkRank(**x, 4, "input", "[N, C, H, W]"))
    return std::move(err);
  auto p = poolAttributes(op.getKernel(), op.getStride(), op.getPadding());
  if (!p)
    return p.takeError();
  if (llvm::Error err = checkForward(
          cnn::inferPool2DShape(
              (*x)->shape, {op.getKernel(), op.getStride(), op.getPadding()}),
          **gy))
    return std::move(err);
  return one(ref::maxPool2dBackward(**gy, **x, *p));
}

Result evalSubsampleInput(const ValueTable &values,
                          cnn::Subsample2DBackwardInputOp op) {
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  auto coefficient = values.tensor(op.getCoefficient(), "coefficient");
  if (!coefficient)
    return coefficient.takeError();
  if (llvm::Error err = checkRank(**gy, 4, "grad_output", "[N, C, OH, OW]"))
    return std::move(err);
  auto size = pairAttr(op.getInputSize(), "input_size", 1);
  if (!size)
    return size.takeError();
  auto p = poolAttributes(op.getKernel(), op.getStride(), {0, 0});
  if (!p)
    return p.takeError();
  cnn::Shape input{(*gy)->shape[0], (*gy)->shape[1], (*size)[0], (*size)[1]};
  const std::vector<int64_t> &cs = (*coefficient)->shape;
  if (llvm::Error err =
          checkForward(cnn::inferSubsample2DShape(input, cs, cs, op.getKernel(),
                                                  op.getStride()),
                       **gy))
    return std::move(err);
  return one(ref::subsample2dBackwardInput(**gy, **coefficient, p->kernel,
                                           p->stride, *size));
}

Result evalSubsampleCoefficient(const ValueTable &values,
                                cnn::Subsample2DBackwardCoefficientOp op) {
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  if (llvm::Error err = checkRank(**x, 4, "input", "[N, C, H, W]"))
    return std::move(err);
  auto p = poolAttributes(op.getKernel(), op.getStride(), {0, 0});
  if (!p)
    return p.takeError();
  cnn::Shape coefficient{(*x)->shape[1]};
  if (llvm::Error err = checkForward(
          cnn::inferSubsample2DShape((*x)->shape, coefficient, coefficient,
                                     op.getKernel(), op.getStride()),
          **gy))
    return std::move(err);
  return one(
      ref::subsample2dBackwardCoefficient(**gy, **x, p->kernel, p->stride));
}

//===----------------------------------------------------------------------===//
// Element-wise, dense, reshaping, normalisation, losses
//===----------------------------------------------------------------------===//

Result evalActivation(const ValueTable &values, cnn::ActivationBackwardOp op) {
  auto operands = sameShapePair(values, op.getGradOutput(), "grad_output",
                                op.getOutput(), "output");
  if (!operands)
    return operands.takeError();
  return one(ref::activationBackward(*operands->first, *operands->second,
                                     toRef(op.getAct())));
}

Result evalDenseInput(const ValueTable &values, cnn::DenseBackwardInputOp op) {
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  auto w = values.tensor(op.getWeight(), "weight");
  if (!w)
    return w.takeError();
  if (llvm::Error err = checkRank(**gy, 2, "grad_output", "[N, M]"))
    return std::move(err);
  if (llvm::Error err = checkRank(**w, 2, "weight", "[M, K]"))
    return std::move(err);
  cnn::Shape input{(*gy)->shape[0], (*w)->shape[1]};
  if (llvm::Error err = checkForward(
          cnn::inferDenseShape(input, (*w)->shape, std::nullopt), **gy))
    return std::move(err);
  return one(ref::denseBackwardInput(**gy, **w));
}

Result evalDenseWeight(const ValueTable &values,
                       cnn::DenseBackwardWeightOp op) {
  auto gy = values.tensor(op.getGradOutput(), "grad_output");
  if (!gy)
    return gy.takeError();
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  if (llvm::Error err = checkRank(**gy, 2, "grad_output", "[N, M]"))
    return std::move(err);
  if (llvm::Error err = checkRank(**x, 2, "input", "[N, K]"))
    return std::move(err);
  cnn::Shape weight{(*gy)->shape[1], (*x)->shape[1]};
  if (llvm::Error err = checkForward(
          cnn::inferDenseShape((*x)->shape, weight, std::nullopt), **gy))
    return std::move(err);
  return one(ref::denseBackwardWeight(**gy, **x));
}

Result evalUnflatten(const ValueTable &values, cnn::UnflattenOp op) {
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  if (llvm::Error err = checkRank(**x, 2, "input", "[N, K]"))
    return std::move(err);
  std::vector<int64_t> sizes(op.getSizes().begin(), op.getSizes().end());
  cnn::Shape result{(*x)->shape[0]};
  for (int64_t d : sizes) {
    if (d < 0)
      return fail("sizes must not be negative, got " + formatShape(sizes));
    result.push_back(d);
  }
  if (llvm::Error err =
          checkForward(cnn::inferFlattenShape(result), **x, "input"))
    return std::move(err);
  return one(ref::unflatten(**x, sizes));
}

Result evalLRN(const ValueTable &values, cnn::LocalResponseNormBackwardOp op) {
  auto operands = sameShapePair(values, op.getGradOutput(), "grad_output",
                                op.getInput(), "input");
  if (!operands)
    return operands.takeError();
  const HostTensor &gy = *operands->first, &x = *operands->second;
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
  auto operands = sameShapePair(values, op.getGradOutput(), "grad_output",
                                op.getOutput(), "output");
  if (!operands)
    return operands.takeError();
  const HostTensor &gy = *operands->first, &y = *operands->second;
  int64_t axis = static_cast<int64_t>(op.getAxis());
  if (auto shape = cnn::inferSoftmaxShape(y.shape, axis); !shape)
    return shape.takeError();
  return one(log ? ref::logSoftmaxBackward(gy, y, axis)
                 : ref::softmaxBackward(gy, y, axis));
}

Result evalCrossEntropy(const ValueTable &values,
                        cnn::CrossEntropyBackwardOp op) {
  auto logits = values.tensor(op.getLogits(), "logits");
  if (!logits)
    return logits.takeError();
  auto labels = values.tensor(op.getLabels(), "labels", /*allowInt=*/true);
  if (!labels)
    return labels.takeError();
  if (llvm::Error err = checkLogitsAndLabels(**logits, **labels))
    return std::move(err);
  return one(ref::crossEntropyBackward(**logits, **labels));
}

Result evalMSE(const ValueTable &values, cnn::MSEBackwardOp op) {
  auto operands = sameShapePair(values, op.getPrediction(), "prediction",
                                op.getTarget(), "target");
  if (!operands)
    return operands.takeError();
  return one(ref::mseBackward(*operands->first, *operands->second));
}

//===----------------------------------------------------------------------===//
// Optimizers: the updated tensors are copies; the operands stay as they were
//===----------------------------------------------------------------------===//

llvm::Expected<int64_t> stepOperand(const ValueTable &values,
                                    mlir::Value value) {
  auto step = values.integer(value, "step");
  if (!step)
    return step.takeError();
  if (*step < 1)
    return fail("step counts from 1, got " + llvm::Twine(*step));
  return *step;
}

Result evalSGD(const ValueTable &values, cnn::SGDUpdateOp op) {
  auto t = sameShapes(values, {op.getParam(), op.getGrad()}, {"param", "grad"});
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
  auto t =
      sameShapes(values, {op.getParam(), op.getGrad(), op.getMomentumBuffer()},
                 {"param", "grad", "momentum_buffer"});
  if (!t)
    return t.takeError();
  auto lr = values.real(op.getLr(), "lr");
  if (!lr)
    return lr.takeError();
  auto step = stepOperand(values, op.getStep());
  if (!step)
    return step.takeError();
  HostTensor param = *(*t)[0], buffer = *(*t)[2];
  ref::sgdMomentumUpdate(param, *(*t)[1], buffer, *lr, *step,
                         op.getMomentum().convertToFloat(),
                         op.getDampening().convertToFloat(), op.getNesterov(),
                         op.getWeightDecay().convertToFloat());
  return Results{RtValue::of(std::move(param)), RtValue::of(std::move(buffer))};
}

Result evalAdam(const ValueTable &values, cnn::AdamUpdateOp op) {
  auto t = sameShapes(
      values, {op.getParam(), op.getGrad(), op.getExpAvg(), op.getExpAvgSq()},
      {"param", "grad", "exp_avg", "exp_avg_sq"});
  if (!t)
    return t.takeError();
  auto lr = values.real(op.getLr(), "lr");
  if (!lr)
    return lr.takeError();
  auto step = stepOperand(values, op.getStep());
  if (!step)
    return step.takeError();
  HostTensor param = *(*t)[0], m = *(*t)[2], v = *(*t)[3];
  ref::adamUpdate(param, *(*t)[1], m, v, *lr, *step,
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
