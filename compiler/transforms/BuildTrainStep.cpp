//===- BuildTrainStep.cpp - the training and evaluation entry points ------===//
//
// The .so trains by calling one function per step: forward, loss, backward
// and the optimizer update, compiled together. This pass assembles it from
// the packed gradient function (cnn-differentiate, then cnn-pack-parameters)
// and the optimizer settings of the model's `train` section, and adds the
// evaluation entry (the loss function, also returning its prediction) and
// the optimizer update alone (for steps whose batch is split across
// threads: the gradient function per slice, then one update).
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/Passes.h"
#include "compiler/transforms/TrainSection.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_BUILDTRAINSTEP
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// The `train` section, with the optimizer the step needs checked.
FailureOr<cnnc::TrainSection> readOptimizer(ModuleOp module) {
  auto train = module->getAttrOfType<DictionaryAttr>("cnn.train");
  if (!train)
    return module.emitError("the module has no 'cnn.train' settings, so "
                            "there is no optimizer to build a step with");
  cnnc::TrainSection settings = cnnc::readTrainSection(train);
  if (settings.optimizer != "sgd" && settings.optimizer != "adam")
    return module.emitError("cnn.train: 'optimizer' must be \"sgd\" or "
                            "\"adam\"");
  if (auto betas = train.getAs<DenseF64ArrayAttr>("betas");
      betas && betas.size() != 2)
    return module.emitError("cnn.train: 'betas' must have 2 values");
  return settings;
}

template <typename Pred>
std::optional<unsigned> findResult(func::FuncOp func, Pred pred) {
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (pred(func.getResultAttrDict(i)))
      return i;
  return std::nullopt;
}

std::optional<unsigned> resultWith(func::FuncOp func, StringRef attr) {
  return findResult(
      func, [&](DictionaryAttr dict) { return dict && dict.contains(attr); });
}

std::optional<unsigned> argumentWith(func::FuncOp func, StringRef attr) {
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (func.getArgAttr(i, attr))
      return i;
  return std::nullopt;
}

DictionaryAttr dictionaryOf(OpBuilder &b, StringRef name, Attribute value) {
  return b.getDictionaryAttr({b.getNamedAttr(name, value)});
}

/// Emits the update of `params` by `grads` and returns the new parameters
/// followed by the new state.
SmallVector<Value> emitUpdate(OpBuilder &b, Location loc,
                              const cnnc::TrainSection &opt, Value params,
                              Value grads, ValueRange state, Value lr,
                              Value step) {
  // Named after the optimizer, as the kernels of the update will be.
  loc = NameLoc::get(b.getStringAttr(opt.optimizer), loc);
  auto f32 = [&](double value) { return b.getF32FloatAttr(value); };
  if (opt.optimizer == "adam") {
    auto adam = b.create<cnn::AdamUpdateOp>(
        loc, params, grads, state[0], state[1], lr, step, f32(opt.beta1),
        f32(opt.beta2), f32(opt.eps), f32(opt.weightDecay));
    return {adam.getNewParam(), adam.getNewExpAvg(), adam.getNewExpAvgSq()};
  }
  if (opt.momentum != 0) {
    auto sgd = b.create<cnn::SGDMomentumUpdateOp>(
        loc, params, grads, state[0], lr, step, f32(opt.momentum),
        /*dampening=*/f32(0), opt.nesterov ? b.getUnitAttr() : UnitAttr(),
        f32(opt.weightDecay));
    return {sgd.getNewParam(), sgd.getNewMomentumBuffer()};
  }
  return {
      b.create<cnn::SGDUpdateOp>(loc, params, grads, lr, f32(opt.weightDecay))
          .getNewParam()};
}

/// `@m_train_step(<@m_grad's arguments>, <state>..., %lr: f32, %step: i64)
///   -> (loss, prediction, new params, new state...)`.
LogicalResult buildTrainStep(ModuleOp module, func::FuncOp grad,
                             const cnnc::TrainSection &opt) {
  std::optional<unsigned> paramsArg = argumentWith(grad, "cnn.params");
  std::optional<unsigned> gradsResult = resultWith(grad, "cnn.grads");
  std::optional<unsigned> lossResult = resultWith(grad, "cnn.loss");
  std::optional<unsigned> predictionResult = resultWith(grad, "cnn.prediction");
  if (!paramsArg || !gradsResult || !lossResult || !predictionResult)
    return grad.emitError("a gradient function needs a 'cnn.params' "
                          "argument and 'cnn.loss', 'cnn.prediction' and "
                          "'cnn.grads' results: run cnn-differentiate and "
                          "cnn-pack-parameters first");

  OpBuilder b(module.getContext());
  Type paramsType = grad.getArgument(*paramsArg).getType();
  SmallVector<Type> argTypes(grad.getArgumentTypes());
  SmallVector<DictionaryAttr> argAttrs;
  grad.getAllArgAttrs(argAttrs);
  for (StringRef name : opt.stateNames()) {
    argTypes.push_back(paramsType);
    argAttrs.push_back(
        dictionaryOf(b, "cnn.optimizer_state", b.getStringAttr(name)));
  }
  argTypes.push_back(b.getF32Type());
  argAttrs.push_back(dictionaryOf(b, "cnn.learning_rate", b.getUnitAttr()));
  argTypes.push_back(b.getI64Type());
  argAttrs.push_back(dictionaryOf(b, "cnn.step", b.getUnitAttr()));

  Type lossType = grad.getResultTypes()[*lossResult];
  Type predictionType = grad.getResultTypes()[*predictionResult];
  SmallVector<Type> resultTypes{lossType, predictionType, paramsType};
  SmallVector<DictionaryAttr> resultAttrs{
      dictionaryOf(b, "cnn.loss", b.getUnitAttr()),
      dictionaryOf(b, "cnn.prediction", b.getUnitAttr()),
      dictionaryOf(b, "cnn.params", b.getUnitAttr())};
  for (StringRef name : opt.stateNames()) {
    resultTypes.push_back(paramsType);
    resultAttrs.push_back(
        dictionaryOf(b, "cnn.optimizer_state", b.getStringAttr(name)));
  }

  StringRef base = grad.getSymName();
  base.consume_back("_grad");
  std::string name = (base + "_train_step").str();
  if (module.lookupSymbol(name))
    return grad.emitError() << "cannot create @" << name
                            << ": the module already has a symbol of that name";
  b.setInsertionPointAfter(grad);
  auto step = b.create<func::FuncOp>(grad.getLoc(), name,
                                     b.getFunctionType(argTypes, resultTypes));
  step.setAllArgAttrs(argAttrs);
  step.setAllResultAttrs(resultAttrs);
  step->setAttr("cnn.training", b.getUnitAttr());
  Block *entry = step.addEntryBlock();

  // The step's body is the gradient function's, inlined by hand: the cnn
  // dialect has no inliner interface, and one function keeps bufferization
  // free to reuse buffers across the backward pass and the update.
  IRMapping mapping;
  for (unsigned i = 0; i < grad.getNumArguments(); ++i)
    mapping.map(grad.getArgument(i), entry->getArgument(i));
  b.setInsertionPointToStart(entry);
  for (Operation &op : grad.front().without_terminator())
    b.clone(op, mapping);
  auto gradReturn = llvm::cast<func::ReturnOp>(grad.front().getTerminator());
  auto mapped = [&](unsigned result) {
    return mapping.lookup(gradReturn.getOperand(result));
  };

  unsigned stateBegin = grad.getNumArguments();
  unsigned numState = opt.stateNames().size();
  ValueRange state = entry->getArguments().slice(stateBegin, numState);
  Value lr = entry->getArgument(stateBegin + numState);
  Value stepCount = entry->getArgument(stateBegin + numState + 1);
  SmallVector<Value> updated =
      emitUpdate(b, grad.getLoc(), opt, entry->getArgument(*paramsArg),
                 mapped(*gradsResult), state, lr, stepCount);
  SmallVector<Value> results{mapped(*lossResult), mapped(*predictionResult)};
  results.append(updated);
  b.create<func::ReturnOp>(grad.getLoc(), results);
  return success();
}

/// `@m_apply_update(%params, %grads, <state>..., %lr: f32, %step: i64)
///   -> (new params, new state...)`: the optimizer update alone, for a
/// runtime that sums the gradients of several slices of a batch (computed
/// by `@m_grad` on its threads) before one update. `@m_grad` is marked
/// `cnn.training` for that use: its dropout stays.
LogicalResult buildApplyUpdate(ModuleOp module, func::FuncOp grad,
                               const cnnc::TrainSection &opt) {
  std::optional<unsigned> paramsArg = argumentWith(grad, "cnn.params");
  if (!paramsArg)
    return failure(); // buildTrainStep has reported it
  OpBuilder b(module.getContext());
  Type paramsType = grad.getArgument(*paramsArg).getType();
  SmallVector<Type> argTypes{paramsType, paramsType};
  SmallVector<DictionaryAttr> argAttrs{
      dictionaryOf(b, "cnn.params", b.getUnitAttr()),
      dictionaryOf(b, "cnn.grads", b.getUnitAttr())};
  SmallVector<Type> resultTypes{paramsType};
  SmallVector<DictionaryAttr> resultAttrs{
      dictionaryOf(b, "cnn.params", b.getUnitAttr())};
  for (StringRef name : opt.stateNames()) {
    argTypes.push_back(paramsType);
    argAttrs.push_back(
        dictionaryOf(b, "cnn.optimizer_state", b.getStringAttr(name)));
    resultTypes.push_back(paramsType);
    resultAttrs.push_back(
        dictionaryOf(b, "cnn.optimizer_state", b.getStringAttr(name)));
  }
  argTypes.push_back(b.getF32Type());
  argAttrs.push_back(dictionaryOf(b, "cnn.learning_rate", b.getUnitAttr()));
  argTypes.push_back(b.getI64Type());
  argAttrs.push_back(dictionaryOf(b, "cnn.step", b.getUnitAttr()));

  StringRef base = grad.getSymName();
  base.consume_back("_grad");
  std::string name = (base + "_apply_update").str();
  if (module.lookupSymbol(name))
    return grad.emitError() << "cannot create @" << name
                            << ": the module already has a symbol of that name";
  b.setInsertionPointAfter(grad);
  auto apply = b.create<func::FuncOp>(grad.getLoc(), name,
                                      b.getFunctionType(argTypes, resultTypes));
  apply.setAllArgAttrs(argAttrs);
  apply.setAllResultAttrs(resultAttrs);
  Block *entry = apply.addEntryBlock();
  b.setInsertionPointToStart(entry);
  unsigned numState = opt.stateNames().size();
  SmallVector<Value> updated = emitUpdate(
      b, grad.getLoc(), opt, entry->getArgument(0), entry->getArgument(1),
      entry->getArguments().slice(2, numState),
      entry->getArgument(2 + numState), entry->getArgument(3 + numState));
  b.create<func::ReturnOp>(grad.getLoc(), updated);
  grad->setAttr("cnn.training", b.getUnitAttr());
  return success();
}

/// `@m_evaluate`: `@m_loss` that also returns the prediction it scored.
LogicalResult buildEvaluate(ModuleOp module, func::FuncOp loss) {
  auto ret = llvm::cast<func::ReturnOp>(loss.front().getTerminator());
  Operation *lossOp =
      ret.getNumOperands() == 1 ? ret.getOperand(0).getDefiningOp() : nullptr;
  if (!lossOp || lossOp->getNumOperands() < 1)
    return loss.emitError("a loss function returns one computed loss");
  StringRef base = loss.getSymName();
  base.consume_back("_loss");
  std::string name = (base + "_evaluate").str();
  if (module.lookupSymbol(name))
    return loss.emitError() << "cannot create @" << name
                            << ": the module already has a symbol of that name";

  auto evaluate = loss.clone();
  evaluate.setSymName(name);
  module.insert(std::next(loss->getIterator()), evaluate);
  auto evalReturn =
      llvm::cast<func::ReturnOp>(evaluate.front().getTerminator());
  Value lossValue = evalReturn.getOperand(0);
  Value prediction = lossValue.getDefiningOp()->getOperand(0);
  OpBuilder b(evalReturn);
  b.create<func::ReturnOp>(evalReturn.getLoc(),
                           ValueRange{lossValue, prediction});
  evalReturn.erase();
  evaluate.setFunctionType(
      b.getFunctionType(evaluate.getArgumentTypes(),
                        TypeRange{lossValue.getType(), prediction.getType()}));
  SmallVector<DictionaryAttr> resultAttrs{
      dictionaryOf(b, "cnn.loss", b.getUnitAttr()),
      dictionaryOf(b, "cnn.prediction", b.getUnitAttr())};
  evaluate.setAllResultAttrs(resultAttrs);
  return success();
}

struct BuildTrainStepPass
    : mlir::cnn::impl::BuildTrainStepBase<BuildTrainStepPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> grads, losses;
    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (resultWith(func, "cnn.grads"))
        grads.push_back(func);
      else if (func.getNumResults() == 1 && func.getResultAttr(0, "cnn.loss"))
        losses.push_back(func);
    }
    if (grads.empty() && losses.empty())
      return;
    FailureOr<cnnc::TrainSection> opt = readOptimizer(module);
    if (failed(opt))
      return signalPassFailure();
    for (func::FuncOp grad : grads)
      if (failed(buildTrainStep(module, grad, *opt)) ||
          failed(buildApplyUpdate(module, grad, *opt)))
        return signalPassFailure();
    for (func::FuncOp loss : losses)
      if (failed(buildEvaluate(module, loss)))
        return signalPassFailure();
  }
};

} // namespace
