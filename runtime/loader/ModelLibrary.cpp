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
  bool ok = resolve(handle, "cnnc_model_name", api.modelName) &&
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
            resolve(handle, "cnnc_infer", api.infer);
  if (!ok) {
    const char *why = dlerror();
    return Error{path + ": the model lacks functions of cnnc ABI version " +
                 std::to_string(CNNC_ABI_VERSION) + " (" +
                 (why ? why : "a symbol is missing") + ")"};
  }

  lib->name_ = api.modelName();
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

Result<std::vector<Tensor>>
ModelInstance::infer(const std::vector<const Tensor *> &inputs) {
  const ModelLibrary &lib = *library_;
  if (inputs.size() != lib.inputs_.size())
    return Error{lib.path_ + ": the model takes " +
                 std::to_string(lib.inputs_.size()) + " input(s), got " +
                 std::to_string(inputs.size())};
  std::vector<cnnc_tensor> in;
  for (const Tensor *t : inputs) {
    void *data = t->dtype == DType::F32
                     ? static_cast<void *>(const_cast<float *>(t->f32.data()))
                     : const_cast<int32_t *>(t->i32.data());
    in.push_back({data, t->dtype == DType::F32 ? CNNC_F32 : CNNC_I32,
                  static_cast<int32_t>(t->shape.size()), t->shape.data()});
  }
  int64_t batch =
      inputs.empty() || inputs[0]->shape.empty() ? 1 : inputs[0]->shape[0];
  std::vector<Tensor> results;
  std::vector<cnnc_tensor> out;
  for (const TensorInfo &info : lib.outputs_) {
    std::vector<int64_t> shape = info.shape;
    if (!shape.empty())
      shape[0] = batch;
    results.push_back(info.dtype == DType::F32 ? Tensor::zerosF32(shape)
                                               : Tensor::zerosI32(shape));
  }
  for (Tensor &t : results)
    out.push_back({t.dtype == DType::F32 ? static_cast<void *>(t.f32.data())
                                         : static_cast<void *>(t.i32.data()),
                   t.dtype == DType::F32 ? CNNC_F32 : CNNC_I32,
                   static_cast<int32_t>(t.shape.size()), t.shape.data()});
  if (lib.api_->infer(model_, in.data(), static_cast<int32_t>(in.size()),
                      out.data(), static_cast<int32_t>(out.size())) != CNNC_OK)
    return Error{lib.path_ + ": inference failed: " + lib.api_->lastError()};
  return results;
}
