//===- Differentiate.cpp - reverse-mode autodiff of the loss function -----===//
//
// The loss function the front end writes is one block of pure ops: the
// forward layers, then one loss op whose result is returned. Reverse mode
// over it is a walk from the loss op back to the arguments, emitting each
// op's backward rule (GradientRules.h) for the operands that lead to a
// parameter, and summing the gradients of values used more than once.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/GradientRules.h"
#include "compiler/transforms/Passes.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_DIFFERENTIATE
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kLossAttr = "cnn.loss";
constexpr llvm::StringLiteral kParamAttr = "cnn.param";

/// `@m_loss` becomes `@m_grad`; any other name gets `_grad` appended.
std::string gradientFunctionName(StringRef lossName) {
  lossName.consume_back("_loss");
  return (lossName + "_grad").str();
}

/// The values whose gradient the parameters' gradients go through: the
/// parameters and every float result computed from one.
llvm::DenseSet<Value> valuesNeedingGradients(func::FuncOp func) {
  llvm::DenseSet<Value> needs;
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (func.getArgAttr(i, kParamAttr))
      needs.insert(func.getArgument(i));
  func.walk([&](Operation *op) {
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return needs.contains(v); }))
      for (Value result : op->getResults())
        if (llvm::isa<FloatType>(getElementTypeOrSelf(result.getType())))
          needs.insert(result);
  });
  return needs;
}

/// Where the backward ops of an op at `forward` are: its layer's name with
/// `.grad` appended, so the kernels they become say which layer's gradient
/// they compute (cnn-merge-gpu-modules names kernels after layers).
Location backwardLocation(Location forward) {
  auto name = dyn_cast<NameLoc>(forward);
  if (!name)
    return forward;
  return NameLoc::get(
      StringAttr::get(forward.getContext(), name.getName().str() + ".grad"),
      name.getChildLoc());
}

/// Moves the ops built before `end` since `start` (the op before them, or
/// null for the block's start) to `backwardLocation(forward)`.
void markBackward(Block &body, Operation *start, Operation *end,
                  Location forward) {
  Location backward = backwardLocation(forward);
  auto first = start ? std::next(start->getIterator()) : body.begin();
  for (Operation &op : llvm::make_range(first, end->getIterator()))
    op.setLoc(backward);
}

LogicalResult differentiate(func::FuncOp grad) {
  Block &body = grad.front();
  auto ret = llvm::cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() != 1 || !ret.getOperand(0).getDefiningOp())
    return grad.emitError("a loss function returns exactly one computed "
                          "value, the loss");
  Operation *lossOp = ret.getOperand(0).getDefiningOp();
  if (lossOp->getNumOperands() < 1)
    return lossOp->emitOpError("computes the loss but has no prediction");
  Value prediction = lossOp->getOperand(0);

  llvm::DenseSet<Value> needs = valuesNeedingGradients(grad);
  OpBuilder b(ret);
  llvm::DenseMap<Value, Value> gradients;
  auto add = [&](Value operand, Value gradient) {
    auto [it, inserted] = gradients.try_emplace(operand, gradient);
    if (!inserted)
      it->second =
          b.create<cnn::AddOp>(gradient.getLoc(), it->second, gradient);
  };
  Operation *start = ret->getPrevNode();
  FailureOr<Value> lossGradient = cnnc::emitLossGradient(b, lossOp);
  if (failed(lossGradient))
    return failure();
  markBackward(body, start, ret, lossOp->getLoc());
  if (needs.contains(prediction))
    add(prediction, *lossGradient);

  // The block is in def-before-use order, so walking it backwards sees every
  // use of a value before its definition: its gradient is complete by then.
  for (Operation &op :
       llvm::reverse(llvm::make_range(body.begin(), lossOp->getIterator()))) {
    if (op.getNumResults() != 1)
      continue;
    auto it = gradients.find(op.getResult(0));
    if (it == gradients.end())
      continue;
    start = ret->getPrevNode();
    if (failed(cnnc::emitGradient(
            b, &op, it->second, [&](Value v) { return needs.contains(v); },
            add)))
      return failure();
    markBackward(body, start, ret, op.getLoc());
  }

  SmallVector<Value> results{ret.getOperand(0), prediction};
  SmallVector<StringAttr> paramNames;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i) {
    auto name = grad.getArgAttrOfType<StringAttr>(i, kParamAttr);
    if (!name)
      continue;
    Value param = grad.getArgument(i);
    Value gradient = gradients.lookup(param);
    // A parameter the loss does not reach has a zero gradient.
    if (!gradient)
      gradient = b.create<arith::ConstantOp>(param.getLoc(),
                                             b.getZeroAttr(param.getType()));
    results.push_back(gradient);
    paramNames.push_back(name);
  }
  b.create<func::ReturnOp>(ret.getLoc(), results);
  ret.erase();

  grad.setFunctionType(FunctionType::get(grad.getContext(),
                                         grad.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  auto dictionary = [&](StringRef name, Attribute value) {
    return DictionaryAttr::get(grad.getContext(),
                               {b.getNamedAttr(name, value)});
  };
  SmallVector<DictionaryAttr> resultAttrs{
      dictionary(kLossAttr, b.getUnitAttr()),
      dictionary("cnn.prediction", b.getUnitAttr())};
  for (StringAttr name : paramNames)
    resultAttrs.push_back(dictionary("cnn.grad", name));
  grad.setAllResultAttrs(resultAttrs);
  return success();
}

struct DifferentiatePass
    : mlir::cnn::impl::DifferentiateBase<DifferentiatePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> losses;
    for (auto func : module.getOps<func::FuncOp>())
      if (!func.isExternal() && func.getNumResults() == 1 &&
          func.getResultAttr(0, kLossAttr))
        losses.push_back(func);
    for (func::FuncOp loss : losses) {
      std::string name = gradientFunctionName(loss.getSymName());
      if (module.lookupSymbol(name)) {
        loss.emitError() << "cannot create @" << name
                         << ": the module already has a symbol of that name";
        return signalPassFailure();
      }
      auto grad = loss.clone();
      grad.setSymName(name);
      module.insert(std::next(loss->getIterator()), grad);
      if (failed(differentiate(grad)))
        return signalPassFailure();
    }
  }
};

} // namespace
