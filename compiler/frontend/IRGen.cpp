//===- IRGen.cpp - checked model to cnn dialect IR ------------------------===//
//
// A straight walk over the CheckedModel's layers, which are already in
// topological order with shapes checked by the same rules the ops infer
// with; so each op is built with the builder that infers its result type,
// and the inferred type is compared with the front end's as a cross-check.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/IRGen.h"

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Sema.h"
#include "dialects/cnn/CNNDialect.h"
#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

using namespace cnnc;
using mlir::Value;

namespace {

class IRGenerator {
public:
  IRGenerator(const CheckedModel &model, mlir::MLIRContext &context,
              Diagnostics &diags)
      : model(model), context(context), diags(diags), builder(&context) {}

  mlir::OwningOpRef<mlir::ModuleOp> run();

private:
  mlir::Location loc(llvm::SMRange range) {
    return diags.location(context, range.Start);
  }
  mlir::RankedTensorType tensorType(const Shape &shape, bool integer) {
    mlir::Type element = integer ? mlir::Type(builder.getI32Type())
                                 : mlir::Type(builder.getF32Type());
    return mlir::RankedTensorType::get(shape, element);
  }
  /// The inference function, or with `loss` the loss function.
  void buildFunction(mlir::ModuleOp module, bool loss);
  Value emitLayer(const CheckedLayer &layer, llvm::ArrayRef<Value> operands,
                  llvm::ArrayRef<Value> params, Value seed);
  /// The seed of the `ordinal`-th dropout layer: the seed argument plus the
  /// ordinal, so two dropouts of one shape do not drop the same units.
  Value dropoutSeed(Value seed, int64_t ordinal, mlir::Location at);
  mlir::DictionaryAttr trainAttribute();

  const CheckedModel &model;
  mlir::MLIRContext &context;
  Diagnostics &diags;
  mlir::OpBuilder builder;
  bool failed = false;
};

} // namespace

void IRGenerator::buildFunction(mlir::ModuleOp module, bool loss) {
  llvm::SmallVector<mlir::Type> argTypes;
  llvm::SmallVector<mlir::NamedAttrList> argAttrs;
  auto addArg = [&](mlir::Type type, llvm::StringRef key,
                    mlir::Attribute value) {
    argTypes.push_back(type);
    argAttrs.emplace_back();
    argAttrs.back().append(key, value);
  };

  // Inputs (those inference needs), parameters, the seed, then the inputs
  // only the loss reads: the loss function's arguments extend the inference
  // function's, so a parameter has the same position in both.
  llvm::SmallVector<int> inputArg(model.inputs.size(), -1);
  for (auto [i, input] : llvm::enumerate(model.inputs)) {
    if (!input.forward)
      continue;
    inputArg[i] = argTypes.size();
    addArg(tensorType(input.shape, input.isInteger), "cnn.input",
           builder.getStringAttr(input.name));
  }
  llvm::SmallVector<unsigned> firstParamArg;
  for (const CheckedLayer &layer : model.layers) {
    firstParamArg.push_back(argTypes.size());
    for (auto [p, param] : llvm::enumerate(layer.params)) {
      addArg(tensorType(param.shape, false), "cnn.param",
             builder.getStringAttr(param.name));
      if (p == 0 && layer.init)
        argAttrs.back().append(
            "cnn.init", builder.getStringAttr(initializerName(*layer.init)));
    }
  }
  int seedArg = -1;
  if (model.hasDropout()) {
    seedArg = argTypes.size();
    addArg(builder.getI64Type(), "cnn.seed", builder.getUnitAttr());
  }
  if (loss)
    for (auto [i, input] : llvm::enumerate(model.inputs)) {
      if (input.forward)
        continue;
      inputArg[i] = argTypes.size();
      addArg(tensorType(input.shape, input.isInteger), "cnn.input",
             builder.getStringAttr(input.name));
    }

  llvm::SmallVector<mlir::Type> resultTypes;
  if (loss) {
    resultTypes.push_back(
        mlir::RankedTensorType::get({}, builder.getF32Type()));
  } else {
    for (const CheckedOutput &output : model.outputs) {
      bool integer = output.value.kind == ValueRef::Kind::Input &&
                     model.inputs[output.value.index].isInteger;
      resultTypes.push_back(tensorType(model.shapeOf(output.value), integer));
    }
  }

  builder.setInsertionPointToEnd(module.getBody());
  std::string name = loss ? model.name + "_loss" : model.name;
  auto func = builder.create<mlir::func::FuncOp>(
      loc(model.range), name, builder.getFunctionType(argTypes, resultTypes));
  for (auto [i, attrs] : llvm::enumerate(argAttrs))
    func.setArgAttrs(i, attrs.getDictionary(&context));
  // cnn-differentiate starts from the result marked as the loss.
  if (loss)
    func.setResultAttr(0, "cnn.loss", builder.getUnitAttr());
  // The ABI describes outputs by the names the model gives them.
  if (!loss)
    for (auto [i, output] : llvm::enumerate(model.outputs))
      func.setResultAttr(i, "cnn.output",
                         builder.getStringAttr(model.nameOf(output.value)));
  mlir::Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);

  llvm::SmallVector<Value> layerValues;
  auto valueOf = [&](ValueRef ref) -> Value {
    if (ref.kind == ValueRef::Kind::Input)
      return entry->getArgument(inputArg[ref.index]);
    return layerValues[ref.index];
  };
  Value seed = seedArg >= 0 ? entry->getArgument(seedArg) : Value();
  int64_t dropouts = 0;
  for (auto [l, layer] : llvm::enumerate(model.layers)) {
    llvm::SmallVector<Value, 2> operands;
    for (ValueRef operand : layer.operands)
      operands.push_back(valueOf(operand));
    llvm::SmallVector<Value, 2> params;
    for (unsigned p = 0; p < layer.params.size(); ++p)
      params.push_back(entry->getArgument(firstParamArg[l] + p));
    Value layerSeed;
    if (layer.kind == LayerKind::Dropout)
      layerSeed = dropoutSeed(seed, dropouts++, loc(layer.range));
    Value value = emitLayer(layer, operands, params, layerSeed);
    // Sema applied the rules the op just applied; a difference is our bug.
    if (value.getType() != tensorType(layer.shape, false) && !failed) {
      std::string type;
      llvm::raw_string_ostream(type) << value.getType();
      diags.error(layer.range, "internal error: '" + layer.name +
                                   "' was checked as " +
                                   mlir::cnn::formatShape(layer.shape) +
                                   " but its op infers " + type);
      failed = true;
    }
    layerValues.push_back(value);
  }

  llvm::SmallVector<Value> results;
  if (loss) {
    const CheckedLoss &spec = *model.train.loss;
    Value prediction = valueOf(spec.prediction);
    Value target = valueOf(spec.target);
    mlir::Location at =
        mlir::NameLoc::get(builder.getStringAttr("loss"), loc(spec.range));
    if (spec.kind == CheckedLoss::Kind::CrossEntropy)
      results.push_back(
          builder.create<mlir::cnn::CrossEntropyOp>(at, prediction, target));
    else
      results.push_back(
          builder.create<mlir::cnn::MSEOp>(at, prediction, target));
  } else {
    for (const CheckedOutput &output : model.outputs)
      results.push_back(valueOf(output.value));
  }
  mlir::Location returnLoc = loss || model.outputs.empty()
                                 ? loc(model.range)
                                 : loc(model.outputs.front().range);
  builder.create<mlir::func::ReturnOp>(returnLoc, results);
}

Value IRGenerator::dropoutSeed(Value seed, int64_t ordinal, mlir::Location at) {
  if (ordinal == 0)
    return seed;
  Value offset = builder.create<mlir::arith::ConstantIntOp>(at, ordinal, 64);
  return builder.create<mlir::arith::AddIOp>(at, seed, offset);
}

Value IRGenerator::emitLayer(const CheckedLayer &layer,
                             llvm::ArrayRef<Value> operands,
                             llvm::ArrayRef<Value> params, Value seed) {
  namespace cnn = mlir::cnn;
  // The layer's name goes with its ops down to the kernels they become,
  // which cnn-merge-gpu-modules names after it.
  mlir::Location at =
      mlir::NameLoc::get(builder.getStringAttr(layer.name), loc(layer.range));
  Value input = operands.front();
  auto bias = [&]() { return layer.bias ? params[1] : Value(); };
  switch (layer.kind) {
  case LayerKind::Conv2D: {
    mlir::DenseIntElementsAttr connections;
    if (!layer.connections.empty()) {
      int64_t maps =
          static_cast<int64_t>(layer.connections.size()) / layer.units;
      auto type =
          mlir::RankedTensorType::get({layer.units, maps}, builder.getI1Type());
      connections =
          llvm::cast<mlir::DenseIntElementsAttr>(mlir::DenseElementsAttr::get(
              type, llvm::ArrayRef<bool>(layer.connections)));
    }
    return builder.create<cnn::Conv2DOp>(
        at, input, params[0], bias(), llvm::ArrayRef<int64_t>(layer.stride),
        llvm::ArrayRef<int64_t>(layer.padding),
        llvm::ArrayRef<int64_t>(layer.dilation),
        static_cast<uint64_t>(layer.groups), connections);
  }
  case LayerKind::AvgPool2D:
    return builder.create<cnn::AvgPool2DOp>(
        at, input, llvm::ArrayRef<int64_t>(layer.kernel),
        llvm::ArrayRef<int64_t>(layer.stride),
        llvm::ArrayRef<int64_t>(layer.padding));
  case LayerKind::MaxPool2D:
    return builder.create<cnn::MaxPool2DOp>(
        at, input, llvm::ArrayRef<int64_t>(layer.kernel),
        llvm::ArrayRef<int64_t>(layer.stride),
        llvm::ArrayRef<int64_t>(layer.padding));
  case LayerKind::Subsample2D:
    return builder.create<cnn::Subsample2DOp>(
        at, input, params[0], params[1],
        builder.getDenseI64ArrayAttr(layer.kernel),
        builder.getDenseI64ArrayAttr(layer.stride));
  case LayerKind::Tanh:
    return builder.create<cnn::TanhOp>(at, input);
  case LayerKind::ScaledTanh:
    return builder.create<cnn::ScaledTanhOp>(at, input);
  case LayerKind::Relu:
    return builder.create<cnn::ReluOp>(at, input);
  case LayerKind::Sigmoid:
    return builder.create<cnn::SigmoidOp>(at, input);
  case LayerKind::Dense:
    return builder.create<cnn::DenseOp>(at, input, params[0], bias());
  case LayerKind::Flatten:
    return builder.create<cnn::FlattenOp>(at, input);
  case LayerKind::LocalResponseNorm:
    return builder.create<cnn::LocalResponseNormOp>(
        at, input, builder.getI64IntegerAttr(layer.size),
        builder.getF32FloatAttr(static_cast<float>(layer.alpha)),
        builder.getF32FloatAttr(static_cast<float>(layer.beta)),
        builder.getF32FloatAttr(static_cast<float>(layer.k)));
  case LayerKind::Dropout:
    return builder.create<cnn::DropoutOp>(
        at, input, seed,
        builder.getF32FloatAttr(static_cast<float>(layer.rate)));
  case LayerKind::Softmax:
    return builder.create<cnn::SoftmaxOp>(at, input, uint64_t{1});
  case LayerKind::LogSoftmax:
    return builder.create<cnn::LogSoftmaxOp>(at, input, uint64_t{1});
  case LayerKind::Add: {
    // cnn.add is binary; `add(a, b, c)` sums left to right.
    Value sum = input;
    for (Value next : operands.drop_front())
      sum = builder.create<cnn::AddOp>(at, sum, next);
    return sum;
  }
  case LayerKind::Concat:
    return builder.create<cnn::ConcatOp>(at, mlir::ValueRange(operands),
                                         uint64_t{1});
  }
  return input;
}

mlir::DictionaryAttr IRGenerator::trainAttribute() {
  const TrainSettings &train = model.train;
  mlir::NamedAttrList attrs;
  const OptimizerSettings &opt = train.optimizer;
  bool sgd = opt.kind == OptimizerSettings::Kind::SGD;
  attrs.append("optimizer", builder.getStringAttr(sgd ? "sgd" : "adam"));
  attrs.append("lr", builder.getF64FloatAttr(opt.lr));
  attrs.append("weight_decay", builder.getF64FloatAttr(opt.weightDecay));
  if (sgd) {
    attrs.append("momentum", builder.getF64FloatAttr(opt.momentum));
    attrs.append("nesterov", builder.getBoolAttr(opt.nesterov));
  } else {
    attrs.append("betas", builder.getDenseF64ArrayAttr(opt.betas));
    attrs.append("eps", builder.getF64FloatAttr(opt.eps));
  }
  const ScheduleSettings &schedule = train.schedule;
  switch (schedule.kind) {
  case ScheduleSettings::Kind::Constant:
    attrs.append("schedule", builder.getStringAttr("constant"));
    break;
  case ScheduleSettings::Kind::Step:
    attrs.append("schedule", builder.getStringAttr("step"));
    attrs.append("step_size", builder.getI64IntegerAttr(schedule.stepSize));
    attrs.append("gamma", builder.getF64FloatAttr(schedule.gamma));
    break;
  case ScheduleSettings::Kind::Cosine:
    attrs.append("schedule", builder.getStringAttr("cosine"));
    attrs.append("t_max", builder.getI64IntegerAttr(schedule.tMax));
    attrs.append("eta_min", builder.getF64FloatAttr(schedule.etaMin));
    break;
  }
  attrs.append("batch", builder.getI64IntegerAttr(train.batch));
  attrs.append("epochs", builder.getI64IntegerAttr(train.epochs));
  attrs.append("seed", builder.getI64IntegerAttr(train.seed));
  attrs.append("init", builder.getStringAttr(initializerName(train.init)));
  if (train.loss)
    attrs.append("loss", builder.getStringAttr(
                             train.loss->kind == CheckedLoss::Kind::CrossEntropy
                                 ? "cross_entropy"
                                 : "mse"));
  return attrs.getDictionary(&context);
}

mlir::OwningOpRef<mlir::ModuleOp> IRGenerator::run() {
  context.getOrLoadDialect<mlir::cnn::CNNDialect>();
  context.getOrLoadDialect<mlir::func::FuncDialect>();
  context.getOrLoadDialect<mlir::arith::ArithDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::ModuleOp::create(loc(model.range));
  (*module)->setAttr("cnn.train", trainAttribute());
  buildFunction(*module, /*loss=*/false);
  if (model.train.loss)
    buildFunction(*module, /*loss=*/true);
  if (failed)
    return nullptr;

  // Verification failing would be a front-end bug: say so, through the same
  // channel as every other error, rather than print MLIR's diagnostic raw.
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << diag.getLocation() << ": " << diag;
    diags.error("internal error: the generated IR does not verify: " + text);
    return mlir::success();
  });
  if (mlir::failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

mlir::OwningOpRef<mlir::ModuleOp> cnnc::generateIR(const CheckedModel &model,
                                                   mlir::MLIRContext &context,
                                                   Diagnostics &diags) {
  return IRGenerator(model, context, diags).run();
}
