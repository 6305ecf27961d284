//===- Summary.cpp - the layer table of cnnc --summary --------------------===//
//
// Follows torchsummary's layout and arithmetic (sizes in MiB of float32, the
// activations counted twice for the backward pass) so the numbers can be
// compared with a PyTorch run of the same model. Sizes are summed in double:
// a model may have shapes whose products do not fit in 64 bits.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Summary.h"

#include "compiler/frontend/Sema.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>

#include <algorithm>

using namespace cnnc;

namespace {

constexpr double kBytesPerElement = 4; // float32 (and int32 labels)
constexpr double kMiB = 1024.0 * 1024.0;

/// 61706 -> "61,706", as torchsummary prints counts.
std::string groupDigits(int64_t value) {
  std::string digits = std::to_string(value);
  std::string grouped;
  size_t first = digits[0] == '-' ? 1 : 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > first && (digits.size() - i) % 3 == 0)
      grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

/// [?, 6, 28, 28] -> "[-1, 6, 28, 28]".
std::string batchShape(const Shape &shape) {
  std::string text = "[-1";
  for (int64_t dim : llvm::drop_begin(shape))
    text += ", " + std::to_string(dim);
  return text + "]";
}

/// Elements of one example of a value of this shape.
double exampleElements(const Shape &shape) {
  double elements = 1;
  for (int64_t dim : llvm::drop_begin(shape))
    elements *= static_cast<double>(dim);
  return elements;
}

} // namespace

void cnnc::printSummary(const CheckedModel &model, llvm::raw_ostream &os) {
  struct Row {
    std::string layer, shape, params;
  };
  std::vector<Row> rows;
  size_t layerWidth = std::string("Layer (type)").size();
  size_t shapeWidth = std::string("Output Shape").size();
  for (const CheckedLayer &layer : model.layers) {
    Row row{fmt::format("{} ({})", layer.name, layerKindName(layer.kind).str()),
            batchShape(layer.shape), groupDigits(layer.trainableParams())};
    layerWidth = std::max(layerWidth, row.layer.size());
    shapeWidth = std::max(shapeWidth, row.shape.size());
    rows.push_back(std::move(row));
  }
  layerWidth += 2;
  shapeWidth += 2;
  const size_t paramWidth = 15;
  std::string rule(layerWidth + shapeWidth + paramWidth, '-');
  std::string doubleRule(rule.size(), '=');

  std::string text = fmt::format("Model: {}\n{}\n", model.name, rule);
  text += fmt::format("{:<{}}{:<{}}{:>{}}\n{}\n", "Layer (type)", layerWidth,
                      "Output Shape", shapeWidth, "Param #", paramWidth,
                      doubleRule);
  for (const Row &row : rows)
    text += fmt::format("{:<{}}{:<{}}{:>{}}\n", row.layer, layerWidth,
                        row.shape, shapeWidth, row.params, paramWidth);
  text += doubleRule + "\n";

  int64_t trainable = model.trainableParams();
  int64_t stored = model.storedParams();
  text += fmt::format("Total params: {}\n", groupDigits(trainable));
  text += fmt::format("Trainable params: {}\n", groupDigits(trainable));
  text += "Non-trainable params: 0\n";
  // Weights a connection table leaves out are stored (the op keeps the full
  // kernel tensor) but are not parameters of the model.
  if (stored != trainable)
    text += fmt::format("Masked weights (stored, not trained): {}\n",
                        groupDigits(stored - trainable));
  text += rule + "\n";

  double inputElements = 0;
  for (const CheckedInput &input : model.inputs)
    if (input.forward)
      inputElements += exampleElements(input.shape);
  double activationElements = 0;
  for (const CheckedLayer &layer : model.layers)
    if (layer.kind != LayerKind::Flatten)
      activationElements += exampleElements(layer.shape);

  double inputMB = inputElements * kBytesPerElement / kMiB;
  double activationMB = 2 * activationElements * kBytesPerElement / kMiB;
  double paramMB = static_cast<double>(stored) * kBytesPerElement / kMiB;
  text += fmt::format("Input size (MB): {:.2f}\n", inputMB);
  text +=
      fmt::format("Forward/backward pass size (MB): {:.2f}\n", activationMB);
  text += fmt::format("Params size (MB): {:.2f}\n", paramMB);
  text += fmt::format("Estimated Total Size (MB): {:.2f}\n",
                      inputMB + activationMB + paramMB);
  text += rule + "\n";
  os << text;
}
