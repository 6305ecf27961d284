//===- ModelDescription.h - what a compiled model says about itself -------===//
//
// The inputs, outputs and parameters (with their offsets in the flat
// parameter buffer and their initialisers) that the .so reports through the
// ABI of runtime/include/cnnc/cnnc.h. Read from the cnn-level module, before
// lowering erases names and layers.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_CODEGEN_MODELDESCRIPTION_H
#define CNNC_COMPILER_CODEGEN_MODELDESCRIPTION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "compiler/transforms/TrainSection.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnc {

struct TensorDescription {
  std::string name;
  bool isInteger = false;     // i32 labels; f32 otherwise
  std::vector<int64_t> shape; // -1 for the batch dimension
};

/// How the ABI's cnnc_init_params draws a parameter.
struct Initialization {
  enum class Kind { Uniform, Constant };
  Kind kind = Kind::Uniform;
  float value = 0; // the bound of a uniform draw, or the constant
};

struct ParameterDescription {
  TensorDescription tensor;
  int64_t offset = 0; // elements into the flat buffer
  Initialization init;
};

/// The `train` section, as the ABI's cnnc_train_config reports it.
using TrainConfig = TrainSection;

/// What each argument of a training or evaluation entry is (ModelRecord.h's
/// cnnc_arg_kind) and, for inputs, targets and states, which one.
struct EntryArgument {
  /// In the order of cnnc_arg_kind (runtime/model/ModelRecord.h).
  enum class Kind {
    Input,
    Target,
    Params,
    Seed,
    State,
    LearningRate,
    Step,
    Grads
  };
  Kind kind;
  int32_t index = 0;
};

struct TrainingDescription {
  TrainConfig config;
  std::vector<TensorDescription> targets; // the loss's labels or targets
  std::vector<std::string> stateNames;    // "exp_avg", ...
  TensorDescription prediction;           // what the loss scores
  std::string trainStepFunction, evaluateFunction;
  std::vector<EntryArgument> trainStepArgs, evaluateArgs;
  /// The gradient of one slice of a batch and the optimizer update alone,
  /// which the runtime combines when it splits a step across threads.
  std::string gradFunction, applyUpdateFunction;
  std::vector<EntryArgument> gradArgs, applyUpdateArgs;
};

struct ModelDescription {
  std::string name; // the forward function's name = the model's
  std::vector<TensorDescription> inputs;
  std::vector<TensorDescription> outputs;
  std::vector<ParameterDescription> params;
  int64_t paramElements = 0;
  bool hasSeed = false;
  /// The training and evaluation entries, for a model with a `train`
  /// section (filled in by describeTraining, after cnn-build-train-step).
  std::optional<TrainingDescription> training;
};

/// Describes a tensor with a leading batch dimension (reported as -1);
/// fails with an error at `at` naming `what` and `name` when `type` is not
/// an f32/i32 tensor of rank 1 to 8 with a dynamic batch and static rest.
mlir::FailureOr<TensorDescription> describeBatched(mlir::Type type,
                                                   llvm::StringRef name,
                                                   mlir::Operation *at,
                                                   llvm::StringRef what);

/// Finds the model's forward function: the one whose results carry
/// `cnn.output` names (the front end's inference function).
mlir::func::FuncOp findForwardFunction(mlir::ModuleOp module);

/// Describes the model of a cnn-level module. Fails with an error at the
/// offending function or argument when the module is not a model the ABI
/// can describe (no forward function, an input without a leading batch
/// dimension, a non-static parameter).
mlir::FailureOr<ModelDescription> describeModel(mlir::ModuleOp module);

} // namespace cnnc

#endif // CNNC_COMPILER_CODEGEN_MODELDESCRIPTION_H
