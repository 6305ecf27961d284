//===- Checkpoint.cpp - model parameters to and from safetensors ----------===//
//
// Loading is all-or-nothing: every tensor of the checkpoint is matched with
// what the model expects and every problem listed before the first value is
// copied into the instance, so a bad file never leaves a half-loaded model.
//
//===----------------------------------------------------------------------===//

#include "runtime/loader/Checkpoint.h"

#include <cerrno>
#include <cstdlib>
#include <set>

using namespace cnnc::rt;

namespace {

constexpr const char *kOptimizerPrefix = "optimizer.";

/// A tensor the model expects: a parameter, or optimizer state `state` of
/// one (-1 for the parameter itself).
struct Expected {
  std::string name;
  int param = 0;
  int state = -1;
};

/// What `instance` holds: its parameters and, with `withStates`, each
/// optimizer state of each.
std::vector<Expected> expectedTensors(const ModelLibrary &lib,
                                      bool withStates) {
  std::vector<Expected> out;
  for (size_t p = 0; p < lib.params().size(); ++p)
    out.push_back({lib.params()[p].name, static_cast<int>(p), -1});
  if (withStates)
    for (size_t s = 0; s < lib.optimizerStates().size(); ++s)
      for (size_t p = 0; p < lib.params().size(); ++p)
        out.push_back({optimizerTensorName(lib.optimizerStates()[s],
                                           lib.params()[p].name),
                       static_cast<int>(p), static_cast<int>(s)});
  return out;
}

/// The checkpoint tensor for each of `expected`, in order; every missing,
/// misshapen and unknown tensor is added to `problems`. Tensors named
/// "optimizer.*" are ignored when `skipOptimizer` (a training checkpoint
/// read for its parameters); `forTraining` says the optimizer's tensors
/// were expected too.
std::vector<const Tensor *> match(const ModelLibrary &lib,
                                  const Checkpoint &checkpoint,
                                  const std::vector<Expected> &expected,
                                  bool skipOptimizer, bool forTraining,
                                  std::vector<std::string> &problems) {
  std::vector<const Tensor *> values(expected.size(), nullptr);
  std::set<std::string> known;
  for (size_t i = 0; i < expected.size(); ++i) {
    const Expected &e = expected[i];
    const TensorInfo &info = lib.params()[e.param];
    const char *kind = e.state < 0 ? "parameter" : "optimizer state";
    known.insert(e.name);
    const NamedTensor *entry = find(checkpoint, e.name);
    if (!entry) {
      problems.push_back(std::string(kind) + " '" + e.name + "' " +
                         formatShape(info.shape) + " is missing");
      continue;
    }
    if (entry->tensor.dtype != DType::F32 ||
        entry->tensor.shape != info.shape) {
      problems.push_back("'" + e.name + "' is " +
                         dtypeName(entry->tensor.dtype) + " " +
                         formatShape(entry->tensor.shape) + ", the model's " +
                         kind + " is f32 " + formatShape(info.shape));
      continue;
    }
    values[i] = &entry->tensor;
  }
  for (const NamedTensor &entry : checkpoint.tensors) {
    if (known.count(entry.name))
      continue;
    if (skipOptimizer && entry.name.rfind(kOptimizerPrefix, 0) == 0)
      continue;
    problems.push_back("'" + entry.name + "' is not a parameter" +
                       (forTraining ? " or optimizer state" : "") +
                       " of model '" + lib.name() + "'");
  }
  return values;
}

Error misfit(const ModelLibrary &lib, const std::string &source,
             const std::vector<std::string> &problems) {
  std::string message = source + ": does not fit model '" + lib.name() + "' (" +
                        lib.path() + "):";
  for (const std::string &p : problems)
    message += "\n  " + p;
  return Error{message};
}

/// A metadata value that must be a non-negative integer.
bool readCount(const Checkpoint &checkpoint, const char *key, uint64_t max,
               uint64_t &out, std::vector<std::string> &problems) {
  auto it = checkpoint.metadata.find(key);
  if (it == checkpoint.metadata.end()) {
    problems.push_back(std::string("the metadata has no '") + key + "'");
    return false;
  }
  const std::string &text = it->second;
  char *end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] < '0' || text[0] > '9' || errno || *end ||
      v > max) {
    problems.push_back(std::string("the metadata's '") + key + "' is '" + text +
                       "', not an integer from 0 to " + std::to_string(max));
    return false;
  }
  out = v;
  return true;
}

} // namespace

std::string cnnc::rt::optimizerTensorName(const std::string &state,
                                          const std::string &param) {
  return kOptimizerPrefix + state + "." + param;
}

Status cnnc::rt::loadParams(ModelInstance &instance,
                            const Checkpoint &checkpoint,
                            const std::string &source) {
  const ModelLibrary &lib = instance.library();
  // Only a cnnc training checkpoint (it records the step) has optimizer
  // tensors to skip; elsewhere "optimizer.x" would be an unknown tensor.
  bool training = checkpoint.metadata.count(kStepKey) != 0;
  std::vector<std::string> problems;
  std::vector<Expected> expected = expectedTensors(lib, false);
  std::vector<const Tensor *> values =
      match(lib, checkpoint, expected, training, false, problems);
  if (!problems.empty())
    return misfit(lib, source, problems);
  for (size_t i = 0; i < values.size(); ++i)
    if (Status s = instance.setParam(static_cast<int>(i), *values[i]); !s)
      return s;
  return Status::ok();
}

Status cnnc::rt::loadParamsFile(ModelInstance &instance,
                                const std::string &path) {
  Result<Checkpoint> checkpoint = readSafetensors(path);
  if (!checkpoint)
    return checkpoint.error();
  return loadParams(instance, *checkpoint, path);
}

Result<Checkpoint> cnnc::rt::saveParams(const ModelInstance &instance) {
  Checkpoint checkpoint;
  checkpoint.metadata[kModelKey] = instance.library().name();
  const std::vector<TensorInfo> &params = instance.library().params();
  for (size_t i = 0; i < params.size(); ++i) {
    Result<Tensor> value = instance.getParam(static_cast<int>(i));
    if (!value)
      return value.error();
    checkpoint.tensors.push_back({params[i].name, std::move(*value)});
  }
  return checkpoint;
}

Result<Checkpoint> cnnc::rt::saveTraining(const ModelInstance &instance,
                                          const TrainingProgress &progress) {
  const ModelLibrary &lib = instance.library();
  if (!lib.hasTraining())
    return Error{lib.path() +
                 ": the model was compiled without a train section"};
  Result<Checkpoint> checkpoint = saveParams(instance);
  if (!checkpoint)
    return checkpoint.error();
  for (const Expected &e : expectedTensors(lib, true)) {
    if (e.state < 0)
      continue;
    Result<Tensor> value = instance.getOptimizerState(e.state, e.param);
    if (!value)
      return value.error();
    checkpoint->tensors.push_back({e.name, std::move(*value)});
  }
  std::map<std::string, std::string> &meta = checkpoint->metadata;
  for (const auto &[key, value] : progress.settings)
    meta[key] = value;
  meta[kModelKey] = lib.name();
  meta[kStepKey] = std::to_string(instance.step());
  meta[kEpochKey] = std::to_string(progress.epoch);
  meta[kBatchInEpochKey] = std::to_string(progress.batchInEpoch);
  meta[kSeedKey] = std::to_string(progress.seed);
  return checkpoint;
}

Status cnnc::rt::saveTrainingFile(const ModelInstance &instance,
                                  const TrainingProgress &progress,
                                  const std::string &path) {
  Result<Checkpoint> checkpoint = saveTraining(instance, progress);
  if (!checkpoint)
    return checkpoint.error();
  return writeSafetensors(path, *checkpoint);
}

Result<TrainingProgress> cnnc::rt::loadTraining(ModelInstance &instance,
                                                const Checkpoint &checkpoint,
                                                const std::string &source) {
  const ModelLibrary &lib = instance.library();
  if (!lib.hasTraining())
    return Error{lib.path() +
                 ": the model was compiled without a train section"};
  auto name = checkpoint.metadata.find(kModelKey);
  if (name != checkpoint.metadata.end() && name->second != lib.name())
    return Error{source + ": checkpoint of model '" + name->second +
                 "', this is '" + lib.name() + "' (" + lib.path() + ")"};
  if (!checkpoint.metadata.count(kStepKey))
    return Error{source +
                 ": not a training checkpoint: its metadata has no 'step' "
                 "(a checkpoint of parameters only, such as PyTorch's "
                 "state_dict, holds no optimizer state to resume from)"};

  std::vector<std::string> problems;
  std::vector<Expected> expected = expectedTensors(lib, true);
  std::vector<const Tensor *> values =
      match(lib, checkpoint, expected, false, true, problems);
  TrainingProgress progress;
  uint64_t step = 0, epoch = 0, batch = 0, seed = 0;
  constexpr uint64_t kMaxCount = INT64_MAX;
  readCount(checkpoint, kStepKey, kMaxCount, step, problems);
  readCount(checkpoint, kEpochKey, kMaxCount, epoch, problems);
  readCount(checkpoint, kBatchInEpochKey, kMaxCount, batch, problems);
  readCount(checkpoint, kSeedKey, UINT64_MAX, seed, problems);
  if (!problems.empty())
    return misfit(lib, source, problems);

  for (size_t i = 0; i < expected.size(); ++i) {
    const Expected &e = expected[i];
    Status s = e.state < 0
                   ? instance.setParam(e.param, *values[i])
                   : instance.setOptimizerState(e.state, e.param, *values[i]);
    if (!s)
      return s.error();
  }
  if (Status s = instance.setStep(static_cast<int64_t>(step)); !s)
    return s.error();
  if (Status s = instance.setTrainingSeed(seed); !s)
    return s.error();
  progress.epoch = static_cast<int64_t>(epoch);
  progress.batchInEpoch = static_cast<int64_t>(batch);
  progress.seed = seed;
  for (const auto &[key, value] : checkpoint.metadata)
    if (key != kModelKey && key != kStepKey && key != kEpochKey &&
        key != kBatchInEpochKey && key != kSeedKey)
      progress.settings[key] = value;
  return progress;
}

Result<TrainingProgress> cnnc::rt::loadTrainingFile(ModelInstance &instance,
                                                    const std::string &path) {
  Result<Checkpoint> checkpoint = readSafetensors(path);
  if (!checkpoint)
    return checkpoint.error();
  return loadTraining(instance, *checkpoint, path);
}
