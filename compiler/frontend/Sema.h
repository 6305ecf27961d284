//===- Sema.h - semantic analysis of a .mdl model ---------------*- C++ -*-===//
//
// Turns the syntax tree into a CheckedModel: every name resolved, every layer
// looked up with its defaults applied, every shape inferred with the same
// rules the cnn dialect uses (dialects/cnn/ShapeInference.h), parameters
// counted, the train section read. IR generation and the summary table work
// only from a CheckedModel, so nothing after this point can fail on user
// input.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_FRONTEND_SEMA_H
#define CNNC_COMPILER_FRONTEND_SEMA_H

#include "compiler/frontend/AST.h"
#include "dialects/cnn/ShapeInference.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cnnc {

class Diagnostics;

/// Shapes are batch first; the batch is mlir::ShapedType::kDynamic.
using Shape = mlir::cnn::Shape;

/// The layers of docs/language.md; each becomes one cnn op (`add` with more
/// than two operands becomes a chain of cnn.add).
enum class LayerKind {
  Conv2D,
  AvgPool2D,
  MaxPool2D,
  Subsample2D,
  Tanh,
  ScaledTanh,
  Relu,
  Sigmoid,
  Dense,
  Flatten,
  LocalResponseNorm,
  Dropout,
  Softmax,
  LogSoftmax,
  Add,
  Concat,
};

/// The name a layer has in source: "conv2d", "lrn", ...
llvm::StringRef layerKindName(LayerKind kind);

/// Weight initialisers, each drawn uniformly (docs/language.md, `init`).
enum class Initializer { Default, LeCun, Xavier, Kaiming };

/// "default", "lecun", "xavier" or "kaiming".
llvm::StringRef initializerName(Initializer init);

/// Where a tensor comes from: a model input or a layer's result.
struct ValueRef {
  enum class Kind { Input, Layer };
  Kind kind = Kind::Input;
  unsigned index = 0; // into CheckedModel::inputs or CheckedModel::layers

  static ValueRef input(unsigned index) { return {Kind::Input, index}; }
  static ValueRef layer(unsigned index) { return {Kind::Layer, index}; }
  bool operator==(const ValueRef &other) const {
    return kind == other.kind && index == other.index;
  }
};

/// `input name: f32[...]` with its batch-prefixed shape.
struct CheckedInput {
  std::string name;
  llvm::SMRange range;    // the name in the declaration
  bool isInteger = false; // i32 (labels) rather than f32
  Shape shape;            // [batch, declared dims...]
  /// True when a layer reads it or an `output` names it: it is an argument
  /// of the inference function. Inputs only the loss reads (labels, targets)
  /// are added to the loss function alone.
  bool forward = false;
};

/// One parameter tensor of a layer, as the runtime allocates and PyTorch
/// lays it out (conv weight [F, C/groups, KH, KW], dense weight [out, in]).
struct ParamTensor {
  std::string name;  // "c1.weight", "c1.bias", "s2.coefficient"
  Shape shape;       // static
  int64_t elements;  // product of `shape`
  int64_t trainable; // elements training updates; fewer than `elements` only
                     // for a conv weight masked by a connection table
};

/// One layer with its parameters resolved and defaults applied. The fields
/// below `shape` hold the layer's settings; each is meaningful only for the
/// kinds its comment names and keeps its default otherwise.
struct CheckedLayer {
  /// The statement's name for the outermost call of a statement; inner calls
  /// are named `<statement>.<callee>` (docs/language.md, "Values and the
  /// graph").
  std::string name;
  LayerKind kind = LayerKind::Relu;
  llvm::SMRange range; // the call, from the callee to `)`
  llvm::SmallVector<ValueRef, 2> operands;
  Shape shape; // the result, batch first

  int64_t units = 0;               // conv2d (filters), dense (units)
  std::array<int64_t, 2> kernel{}; // conv2d, pools, subsample2d
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};  // conv2d, avg/max_pool2d
  std::array<int64_t, 2> dilation{1, 1}; // conv2d
  int64_t groups = 1;                    // conv2d
  bool bias = true;                      // conv2d, dense
  /// conv2d with a connection table: [filters, input maps] row-major, true
  /// where the output map reads the input map. Empty without a table.
  llvm::SmallVector<bool, 0> connections;
  int64_t size = 0;                          // lrn
  double alpha = 1e-4, beta = 0.75, k = 1.0; // lrn (f32-exact values)
  double rate = 0.5;                         // dropout (f32-exact)
  std::optional<Initializer> init;           // conv2d, dense: only when written
  /// conv2d, dense: weight then bias (if any); subsample2d: coefficient then
  /// bias; empty for the other kinds.
  std::vector<ParamTensor> params;

  /// The layer's trainable parameter count.
  int64_t trainableParams() const;
};

/// A name listed by `output`.
struct CheckedOutput {
  ValueRef value;
  llvm::SMRange range;
};

/// The loss of a train section, reading values of the model.
struct CheckedLoss {
  enum class Kind { CrossEntropy, MSE };
  Kind kind = Kind::CrossEntropy;
  ValueRef prediction; // cross_entropy: logits
  ValueRef target;     // cross_entropy: the i32[] label input
  llvm::SMRange range;
};

/// `optimizer = sgd(...)` or `adam(...)`, defaults applied.
struct OptimizerSettings {
  enum class Kind { SGD, Adam };
  Kind kind = Kind::SGD;
  double lr = 0.01;
  double weightDecay = 0;
  double momentum = 0;                     // sgd
  bool nesterov = false;                   // sgd
  std::array<double, 2> betas{0.9, 0.999}; // adam
  double eps = 1e-8;                       // adam
};

/// `schedule = constant()`, `step(...)` or `cosine(...)`.
struct ScheduleSettings {
  enum class Kind { Constant, Step, Cosine };
  Kind kind = Kind::Constant;
  int64_t stepSize = 0; // step
  double gamma = 0.1;   // step
  int64_t tMax = 0;     // cosine
  double etaMin = 0;    // cosine
};

/// The train section with every default of docs/language.md applied; a
/// model without one gets all defaults and no loss.
struct TrainSettings {
  std::optional<CheckedLoss> loss;
  OptimizerSettings optimizer;
  ScheduleSettings schedule;
  int64_t batch = 64;
  int64_t epochs = 10;
  int64_t seed = 0;
  Initializer init = Initializer::Default;
};

/// A model that passed every check: the graph in a valid topological order
/// (each layer's operands come before it), with shapes and parameters.
struct CheckedModel {
  std::string name;
  llvm::SMRange range;              // the model's name
  std::vector<CheckedInput> inputs; // in declaration order
  std::vector<CheckedLayer> layers; // topological (source) order
  std::vector<CheckedOutput> outputs;
  TrainSettings train;

  const Shape &shapeOf(ValueRef value) const;
  llvm::StringRef nameOf(ValueRef value) const;
  /// True if a dropout layer needs a seed argument.
  bool hasDropout() const;
  /// Sum of the layers' trainable parameters (checked not to overflow).
  int64_t trainableParams() const;
  /// Sum of the stored parameter elements, masked ones included.
  int64_t storedParams() const;
};

/// Checks `model`, reporting every error found through `diags`. Returns null
/// if any error was reported.
std::unique_ptr<CheckedModel> analyze(const ast::Model &model,
                                      Diagnostics &diags);

} // namespace cnnc

#endif // CNNC_COMPILER_FRONTEND_SEMA_H
