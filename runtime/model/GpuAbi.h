//===- GpuAbi.h - a model instance on a GPU ---------------------*- C++ -*-===//
//
// What ModelAbi.cpp and TrainAbi.cpp call when an instance runs on a GPU
// (cnnc_set_device): keeping the host and device copies of the parameters
// and optimizer state in step, uploading a call's tensors, and turning the
// CUDA layer's recorded errors (GpuRuntime.h) into the ABI's statuses.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_MODEL_GPUABI_H
#define CNNC_RUNTIME_MODEL_GPUABI_H

#include "runtime/model/AbiSupport.h"

namespace cnnc::abi {

inline bool onDevice(const cnnc_model *model) { return model && model->device; }

/// Before the host copies of the parameters or states are read: downloads
/// them if a GPU step changed them. `what` names the caller in a message.
cnnc_status refreshHost(const cnnc_model *model, const char *what);

/// After the host copies were written (set_param, init_params,
/// set_optimizer_state): the next GPU call uploads them first.
void hostWritten(cnnc_model *model);

/// Before a GPU call: uploads the host copies if they were written.
cnnc_status refreshDevice(cnnc_model *model, const char *what);

/// Frees the instance's device buffers and context (cnnc_destroy).
void releaseDevice(cnnc_model *model);

/// CNNC_DEVICE_ERROR with the CUDA layer's first recorded error, if there
/// is one; CNNC_OK otherwise.
cnnc_status deviceStatus(cnnc_model *model, const char *what);

/// A ResultFreer for results generated GPU code allocated; it keeps the
/// instance's device parameters and states.
ResultFreer deviceResultFreer(cnnc_model *model);

/// Gives `slot` a pinned buffer of at least `floats` for what a queued
/// call downloads, one for a step's scalars, and its fence.
cnnc_status prepareSlot(cnnc_model *model, QueuedCall &slot, int64_t floats,
                        const char *what);

/// cnnc_infer on the instance's GPU, the arguments checked. With a `slot`
/// (cnnc_infer_queue) nothing is waited for: the outputs are downloaded
/// into the slot's pinned buffer behind its fence, and
/// finishInferenceOnDevice copies them into the caller's.
cnnc_status inferOnDevice(cnnc_model *model, const cnnc_tensor *inputs,
                          int32_t numInputs, const cnnc_tensor *outputs,
                          int32_t numOutputs, QueuedCall *slot = nullptr);

/// Waits for the inference inferOnDevice queued into `slot` and writes its
/// outputs into the caller's memory.
cnnc_status finishInferenceOnDevice(cnnc_model *model, QueuedCall &slot);

} // namespace cnnc::abi

#endif // CNNC_RUNTIME_MODEL_GPUABI_H
