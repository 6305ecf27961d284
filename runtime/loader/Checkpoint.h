//===- Checkpoint.h - model parameters to and from safetensors --*- C++ -*-===//
//
// A checkpoint holds one tensor per parameter, named as the model names it
// ("c1.weight") in PyTorch's layout, so a state_dict saved with
// safetensors.torch.save_file loads as it is, and the other way round.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_LOADER_CHECKPOINT_H
#define CNNC_RUNTIME_LOADER_CHECKPOINT_H

#include "runtime/io/Safetensors.h"
#include "runtime/loader/ModelLibrary.h"

namespace cnnc::rt {

/// Sets every parameter of `instance` from `checkpoint`. Strict, like
/// PyTorch's load_state_dict: a missing parameter, a tensor of another shape
/// and a tensor the model does not have are errors (all listed, naming
/// `source`), and on error the instance is left unchanged.
Status loadParams(ModelInstance &instance, const Checkpoint &checkpoint,
                  const std::string &source);

/// Reads a safetensors file and loads it into `instance`.
Status loadParamsFile(ModelInstance &instance, const std::string &path);

/// The parameters of `instance` as a checkpoint (metadata: the model name).
Result<Checkpoint> saveParams(const ModelInstance &instance);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_LOADER_CHECKPOINT_H
