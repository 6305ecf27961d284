//===- InterpreterForward.cpp - the interpreter's forward ops -------------===//
//
// Each forward cnn op: its operands read from the value table, their runtime
// shapes checked against the op's rules (dynamic sizes in the types leave
// room the verifier could not check), then the loops of ReferenceOps.h.
//
//===----------------------------------------------------------------------===//

#include "test/reference/InterpreterSupport.h"
#include "test/reference/ReferenceGradients.h"
#include "test/reference/ReferenceOps.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

namespace cnnc::test::interp {

namespace cnn = mlir::cnn;

namespace {

using Result = llvm::Expected<RtValue>;

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

/// The conv attributes of cnn.conv2d and the convolution of
/// cnn.fused_conv_act_pool, checked against the runtime shapes.
template <typename ConvOp>
llvm::Expected<ref::Conv2DParams> convParams(ConvOp op, const HostTensor &x,
                                             const HostTensor &w,
                                             const HostTensor *bias) {
  if (llvm::Error err = checkRank(x, 4, "input", "[N, C, H, W]"))
    return std::move(err);
  if (llvm::Error err = checkRank(w, 4, "weight", "[F, C/groups, KH, KW]"))
    return std::move(err);
  int64_t c = x.shape[1], f = w.shape[0];
  auto p = convAttributes(op.getStride(), op.getPadding(), op.getDilation(),
                          static_cast<int64_t>(op.getGroups()),
                          op.getConnections(), f, c);
  if (!p)
    return p.takeError();
  if (c != w.shape[1] * p->groups)
    return fail("input has " + llvm::Twine(c) + " channels but weight " +
                "expects " + llvm::Twine(w.shape[1] * p->groups));
  if (bias && (bias->shape.size() != 1 || bias->shape[0] != f))
    return fail("bias has shape " + formatShape(bias->shape) + " but " +
                llvm::Twine(f) + " output maps");
  if (llvm::Error err = checkWindow(x, {w.shape[2], w.shape[3]}, p->padding,
                                    p->dilation, "kernel"))
    return std::move(err);
  return p;
}

llvm::Expected<ref::Pool2DParams> poolParams(const HostTensor &x,
                                             llvm::ArrayRef<int64_t> kernel,
                                             llvm::ArrayRef<int64_t> stride,
                                             llvm::ArrayRef<int64_t> padding) {
  if (llvm::Error err = checkRank(x, 4, "input", "[N, C, H, W]"))
    return std::move(err);
  auto p = poolAttributes(kernel, stride, padding);
  if (!p)
    return p.takeError();
  if (llvm::Error err =
          checkWindow(x, p->kernel, p->padding, {1, 1}, "pooling kernel"))
    return std::move(err);
  return p;
}

/// The operands of a conv-like op, read and checked, with its params.
struct ConvOperands {
  const HostTensor *x, *w, *bias;
  ref::Conv2DParams params;
};

template <typename ConvOp>
llvm::Expected<ConvOperands> convOperands(const ValueTable &values, ConvOp op) {
  auto t =
      tensors(values, {{op.getInput(), "input"}, {op.getWeight(), "weight"}});
  if (!t)
    return t.takeError();
  auto bias = values.optionalTensor(op.getBias(), "bias");
  if (!bias)
    return bias.takeError();
  auto p = convParams(op, *(*t)[0], *(*t)[1], *bias);
  if (!p)
    return p.takeError();
  return ConvOperands{(*t)[0], (*t)[1], *bias, *p};
}

Result evalConv(const ValueTable &values, cnn::Conv2DOp op) {
  auto c = convOperands(values, op);
  if (!c)
    return c.takeError();
  return RtValue::of(ref::conv2d(*c->x, *c->w, c->bias, c->params));
}

Result evalFused(const ValueTable &values, cnn::FusedConvActPoolOp op) {
  auto c = convOperands(values, op);
  if (!c)
    return c.takeError();
  const HostTensor &x = *c->x, &w = *c->w;
  const ref::Conv2DParams &p = c->params;
  ref::Activation act = toRef(op.getAct());
  if (!op.getPool())
    return RtValue::of(ref::fusedConvActPool(x, w, c->bias, p, act, {}));
  if (!op.getPoolKernel() || !op.getPoolStride())
    return fail("pool needs pool_kernel and pool_stride");
  // The pool's window must fit the conv's output.
  HostTensor convShape;
  convShape.shape = {x.shape[0], w.shape[0],
                     ref::windowOutputSize(x.shape[2], w.shape[2], p.stride[0],
                                           p.padding[0], p.dilation[0]),
                     ref::windowOutputSize(x.shape[3], w.shape[3], p.stride[1],
                                           p.padding[1], p.dilation[1])};
  auto pool = poolParams(convShape, *op.getPoolKernel(), *op.getPoolStride(),
                         op.getPoolPadding());
  if (!pool)
    return fail("pool: " + llvm::toString(pool.takeError()));
  ref::FusedPool fused{*op.getPool() == cnn::PoolKind::Max ? ref::PoolKind::Max
                                                           : ref::PoolKind::Avg,
                       *pool};
  return RtValue::of(ref::fusedConvActPool(x, w, c->bias, p, act, fused));
}

template <typename PoolOp>
Result evalPool(const ValueTable &values, PoolOp op, bool isMax) {
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  auto p = poolParams(**x, op.getKernel(), op.getStride(), op.getPadding());
  if (!p)
    return p.takeError();
  return RtValue::of(isMax ? ref::maxPool2d(**x, *p) : ref::avgPool2d(**x, *p));
}

Result evalSubsample(const ValueTable &values, cnn::Subsample2DOp op) {
  auto t = tensors(values, {{op.getInput(), "input"},
                            {op.getCoefficient(), "coefficient"},
                            {op.getBias(), "bias"}});
  if (!t)
    return t.takeError();
  const HostTensor &x = *(*t)[0], &coefficient = *(*t)[1], &bias = *(*t)[2];
  auto p = poolParams(x, op.getKernel(), op.getStride(), {0, 0});
  if (!p)
    return p.takeError();
  int64_t c = x.shape[1];
  for (const HostTensor *v : {&coefficient, &bias})
    if (v->shape.size() != 1 || v->shape[0] != c)
      return fail("coefficient and bias must be [" + llvm::Twine(c) +
                  "], got " + formatShape(v->shape));
  return RtValue::of(
      ref::subsample2d(x, coefficient, bias, p->kernel, p->stride));
}

//===----------------------------------------------------------------------===//
// Element-wise, dense, shape ops
//===----------------------------------------------------------------------===//

template <typename ActOp>
Result evalActivation(const ValueTable &values, ActOp op, ref::Activation act) {
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  return RtValue::of(ref::activate(**x, act));
}

Result evalDense(const ValueTable &values, cnn::DenseOp op) {
  auto t = tensors(values, {{op.getInput(), "input", 2, "[N, K]"},
                            {op.getWeight(), "weight", 2, "[M, K]"}});
  if (!t)
    return t.takeError();
  const HostTensor &x = *(*t)[0], &w = *(*t)[1];
  if (x.shape[1] != w.shape[1])
    return fail("input has " + llvm::Twine(x.shape[1]) +
                " features but weight expects " + llvm::Twine(w.shape[1]));
  auto bias = values.optionalTensor(op.getBias(), "bias");
  if (!bias)
    return bias.takeError();
  if (*bias && ((*bias)->shape.size() != 1 || (*bias)->shape[0] != w.shape[0]))
    return fail("bias has shape " + formatShape((*bias)->shape) + " but " +
                llvm::Twine(w.shape[0]) + " outputs");
  return RtValue::of(ref::dense(x, w, *bias));
}

Result evalFlatten(const ValueTable &values, cnn::FlattenOp op) {
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  if ((*x)->shape.size() < 2)
    return fail("input must have rank 2 or more, got " +
                formatShape((*x)->shape));
  return RtValue::of(ref::flatten(**x));
}

Result evalAdd(const ValueTable &values, cnn::AddOp op) {
  auto t = sameShapes(values, {{op.getLhs(), "lhs"}, {op.getRhs(), "rhs"}});
  if (!t)
    return t.takeError();
  return RtValue::of(ref::add(*(*t)[0], *(*t)[1]));
}

Result evalConcat(const ValueTable &values, cnn::ConcatOp op) {
  std::vector<const HostTensor *> inputs;
  for (mlir::Value v : op.getInputs()) {
    auto t = values.tensor(v, "input");
    if (!t)
      return t.takeError();
    inputs.push_back(*t);
  }
  if (inputs.empty())
    return fail("has no inputs");
  int64_t axis = static_cast<int64_t>(op.getAxis());
  const std::vector<int64_t> &first = inputs.front()->shape;
  if (axis >= static_cast<int64_t>(first.size()))
    return fail("axis " + llvm::Twine(axis) + " is out of range for rank " +
                llvm::Twine(first.size()));
  for (const HostTensor *t : inputs) {
    bool fits = t->shape.size() == first.size();
    for (size_t d = 0; fits && d < first.size(); ++d)
      fits = static_cast<int64_t>(d) == axis || t->shape[d] == first[d];
    if (!fits)
      return fail("input " + formatShape(t->shape) + " does not match " +
                  formatShape(first) + " outside axis " + llvm::Twine(axis));
  }
  return RtValue::of(ref::concat(inputs, axis));
}

//===----------------------------------------------------------------------===//
// Normalisation, dropout, softmax, losses
//===----------------------------------------------------------------------===//

Result evalLRN(const ValueTable &values, cnn::LocalResponseNormOp op) {
  auto x = tensors(values, {{op.getInput(), "input", 4, "[N, C, H, W]"}});
  if (!x)
    return x.takeError();
  int64_t size = static_cast<int64_t>(op.getSize());
  if (size < 1)
    return fail("size must be at least 1");
  return RtValue::of(ref::localResponseNorm(
      *(*x)[0], size, op.getAlphaAttr().getValueAsDouble(),
      op.getBetaAttr().getValueAsDouble(), op.getKAttr().getValueAsDouble()));
}

Result evalDropout(const ValueTable &values, cnn::DropoutOp op,
                   const InterpretOptions &options) {
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  auto seed = values.integer(op.getSeed(), "seed");
  if (!seed)
    return seed.takeError();
  double rate = op.getRateAttr().getValueAsDouble();
  if (!options.training)
    return RtValue::of(ref::dropout(**x, rate));
  if (!(rate >= 0 && rate < 1))
    return fail("rate must be in [0, 1), got " + std::to_string(rate));
  return RtValue::of(
      ref::dropoutTraining(**x, rate, static_cast<uint64_t>(*seed)));
}

template <typename SoftmaxOp>
Result evalSoftmax(const ValueTable &values, SoftmaxOp op, bool log) {
  auto x = values.tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  int64_t axis = static_cast<int64_t>(op.getAxis());
  if (axis >= static_cast<int64_t>((*x)->shape.size()))
    return fail("axis " + llvm::Twine(axis) + " is out of range for rank " +
                llvm::Twine((*x)->shape.size()));
  return RtValue::of(log ? ref::logSoftmax(**x, axis)
                         : ref::softmax(**x, axis));
}

Result evalCrossEntropy(const ValueTable &values, cnn::CrossEntropyOp op) {
  auto t = logitsAndLabels(values, op.getLogits(), op.getLabels());
  if (!t)
    return t.takeError();
  return RtValue::of(ref::crossEntropy(*t->first, *t->second));
}

Result evalMSE(const ValueTable &values, cnn::MSEOp op) {
  auto t = sameShapes(
      values, {{op.getPrediction(), "prediction"}, {op.getTarget(), "target"}});
  if (!t)
    return t.takeError();
  return RtValue::of(ref::mse(*(*t)[0], *(*t)[1]));
}

//===----------------------------------------------------------------------===//
// Scalar arithmetic and constants
//===----------------------------------------------------------------------===//

Result evalConstant(mlir::arith::ConstantOp op) {
  mlir::Attribute value = op.getValue();
  if (auto integer = mlir::dyn_cast<mlir::IntegerAttr>(value)) {
    if (isIntegerScalar(integer.getType()))
      return RtValue::ofInteger(integer.getValue().getSExtValue());
  }
  if (auto real = mlir::dyn_cast<mlir::FloatAttr>(value)) {
    if (real.getType().isF32())
      return RtValue::ofFloat(real.getValue().convertToFloat());
  }
  if (auto dense = mlir::dyn_cast<mlir::DenseElementsAttr>(value)) {
    HostTensor t;
    t.shape.assign(dense.getType().getShape().begin(),
                   dense.getType().getShape().end());
    mlir::Type element = dense.getElementType();
    if (element.isF32()) {
      for (float v : dense.getValues<float>())
        t.data.push_back(v);
      return RtValue::of(std::move(t));
    }
    if (element.isInteger(32)) {
      t.isInt = true;
      for (int32_t v : dense.getValues<int32_t>())
        t.ints.push_back(v);
      return RtValue::of(std::move(t));
    }
  }
  return fail("constant of type " + typeString(op.getType()) +
              " is not supported by the interpreter");
}

Result evalAddI(const ValueTable &values, mlir::arith::AddIOp op) {
  if (!isIntegerScalar(op.getType()))
    return fail("is supported on integer scalars only");
  auto lhs = values.integer(op.getLhs(), "lhs");
  if (!lhs)
    return lhs.takeError();
  auto rhs = values.integer(op.getRhs(), "rhs");
  if (!rhs)
    return rhs.takeError();
  uint64_t sum = static_cast<uint64_t>(*lhs) + static_cast<uint64_t>(*rhs);
  return RtValue::ofInteger(
      llvm::SignExtend64(sum, integerWidth(op.getType())));
}

} // namespace

std::optional<Result> evaluateForwardOp(mlir::Operation *op,
                                        const ValueTable &values,
                                        const InterpretOptions &options) {
  using Maybe = std::optional<Result>;
  const ValueTable &v = values;
  return llvm::TypeSwitch<mlir::Operation *, Maybe>(op)
      .Case([&](cnn::Conv2DOp o) { return evalConv(v, o); })
      .Case([&](cnn::FusedConvActPoolOp o) { return evalFused(v, o); })
      .Case([&](cnn::AvgPool2DOp o) { return evalPool(v, o, false); })
      .Case([&](cnn::MaxPool2DOp o) { return evalPool(v, o, true); })
      .Case([&](cnn::Subsample2DOp o) { return evalSubsample(v, o); })
      .Case([&](cnn::TanhOp o) {
        return evalActivation(v, o, ref::Activation::Tanh);
      })
      .Case([&](cnn::ScaledTanhOp o) {
        return evalActivation(v, o, ref::Activation::ScaledTanh);
      })
      .Case([&](cnn::ReluOp o) {
        return evalActivation(v, o, ref::Activation::Relu);
      })
      .Case([&](cnn::SigmoidOp o) {
        return evalActivation(v, o, ref::Activation::Sigmoid);
      })
      .Case([&](cnn::DenseOp o) { return evalDense(v, o); })
      .Case([&](cnn::FlattenOp o) { return evalFlatten(v, o); })
      .Case([&](cnn::AddOp o) { return evalAdd(v, o); })
      .Case([&](cnn::ConcatOp o) { return evalConcat(v, o); })
      .Case([&](cnn::LocalResponseNormOp o) { return evalLRN(v, o); })
      .Case([&](cnn::DropoutOp o) { return evalDropout(v, o, options); })
      .Case([&](cnn::SoftmaxOp o) { return evalSoftmax(v, o, false); })
      .Case([&](cnn::LogSoftmaxOp o) { return evalSoftmax(v, o, true); })
      .Case([&](cnn::CrossEntropyOp o) { return evalCrossEntropy(v, o); })
      .Case([&](cnn::MSEOp o) { return evalMSE(v, o); })
      .Case([&](mlir::arith::ConstantOp o) { return evalConstant(o); })
      .Case([&](mlir::arith::AddIOp o) { return evalAddI(v, o); })
      .Default([](mlir::Operation *) { return Maybe(); });
}

} // namespace cnnc::test::interp
