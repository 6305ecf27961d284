//===- Interpreter.cpp - evaluate a cnn-dialect function on the host ------===//
//
// One pass over the function's single block. Every value lives in a table
// from mlir::Value to a host tensor or a scalar; arguments are borrowed from
// the caller, results are owned. The evaluators of InterpreterForward.cpp
// and InterpreterGradients.cpp check an op's runtime operand shapes before
// it runs, since dynamic sizes in the types leave room the verifier could
// not check; here, after, each result is checked against the static sizes of
// its type.
//
//===----------------------------------------------------------------------===//

#include "test/reference/Interpreter.h"

#include "test/reference/InterpreterSupport.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/MathExtras.h"

#include <string>

using namespace cnnc::test;
using namespace cnnc::test::interp;

namespace {

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

/// Checks a runtime value against the type of the SSA value it becomes.
llvm::Error checkValue(const RtValue &v, mlir::Type type,
                       const llvm::Twine &what) {
  switch (v.kind) {
  case RtValue::Kind::Tensor:
    return checkType(*v.tensor, type, what);
  case RtValue::Kind::Integer:
    if (isIntegerScalar(type))
      return llvm::Error::success();
    break;
  case RtValue::Kind::Float:
    if (type.isF32())
      return llvm::Error::success();
    break;
  }
  return fail(what + " is a scalar but its type is " + typeString(type));
}

/// "file:line:col: 'cnn.dense' op " for error messages.
std::string opPrefix(mlir::Operation *op) {
  std::string prefix;
  if (auto loc = op->getLoc()->findInstanceOf<mlir::FileLineColLoc>())
    prefix = (loc.getFilename().getValue() + ":" + llvm::Twine(loc.getLine()) +
              ":" + llvm::Twine(loc.getColumn()) + ": ")
                 .str();
  return prefix + "'" + op->getName().getStringRef().str() + "' op ";
}

/// The value a func.return operand hands back to the caller.
HostTensor returned(const RtValue &v) {
  switch (v.kind) {
  case RtValue::Kind::Tensor:
    return *v.tensor;
  case RtValue::Kind::Integer:
    return intTensor({}, {static_cast<int32_t>(v.integer)}); // 0-d
  case RtValue::Kind::Float:
    return scalar(v.real);
  }
  return {};
}

class Interpreter {
public:
  explicit Interpreter(const InterpretOptions &options) : options(options) {}

  llvm::Expected<std::vector<HostTensor>>
  run(mlir::func::FuncOp fn, llvm::ArrayRef<HostTensor> args, int64_t seed);

private:
  llvm::Error bindArguments(mlir::Block &block, llvm::ArrayRef<HostTensor> args,
                            int64_t seed);
  llvm::Expected<Results> evaluate(mlir::Operation *op);

  const InterpretOptions &options;
  ValueTable values;
};

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
        const RtValue *v = values.lookup(operand);
        if (!v)
          return fail(opPrefix(&op) + "returns a value with no runtime value");
        results.push_back(returned(*v));
      }
      return results;
    }
    if (op.getNumResults() == 0 || op.getNumRegions() != 0)
      return fail(opPrefix(&op) + "is not supported by the interpreter");
    llvm::Expected<Results> results = evaluate(&op);
    if (!results)
      return fail(opPrefix(&op) + llvm::toString(results.takeError()));
    if (results->size() != op.getNumResults())
      return fail(opPrefix(&op) + "produced " + llvm::Twine(results->size()) +
                  " results for " + llvm::Twine(op.getNumResults()));
    for (auto [i, result] : llvm::enumerate(op.getResults())) {
      std::string what = op.getNumResults() == 1
                             ? std::string("result")
                             : "result #" + std::to_string(i);
      if (llvm::Error err = checkValue((*results)[i], result.getType(), what))
        return fail(opPrefix(&op) + llvm::toString(std::move(err)));
      values.bind(result, std::move((*results)[i]));
    }
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
        values.bind(arg, RtValue::ofInteger(seed));
        continue;
      }
      const HostTensor &given = args[next++];
      if (given.numElements() != 1 ||
          (given.isInt ? given.ints.size() : given.data.size()) != 1)
        return fail(what + " is an integer scalar; give a one-element tensor");
      int64_t v =
          given.isInt ? given.ints[0] : static_cast<int64_t>(given.data[0]);
      values.bind(
          arg, RtValue::ofInteger(llvm::SignExtend64(v, integerWidth(type))));
      continue;
    }
    const HostTensor &given = args[next++];
    if (type.isF32()) {
      if (given.isInt || given.numElements() != 1 || given.data.size() != 1)
        return fail(what + " is an f32 scalar; give a one-element f32 tensor");
      values.bind(arg, RtValue::ofFloat(given.data[0]));
      continue;
    }
    if (llvm::Error err = checkType(given, type, what))
      return err;
    // Borrowed: the caller's tensor outlives the interpretation.
    values.bind(arg, RtValue::borrowed(given));
  }
  return llvm::Error::success();
}

llvm::Expected<Results> Interpreter::evaluate(mlir::Operation *op) {
  if (std::optional<llvm::Expected<Results>> gradient =
          evaluateGradientOp(op, values))
    return std::move(*gradient);
  std::optional<llvm::Expected<RtValue>> forward =
      evaluateForwardOp(op, values, options);
  if (!forward)
    return fail("is not supported by the interpreter");
  if (!*forward)
    return forward->takeError();
  return Results{std::move(**forward)};
}

} // namespace

llvm::Expected<std::vector<HostTensor>>
cnnc::test::interpret(mlir::func::FuncOp fn, llvm::ArrayRef<HostTensor> args,
                      int64_t seed, const InterpretOptions &options) {
  return Interpreter(options).run(fn, args, seed);
}
