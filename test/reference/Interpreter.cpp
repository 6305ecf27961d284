//===- Interpreter.cpp - evaluate a cnn-dialect function on the host ------===//
//
// One pass over the function's single block. Every value lives in a map from
// mlir::Value to a host tensor (or an integer scalar); arguments are borrowed
// from the caller, results are owned. Before an op runs, its runtime operand
// shapes are checked against the op's rules, since dynamic sizes in the types
// leave room the verifier could not check; after, its result is checked
// against the static sizes of its type.
//
//===----------------------------------------------------------------------===//

#include "test/reference/Interpreter.h"

#include "test/reference/ReferenceOps.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

using namespace cnnc::test;
namespace cnn = mlir::cnn;

namespace {

/// A runtime value: a tensor, or an integer scalar (a dropout seed).
struct RtValue {
  std::shared_ptr<const HostTensor> tensor; // null for a scalar
  int64_t scalar = 0;

  static RtValue of(HostTensor t) {
    return {std::make_shared<const HostTensor>(std::move(t)), 0};
  }
  static RtValue integer(int64_t v) { return {nullptr, v}; }
};

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string typeString(mlir::Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  type.print(os);
  return s;
}

bool isIntegerScalar(mlir::Type type) {
  return mlir::isa<mlir::IntegerType, mlir::IndexType>(type);
}

unsigned integerWidth(mlir::Type type) {
  if (auto integer = mlir::dyn_cast<mlir::IntegerType>(type))
    return integer.getWidth();
  return 64; // index
}

/// Checks a runtime tensor against a ranked tensor type: f32 or i32
/// elements, the rank, every static size, and the element count.
llvm::Error checkType(const HostTensor &t, mlir::Type type,
                      const llvm::Twine &what) {
  auto ranked = mlir::dyn_cast<mlir::RankedTensorType>(type);
  if (!ranked)
    return fail(what + " has unsupported type " + typeString(type));
  mlir::Type element = ranked.getElementType();
  bool wantInt = element.isInteger(32);
  if (!wantInt && !element.isF32())
    return fail(what + " has unsupported element type " + typeString(type));
  if (t.isInt != wantInt)
    return fail(what + " is " + (t.isInt ? "an i32" : "an f32") +
                " tensor but its type is " + typeString(type));
  bool fits = static_cast<int64_t>(t.shape.size()) == ranked.getRank();
  for (int64_t i = 0; fits && i < ranked.getRank(); ++i)
    fits = t.shape[i] >= 0 &&
           (ranked.isDynamicDim(i) || t.shape[i] == ranked.getDimSize(i));
  if (!fits)
    return fail(what + " has shape " + formatShape(t.shape) +
                " but its type is " + typeString(type));
  size_t stored = t.isInt ? t.ints.size() : t.data.size();
  if (static_cast<int64_t>(stored) != t.numElements())
    return fail(what + " of shape " + formatShape(t.shape) + " holds " +
                std::to_string(stored) + " elements");
  return llvm::Error::success();
}

llvm::Error checkRank(const HostTensor &t, size_t rank, const char *what,
                      const char *layout) {
  if (t.shape.size() != rank)
    return fail(llvm::Twine(what) + " must be " + layout + ", got " +
                formatShape(t.shape));
  return llvm::Error::success();
}

llvm::Expected<ref::Pair> pairAttr(llvm::ArrayRef<int64_t> values,
                                   const char *what, int64_t minimum) {
  if (values.size() != 2)
    return fail(llvm::Twine(what) + " must have 2 values");
  for (int64_t v : values)
    if (v < minimum)
      return fail(llvm::Twine(what) + " must be at least " +
                  llvm::Twine(minimum) + ", got " + llvm::Twine(v));
  return ref::Pair{values[0], values[1]};
}

/// Checks that a window of `kernel` (dilated) fits `input` spatially.
llvm::Error checkWindow(const HostTensor &x, ref::Pair kernel,
                        ref::Pair padding, ref::Pair dilation,
                        const char *what) {
  for (int axis = 0; axis < 2; ++axis) {
    int64_t span = dilation[axis] * (kernel[axis] - 1) + 1;
    int64_t in = x.shape[2 + axis];
    if (span > in + 2 * padding[axis])
      return fail(llvm::Twine(what) + " " + (axis ? "width " : "height ") +
                  llvm::Twine(span) + " does not fit input size " +
                  llvm::Twine(in) + " (padding " + llvm::Twine(padding[axis]) +
                  ")");
  }
  return llvm::Error::success();
}

ref::Activation toRef(cnn::Activation act) {
  switch (act) {
  case cnn::Activation::None:
    return ref::Activation::None;
  case cnn::Activation::Tanh:
    return ref::Activation::Tanh;
  case cnn::Activation::ScaledTanh:
    return ref::Activation::ScaledTanh;
  case cnn::Activation::Relu:
    return ref::Activation::Relu;
  case cnn::Activation::Sigmoid:
    return ref::Activation::Sigmoid;
  }
  return ref::Activation::None;
}

class Interpreter {
public:
  llvm::Expected<std::vector<HostTensor>>
  run(mlir::func::FuncOp fn, llvm::ArrayRef<HostTensor> args, int64_t seed);

private:
  llvm::Error bindArguments(mlir::Block &block, llvm::ArrayRef<HostTensor> args,
                            int64_t seed);
  llvm::Expected<RtValue> evaluate(mlir::Operation *op);

  /// The tensor bound to `value` (an f32 one unless `allowInt`).
  llvm::Expected<const HostTensor *> tensor(mlir::Value value, const char *what,
                                            bool allowInt = false);
  llvm::Expected<int64_t> integer(mlir::Value value, const char *what);

  /// The conv attributes and operands of cnn.conv2d and the convolution of
  /// cnn.fused_conv_act_pool, checked against the runtime shapes.
  template <typename ConvOp>
  llvm::Expected<ref::Conv2DParams> convParams(ConvOp op, const HostTensor &x,
                                               const HostTensor &w,
                                               const HostTensor *bias);
  /// The operands of a conv-like op, read and checked, with its params.
  struct ConvOperands {
    const HostTensor *x, *w, *bias;
    ref::Conv2DParams params;
  };
  template <typename ConvOp>
  llvm::Expected<ConvOperands> convOperands(ConvOp op);
  llvm::Expected<ref::Pool2DParams> poolParams(const HostTensor &x,
                                               llvm::ArrayRef<int64_t> kernel,
                                               llvm::ArrayRef<int64_t> stride,
                                               llvm::ArrayRef<int64_t> padding);

  /// Two operands that must have one shape (add, mse).
  llvm::Expected<std::pair<const HostTensor *, const HostTensor *>>
  sameShapePair(mlir::Value lhs, const char *lhsName, mlir::Value rhs,
                const char *rhsName);
  llvm::Expected<RtValue> evalConv(cnn::Conv2DOp op);
  llvm::Expected<RtValue> evalFused(cnn::FusedConvActPoolOp op);
  template <typename PoolOp>
  llvm::Expected<RtValue> evalPool(PoolOp op, bool isMax);
  llvm::Expected<RtValue> evalSubsample(cnn::Subsample2DOp op);
  template <typename ActOp>
  llvm::Expected<RtValue> evalActivation(ActOp op, ref::Activation act);
  llvm::Expected<RtValue> evalDense(cnn::DenseOp op);
  llvm::Expected<RtValue> evalFlatten(cnn::FlattenOp op);
  llvm::Expected<RtValue> evalAdd(cnn::AddOp op);
  llvm::Expected<RtValue> evalConcat(cnn::ConcatOp op);
  llvm::Expected<RtValue> evalLRN(cnn::LocalResponseNormOp op);
  llvm::Expected<RtValue> evalDropout(cnn::DropoutOp op);
  template <typename SoftmaxOp>
  llvm::Expected<RtValue> evalSoftmax(SoftmaxOp op, bool log);
  llvm::Expected<RtValue> evalCrossEntropy(cnn::CrossEntropyOp op);
  llvm::Expected<RtValue> evalMSE(cnn::MSEOp op);
  llvm::Expected<RtValue> evalConstant(mlir::arith::ConstantOp op);
  llvm::Expected<RtValue> evalAddI(mlir::arith::AddIOp op);

  llvm::DenseMap<mlir::Value, RtValue> values;
};

/// "file:line:col: 'cnn.dense' op " for error messages.
std::string opPrefix(mlir::Operation *op) {
  std::string prefix;
  if (auto loc = op->getLoc()->findInstanceOf<mlir::FileLineColLoc>())
    prefix = (loc.getFilename().getValue() + ":" + llvm::Twine(loc.getLine()) +
              ":" + llvm::Twine(loc.getColumn()) + ": ")
                 .str();
  return prefix + "'" + op->getName().getStringRef().str() + "' op ";
}

llvm::Expected<std::vector<HostTensor>>
Interpreter::run(mlir::func::FuncOp fn, llvm::ArrayRef<HostTensor> args,
                 int64_t seed) {
  std::string name = "@" + fn.getSymName().str();
  if (fn.isExternal())
    return fail(name + " has no body");
  if (!fn.getBody().hasOneBlock())
    return fail(name + " has more than one block");
  mlir::Block &block = fn.getBody().front();
  if (llvm::Error err = bindArguments(block, args, seed))
    return fail(name + ": " + llvm::toString(std::move(err)));

  // Intermediate tensors are freed after their last use: AlexNet's
  // activations at a training batch would otherwise add up to gigabytes.
  llvm::DenseMap<mlir::Value, mlir::Operation *> lastUse;
  for (mlir::Operation &op : block)
    for (mlir::Value operand : op.getOperands())
      lastUse[operand] = &op;

  for (mlir::Operation &op : block) {
    if (auto ret = mlir::dyn_cast<mlir::func::ReturnOp>(op)) {
      std::vector<HostTensor> results;
      for (mlir::Value operand : ret.getOperands()) {
        auto it = values.find(operand);
        if (it == values.end())
          return fail(opPrefix(&op) + "returns a value with no runtime value");
        if (it->second.tensor)
          results.push_back(*it->second.tensor);
        else
          results.push_back(
              intTensor({}, {static_cast<int32_t>(it->second.scalar)})); // 0-d
      }
      return results;
    }
    if (op.getNumResults() != 1 || op.getNumRegions() != 0)
      return fail(opPrefix(&op) + "is not supported by the interpreter");
    llvm::Expected<RtValue> result = evaluate(&op);
    if (!result)
      return fail(opPrefix(&op) + llvm::toString(result.takeError()));
    mlir::Type type = op.getResult(0).getType();
    if (result->tensor) {
      if (llvm::Error err = checkType(*result->tensor, type, "result"))
        return fail(opPrefix(&op) + llvm::toString(std::move(err)));
    } else if (!isIntegerScalar(type)) {
      return fail(opPrefix(&op) + "produced a scalar for a result of type " +
                  typeString(type));
    }
    values[op.getResult(0)] = std::move(*result);
    for (mlir::Value operand : op.getOperands())
      if (lastUse.lookup(operand) == &op)
        values.erase(operand);
  }
  return fail(name + " has no func.return");
}

llvm::Error Interpreter::bindArguments(mlir::Block &block,
                                       llvm::ArrayRef<HostTensor> args,
                                       int64_t seed) {
  size_t total = block.getNumArguments(), scalars = 0;
  for (mlir::BlockArgument arg : block.getArguments())
    scalars += isIntegerScalar(arg.getType());
  bool seedsGiven = args.size() == total;
  if (!seedsGiven && !(scalars && args.size() == total - scalars)) {
    std::string orWithout = scalars
                                ? " (or " + std::to_string(total - scalars) +
                                      " without the integer seed)"
                                : "";
    return fail("expects " + std::to_string(total) + " arguments" + orWithout +
                ", got " + std::to_string(args.size()));
  }
  size_t next = 0;
  for (mlir::BlockArgument arg : block.getArguments()) {
    std::string what = "argument #" + std::to_string(arg.getArgNumber());
    mlir::Type type = arg.getType();
    if (isIntegerScalar(type)) {
      if (!seedsGiven) {
        values[arg] = RtValue::integer(seed);
        continue;
      }
      const HostTensor &given = args[next++];
      if (given.numElements() != 1 ||
          (given.isInt ? given.ints.size() : given.data.size()) != 1)
        return fail(what + " is an integer scalar; give a one-element tensor");
      int64_t v =
          given.isInt ? given.ints[0] : static_cast<int64_t>(given.data[0]);
      values[arg] = RtValue::integer(llvm::SignExtend64(v, integerWidth(type)));
      continue;
    }
    const HostTensor &given = args[next++];
    if (llvm::Error err = checkType(given, type, what))
      return err;
    // Borrowed: the caller's tensor outlives the interpretation.
    values[arg] = {std::shared_ptr<const HostTensor>(
                       std::shared_ptr<const HostTensor>(), &given),
                   0};
  }
  return llvm::Error::success();
}

llvm::Expected<const HostTensor *>
Interpreter::tensor(mlir::Value value, const char *what, bool allowInt) {
  auto it = values.find(value);
  if (it == values.end())
    return fail(llvm::Twine(what) + " has no runtime value");
  if (!it->second.tensor)
    return fail(llvm::Twine(what) + " is a scalar, not a tensor");
  if (it->second.tensor->isInt != allowInt)
    return fail(llvm::Twine(what) + " must be an " +
                (allowInt ? "i32" : "f32") + " tensor");
  return it->second.tensor.get();
}

llvm::Expected<int64_t> Interpreter::integer(mlir::Value value,
                                             const char *what) {
  auto it = values.find(value);
  if (it == values.end())
    return fail(llvm::Twine(what) + " has no runtime value");
  if (it->second.tensor)
    return fail(llvm::Twine(what) + " is a tensor, not an integer scalar");
  return it->second.scalar;
}

llvm::Expected<RtValue> Interpreter::evaluate(mlir::Operation *op) {
  using Result = llvm::Expected<RtValue>;
  return llvm::TypeSwitch<mlir::Operation *, Result>(op)
      .Case([&](cnn::Conv2DOp o) { return evalConv(o); })
      .Case([&](cnn::FusedConvActPoolOp o) { return evalFused(o); })
      .Case([&](cnn::AvgPool2DOp o) { return evalPool(o, false); })
      .Case([&](cnn::MaxPool2DOp o) { return evalPool(o, true); })
      .Case([&](cnn::Subsample2DOp o) { return evalSubsample(o); })
      .Case([&](cnn::TanhOp o) {
        return evalActivation(o, ref::Activation::Tanh);
      })
      .Case([&](cnn::ScaledTanhOp o) {
        return evalActivation(o, ref::Activation::ScaledTanh);
      })
      .Case([&](cnn::ReluOp o) {
        return evalActivation(o, ref::Activation::Relu);
      })
      .Case([&](cnn::SigmoidOp o) {
        return evalActivation(o, ref::Activation::Sigmoid);
      })
      .Case([&](cnn::DenseOp o) { return evalDense(o); })
      .Case([&](cnn::FlattenOp o) { return evalFlatten(o); })
      .Case([&](cnn::AddOp o) { return evalAdd(o); })
      .Case([&](cnn::ConcatOp o) { return evalConcat(o); })
      .Case([&](cnn::LocalResponseNormOp o) { return evalLRN(o); })
      .Case([&](cnn::DropoutOp o) { return evalDropout(o); })
      .Case([&](cnn::SoftmaxOp o) { return evalSoftmax(o, false); })
      .Case([&](cnn::LogSoftmaxOp o) { return evalSoftmax(o, true); })
      .Case([&](cnn::CrossEntropyOp o) { return evalCrossEntropy(o); })
      .Case([&](cnn::MSEOp o) { return evalMSE(o); })
      .Case([&](mlir::arith::ConstantOp o) { return evalConstant(o); })
      .Case([&](mlir::arith::AddIOp o) { return evalAddI(o); })
      .Default([&](mlir::Operation *) -> Result {
        return fail("is not supported by the interpreter");
      });
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

template <typename ConvOp>
llvm::Expected<ref::Conv2DParams>
Interpreter::convParams(ConvOp op, const HostTensor &x, const HostTensor &w,
                        const HostTensor *bias) {
  if (llvm::Error err = checkRank(x, 4, "input", "[N, C, H, W]"))
    return std::move(err);
  if (llvm::Error err = checkRank(w, 4, "weight", "[F, C/groups, KH, KW]"))
    return std::move(err);
  ref::Conv2DParams p;
  auto stride = pairAttr(op.getStride(), "stride", 1);
  if (!stride)
    return stride.takeError();
  auto padding = pairAttr(op.getPadding(), "padding", 0);
  if (!padding)
    return padding.takeError();
  auto dilation = pairAttr(op.getDilation(), "dilation", 1);
  if (!dilation)
    return dilation.takeError();
  p.stride = *stride;
  p.padding = *padding;
  p.dilation = *dilation;
  p.groups = static_cast<int64_t>(op.getGroups());
  int64_t c = x.shape[1], f = w.shape[0];
  if (p.groups < 1 || f % p.groups != 0)
    return fail("groups " + llvm::Twine(p.groups) + " does not divide " +
                llvm::Twine(f) + " output maps");
  if (c != w.shape[1] * p.groups)
    return fail("input has " + llvm::Twine(c) + " channels but weight " +
                "expects " + llvm::Twine(w.shape[1] * p.groups));
  if (std::optional<mlir::DenseIntElementsAttr> table = op.getConnections()) {
    auto type = mlir::cast<mlir::ShapedType>(table->getType());
    if (p.groups != 1 || type.getRank() != 2 || type.getDimSize(0) != f ||
        type.getDimSize(1) != c)
      return fail("connection table " + typeString(type) + " does not fit " +
                  llvm::Twine(f) + " output and " + llvm::Twine(c) +
                  " input maps with groups 1");
    p.connections.assign(f, std::vector<bool>(c));
    int64_t i = 0;
    for (bool connected : table->getValues<bool>()) {
      p.connections[i / c][i % c] = connected;
      ++i;
    }
  }
  if (bias && (bias->shape.size() != 1 || bias->shape[0] != f))
    return fail("bias has shape " + formatShape(bias->shape) + " but " +
                llvm::Twine(f) + " output maps");
  if (llvm::Error err = checkWindow(x, {w.shape[2], w.shape[3]}, p.padding,
                                    p.dilation, "kernel"))
    return std::move(err);
  return p;
}

llvm::Expected<ref::Pool2DParams>
Interpreter::poolParams(const HostTensor &x, llvm::ArrayRef<int64_t> kernel,
                        llvm::ArrayRef<int64_t> stride,
                        llvm::ArrayRef<int64_t> padding) {
  if (llvm::Error err = checkRank(x, 4, "input", "[N, C, H, W]"))
    return std::move(err);
  auto k = pairAttr(kernel, "kernel", 1);
  if (!k)
    return k.takeError();
  auto s = pairAttr(stride, "stride", 1);
  if (!s)
    return s.takeError();
  auto p = pairAttr(padding, "padding", 0);
  if (!p)
    return p.takeError();
  if (llvm::Error err = checkWindow(x, *k, *p, {1, 1}, "pooling kernel"))
    return std::move(err);
  return ref::Pool2DParams{*k, *s, *p};
}

template <typename ConvOp>
llvm::Expected<Interpreter::ConvOperands> Interpreter::convOperands(ConvOp op) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  auto w = tensor(op.getWeight(), "weight");
  if (!w)
    return w.takeError();
  const HostTensor *bias = nullptr;
  if (mlir::Value b = op.getBias()) {
    auto t = tensor(b, "bias");
    if (!t)
      return t.takeError();
    bias = *t;
  }
  auto p = convParams(op, **x, **w, bias);
  if (!p)
    return p.takeError();
  return ConvOperands{*x, *w, bias, *p};
}

llvm::Expected<RtValue> Interpreter::evalConv(cnn::Conv2DOp op) {
  auto c = convOperands(op);
  if (!c)
    return c.takeError();
  return RtValue::of(ref::conv2d(*c->x, *c->w, c->bias, c->params));
}

llvm::Expected<RtValue> Interpreter::evalFused(cnn::FusedConvActPoolOp op) {
  auto c = convOperands(op);
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
llvm::Expected<RtValue> Interpreter::evalPool(PoolOp op, bool isMax) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  auto p = poolParams(**x, op.getKernel(), op.getStride(), op.getPadding());
  if (!p)
    return p.takeError();
  return RtValue::of(isMax ? ref::maxPool2d(**x, *p) : ref::avgPool2d(**x, *p));
}

llvm::Expected<RtValue> Interpreter::evalSubsample(cnn::Subsample2DOp op) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  auto coefficient = tensor(op.getCoefficient(), "coefficient");
  if (!coefficient)
    return coefficient.takeError();
  auto bias = tensor(op.getBias(), "bias");
  if (!bias)
    return bias.takeError();
  auto p = poolParams(**x, op.getKernel(), op.getStride(), {0, 0});
  if (!p)
    return p.takeError();
  int64_t c = (*x)->shape[1];
  for (const HostTensor *t : {*coefficient, *bias})
    if (t->shape.size() != 1 || t->shape[0] != c)
      return fail("coefficient and bias must be [" + llvm::Twine(c) +
                  "], got " + formatShape(t->shape));
  return RtValue::of(
      ref::subsample2d(**x, **coefficient, **bias, p->kernel, p->stride));
}

//===----------------------------------------------------------------------===//
// Element-wise, dense, shape ops
//===----------------------------------------------------------------------===//

template <typename ActOp>
llvm::Expected<RtValue> Interpreter::evalActivation(ActOp op,
                                                    ref::Activation act) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  return RtValue::of(ref::activate(**x, act));
}

llvm::Expected<RtValue> Interpreter::evalDense(cnn::DenseOp op) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  auto w = tensor(op.getWeight(), "weight");
  if (!w)
    return w.takeError();
  if (llvm::Error err = checkRank(**x, 2, "input", "[N, K]"))
    return std::move(err);
  if (llvm::Error err = checkRank(**w, 2, "weight", "[M, K]"))
    return std::move(err);
  if ((*x)->shape[1] != (*w)->shape[1])
    return fail("input has " + llvm::Twine((*x)->shape[1]) +
                " features but weight expects " + llvm::Twine((*w)->shape[1]));
  const HostTensor *bias = nullptr;
  if (mlir::Value b = op.getBias()) {
    auto t = tensor(b, "bias");
    if (!t)
      return t.takeError();
    bias = *t;
    if (bias->shape.size() != 1 || bias->shape[0] != (*w)->shape[0])
      return fail("bias has shape " + formatShape(bias->shape) + " but " +
                  llvm::Twine((*w)->shape[0]) + " outputs");
  }
  return RtValue::of(ref::dense(**x, **w, bias));
}

llvm::Expected<RtValue> Interpreter::evalFlatten(cnn::FlattenOp op) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  if ((*x)->shape.size() < 2)
    return fail("input must have rank 2 or more, got " +
                formatShape((*x)->shape));
  return RtValue::of(ref::flatten(**x));
}

llvm::Expected<std::pair<const HostTensor *, const HostTensor *>>
Interpreter::sameShapePair(mlir::Value lhs, const char *lhsName,
                           mlir::Value rhs, const char *rhsName) {
  auto a = tensor(lhs, lhsName);
  if (!a)
    return a.takeError();
  auto b = tensor(rhs, rhsName);
  if (!b)
    return b.takeError();
  if ((*a)->shape != (*b)->shape)
    return fail(std::string(lhsName) + " has shape " +
                formatShape((*a)->shape) + " but " + rhsName + " has shape " +
                formatShape((*b)->shape));
  return std::make_pair(*a, *b);
}

llvm::Expected<RtValue> Interpreter::evalAdd(cnn::AddOp op) {
  auto operands = sameShapePair(op.getLhs(), "lhs", op.getRhs(), "rhs");
  if (!operands)
    return operands.takeError();
  return RtValue::of(ref::add(*operands->first, *operands->second));
}

llvm::Expected<RtValue> Interpreter::evalConcat(cnn::ConcatOp op) {
  std::vector<const HostTensor *> inputs;
  for (mlir::Value v : op.getInputs()) {
    auto t = tensor(v, "input");
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

llvm::Expected<RtValue> Interpreter::evalLRN(cnn::LocalResponseNormOp op) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  if (llvm::Error err = checkRank(**x, 4, "input", "[N, C, H, W]"))
    return std::move(err);
  int64_t size = static_cast<int64_t>(op.getSize());
  if (size < 1)
    return fail("size must be at least 1");
  return RtValue::of(ref::localResponseNorm(
      **x, size, op.getAlphaAttr().getValueAsDouble(),
      op.getBetaAttr().getValueAsDouble(), op.getKAttr().getValueAsDouble()));
}

llvm::Expected<RtValue> Interpreter::evalDropout(cnn::DropoutOp op) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  auto seed = integer(op.getSeed(), "seed");
  if (!seed)
    return seed.takeError();
  return RtValue::of(ref::dropout(**x, op.getRateAttr().getValueAsDouble()));
}

template <typename SoftmaxOp>
llvm::Expected<RtValue> Interpreter::evalSoftmax(SoftmaxOp op, bool log) {
  auto x = tensor(op.getInput(), "input");
  if (!x)
    return x.takeError();
  int64_t axis = static_cast<int64_t>(op.getAxis());
  if (axis >= static_cast<int64_t>((*x)->shape.size()))
    return fail("axis " + llvm::Twine(axis) + " is out of range for rank " +
                llvm::Twine((*x)->shape.size()));
  return RtValue::of(log ? ref::logSoftmax(**x, axis)
                         : ref::softmax(**x, axis));
}

llvm::Expected<RtValue> Interpreter::evalCrossEntropy(cnn::CrossEntropyOp op) {
  auto logits = tensor(op.getLogits(), "logits");
  if (!logits)
    return logits.takeError();
  auto labels = tensor(op.getLabels(), "labels", /*allowInt=*/true);
  if (!labels)
    return labels.takeError();
  if (llvm::Error err = checkRank(**logits, 2, "logits", "[N, C]"))
    return std::move(err);
  if (llvm::Error err = checkRank(**labels, 1, "labels", "[N]"))
    return std::move(err);
  int64_t n = (*logits)->shape[0], c = (*logits)->shape[1];
  if ((*labels)->shape[0] != n)
    return fail("logits have " + llvm::Twine(n) + " rows but labels " +
                llvm::Twine((*labels)->shape[0]));
  for (int64_t i = 0; i < n; ++i) {
    int32_t label = (*labels)->ints[i];
    if (label < 0 || label >= c)
      return fail("label " + llvm::Twine(label) + " of row " + llvm::Twine(i) +
                  " is not in [0, " + llvm::Twine(c) + ")");
  }
  return RtValue::of(ref::crossEntropy(**logits, **labels));
}

llvm::Expected<RtValue> Interpreter::evalMSE(cnn::MSEOp op) {
  auto operands =
      sameShapePair(op.getPrediction(), "prediction", op.getTarget(), "target");
  if (!operands)
    return operands.takeError();
  return RtValue::of(ref::mse(*operands->first, *operands->second));
}

//===----------------------------------------------------------------------===//
// Scalar arithmetic and constants
//===----------------------------------------------------------------------===//

llvm::Expected<RtValue> Interpreter::evalConstant(mlir::arith::ConstantOp op) {
  mlir::Attribute value = op.getValue();
  if (auto integer = mlir::dyn_cast<mlir::IntegerAttr>(value)) {
    if (isIntegerScalar(integer.getType()))
      return RtValue::integer(integer.getValue().getSExtValue());
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

llvm::Expected<RtValue> Interpreter::evalAddI(mlir::arith::AddIOp op) {
  if (!isIntegerScalar(op.getType()))
    return fail("is supported on integer scalars only");
  auto lhs = integer(op.getLhs(), "lhs");
  if (!lhs)
    return lhs.takeError();
  auto rhs = integer(op.getRhs(), "rhs");
  if (!rhs)
    return rhs.takeError();
  uint64_t sum = static_cast<uint64_t>(*lhs) + static_cast<uint64_t>(*rhs);
  return RtValue::integer(llvm::SignExtend64(sum, integerWidth(op.getType())));
}

} // namespace

llvm::Expected<std::vector<HostTensor>>
cnnc::test::interpret(mlir::func::FuncOp fn, llvm::ArrayRef<HostTensor> args,
                      int64_t seed) {
  return Interpreter().run(fn, args, seed);
}
