//===- TrainingDescription.cpp - the training entries of a model ----------===//

#include "compiler/codegen/TrainingDescription.h"

using namespace cnnc;
using namespace mlir;

namespace {

/// The role of each argument of `func`, learning the targets and state
/// names on the way when `training` still lacks them.
FailureOr<std::vector<EntryArgument>>
describeArguments(func::FuncOp func, const ModelDescription &model,
                  TrainingDescription &training) {
  std::vector<EntryArgument> args;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    using Kind = EntryArgument::Kind;
    if (func.getArgAttr(i, "cnn.params")) {
      args.push_back({Kind::Params});
    } else if (func.getArgAttr(i, "cnn.grads")) {
      args.push_back({Kind::Grads});
    } else if (func.getArgAttr(i, "cnn.seed")) {
      args.push_back({Kind::Seed});
    } else if (func.getArgAttr(i, "cnn.learning_rate")) {
      args.push_back({Kind::LearningRate});
    } else if (func.getArgAttr(i, "cnn.step")) {
      args.push_back({Kind::Step});
    } else if (auto state = func.getArgAttrOfType<StringAttr>(
                   i, "cnn.optimizer_state")) {
      auto &names = training.stateNames;
      auto it = llvm::find(names, state.getValue().str());
      if (it == names.end())
        it = names.insert(names.end(), state.getValue().str());
      args.push_back({Kind::State, static_cast<int32_t>(it - names.begin())});
    } else if (auto name = func.getArgAttrOfType<StringAttr>(i, "cnn.input")) {
      auto isNamed = [&](const TensorDescription &t) {
        return t.name == name.getValue();
      };
      auto input = llvm::find_if(model.inputs, isNamed);
      if (input != model.inputs.end()) {
        args.push_back(
            {Kind::Input, static_cast<int32_t>(input - model.inputs.begin())});
        continue;
      }
      auto &targets = training.targets;
      auto target = llvm::find_if(targets, isNamed);
      if (target == targets.end()) {
        FailureOr<TensorDescription> described = describeBatched(
            func.getArgument(i).getType(), name.getValue(), func, "target");
        if (failed(described))
          return failure();
        target = targets.insert(targets.end(), *described);
      }
      args.push_back(
          {Kind::Target, static_cast<int32_t>(target - targets.begin())});
    } else {
      return func.emitError() << "argument " << i
                              << " has no role the model record can describe";
    }
  }
  return args;
}

} // namespace

LogicalResult cnnc::describeTraining(ModuleOp module, ModelDescription &model) {
  auto train = module->getAttrOfType<DictionaryAttr>("cnn.train");
  auto step = module.lookupSymbol<func::FuncOp>(model.name + "_train_step");
  auto evaluate = module.lookupSymbol<func::FuncOp>(model.name + "_evaluate");
  if (!train || !step || !evaluate)
    return success();

  TrainingDescription training;
  training.config = readTrainSection(train);
  training.trainStepFunction = step.getName().str();
  training.evaluateFunction = evaluate.getName().str();
  FailureOr<std::vector<EntryArgument>> stepArgs =
      describeArguments(step, model, training);
  if (failed(stepArgs))
    return failure();
  FailureOr<std::vector<EntryArgument>> evaluateArgs =
      describeArguments(evaluate, model, training);
  if (failed(evaluateArgs))
    return failure();
  training.trainStepArgs = std::move(*stepArgs);
  training.evaluateArgs = std::move(*evaluateArgs);

  auto grad = module.lookupSymbol<func::FuncOp>(model.name + "_grad");
  auto apply = module.lookupSymbol<func::FuncOp>(model.name + "_apply_update");
  if (grad && apply) {
    FailureOr<std::vector<EntryArgument>> gradArgs =
        describeArguments(grad, model, training);
    FailureOr<std::vector<EntryArgument>> applyArgs =
        describeArguments(apply, model, training);
    if (failed(gradArgs) || failed(applyArgs))
      return failure();
    training.gradFunction = grad.getName().str();
    training.applyUpdateFunction = apply.getName().str();
    training.gradArgs = std::move(*gradArgs);
    training.applyUpdateArgs = std::move(*applyArgs);
  }
  // The step returns (loss, prediction, params, states...).
  if (step.getNumResults() < 3)
    return step.emitError("a training step returns the loss, the prediction "
                          "and the new parameters");
  FailureOr<TensorDescription> prediction = describeBatched(
      step.getResultTypes()[1], "prediction", step, "prediction");
  if (failed(prediction))
    return failure();
  training.prediction = *prediction;
  model.training = std::move(training);
  return success();
}
