//===- ModelLibrary.cpp - a compiled model, loaded ------------------------===//

#include "runtime/loader/ModelLibrary.h"

#include "cnnc/cnnc.h"

#include <dlfcn.h>

using namespace cnnc::rt;

/// The functions of cnnc.h, resolved in one library.
struct cnnc::rt::ModelApi {
  decltype(&cnnc_abi_version) abiVersion;
  decltype(&cnnc_model_name) modelName;
  decltype(&cnnc_last_error) lastError;
  decltype(&cnnc_num_inputs) numInputs;
  decltype(&cnnc_num_outputs) numOutputs;
  decltype(&cnnc_num_params) numParams;
  decltype(&cnnc_input_info) inputInfo;
  decltype(&cnnc_output_info) outputInfo;
  decltype(&cnnc_param_info) paramInfo;
  decltype(&cnnc_create) create;
  decltype(&cnnc_destroy) destroy;
  decltype(&cnnc_init_params) initParams;
  decltype(&cnnc_get_param) getParam;
  decltype(&cnnc_set_param) setParam;
  decltype(&cnnc_infer) infer;
  decltype(&cnnc_has_training) hasTraining;
  decltype(&cnnc_training_config) trainingConfig;
  decltype(&cnnc_num_targets) numTargets;
  decltype(&cnnc_target_info) targetInfo;
  decltype(&cnnc_num_optimizer_states) numOptimizerStates;
  decltype(&cnnc_optimizer_state_name) optimizerStateName;
  decltype(&cnnc_get_optimizer_state) getOptimizerState;
  decltype(&cnnc_set_optimizer_state) setOptimizerState;
  decltype(&cnnc_get_step) getStep;
  decltype(&cnnc_set_step) setStep;
  decltype(&cnnc_set_training_seed) setTrainingSeed;
  decltype(&cnnc_train_step) trainStep;
  decltype(&cnnc_evaluate) evaluate;
  decltype(&cnnc_cuda_arch) cudaArch;
  decltype(&cnnc_set_device) setDevice;
  decltype(&cnnc_device) device;
  decltype(&cnnc_pin_host_memory) pinHostMemory;
  decltype(&cnnc_unpin_host_memory) unpinHostMemory;
  decltype(&cnnc_train_step_queue) trainStepQueue;
  decltype(&cnnc_train_step_wait) trainStepWait;
  decltype(&cnnc_infer_queue) inferQueue;
  decltype(&cnnc_infer_wait) inferWait;
};

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

template <typename Fn> bool resolve(void *handle, const char *symbol, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(handle, symbol));
  return fn != nullptr;
}

TensorInfo toInfo(const cnnc_tensor_info &info) {
  TensorInfo t;
  t.name = info.name ? info.name : "";
  t.dtype = info.dtype == CNNC_I32 ? DType::I32 : DType::F32;
  int32_t rank = info.rank < 0               ? 0
                 : info.rank > CNNC_MAX_RANK ? CNNC_MAX_RANK
                                             : info.rank;
  t.shape.assign(info.shape, info.shape + rank);
  return t;
}

TrainConfig toConfig(const cnnc_train_config &c) {
  auto text = [](const char *s) { return std::string(s ? s : ""); };
  TrainConfig t;
  t.loss = text(c.loss);
  t.optimizer = text(c.optimizer);
  t.schedule = text(c.schedule);
  t.init = text(c.init);
  t.lr = c.lr;
  t.momentum = c.momentum;
  t.weightDecay = c.weight_decay;
  t.beta1 = c.beta1;
  t.beta2 = c.beta2;
  t.eps = c.eps;
  t.gamma = c.gamma;
  t.etaMin = c.eta_min;
  t.stepSize = c.step_size;
  t.tMax = c.t_max;
  t.batch = c.batch;
  t.epochs = c.epochs;
  t.seed = c.seed;
  t.nesterov = c.nesterov != 0;
  return t;
}

/// The ABI's view of `t`; the ABI does not write through inputs.
cnnc_tensor toAbi(const Tensor &t) {
  void *data = t.dtype == DType::F32
                   ? static_cast<void *>(const_cast<float *>(t.f32.data()))
                   : static_cast<void *>(const_cast<int32_t *>(t.i32.data()));
  return {data, t.dtype == DType::F32 ? CNNC_F32 : CNNC_I32,
          static_cast<int32_t>(t.shape.size()), t.shape.data()};
}

std::vector<cnnc_tensor> toAbi(const std::vector<const Tensor *> &tensors) {
  std::vector<cnnc_tensor> out;
  for (const Tensor *t : tensors)
    out.push_back(toAbi(*t));
  return out;
}

} // namespace

Result<std::shared_ptr<ModelLibrary>>
ModelLibrary::open(const std::string &path) {
  // dlopen searches the library path for a bare name; a model is a file.
  std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return Error{path + ": cannot load the model: " +
                 (why ? why : "unknown dlopen error")};
  }
  std::shared_ptr<ModelLibrary> lib(new ModelLibrary());
  lib->path_ = path;
  lib->handle_ = handle;
  lib->api_ = std::make_unique<ModelApi>();
  ModelApi &api = *lib->api_;
  if (!resolve(handle, "cnnc_abi_version", api.abiVersion))
    return Error{path +
                 ": not a model compiled by cnnc (it has no "
                 "cnnc_abi_version); compile one with `cnnc model.mdl -o " +
                 path + "`"};
  uint32_t version = api.abiVersion();
  if (version != CNNC_ABI_VERSION)
    return Error{path + ": the model was compiled for cnnc ABI version " +
                 std::to_string(version) + ", this runtime reads version " +
                 std::to_string(CNNC_ABI_VERSION) +
                 "; recompile it with this cnnc"};
  bool ok =
      resolve(handle, "cnnc_model_name", api.modelName) &&
      resolve(handle, "cnnc_last_error", api.lastError) &&
      resolve(handle, "cnnc_num_inputs", api.numInputs) &&
      resolve(handle, "cnnc_num_outputs", api.numOutputs) &&
      resolve(handle, "cnnc_num_params", api.numParams) &&
      resolve(handle, "cnnc_input_info", api.inputInfo) &&
      resolve(handle, "cnnc_output_info", api.outputInfo) &&
      resolve(handle, "cnnc_param_info", api.paramInfo) &&
      resolve(handle, "cnnc_create", api.create) &&
      resolve(handle, "cnnc_destroy", api.destroy) &&
      resolve(handle, "cnnc_init_params", api.initParams) &&
      resolve(handle, "cnnc_get_param", api.getParam) &&
      resolve(handle, "cnnc_set_param", api.setParam) &&
      resolve(handle, "cnnc_infer", api.infer) &&
      resolve(handle, "cnnc_has_training", api.hasTraining) &&
      resolve(handle, "cnnc_training_config", api.trainingConfig) &&
      resolve(handle, "cnnc_num_targets", api.numTargets) &&
      resolve(handle, "cnnc_target_info", api.targetInfo) &&
      resolve(handle, "cnnc_num_optimizer_states", api.numOptimizerStates) &&
      resolve(handle, "cnnc_optimizer_state_name", api.optimizerStateName) &&
      resolve(handle, "cnnc_get_optimizer_state", api.getOptimizerState) &&
      resolve(handle, "cnnc_set_optimizer_state", api.setOptimizerState) &&
      resolve(handle, "cnnc_get_step", api.getStep) &&
      resolve(handle, "cnnc_set_step", api.setStep) &&
      resolve(handle, "cnnc_set_training_seed", api.setTrainingSeed) &&
      resolve(handle, "cnnc_train_step", api.trainStep) &&
      resolve(handle, "cnnc_evaluate", api.evaluate) &&
      resolve(handle, "cnnc_cuda_arch", api.cudaArch) &&
      resolve(handle, "cnnc_set_device", api.setDevice) &&
      resolve(handle, "cnnc_device", api.device) &&
      resolve(handle, "cnnc_pin_host_memory", api.pinHostMemory) &&
      resolve(handle, "cnnc_unpin_host_memory", api.unpinHostMemory) &&
      resolve(handle, "cnnc_train_step_queue", api.trainStepQueue) &&
      resolve(handle, "cnnc_train_step_wait", api.trainStepWait) &&
      resolve(handle, "cnnc_infer_queue", api.inferQueue) &&
      resolve(handle, "cnnc_infer_wait", api.inferWait);
  if (!ok) {
    const char *why = dlerror();
    return Error{path + ": the model lacks functions of cnnc ABI version " +
                 std::to_string(CNNC_ABI_VERSION) + " (" +
                 (why ? why : "a symbol is missing") + ")"};
  }

  lib->name_ = api.modelName();
  if (const char *arch = api.cudaArch())
    lib->cudaArch_ = arch;
  auto readTable = [&](int32_t count, auto info, const char *what,
                       std::vector<TensorInfo> &out) -> Status {
    for (int32_t i = 0; i < count; ++i) {
      cnnc_tensor_info raw;
      if (info(i, &raw) != CNNC_OK)
        return Error{path + ": cannot describe " + what + " " +
                     std::to_string(i) + ": " + api.lastError()};
      out.push_back(toInfo(raw));
    }
    return Status::ok();
  };
  if (Status s =
          readTable(api.numInputs(), api.inputInfo, "input", lib->inputs_);
      !s)
    return s.error();
  if (Status s =
          readTable(api.numOutputs(), api.outputInfo, "output", lib->outputs_);
      !s)
    return s.error();
  if (Status s =
          readTable(api.numParams(), api.paramInfo, "parameter", lib->params_);
      !s)
    return s.error();

  lib->hasTraining_ = api.hasTraining() != 0;
  if (lib->hasTraining_) {
    const cnnc_train_config *config = api.trainingConfig();
    if (!config)
      return Error{path + ": the model has a training step but no training "
                          "configuration; recompile it with this cnnc"};
    lib->trainConfig_ = toConfig(*config);
    if (Status s = readTable(api.numTargets(), api.targetInfo, "target",
                             lib->targets_);
        !s)
      return s.error();
    for (int32_t i = 0; i < api.numOptimizerStates(); ++i) {
      const char *name = api.optimizerStateName(i);
      if (!name)
        return Error{path + ": cannot name optimizer state " +
                     std::to_string(i) + ": " + api.lastError()};
      lib->optimizerStates_.push_back(name);
    }
  }
  return lib;
}

ModelLibrary::~ModelLibrary() {
  if (handle_)
    dlclose(handle_);
}

int ModelLibrary::findParam(const std::string &name) const {
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i].name == name)
      return static_cast<int>(i);
  return -1;
}

int64_t ModelLibrary::numClasses() const {
  if (trainConfig_.loss != "cross_entropy" || outputs_.size() != 1 ||
      outputs_[0].shape.size() != 2)
    return 0;
  return outputs_[0].shape[1];
}

Error ModelLibrary::lastError(const std::string &what) const {
  return Error{path_ + ": " + what + ": " + api_->lastError()};
}

Result<std::unique_ptr<ModelInstance>> ModelLibrary::createInstance() {
  cnnc_model *model = nullptr;
  if (api_->create(CNNC_ABI_VERSION, &model) != CNNC_OK)
    return lastError("cannot create an instance");
  return std::unique_ptr<ModelInstance>(
      new ModelInstance(shared_from_this(), model));
}

ModelInstance::~ModelInstance() { library_->api_->destroy(model_); }

Status ModelInstance::setDevice(const std::string &device) {
  if (library_->api_->setDevice(model_, device.c_str()) != CNNC_OK)
    return library_->lastError("cannot run on " + device);
  return Status::ok();
}

std::string ModelInstance::device() const {
  const char *device = library_->api_->device(model_);
  return device ? device : "";
}

Status ModelInstance::initParams(uint64_t seed) {
  if (library_->api_->initParams(model_, seed) != CNNC_OK)
    return library_->lastError("cannot initialise the parameters");
  return Status::ok();
}

Result<Tensor> ModelInstance::getParam(int index) const {
  if (index < 0 || index >= static_cast<int>(library_->params_.size()))
    return Error{library_->path_ + ": no parameter " + std::to_string(index)};
  const TensorInfo &info = library_->params_[index];
  Tensor t = Tensor::zerosF32(info.shape);
  if (library_->api_->getParam(model_, index, t.f32.data(),
                               static_cast<int64_t>(t.f32.size())) != CNNC_OK)
    return library_->lastError("cannot read parameter '" + info.name + "'");
  return t;
}

Status ModelInstance::setParam(int index, const Tensor &value) {
  if (index < 0 || index >= static_cast<int>(library_->params_.size()))
    return Error{library_->path_ + ": no parameter " + std::to_string(index)};
  const TensorInfo &info = library_->params_[index];
  if (value.dtype != DType::F32 || value.shape != info.shape)
    return Error{library_->path_ + ": parameter '" + info.name + "' is f32 " +
                 formatShape(info.shape) + ", got " + dtypeName(value.dtype) +
                 " " + formatShape(value.shape)};
  if (library_->api_->setParam(model_, index, value.f32.data(),
                               static_cast<int64_t>(value.f32.size())) !=
      CNNC_OK)
    return library_->lastError("cannot set parameter '" + info.name + "'");
  return Status::ok();
}

std::vector<Tensor> ModelInstance::outputTensors(int64_t batch) const {
  std::vector<Tensor> results;
  for (const TensorInfo &info : library_->outputs_) {
    std::vector<int64_t> shape = info.shape;
    if (!shape.empty())
      shape[0] = batch;
    results.push_back(info.dtype == DType::F32 ? Tensor::zerosF32(shape)
                                               : Tensor::zerosI32(shape));
  }
  return results;
}

Result<std::vector<Tensor>>
ModelInstance::infer(const std::vector<const Tensor *> &inputs) {
  const ModelLibrary &lib = *library_;
  if (inputs.size() != lib.inputs_.size())
    return Error{lib.path_ + ": the model takes " +
                 std::to_string(lib.inputs_.size()) + " input(s), got " +
                 std::to_string(inputs.size())};
  std::vector<cnnc_tensor> in = toAbi(inputs);
  int64_t batch =
      inputs.empty() || inputs[0]->shape.empty() ? 1 : inputs[0]->shape[0];
  std::vector<Tensor> results = outputTensors(batch);
  std::vector<cnnc_tensor> out;
  for (Tensor &t : results)
    out.push_back(toAbi(t));
  if (lib.api_->infer(model_, in.data(), static_cast<int32_t>(in.size()),
                      out.data(), static_cast<int32_t>(out.size())) != CNNC_OK)
    return Error{lib.path_ + ": inference failed: " + lib.api_->lastError()};
  return results;
}

Status ModelInstance::queueInfer(const std::vector<const Tensor *> &inputs,
                                 const std::vector<Tensor *> &outputs) {
  const ModelLibrary &lib = *library_;
  std::vector<cnnc_tensor> in = toAbi(inputs), out;
  for (Tensor *t : outputs)
    out.push_back(toAbi(*t));
  if (lib.api_->inferQueue(model_, in.data(), static_cast<int32_t>(in.size()),
                           out.data(),
                           static_cast<int32_t>(out.size())) != CNNC_OK)
    return Error{lib.path_ + ": inference failed: " + lib.api_->lastError()};
  return Status::ok();
}

Status ModelInstance::waitInfer() {
  const ModelLibrary &lib = *library_;
  if (lib.api_->inferWait(model_) != CNNC_OK)
    return Error{lib.path_ + ": inference failed: " + lib.api_->lastError()};
  return Status::ok();
}

namespace {

/// The ABI's result as the runtime's; an error naming what failed.
Result<StepResult> stepResult(const ModelLibrary &lib, cnnc_status status,
                              const cnnc_step_result &r, const char *what,
                              const std::string &abiError) {
  if (status != CNNC_OK)
    return Error{lib.path() + ": " + what + " failed: " + abiError};
  StepResult out;
  out.loss = r.loss;
  out.correct = r.correct;
  out.count = r.count;
  return out;
}

} // namespace

Result<StepResult>
ModelInstance::trainStep(const std::vector<const Tensor *> &inputs,
                         const std::vector<const Tensor *> &targets, float lr) {
  const ModelLibrary &lib = *library_;
  std::vector<cnnc_tensor> in = toAbi(inputs), tg = toAbi(targets);
  cnnc_step_result r{};
  cnnc_status status =
      lib.api_->trainStep(model_, in.data(), static_cast<int32_t>(in.size()),
                          tg.data(), static_cast<int32_t>(tg.size()), lr, &r);
  return stepResult(lib, status, r, "the training step",
                    status ? lib.api_->lastError() : "");
}

Status ModelInstance::queueTrainStep(const std::vector<const Tensor *> &inputs,
                                     const std::vector<const Tensor *> &targets,
                                     float lr) {
  const ModelLibrary &lib = *library_;
  std::vector<cnnc_tensor> in = toAbi(inputs), tg = toAbi(targets);
  if (lib.api_->trainStepQueue(model_, in.data(),
                               static_cast<int32_t>(in.size()), tg.data(),
                               static_cast<int32_t>(tg.size()), lr) != CNNC_OK)
    return Error{lib.path_ +
                 ": the training step failed: " + lib.api_->lastError()};
  return Status::ok();
}

Result<StepResult> ModelInstance::waitTrainStep() {
  const ModelLibrary &lib = *library_;
  cnnc_step_result r{};
  cnnc_status status = lib.api_->trainStepWait(model_, &r);
  return stepResult(lib, status, r, "the training step",
                    status ? lib.api_->lastError() : "");
}

Status ModelInstance::pinHostMemory(const void *data, size_t bytes) {
  if (library_->api_->pinHostMemory(model_, data,
                                    static_cast<int64_t>(bytes)) != CNNC_OK)
    return library_->lastError("cannot pin host memory");
  return Status::ok();
}

Status ModelInstance::unpinHostMemory(const void *data) {
  if (library_->api_->unpinHostMemory(model_, data) != CNNC_OK)
    return library_->lastError("cannot unpin host memory");
  return Status::ok();
}

Result<StepResult>
ModelInstance::evaluate(const std::vector<const Tensor *> &inputs,
                        const std::vector<const Tensor *> &targets) {
  const ModelLibrary &lib = *library_;
  std::vector<cnnc_tensor> in = toAbi(inputs), tg = toAbi(targets);
  cnnc_step_result r{};
  cnnc_status status =
      lib.api_->evaluate(model_, in.data(), static_cast<int32_t>(in.size()),
                         tg.data(), static_cast<int32_t>(tg.size()), &r);
  return stepResult(lib, status, r, "evaluation",
                    status ? lib.api_->lastError() : "");
}

Result<Tensor> ModelInstance::getOptimizerState(int state, int param) const {
  const ModelLibrary &lib = *library_;
  if (param < 0 || param >= static_cast<int>(lib.params_.size()))
    return Error{lib.path_ + ": no parameter " + std::to_string(param)};
  Tensor t = Tensor::zerosF32(lib.params_[param].shape);
  if (lib.api_->getOptimizerState(model_, state, param, t.f32.data(),
                                  static_cast<int64_t>(t.f32.size())) !=
      CNNC_OK)
    return lib.lastError("cannot read the optimizer state of '" +
                         lib.params_[param].name + "'");
  return t;
}

Status ModelInstance::setOptimizerState(int state, int param,
                                        const Tensor &value) {
  const ModelLibrary &lib = *library_;
  if (param < 0 || param >= static_cast<int>(lib.params_.size()))
    return Error{lib.path_ + ": no parameter " + std::to_string(param)};
  const TensorInfo &info = lib.params_[param];
  if (value.dtype != DType::F32 || value.shape != info.shape)
    return Error{lib.path_ + ": the optimizer state of '" + info.name +
                 "' is f32 " + formatShape(info.shape) + ", got " +
                 dtypeName(value.dtype) + " " + formatShape(value.shape)};
  if (lib.api_->setOptimizerState(model_, state, param, value.f32.data(),
                                  static_cast<int64_t>(value.f32.size())) !=
      CNNC_OK)
    return lib.lastError("cannot set the optimizer state of '" + info.name +
                         "'");
  return Status::ok();
}

int64_t ModelInstance::step() const { return library_->api_->getStep(model_); }

Status ModelInstance::setStep(int64_t step) {
  if (library_->api_->setStep(model_, step) != CNNC_OK)
    return library_->lastError("cannot set the step");
  return Status::ok();
}

Status ModelInstance::setTrainingSeed(uint64_t seed) {
  if (library_->api_->setTrainingSeed(model_, seed) != CNNC_OK)
    return library_->lastError("cannot set the training seed");
  return Status::ok();
}
