//===- Checkpoint.cpp - model parameters to and from safetensors ----------===//

#include "runtime/loader/Checkpoint.h"

#include <set>

using namespace cnnc::rt;

Status cnnc::rt::loadParams(ModelInstance &instance,
                            const Checkpoint &checkpoint,
                            const std::string &source) {
  const ModelLibrary &lib = instance.library();
  std::vector<std::string> problems;
  std::vector<const Tensor *> values(lib.params().size(), nullptr);
  std::set<std::string> known;
  for (size_t i = 0; i < lib.params().size(); ++i) {
    const TensorInfo &info = lib.params()[i];
    known.insert(info.name);
    const NamedTensor *entry = find(checkpoint, info.name);
    if (!entry) {
      problems.push_back("parameter '" + info.name + "' " +
                         formatShape(info.shape) + " is missing");
      continue;
    }
    if (entry->tensor.dtype != DType::F32 ||
        entry->tensor.shape != info.shape) {
      problems.push_back(
          "'" + info.name + "' is " + dtypeName(entry->tensor.dtype) + " " +
          formatShape(entry->tensor.shape) + ", the model's parameter is f32 " +
          formatShape(info.shape));
      continue;
    }
    values[i] = &entry->tensor;
  }
  for (const NamedTensor &entry : checkpoint.tensors)
    if (!known.count(entry.name))
      problems.push_back("'" + entry.name + "' is not a parameter of model '" +
                         lib.name() + "'");
  if (!problems.empty()) {
    std::string message = source + ": does not fit model '" + lib.name() +
                          "' (" + lib.path() + "):";
    for (const std::string &p : problems)
      message += "\n  " + p;
    return Error{message};
  }
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
  checkpoint.metadata["cnnc.model"] = instance.library().name();
  const std::vector<TensorInfo> &params = instance.library().params();
  for (size_t i = 0; i < params.size(); ++i) {
    Result<Tensor> value = instance.getParam(static_cast<int>(i));
    if (!value)
      return value.error();
    checkpoint.tensors.push_back({params[i].name, std::move(*value)});
  }
  return checkpoint;
}
