//===- ModelDescription.cpp - what a compiled model says about itself -----===//
//
// Initialisers follow PyTorch, so a model initialised by cnnc trains like
// the same model built with torch.nn:
//   conv2d/dense weight, `default`: U(+-1/sqrt(fan_in)) (kaiming_uniform_
//     with a = sqrt(5), what nn.Conv2d and nn.Linear do);
//   `lecun`: U(+-sqrt(3/fan_in)); `xavier`: U(+-sqrt(6/(fan_in+fan_out)));
//   `kaiming`: U(+-sqrt(6/fan_in)) (gain sqrt(2), for ReLU);
//   biases: U(+-1/sqrt(fan_in)) whatever the weight's initialiser;
//   subsample2d: coefficient 1 and bias 0 (it starts as average pooling).
// fan_in = channels/groups * kh * kw (features for dense), fan_out =
// filters * kh * kw (units); a parameter used otherwise (hand-written IR)
// takes PyTorch's generic fan_in: the product of all but the first dim.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/ModelDescription.h"

#include "compiler/transforms/ParameterLayout.h"
#include "dialects/cnn/CNNOps.h"

#include <cmath>

using namespace cnnc;
using namespace mlir;

mlir::func::FuncOp cnnc::findForwardFunction(ModuleOp module) {
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal() && func.getNumResults() > 0 &&
        func.getResultAttr(0, "cnn.output"))
      return func;
  return {};
}

namespace {

struct Fans {
  int64_t in = 1, out = 1;
};

/// PyTorch's _calculate_fan_in_and_fan_out for a weight tensor.
Fans fansOfWeight(RankedTensorType weight) {
  ArrayRef<int64_t> shape = weight.getShape();
  Fans fans;
  int64_t receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i)
    receptive *= shape[i];
  fans.out = shape.empty() ? 1 : shape[0] * receptive;
  fans.in = shape.size() < 2 ? 1 : shape[1] * receptive;
  return fans;
}

/// The weight of the conv-like or dense op that reads `param`, and whether
/// `param` is that op's bias; a subsample2d's parameters give `subsample`.
struct ParamUse {
  RankedTensorType weight;
  bool isBias = false;
  bool isSubsample = false;
  bool isCoefficient = false; // of a subsample2d
};

ParamUse useOf(Value param) {
  ParamUse use;
  for (Operation *user : param.getUsers()) {
    if (auto sub = dyn_cast<cnn::Subsample2DOp>(user)) {
      use.isSubsample = true;
      use.isCoefficient = sub.getCoefficient() == param;
      return use;
    }
    Value weight;
    if (auto conv = dyn_cast<cnn::Conv2DOp>(user))
      weight = conv.getWeight();
    else if (auto fused = dyn_cast<cnn::FusedConvActPoolOp>(user))
      weight = fused.getWeight();
    else if (auto dense = dyn_cast<cnn::DenseOp>(user))
      weight = dense.getWeight();
    if (!weight)
      continue;
    use.weight = cast<RankedTensorType>(weight.getType());
    use.isBias = weight != param;
    return use;
  }
  return use;
}

Initialization initializerFor(Value param, StringRef weightInit) {
  ParamUse use = useOf(param);
  auto type = cast<RankedTensorType>(param.getType());
  if (use.isSubsample)
    return {Initialization::Kind::Constant, use.isCoefficient ? 1.0f : 0.0f};
  Fans fans = fansOfWeight(use.weight ? use.weight : type);
  double in = static_cast<double>(std::max<int64_t>(fans.in, 1));
  double out = static_cast<double>(std::max<int64_t>(fans.out, 1));
  double bound = 1.0 / std::sqrt(in);
  if (use.weight && !use.isBias) {
    if (weightInit == "lecun")
      bound = std::sqrt(3.0 / in);
    else if (weightInit == "xavier")
      bound = std::sqrt(6.0 / (in + out));
    else if (weightInit == "kaiming")
      bound = std::sqrt(6.0 / in);
  }
  return {Initialization::Kind::Uniform, static_cast<float>(bound)};
}

/// Inputs and outputs: a leading dynamic batch dimension, the rest static.

} // namespace

FailureOr<TensorDescription> cnnc::describeBatched(Type type, StringRef name,
                                                   Operation *at,
                                                   StringRef what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  Type element = tensor ? tensor.getElementType() : Type();
  bool ok = tensor && tensor.getRank() >= 1 && tensor.getRank() <= 8 &&
            tensor.isDynamicDim(0) &&
            (element.isF32() || element.isInteger(32));
  for (int64_t i = 1; ok && i < tensor.getRank(); ++i)
    ok = !tensor.isDynamicDim(i);
  if (!ok)
    return at->emitError() << what << " '" << name
                           << "' must be an f32 or i32 tensor of rank 1 to 8 "
                              "with a dynamic batch dimension first and "
                              "static dimensions after it, got "
                           << type;
  TensorDescription d;
  d.name = name.str();
  d.isInteger = element.isInteger(32);
  d.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  d.shape[0] = -1;
  return d;
}

FailureOr<ModelDescription> cnnc::describeModel(ModuleOp module) {
  func::FuncOp forward = findForwardFunction(module);
  if (!forward)
    return module.emitError()
           << "no model to compile: no function returns results named by "
              "'cnn.output' (the inference function the front end writes)";

  ModelDescription model;
  model.name = forward.getName().str();
  std::string weightInit = "default";
  if (auto train = module->getAttrOfType<DictionaryAttr>("cnn.train"))
    if (auto init = train.getAs<StringAttr>("init"))
      weightInit = init.getValue().str();

  for (unsigned i = 0, e = forward.getNumArguments(); i < e; ++i) {
    if (forward.getArgAttr(i, "cnn.seed"))
      model.hasSeed = true;
    auto name = forward.getArgAttrOfType<StringAttr>(i, "cnn.input");
    if (!name)
      continue;
    FailureOr<TensorDescription> input = describeBatched(
        forward.getArgument(i).getType(), name, forward, "input");
    if (failed(input))
      return failure();
    model.inputs.push_back(*input);
  }
  for (unsigned i = 0, e = forward.getNumResults(); i < e; ++i) {
    auto name = forward.getResultAttrOfType<StringAttr>(i, "cnn.output");
    std::string fallback = "output" + std::to_string(i);
    FailureOr<TensorDescription> output =
        describeBatched(forward.getResultTypes()[i],
                        name ? name.getValue() : fallback, forward, "output");
    if (failed(output))
      return failure();
    model.outputs.push_back(*output);
  }

  FailureOr<ParameterLayout> layout = computeParameterLayout(forward);
  if (failed(layout))
    return failure();
  for (const ParameterSlot &slot : layout->slots) {
    ParameterDescription param;
    param.tensor.name = slot.name.str();
    param.tensor.shape.assign(slot.type.getShape().begin(),
                              slot.type.getShape().end());
    param.offset = slot.offset;
    std::string init = weightInit;
    if (auto own =
            forward.getArgAttrOfType<StringAttr>(slot.argIndex, "cnn.init"))
      init = own.getValue().str();
    param.init = initializerFor(forward.getArgument(slot.argIndex), init);
    model.params.push_back(std::move(param));
  }
  model.paramElements = layout->totalElements;
  return model;
}
