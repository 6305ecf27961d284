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
};

/// One model instance: parameters and working memory. Keeps its library
/// loaded.
class ModelInstance {
public:
  ~ModelInstance();

  const ModelLibrary &library() const { return *library_; }

  Status initParams(uint64_t seed);
  Result<Tensor> getParam(int index) const;
  Status setParam(int index, const Tensor &value);

  /// Runs inference: one tensor per input, in the order of inputs(), all
  /// with the same batch size; returns one tensor per output.
  Result<std::vector<Tensor>> infer(const std::vector<const Tensor *> &inputs);

private:
  friend class ModelLibrary;
  ModelInstance(std::shared_ptr<ModelLibrary> library, cnnc_model *model)
      : library_(std::move(library)), model_(model) {}

  std::shared_ptr<ModelLibrary> library_;
  cnnc_model *model_;
};

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_LOADER_MODELLIBRARY_H
