//===- Checkpoint.h - model parameters to and from safetensors --*- C++ -*-===//
//
// A checkpoint holds one tensor per parameter, named as the model names it
// ("c1.weight") in PyTorch's layout, so a state_dict saved with
// safetensors.torch.save_file loads as it is, and the other way round.
//
// A training checkpoint adds the optimizer's state, one tensor per state and
// parameter named "optimizer.<state>.<param>" ("optimizer.exp_avg.c1.weight",
// PyTorch's state names), and in "__metadata__" the model's name, the step
// count and where in the data the run stands, so that a resumed run
// continues exactly where the saved one was.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_LOADER_CHECKPOINT_H
#define CNNC_RUNTIME_LOADER_CHECKPOINT_H

#include "runtime/io/Safetensors.h"
#include "runtime/loader/ModelLibrary.h"

#include <map>

namespace cnnc::rt {

/// The metadata keys of a checkpoint written by cnnc.
constexpr const char *kModelKey = "cnnc.model";
constexpr const char *kStepKey = "step";
constexpr const char *kEpochKey = "epoch";
constexpr const char *kBatchInEpochKey = "batch_in_epoch";
constexpr const char *kSeedKey = "seed";

/// Where a training run stands besides its parameters and optimizer state.
struct TrainingProgress {
  int64_t epoch = 0;        // the epoch in progress, from 0
  int64_t batchInEpoch = 0; // its batches already trained on
  uint64_t seed = 0;        // the run's seed (shuffles, dropout)
  /// The trainer's own settings (learning-rate schedule, batch size, ...),
  /// saved as metadata strings under their keys and read back as they are.
  std::map<std::string, std::string> settings;
};

/// The name of the checkpoint tensor of optimizer state `state` of
/// parameter `param`: "optimizer.exp_avg.c1.weight".
std::string optimizerTensorName(const std::string &state,
                                const std::string &param);

/// Sets every parameter of `instance` from `checkpoint`. Strict, like
/// PyTorch's load_state_dict: a missing parameter, a tensor of another shape
/// and a tensor the model does not have are errors (all listed, naming
/// `source`), and on error the instance is left unchanged. The optimizer
/// tensors of a training checkpoint are not parameters and are skipped.
Status loadParams(ModelInstance &instance, const Checkpoint &checkpoint,
                  const std::string &source);

/// Reads a safetensors file and loads it into `instance`.
Status loadParamsFile(ModelInstance &instance, const std::string &path);

/// The parameters of `instance` as a checkpoint (metadata: the model name).
Result<Checkpoint> saveParams(const ModelInstance &instance);

/// The parameters, optimizer state and step of `instance` with `progress`.
Result<Checkpoint> saveTraining(const ModelInstance &instance,
                                const TrainingProgress &progress);

/// saveTraining written to `path` atomically: an interrupted or failed save
/// leaves an existing file as it was.
Status saveTrainingFile(const ModelInstance &instance,
                        const TrainingProgress &progress,
                        const std::string &path);

/// Restores a training checkpoint into `instance`: parameters, optimizer
/// state, step and training seed. Everything is checked before the instance
/// is touched: the model's name, every parameter and optimizer tensor
/// (missing, misshapen or unknown ones are all listed) and the metadata;
/// errors name `source`. A parameter-only checkpoint (PyTorch's) is refused
/// here: it has no optimizer state to resume from.
Result<TrainingProgress> loadTraining(ModelInstance &instance,
                                      const Checkpoint &checkpoint,
                                      const std::string &source);

/// Reads a safetensors file and restores it with loadTraining.
Result<TrainingProgress> loadTrainingFile(ModelInstance &instance,
                                          const std::string &path);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_LOADER_CHECKPOINT_H
