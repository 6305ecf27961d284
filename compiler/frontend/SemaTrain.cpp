//===- SemaTrain.cpp - the train section ----------------------------------===//
//
// Reads `train { ... }` into TrainSettings: the loss call (checked against
// the values it reads, with the cnn dialect's loss rules), the optimizer and
// schedule calls with PyTorch's defaults, and the plain settings. Settings
// that are missing keep the defaults of docs/language.md.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/SemaImpl.h"

#include "llvm/ADT/STLExtras.h"

using namespace cnnc;
using namespace cnnc::sema;
using llvm::StringRef;

namespace {

const StringRef kSettings[] = {"loss",   "optimizer", "schedule", "batch",
                               "epochs", "seed",      "init"};
const StringRef kOptimizerParams[] = {"lr",           "momentum", "nesterov",
                                      "weight_decay", "betas",    "eps"};
const StringRef kScheduleParams[] = {"step_size", "gamma", "t_max", "eta_min"};

const ParamSpec kSgdParams[] = {
    {"lr", true}, {"momentum"}, {"nesterov"}, {"weight_decay"}};
const ParamSpec kAdamParams[] = {
    {"lr", true}, {"betas"}, {"eps"}, {"weight_decay"}};
const ParamSpec kStepParams[] = {{"step_size", true}, {"gamma"}};
const ParamSpec kCosineParams[] = {{"t_max", true}, {"eta_min"}};

} // namespace

void Analyzer::analyzeTrain() {
  llvm::StringMap<llvm::SMRange> seen;
  for (const ast::TrainSetting &setting : model.train) {
    const std::string &key = setting.key;
    if (!llvm::is_contained(kSettings, key)) {
      std::string hint = didYouMean(key, kSettings);
      if (llvm::is_contained(kOptimizerParams, key))
        hint = "; '" + key +
               "' is a parameter of the optimizer, as in "
               "'optimizer = sgd(" +
               key + "=...)'";
      else if (llvm::is_contained(kScheduleParams, key))
        hint = "; '" + key +
               "' is a parameter of the schedule, as in "
               "'schedule = cosine(t_max=...)'";
      diags.error(setting.keyRange,
                  "unknown train setting '" + key + "'" + hint);
      if (key == "loss" || hint.find("'loss'") != std::string::npos)
        lossFailed = true;
      continue;
    }
    auto [it, inserted] = seen.try_emplace(key, setting.keyRange);
    if (!inserted) {
      diags.error(setting.keyRange, "duplicate train setting '" + key + "'");
      diags.note(it->second, "previous setting is here");
      continue;
    }
    const ast::Value &value = setting.value;
    TrainSettings &train = result.train;
    if (key == "loss") {
      analyzeLoss(value);
    } else if (key == "optimizer") {
      analyzeOptimizer(value);
    } else if (key == "schedule") {
      analyzeSchedule(value);
    } else if (key == "batch") {
      if (std::optional<int64_t> batch = readInteger(value, key, 1))
        train.batch = *batch;
    } else if (key == "epochs") {
      if (std::optional<int64_t> epochs = readInteger(value, key, 1))
        train.epochs = *epochs;
    } else if (key == "seed") {
      if (std::optional<int64_t> seed = readInteger(value, key, 0))
        train.seed = *seed;
    } else if (key == "init") {
      if (std::optional<Initializer> init = readInit(value, key))
        train.init = *init;
    }
  }
}

void Analyzer::analyzeLoss(const ast::Value &value) {
  lossFailed = true; // until the loss is fully read
  if (value.kind != ast::Value::Kind::Call) {
    diags.error(value.range, "'loss' expects a loss call such as "
                             "cross_entropy(logits, label), got " +
                                 describe(value));
    return;
  }
  const ast::Call &call = *value.call;
  CheckedLoss loss;
  loss.range = call.range;
  if (call.callee == "cross_entropy") {
    loss.kind = CheckedLoss::Kind::CrossEntropy;
  } else if (call.callee == "mse") {
    loss.kind = CheckedLoss::Kind::MSE;
  } else {
    std::string hint = didYouMean(call.callee, {"cross_entropy", "mse"});
    if (lookupLayer(call.callee))
      hint = "; '" + call.callee + "' is a layer";
    diags.error(call.calleeRange,
                "unknown loss '" + call.callee + "'" + hint +
                    (hint.find("did you mean") == std::string::npos
                         ? "; the losses are cross_entropy and mse"
                         : ""));
    return;
  }

  BoundParams none;
  bool ok = bindParams(call, {}, /*positional=*/false, none);
  llvm::SmallVector<const ast::Value *, 2> operands;
  llvm::SmallVector<ValueRef, 2> refs;
  for (const ast::Argument &arg : call.arguments) {
    if (!arg.keyword.empty())
      continue;
    operands.push_back(&arg.value);
    if (arg.value.kind != ast::Value::Kind::Name) {
      diags.error(arg.value.range, call.callee +
                                       " reads values of the model by name, "
                                       "got " +
                                       describe(arg.value));
      ok = false;
    } else if (std::optional<ValueRef> ref = lookupValue(
                   arg.value.name, arg.value.range, /*forward=*/false)) {
      refs.push_back(*ref);
    } else {
      ok = false;
    }
  }
  if (operands.size() != 2) {
    diags.error(call.range, call.callee + " reads two values (" +
                                (loss.kind == CheckedLoss::Kind::CrossEntropy
                                     ? "logits, label"
                                     : "prediction, target") +
                                "), got " + llvm::Twine(operands.size()));
    return;
  }
  if (!ok || refs.size() != 2)
    return;

  loss.prediction = refs[0];
  loss.target = refs[1];
  const Shape &prediction = result.shapeOf(loss.prediction);
  const Shape &target = result.shapeOf(loss.target);
  StringRef predictionName = result.nameOf(loss.prediction);
  StringRef targetName = result.nameOf(loss.target);
  auto isIntegerInput = [&](ValueRef ref) {
    return ref.kind == ValueRef::Kind::Input &&
           result.inputs[ref.index].isInteger;
  };

  if (isIntegerInput(loss.prediction)) {
    diags.error(operands[0]->range,
                call.callee + " reads f32 " +
                    (loss.kind == CheckedLoss::Kind::CrossEntropy
                         ? "logits"
                         : "predictions") +
                    ", but '" + predictionName + "' is an i32 input");
    return;
  }
  llvm::Expected<Shape> rule = Shape{};
  if (loss.kind == CheckedLoss::Kind::CrossEntropy) {
    if (prediction.size() != 2) {
      diags.error(operands[0]->range,
                  "cross_entropy expects logits [classes] but " +
                      predictionName + " is " + exampleShape(prediction));
      return;
    }
    if (!isIntegerInput(loss.target) || target.size() != 1) {
      std::string what =
          loss.target.kind == ValueRef::Kind::Layer
              ? "a layer of shape " + exampleShape(target)
              : std::string("an ") +
                    (isIntegerInput(loss.target) ? "i32" : "f32") +
                    exampleShape(target) + " input";
      diags.error(operands[1]->range,
                  "cross_entropy label must be an i32[] input (one class "
                  "index per example), but '" +
                      targetName + "' is " + what);
      return;
    }
    rule = mlir::cnn::inferCrossEntropyShape(prediction, target);
  } else {
    if (isIntegerInput(loss.target)) {
      diags.error(operands[1]->range, "mse reads an f32 target, but '" +
                                          targetName + "' is an i32 input");
      return;
    }
    if (prediction != target) {
      diags.error(call.range, "mse expects prediction and target of one "
                              "shape, but " +
                                  predictionName + " is " +
                                  exampleShape(prediction) + " and " +
                                  targetName + " is " + exampleShape(target));
      return;
    }
    rule = mlir::cnn::inferMSEShape(prediction, target);
  }
  if (!rule) {
    reportRule(call, rule.takeError());
    return;
  }
  lossFailed = false;
  result.train.loss = loss;
}

void Analyzer::analyzeOptimizer(const ast::Value &value) {
  if (value.kind != ast::Value::Kind::Call) {
    diags.error(value.range, "'optimizer' expects sgd(lr=...) or "
                             "adam(lr=...), got " +
                                 describe(value));
    return;
  }
  const ast::Call &call = *value.call;
  OptimizerSettings settings;
  llvm::ArrayRef<ParamSpec> specs;
  if (call.callee == "sgd") {
    settings.kind = OptimizerSettings::Kind::SGD;
    specs = kSgdParams;
  } else if (call.callee == "adam") {
    settings.kind = OptimizerSettings::Kind::Adam;
    specs = kAdamParams;
  } else {
    std::string hint = didYouMean(call.callee, {"sgd", "adam"});
    diags.error(
        call.calleeRange,
        "unknown optimizer '" + call.callee + "'" +
            (hint.empty() ? "; the optimizers are sgd and adam" : hint));
    return;
  }
  BoundParams args;
  bool ok = bindParams(call, specs, /*positional=*/true, args);
  auto get = [&](StringRef name) -> const ast::Value * {
    for (auto [index, spec] : llvm::enumerate(specs))
      if (spec.name == name)
        return args[index];
    return nullptr;
  };
  // A number that is at least 0, or above 0 when `strict`.
  auto number = [&](StringRef name, bool strict, double &out) {
    const ast::Value *v = get(name);
    if (!v)
      return;
    std::optional<double> read = readReal(*v, name);
    if (read && (strict ? *read <= 0 : *read < 0)) {
      diags.error(v->range, "'" + name + "' must be " +
                                (strict ? "greater than 0" : "at least 0") +
                                ", got " + textOf(v->range));
      read.reset();
    }
    if (read)
      out = *read;
    else
      ok = false;
  };

  // In signature order, which is how the parameters are usually written,
  // so errors come out in source order.
  number("lr", /*strict=*/true, settings.lr);
  if (settings.kind == OptimizerSettings::Kind::SGD) {
    number("momentum", /*strict=*/false, settings.momentum);
    if (const ast::Value *v = get("nesterov")) {
      if (std::optional<bool> nesterov = readBool(*v, "nesterov")) {
        settings.nesterov = *nesterov;
        // PyTorch refuses it too: Nesterov's look-ahead needs a momentum.
        // (After an earlier error the momentum may just be unread.)
        if (*nesterov && settings.momentum == 0 && ok) {
          diags.error(v->range, "nesterov needs a momentum greater than 0, "
                                "e.g. momentum=0.9");
          ok = false;
        }
      } else {
        ok = false;
      }
    }
  } else {
    if (const ast::Value *v = get("betas")) {
      if (v->kind != ast::Value::Kind::List || v->elements.size() != 2) {
        diags.error(v->range, "'betas' expects a list of two numbers "
                              "[beta1, beta2], got " +
                                  describe(*v));
        ok = false;
      } else {
        for (auto [i, element] : llvm::enumerate(v->elements)) {
          std::optional<double> beta = readReal(element, "betas");
          if (beta && !(*beta >= 0 && *beta < 1)) {
            diags.error(element.range, "'betas' values must be in [0, 1), "
                                       "got " +
                                           textOf(element.range));
            beta.reset();
          }
          if (beta)
            settings.betas[i] = *beta;
          else
            ok = false;
        }
      }
    }
    number("eps", /*strict=*/true, settings.eps);
  }
  number("weight_decay", /*strict=*/false, settings.weightDecay);
  if (ok)
    result.train.optimizer = settings;
}

void Analyzer::analyzeSchedule(const ast::Value &value) {
  if (value.kind != ast::Value::Kind::Call) {
    diags.error(value.range, "'schedule' expects constant(), step(...) or "
                             "cosine(...), got " +
                                 describe(value));
    return;
  }
  const ast::Call &call = *value.call;
  ScheduleSettings settings;
  llvm::ArrayRef<ParamSpec> specs;
  if (call.callee == "constant") {
    settings.kind = ScheduleSettings::Kind::Constant;
  } else if (call.callee == "step") {
    settings.kind = ScheduleSettings::Kind::Step;
    specs = kStepParams;
  } else if (call.callee == "cosine") {
    settings.kind = ScheduleSettings::Kind::Cosine;
    specs = kCosineParams;
  } else {
    std::string hint = didYouMean(call.callee, {"constant", "step", "cosine"});
    diags.error(call.calleeRange,
                "unknown schedule '" + call.callee + "'" +
                    (hint.empty() ? "; the schedules are constant, step and "
                                    "cosine"
                                  : hint));
    return;
  }
  BoundParams args;
  bool ok = bindParams(call, specs, /*positional=*/true, args);
  auto integer = [&](unsigned index, int64_t &out) {
    if (!args[index])
      return;
    if (std::optional<int64_t> read =
            readInteger(*args[index], specs[index].name, 1))
      out = *read;
    else
      ok = false;
  };
  auto real = [&](unsigned index, bool strict, double &out) {
    if (!args[index])
      return;
    std::optional<double> read = readReal(*args[index], specs[index].name);
    if (read && (strict ? *read <= 0 : *read < 0)) {
      diags.error(args[index]->range,
                  "'" + specs[index].name + "' must be " +
                      (strict ? "greater than 0" : "at least 0") + ", got " +
                      textOf(args[index]->range));
      read.reset();
    }
    if (read)
      out = *read;
    else
      ok = false;
  };
  if (settings.kind == ScheduleSettings::Kind::Step) {
    integer(0, settings.stepSize);
    real(1, /*strict=*/true, settings.gamma);
  } else if (settings.kind == ScheduleSettings::Kind::Cosine) {
    integer(0, settings.tMax);
    real(1, /*strict=*/false, settings.etaMin);
  }
  if (ok)
    result.train.schedule = settings;
}
