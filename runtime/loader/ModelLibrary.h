//===- ModelLibrary.h - a compiled model, loaded ----------------*- C++ -*-===//
//
// The runtime's view of a `.so` written by cnnc: opened with dlopen, its ABI
// version checked, its description read once, instances created from it.
// Everything goes through the functions of cnnc/cnnc.h and nothing else, so
// this is also the reference for other hosts (Python ctypes, C).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_LOADER_MODELLIBRARY_H
#define CNNC_RUNTIME_LOADER_MODELLIBRARY_H

#include "runtime/support/Result.h"
#include "runtime/support/Tensor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct cnnc_model;

namespace cnnc::rt {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape; // inputs and outputs: -1 first, the batch

  int64_t numElements() const; // of a parameter (no batch dimension)
};

/// The model's `train` section (cnnc_train_config): the defaults a training
/// run starts from.
struct TrainConfig {
  std::string loss;      // "cross_entropy" or "mse"
  std::string optimizer; // "sgd" or "adam"
  std::string schedule;  // "constant", "step" or "cosine"
  std::string init;      // "default", "lecun", "xavier" or "kaiming"
  double lr = 0, momentum = 0, weightDecay = 0;
  double beta1 = 0, beta2 = 0, eps = 0; // adam
  double gamma = 0;                     // step: the factor every stepSize
  double etaMin = 0;                    // cosine: the floor
  int64_t stepSize = 0, tMax = 0;       // epochs
  int64_t batch = 0, epochs = 0;
  uint64_t seed = 0;
  bool nesterov = false;
};

/// The outcome of a training step or an evaluation on one batch.
struct StepResult {
  float loss = 0;       // the batch's mean loss (before the update)
  int64_t correct = -1; // argmax == label; -1 when the loss has no labels
  int64_t count = 0;    // the batch size
};

class ModelInstance;
struct ModelApi; // the resolved functions of cnnc.h

class ModelLibrary : public std::enable_shared_from_this<ModelLibrary> {
public:
  /// Opens a model; fails with a message naming `path` when it is missing,
  /// not a shared library, not a cnnc model, or of another ABI version.
  static Result<std::shared_ptr<ModelLibrary>> open(const std::string &path);
  ~ModelLibrary();

  const std::string &path() const { return path_; }
  const std::string &name() const { return name_; }
  const std::vector<TensorInfo> &inputs() const { return inputs_; }
  const std::vector<TensorInfo> &outputs() const { return outputs_; }
  const std::vector<TensorInfo> &params() const { return params_; }
  /// The index of the parameter called `name`, or -1.
  int findParam(const std::string &name) const;

  /// Whether the model was compiled with a `train` section; the training
  /// functions below and on ModelInstance fail without one.
  bool hasTraining() const { return hasTraining_; }
  const TrainConfig &trainConfig() const { return trainConfig_; }
  /// The loss's inputs besides the model's (labels i32 [-1] for
  /// cross_entropy), batch first.
  const std::vector<TensorInfo> &targets() const { return targets_; }
  /// The optimizer's per-parameter state names ("exp_avg", "exp_avg_sq").
  const std::vector<std::string> &optimizerStates() const {
    return optimizerStates_;
  }
  /// The classes a cross_entropy model's labels range over, when it has one
  /// output of shape [-1, classes] (what its loss scores); 0 when unknown.
  int64_t numClasses() const;

  /// The CUDA architecture the model's kernels were compiled for ("sm_90");
  /// empty for a CPU-only library.
  const std::string &cudaArch() const { return cudaArch_; }

  /// A new instance with zero parameters.
  Result<std::unique_ptr<ModelInstance>> createInstance();

private:
  friend class ModelInstance;
  ModelLibrary() = default;
  Error lastError(const std::string &what) const;

  std::string path_, name_;
  void *handle_ = nullptr;
  std::unique_ptr<ModelApi> api_;
  std::vector<TensorInfo> inputs_, outputs_, params_;
  bool hasTraining_ = false;
  TrainConfig trainConfig_;
  std::vector<TensorInfo> targets_;
  std::vector<std::string> optimizerStates_;
  std::string cudaArch_;
};

/// One model instance: parameters and working memory. Keeps its library
/// loaded.
class ModelInstance {
public:
  ~ModelInstance();

  const ModelLibrary &library() const { return *library_; }

  /// Moves the instance to "cpu", "cuda" or "cuda:N" (cnnc_set_device);
  /// fails with the library's sentence when that device cannot be used.
  Status setDevice(const std::string &device);
  /// "cpu" or "cuda:N".
  std::string device() const;

  Status initParams(uint64_t seed);
  Result<Tensor> getParam(int index) const;
  Status setParam(int index, const Tensor &value);

  /// Runs inference: one tensor per input, in the order of inputs(), all
  /// with the same batch size; returns one tensor per output.
  Result<std::vector<Tensor>> infer(const std::vector<const Tensor *> &inputs);
  /// Queues inference as infer runs it (cnnc_infer_queue), into `outputs`
  /// (one per output, shaped as outputTensors gives them), which hold its
  /// results once waitInfer has taken it. Until then the inputs must not
  /// change and the outputs be neither read nor written. Inferences and
  /// training steps share one queue of at most two.
  Status queueInfer(const std::vector<const Tensor *> &inputs,
                    const std::vector<Tensor *> &outputs);
  /// Waits for the oldest queued call, which must be an inference.
  Status waitInfer();
  /// Zero tensors of the outputs' shapes for a batch of `batch`.
  std::vector<Tensor> outputTensors(int64_t batch) const;

  /// One optimizer step at learning rate `lr`: inputs as for infer(),
  /// targets in the order of targets() with the same batch size. On error
  /// (a wrong shape, a label out of range) nothing is updated.
  Result<StepResult> trainStep(const std::vector<const Tensor *> &inputs,
                               const std::vector<const Tensor *> &targets,
                               float lr);
  /// Queues a step as trainStep runs one (cnnc_train_step_queue): its
  /// tensors must not change until waitTrainStep gives its result. At most
  /// two are queued; the first error (a wrong shape) is returned here.
  Status queueTrainStep(const std::vector<const Tensor *> &inputs,
                        const std::vector<const Tensor *> &targets, float lr);
  /// The result of the oldest queued step, once it has run.
  Result<StepResult> waitTrainStep();

  /// Pins host memory for the instance's GPU (cnnc_pin_host_memory), which
  /// it then uploads from directly and beside the work before; nothing on
  /// the CPU. Until unpinHostMemory, setDevice or the instance's end.
  Status pinHostMemory(const void *data, size_t bytes);
  Status unpinHostMemory(const void *data);

  /// The loss and the number correct on a batch, without an update.
  Result<StepResult> evaluate(const std::vector<const Tensor *> &inputs,
                              const std::vector<const Tensor *> &targets);

  /// Optimizer state `state` of parameter `param`, of the parameter's shape.
  Result<Tensor> getOptimizerState(int state, int param) const;
  Status setOptimizerState(int state, int param, const Tensor &value);

  /// The optimizer steps taken; the next step is step() + 1. -1 without
  /// training.
  int64_t step() const;
  Status setStep(int64_t step);
  /// The seed dropout masks derive from (with the step number).
  Status setTrainingSeed(uint64_t seed);

private:
  friend class ModelLibrary;
  ModelInstance(std::shared_ptr<ModelLibrary> library, cnnc_model *model)
      : library_(std::move(library)), model_(model) {}

  std::shared_ptr<ModelLibrary> library_;
  cnnc_model *model_;
};

/// Batches smaller than this are not pinned: the driver copies them at once
/// from anywhere, and a small block of the heap may share its pages with
/// other memory.
constexpr size_t kPinnedBatchMin = 64 * 1024;

/// Host memory pinned for an instance (ModelInstance::pinHostMemory) until
/// this goes; declared after the memory, it is unpinned before the memory
/// is freed, on every way out.
class PinnedMemory {
public:
  explicit PinnedMemory(ModelInstance &instance) : instance_(instance) {}
  ~PinnedMemory() {
    if (data_)
      (void)instance_.unpinHostMemory(data_);
  }
  PinnedMemory(const PinnedMemory &) = delete;
  PinnedMemory &operator=(const PinnedMemory &) = delete;

  Status pin(const void *data, size_t bytes) {
    if (Status s = instance_.pinHostMemory(data, bytes); !s)
      return s;
    data_ = data;
    return Status::ok();
  }

private:
  ModelInstance &instance_;
  const void *data_ = nullptr;
};

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_LOADER_MODELLIBRARY_H
