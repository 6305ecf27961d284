//===- InterpreterSupport.cpp - pieces shared by the interpreter ----------===//
//
// Value lookups and operand checks whose messages the interpreter's errors
// are made of ("weight must be [F, C/groups, KH, KW], got [3]").
//
//===----------------------------------------------------------------------===//

#include "test/reference/InterpreterSupport.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/raw_ostream.h"

namespace cnnc::test::interp {

llvm::Expected<const HostTensor *>
ValueTable::tensor(mlir::Value value, const char *what, bool allowInt) const {
  const RtValue *v = lookup(value);
  if (!v)
    return fail(llvm::Twine(what) + " has no runtime value");
  if (v->kind != RtValue::Kind::Tensor)
    return fail(llvm::Twine(what) + " is a scalar, not a tensor");
  if (v->tensor->isInt != allowInt)
    return fail(llvm::Twine(what) + " must be an " +
                (allowInt ? "i32" : "f32") + " tensor");
  return v->tensor.get();
}

llvm::Expected<const HostTensor *>
ValueTable::optionalTensor(mlir::Value value, const char *what) const {
  if (!value)
    return nullptr;
  return tensor(value, what);
}

llvm::Expected<int64_t> ValueTable::integer(mlir::Value value,
                                            const char *what) const {
  const RtValue *v = lookup(value);
  if (!v)
    return fail(llvm::Twine(what) + " has no runtime value");
  if (v->kind == RtValue::Kind::Tensor)
    return fail(llvm::Twine(what) + " is a tensor, not an integer scalar");
  if (v->kind != RtValue::Kind::Integer)
    return fail(llvm::Twine(what) + " is an f32 scalar, not an integer");
  return v->integer;
}

llvm::Expected<float> ValueTable::real(mlir::Value value,
                                       const char *what) const {
  const RtValue *v = lookup(value);
  if (!v)
    return fail(llvm::Twine(what) + " has no runtime value");
  if (v->kind != RtValue::Kind::Float)
    return fail(llvm::Twine(what) + " is not an f32 scalar");
  return v->real;
}

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

llvm::Error checkRank(const HostTensor &t, size_t rank, const char *what,
                      const char *layout) {
  if (t.shape.size() != rank)
    return fail(llvm::Twine(what) + " must be " + layout + ", got " +
                formatShape(t.shape));
  return llvm::Error::success();
}

llvm::Expected<llvm::SmallVector<const HostTensor *, 4>>
tensors(const ValueTable &values, llvm::ArrayRef<TensorOperand> operands) {
  llvm::SmallVector<const HostTensor *, 4> result;
  for (const TensorOperand &operand : operands) {
    auto t = values.tensor(operand.value, operand.name);
    if (!t)
      return t.takeError();
    result.push_back(*t);
  }
  for (auto [operand, t] : llvm::zip_equal(operands, result))
    if (operand.layout)
      if (llvm::Error err =
              checkRank(*t, operand.rank, operand.name, operand.layout))
        return std::move(err);
  return result;
}

llvm::Expected<llvm::SmallVector<const HostTensor *, 4>>
sameShapes(const ValueTable &values, llvm::ArrayRef<TensorOperand> operands) {
  llvm::SmallVector<const HostTensor *, 4> result;
  for (const TensorOperand &operand : operands) {
    auto t = values.tensor(operand.value, operand.name);
    if (!t)
      return t.takeError();
    if (!result.empty() && (*t)->shape != result.front()->shape)
      return fail(llvm::Twine(operand.name) + " has shape " +
                  formatShape((*t)->shape) + " but " + operands.front().name +
                  " has shape " + formatShape(result.front()->shape));
    result.push_back(*t);
  }
  return result;
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

namespace {

/// A [height, width] attribute to read into `out`.
struct PairAttr {
  ref::Pair *out;
  llvm::ArrayRef<int64_t> values;
  const char *what;
  int64_t minimum;
};

/// Reads the attributes in order; the first bad one is the error.
llvm::Error readPairs(llvm::ArrayRef<PairAttr> attrs) {
  for (const PairAttr &attr : attrs) {
    auto pair = pairAttr(attr.values, attr.what, attr.minimum);
    if (!pair)
      return pair.takeError();
    *attr.out = *pair;
  }
  return llvm::Error::success();
}

} // namespace

llvm::Expected<ref::Pool2DParams>
poolAttributes(llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> stride,
               llvm::ArrayRef<int64_t> padding) {
  ref::Pool2DParams p;
  if (llvm::Error err = readPairs({{&p.kernel, kernel, "kernel", 1},
                                   {&p.stride, stride, "stride", 1},
                                   {&p.padding, padding, "padding", 0}}))
    return std::move(err);
  return p;
}

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

llvm::Expected<ref::Conv2DParams>
convAttributes(llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> padding,
               llvm::ArrayRef<int64_t> dilation, int64_t groups,
               std::optional<mlir::DenseIntElementsAttr> table, int64_t f,
               int64_t c) {
  ref::Conv2DParams p;
  if (llvm::Error err = readPairs({{&p.stride, stride, "stride", 1},
                                   {&p.padding, padding, "padding", 0},
                                   {&p.dilation, dilation, "dilation", 1}}))
    return std::move(err);
  p.groups = groups;
  if (p.groups < 1 || f % p.groups != 0)
    return fail("groups " + llvm::Twine(p.groups) + " does not divide " +
                llvm::Twine(f) + " output maps");
  if (table) {
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
  return p;
}

llvm::Expected<std::pair<const HostTensor *, const HostTensor *>>
logitsAndLabels(const ValueTable &values, mlir::Value logitsValue,
                mlir::Value labelsValue) {
  auto logitsOr = values.tensor(logitsValue, "logits");
  if (!logitsOr)
    return logitsOr.takeError();
  auto labelsOr = values.tensor(labelsValue, "labels", /*allowInt=*/true);
  if (!labelsOr)
    return labelsOr.takeError();
  const HostTensor &logits = **logitsOr, &labels = **labelsOr;
  if (llvm::Error err = checkRank(logits, 2, "logits", "[N, C]"))
    return std::move(err);
  if (llvm::Error err = checkRank(labels, 1, "labels", "[N]"))
    return std::move(err);
  int64_t n = logits.shape[0], c = logits.shape[1];
  if (labels.shape[0] != n)
    return fail("logits have " + llvm::Twine(n) + " rows but labels " +
                llvm::Twine(labels.shape[0]));
  for (int64_t i = 0; i < n; ++i) {
    int32_t label = labels.ints[i];
    if (label < 0 || label >= c)
      return fail("label " + llvm::Twine(label) + " of row " + llvm::Twine(i) +
                  " is not in [0, " + llvm::Twine(c) + ")");
  }
  return std::make_pair(&logits, &labels);
}

ref::Activation toRef(mlir::cnn::Activation act) {
  switch (act) {
  case mlir::cnn::Activation::None:
    return ref::Activation::None;
  case mlir::cnn::Activation::Tanh:
    return ref::Activation::Tanh;
  case mlir::cnn::Activation::ScaledTanh:
    return ref::Activation::ScaledTanh;
  case mlir::cnn::Activation::Relu:
    return ref::Activation::Relu;
  case mlir::cnn::Activation::Sigmoid:
    return ref::Activation::Sigmoid;
  }
  return ref::Activation::None;
}

} // namespace cnnc::test::interp
