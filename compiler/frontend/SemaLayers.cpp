//===- SemaLayers.cpp - checking one layer call ---------------------------===//
//
// The table of layers docs/language.md defines, and for each call: its
// parameters read with defaults applied, its result shape inferred with the
// cnn dialect's own rules (dialects/cnn/ShapeInference.h, so the front end
// and the verifier cannot disagree), and its parameter tensors counted.
// Operand ranks are checked here first, in the user's per-example terms
// ("dense expects [features] but c3 is [16, 10, 10]; add flatten"); the
// rules then catch everything else.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/SemaImpl.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"

using namespace cnnc;
using namespace cnnc::sema;
using llvm::StringRef;
using mlir::cnn::formatShape;

namespace {

const ParamSpec kConvParams[] = {
    {"filters", true}, {"kernel", true}, {"stride"},
    {"padding"},       {"dilation"},     {"groups"},
    {"bias"},          {"connections"},  {"init"}};
const ParamSpec kPoolParams[] = {{"kernel", true}, {"stride"}, {"padding"}};
const ParamSpec kSubsampleParams[] = {{"kernel", true}, {"stride"}};
const ParamSpec kDenseParams[] = {{"units", true}, {"bias"}, {"init"}};
const ParamSpec kLrnParams[] = {{"size", true}, {"alpha"}, {"beta"}, {"k"}};
const ParamSpec kDropoutParams[] = {{"rate"}};

const LayerInfo kLayers[] = {
    {"conv2d", LayerKind::Conv2D, 1, 1, kConvParams, true},
    {"avg_pool2d", LayerKind::AvgPool2D, 1, 1, kPoolParams, false},
    {"max_pool2d", LayerKind::MaxPool2D, 1, 1, kPoolParams, false},
    {"subsample2d", LayerKind::Subsample2D, 1, 1, kSubsampleParams, true},
    {"tanh", LayerKind::Tanh, 1, 1, {}, false},
    {"scaled_tanh", LayerKind::ScaledTanh, 1, 1, {}, false},
    {"relu", LayerKind::Relu, 1, 1, {}, false},
    {"sigmoid", LayerKind::Sigmoid, 1, 1, {}, false},
    {"dense", LayerKind::Dense, 1, 1, kDenseParams, true},
    {"flatten", LayerKind::Flatten, 1, 1, {}, false},
    {"lrn", LayerKind::LocalResponseNorm, 1, 1, kLrnParams, false},
    {"dropout", LayerKind::Dropout, 1, 1, kDropoutParams, false},
    {"softmax", LayerKind::Softmax, 1, 1, {}, false},
    {"log_softmax", LayerKind::LogSoftmax, 1, 1, {}, false},
    {"add", LayerKind::Add, 2, UINT_MAX, {}, false},
    {"concat", LayerKind::Concat, 2, UINT_MAX, {}, false},
};

/// The value bound to parameter `name` of `info`, or null.
const ast::Value *argument(const LayerInfo &info, const BoundParams &args,
                           StringRef name) {
  for (auto [index, spec] : llvm::enumerate(info.params))
    if (spec.name == name)
      return args[index];
  return nullptr;
}

/// f32 attributes hold what the rules see; rounding first keeps a value the
/// front end accepted (0.99999999) from becoming one the op rejects (1.0).
double roundToF32(double value) {
  return static_cast<double>(static_cast<float>(value));
}

} // namespace

const LayerInfo *sema::lookupLayer(StringRef name) {
  for (const LayerInfo &info : kLayers)
    if (info.name == name)
      return &info;
  return nullptr;
}

llvm::SmallVector<StringRef> sema::layerNames() {
  llvm::SmallVector<StringRef> names;
  for (const LayerInfo &info : kLayers)
    names.push_back(info.name);
  return names;
}

void Analyzer::reportRule(const ast::Call &call, llvm::Error error) {
  std::string message = llvm::toString(std::move(error));
  // Some rules name the layer themselves ("conv2d kernel height 7 does not
  // fit ..."); say it once.
  if (StringRef(message).starts_with(call.callee + " "))
    diags.error(call.range, message);
  else
    diags.error(call.range, call.callee + ": " + message);
}

bool Analyzer::checkLayer(const LayerInfo &info, const ast::Call &call,
                          const BoundParams &args, bool operandsValid,
                          StringRef prefix, CheckedLayer &layer) {
  std::vector<std::vector<int64_t>> table;
  if (!readLayerParams(info, args, layer, table) || !operandsValid)
    return false;
  return inferLayerShape(call, layer, args, table) &&
         makeParams(call, prefix, layer);
}

bool Analyzer::readLayerParams(const LayerInfo &info, const BoundParams &args,
                               CheckedLayer &layer,
                               std::vector<std::vector<int64_t>> &table) {
  bool ok = true;
  for (auto [index, spec] : llvm::enumerate(info.params))
    if (spec.required && !args[index])
      ok = false; // bindParams reported it
  auto integer = [&](StringRef name, int64_t minimum, int64_t &out) {
    if (const ast::Value *value = argument(info, args, name)) {
      if (std::optional<int64_t> read = readInteger(*value, name, minimum))
        out = *read;
      else
        ok = false;
    }
  };
  auto pair = [&](StringRef name, int64_t minimum,
                  std::array<int64_t, 2> &out) {
    if (const ast::Value *value = argument(info, args, name)) {
      if (auto read = readPair(*value, name, minimum))
        out = *read;
      else
        ok = false;
    }
  };
  auto real = [&](StringRef name, double &out) {
    if (const ast::Value *value = argument(info, args, name)) {
      if (std::optional<double> read = readReal(*value, name))
        out = roundToF32(*read);
      else
        ok = false;
    }
  };
  auto boolean = [&](StringRef name, bool &out) {
    if (const ast::Value *value = argument(info, args, name)) {
      if (std::optional<bool> read = readBool(*value, name))
        out = *read;
      else
        ok = false;
    }
  };
  auto init = [&]() {
    if (const ast::Value *value = argument(info, args, "init")) {
      if (std::optional<Initializer> read = readInit(*value, "init"))
        layer.init = *read;
      else
        ok = false;
    }
  };
  // Pools move by their kernel unless told otherwise.
  auto strideDefaultsToKernel = [&]() {
    layer.stride = layer.kernel;
    pair("stride", 1, layer.stride);
  };

  switch (layer.kind) {
  case LayerKind::Conv2D: {
    integer("filters", 1, layer.units);
    pair("kernel", 1, layer.kernel);
    pair("stride", 1, layer.stride);
    pair("padding", 0, layer.padding);
    pair("dilation", 1, layer.dilation);
    integer("groups", 1, layer.groups);
    boolean("bias", layer.bias);
    init();
    const ast::Value *list = argument(info, args, "connections");
    if (!list)
      break;
    if (list->kind != ast::Value::Kind::List) {
      diags.error(list->range, "'connections' expects a list with one entry "
                               "per filter, each the list of input maps it "
                               "reads, got " +
                                   describe(*list));
      ok = false;
      break;
    }
    for (auto [row, entry] : llvm::enumerate(list->elements)) {
      std::string where = "entry " + std::to_string(row) + " of 'connections'";
      if (entry.kind != ast::Value::Kind::List) {
        diags.error(entry.range, where +
                                     " must be the list of input maps "
                                     "filter " +
                                     std::to_string(row) + " reads, got " +
                                     describe(entry));
        ok = false;
        continue;
      }
      if (entry.elements.empty()) {
        diags.error(entry.range, where + " is empty; every output map must "
                                         "read at least one input map");
        ok = false;
        continue;
      }
      std::vector<int64_t> maps;
      for (const ast::Value &map : entry.elements) {
        if (map.kind != ast::Value::Kind::Integer) {
          diags.error(map.range,
                      where + " lists input map indices, got " + describe(map));
          ok = false;
        } else if (map.integer < 0) {
          diags.error(map.range, "input map index must be at least 0, got " +
                                     llvm::Twine(map.integer));
          ok = false;
        } else if (llvm::is_contained(maps, map.integer)) {
          diags.error(map.range, "input map " + llvm::Twine(map.integer) +
                                     " is listed twice in " + where);
          ok = false;
        } else {
          maps.push_back(map.integer);
        }
      }
      table.push_back(std::move(maps));
    }
    break;
  }
  case LayerKind::AvgPool2D:
  case LayerKind::MaxPool2D:
    pair("kernel", 1, layer.kernel);
    strideDefaultsToKernel();
    pair("padding", 0, layer.padding);
    break;
  case LayerKind::Subsample2D:
    pair("kernel", 1, layer.kernel);
    strideDefaultsToKernel();
    break;
  case LayerKind::Dense:
    integer("units", 1, layer.units);
    boolean("bias", layer.bias);
    init();
    break;
  case LayerKind::LocalResponseNorm:
    layer.alpha = roundToF32(layer.alpha); // the default, as the op holds it
    integer("size", 1, layer.size);
    real("alpha", layer.alpha);
    real("beta", layer.beta);
    real("k", layer.k);
    break;
  case LayerKind::Dropout:
    real("rate", layer.rate);
    break;
  default:
    break;
  }
  return ok;
}

bool Analyzer::checkConnections(const ast::Value &list,
                                const CheckedLayer &layer,
                                const std::vector<std::vector<int64_t>> &table,
                                int64_t channels) {
  if (static_cast<int64_t>(table.size()) != layer.units) {
    diags.error(list.range, "'connections' has " + llvm::Twine(table.size()) +
                                (table.size() == 1 ? " entry" : " entries") +
                                " but conv2d has " + llvm::Twine(layer.units) +
                                " filters; it needs one entry per filter");
    return false;
  }
  std::optional<int64_t> entries = llvm::checkedMul(layer.units, channels);
  // The table is stored densely, as the op's attribute is: the dialect's
  // limit keeps a huge input from allocating gigabytes here.
  if (!entries || *entries > mlir::cnn::kMaxConnectionTableEntries) {
    diags.error(list.range,
                "connection table of " + llvm::Twine(layer.units) + " x " +
                    llvm::Twine(channels) + " entries is too large (at most " +
                    llvm::Twine(mlir::cnn::kMaxConnectionTableEntries) + ")");
    return false;
  }
  bool ok = true;
  for (auto [row, maps] : llvm::enumerate(table))
    for (auto [column, map] : llvm::enumerate(maps))
      if (map >= channels) {
        diags.error(
            list.elements[row].elements[column].range,
            "input map " + llvm::Twine(map) +
                " is out of range; the input has " + llvm::Twine(channels) +
                (channels == 1
                     ? " map (0)"
                     : " maps (0 to " + llvm::Twine(channels - 1) + ")"));
        ok = false;
      }
  return ok;
}

bool Analyzer::inferLayerShape(const ast::Call &call, CheckedLayer &layer,
                               const BoundParams &args,
                               const std::vector<std::vector<int64_t>> &table) {
  const Shape &input = result.shapeOf(layer.operands[0]);
  std::string operand = result.nameOf(layer.operands[0]).str();
  StringRef callee = call.callee;
  // Ranks below include the batch: [N, C, H, W] is an image.
  auto expectImage = [&]() {
    if (input.size() == 4)
      return true;
    diags.error(call.range, callee + " expects [channels, height, width] but " +
                                operand + " is " + exampleShape(input));
    return false;
  };
  auto expectFeatures = [&]() {
    if (input.size() == 2)
      return true;
    diags.error(call.range, callee + " expects [features] but " + operand +
                                " is " + exampleShape(input) +
                                (input.size() > 2 ? "; add flatten" : ""));
    return false;
  };
  auto accept = [&](llvm::Expected<Shape> shape) {
    if (!shape) {
      reportRule(call, shape.takeError());
      return false;
    }
    layer.shape = std::move(*shape);
    return true;
  };

  switch (layer.kind) {
  case LayerKind::Conv2D: {
    if (!expectImage())
      return false;
    int64_t channels = input[1];
    llvm::SmallVector<bool, 0> connected;
    int64_t tableShape[2] = {layer.units, channels};
    std::optional<mlir::cnn::ConnectionTable> connections;
    Shape weight{layer.units, channels / layer.groups, layer.kernel[0],
                 layer.kernel[1]};
    if (const ast::Value *list =
            argument(*lookupLayer("conv2d"), args, "connections")) {
      if (!checkConnections(*list, layer, table, channels))
        return false;
      connected.assign(static_cast<size_t>(layer.units * channels), false);
      for (auto [row, maps] : llvm::enumerate(table))
        for (int64_t map : maps)
          connected[row * channels + map] = true;
      connections = mlir::cnn::ConnectionTable{tableShape, connected};
      weight[1] = channels;
    } else if (channels % layer.groups != 0 ||
               layer.units % layer.groups != 0) {
      // Said here in the model's terms; the rule would see a weight of
      // C/groups = 0 input maps.
      diags.error(call.range, "conv2d: groups = " + llvm::Twine(layer.groups) +
                                  " must divide both the input channels (" +
                                  llvm::Twine(channels) + ") and filters (" +
                                  llvm::Twine(layer.units) + ")");
      return false;
    }
    Shape bias{layer.units};
    mlir::cnn::Conv2DParams params{layer.stride, layer.padding, layer.dilation,
                                   layer.groups, connections};
    if (!accept(mlir::cnn::inferConv2DShape(
            input, weight,
            layer.bias ? std::optional<llvm::ArrayRef<int64_t>>(bias)
                       : std::nullopt,
            params)))
      return false;
    layer.connections = std::move(connected);
    return true;
  }
  case LayerKind::AvgPool2D:
  case LayerKind::MaxPool2D:
    return expectImage() &&
           accept(mlir::cnn::inferPool2DShape(
               input, {layer.kernel, layer.stride, layer.padding}));
  case LayerKind::Subsample2D: {
    if (!expectImage())
      return false;
    int64_t perChannel[1] = {input[1]};
    return accept(mlir::cnn::inferSubsample2DShape(
        input, perChannel, perChannel, layer.kernel, layer.stride));
  }
  case LayerKind::Tanh:
  case LayerKind::ScaledTanh:
  case LayerKind::Relu:
  case LayerKind::Sigmoid:
    layer.shape = input;
    return true;
  case LayerKind::Dense: {
    if (!expectFeatures())
      return false;
    Shape weight{layer.units, input[1]};
    Shape bias{layer.units};
    return accept(mlir::cnn::inferDenseShape(
        input, weight,
        layer.bias ? std::optional<llvm::ArrayRef<int64_t>>(bias)
                   : std::nullopt));
  }
  case LayerKind::Flatten:
    if (input.size() < 2) {
      diags.error(call.range, "flatten expects at least one dimension but " +
                                  operand + " is " + exampleShape(input));
      return false;
    }
    return accept(mlir::cnn::inferFlattenShape(input));
  case LayerKind::LocalResponseNorm:
    return expectImage() &&
           accept(mlir::cnn::inferLocalResponseNormShape(
               input, layer.size, layer.alpha, layer.beta, layer.k));
  case LayerKind::Dropout:
    return accept(mlir::cnn::inferDropoutShape(input, layer.rate));
  case LayerKind::Softmax:
  case LayerKind::LogSoftmax:
    return expectFeatures() &&
           accept(mlir::cnn::inferSoftmaxShape(input, /*axis=*/1));
  case LayerKind::Add: {
    Shape sum = input;
    for (ValueRef other : llvm::drop_begin(layer.operands)) {
      const Shape &shape = result.shapeOf(other);
      if (shape != input) {
        diags.error(call.range, "add reads tensors of one shape, but " +
                                    operand + " is " + exampleShape(input) +
                                    " and " + result.nameOf(other) + " is " +
                                    exampleShape(shape));
        return false;
      }
      llvm::Expected<Shape> next = mlir::cnn::inferAddShape(sum, shape);
      if (!next) {
        reportRule(call, next.takeError());
        return false;
      }
      sum = std::move(*next);
    }
    layer.shape = std::move(sum);
    return true;
  }
  case LayerKind::Concat: {
    llvm::SmallVector<llvm::ArrayRef<int64_t>> shapes;
    for (ValueRef value : layer.operands) {
      const Shape &shape = result.shapeOf(value);
      // Everything but the joined (first per-example) dimension must agree.
      bool agrees =
          shape.size() == input.size() && shape.size() >= 2 &&
          llvm::equal(llvm::drop_begin(shape, 2), llvm::drop_begin(input, 2));
      if (!agrees) {
        diags.error(call.range,
                    "concat joins tensors along their first dimension "
                    "(channels) and needs the others equal, but " +
                        operand + " is " + exampleShape(input) + " and " +
                        result.nameOf(value) + " is " + exampleShape(shape));
        return false;
      }
      shapes.push_back(shape);
    }
    return accept(mlir::cnn::inferConcatShape(shapes, /*axis=*/1));
  }
  }
  return false;
}

bool Analyzer::makeParams(const ast::Call &call, StringRef prefix,
                          CheckedLayer &layer) {
  auto add = [&](StringRef suffix, Shape shape,
                 std::optional<int64_t> perKernel = std::nullopt) {
    int64_t elements = 1;
    for (int64_t dim : shape) {
      std::optional<int64_t> product = llvm::checkedMul(elements, dim);
      if (!product) {
        diags.error(call.range, call.callee + ": parameter '" + prefix + "." +
                                    suffix + "' of shape " +
                                    formatShape(shape) +
                                    " has more elements than fit in 64 bits");
        return false;
      }
      elements = *product;
    }
    // With a connection table only the connected kernels are trained; the
    // product cannot overflow, it is at most `elements`.
    int64_t trainable = perKernel ? *perKernel * shape[2] * shape[3] : elements;
    layer.params.push_back(
        {(prefix + "." + suffix).str(), std::move(shape), elements, trainable});
    return true;
  };
  const Shape &input = result.shapeOf(layer.operands[0]);
  switch (layer.kind) {
  case LayerKind::Conv2D: {
    std::optional<int64_t> connected;
    int64_t inputMaps = input[1] / layer.groups;
    if (!layer.connections.empty()) {
      connected = llvm::count(layer.connections, true);
      inputMaps = input[1];
    }
    return add("weight",
               {layer.units, inputMaps, layer.kernel[0], layer.kernel[1]},
               connected) &&
           (!layer.bias || add("bias", {layer.units}));
  }
  case LayerKind::Dense:
    return add("weight", {layer.units, input[1]}) &&
           (!layer.bias || add("bias", {layer.units}));
  case LayerKind::Subsample2D:
    return add("coefficient", {input[1]}) && add("bias", {input[1]});
  default:
    return true;
  }
}
