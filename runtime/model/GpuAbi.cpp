//===- GpuAbi.cpp - cnnc_set_device and the GPU half of the ABI -----------===//
//
// An instance on a GPU keeps its parameters and optimizer state in device
// memory, laid out as on the host; each call uploads the caller's tensors,
// runs the CUDA entry cnnc compiled (ModelRecord.h: gpu_infer, ...) on the
// instance's stream and downloads what the caller gets back. The host
// copies stay the ones the getters and setters use, refreshed lazily
// (AbiSupport.h), so checkpoints work the same on both devices. A call
// made again with the same shapes is replayed as a CUDA graph (GpuCalls.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/model/GpuAbi.h"

#include "runtime/model/GpuCalls.h"
#include "runtime/model/GpuRuntime.h"

#include <cstdio>
#include <cstring>

using namespace cnnc::abi;
namespace gpu = cnnc::gpu;

namespace {

constexpr int32_t kMaxArgs = 64;

size_t paramBytes() {
  return static_cast<size_t>(record().param_elements) * sizeof(float);
}

size_t stateBytes(const cnnc_model *model) {
  return static_cast<size_t>(model->stateStride * record().num_states) *
         sizeof(float);
}

void freeDeviceBlock(void *context, void *block) {
  gpu::deviceFree(static_cast<gpu::DeviceContext *>(context), block);
}

/// "cpu" → -1, "cuda" → 0, "cuda:N" → N; -2 for anything else.
int parseDevice(const char *device) {
  if (std::strcmp(device, "cpu") == 0)
    return -1;
  if (std::strcmp(device, "cuda") == 0)
    return 0;
  if (std::strncmp(device, "cuda:", 5) != 0)
    return -2;
  const char *digits = device + 5;
  int ordinal = 0, count = 0;
  for (; *digits >= '0' && *digits <= '9' && count < 4; ++digits, ++count)
    ordinal = ordinal * 10 + (*digits - '0');
  return count == 0 || *digits ? -2 : ordinal;
}

/// Moves an instance onto device `ordinal` from its host copies (current:
/// the caller refreshed them). Only once the new device holds them is the
/// old one, if any, released, so a failed move leaves the instance where it
/// was.
cnnc_status moveToDevice(cnnc_model *model, int ordinal) {
  char error[512];
  gpu::DeviceContext *context =
      gpu::createDeviceContext(ordinal, error, sizeof error);
  if (!context)
    return fail(CNNC_DEVICE_UNAVAILABLE, "set_device: %s", error);
  auto *params = static_cast<float *>(gpu::deviceAlloc(context, paramBytes()));
  float *states = nullptr;
  if (stateBytes(model) != 0)
    states = static_cast<float *>(gpu::deviceAlloc(context, stateBytes(model)));
  const Scalars zeros[2] = {};
  auto *scalars =
      static_cast<Scalars *>(gpu::deviceAlloc(context, sizeof zeros));
  bool ok = params && (states || stateBytes(model) == 0) && scalars &&
            gpu::upload(context, scalars, zeros, sizeof zeros) &&
            gpu::upload(context, params, model->params, paramBytes()) &&
            (!states ||
             gpu::upload(context, states, model->states, stateBytes(model))) &&
            gpu::synchronize(context);
  if (!ok) {
    const char *why = gpu::takeError(context);
    cnnc_status status =
        fail(CNNC_DEVICE_UNAVAILABLE,
             "set_device: cannot place the parameters on cuda:%d: %s", ordinal,
             why ? why : "out of device memory");
    gpu::destroyDeviceContext(context);
    return status;
  }
  releaseDevice(model);
  model->device = context;
  model->deviceParams = params;
  model->deviceStates = states;
  model->deviceScalars = scalars;
  model->hostStale = false;
  model->deviceStale = false;
  std::snprintf(model->deviceLabel, sizeof model->deviceLabel, "cuda:%d",
                ordinal);
  return CNNC_OK;
}

} // namespace

cnnc_status cnnc::abi::refreshHost(const cnnc_model *model, const char *what) {
  if (!onDevice(model) || !model->hostStale)
    return CNNC_OK;
  auto *m = const_cast<cnnc_model *>(model);
  bool ok =
      gpu::download(m->device, m->params, m->deviceParams, paramBytes()) &&
      (!m->deviceStates ||
       gpu::download(m->device, m->states, m->deviceStates, stateBytes(m)));
  if (!ok)
    return deviceStatus(m, what);
  m->hostStale = false;
  return CNNC_OK;
}

void cnnc::abi::hostWritten(cnnc_model *model) {
  if (onDevice(model))
    model->deviceStale = true;
}

cnnc_status cnnc::abi::refreshDevice(cnnc_model *model, const char *what) {
  if (!model->deviceStale)
    return CNNC_OK;
  bool ok =
      gpu::upload(model->device, model->deviceParams, model->params,
                  paramBytes()) &&
      (!model->deviceStates || gpu::upload(model->device, model->deviceStates,
                                           model->states, stateBytes(model)));
  if (!ok)
    return deviceStatus(model, what);
  model->deviceStale = false;
  return CNNC_OK;
}

void cnnc::abi::releaseDevice(cnnc_model *model) {
  if (!onDevice(model))
    return;
  releaseRecordedCalls(model);
  for (QueuedCall &slot : model->queued) {
    gpu::destroyFence(model->device, slot.done);
    gpu::hostFree(model->device, slot.download);
    gpu::hostFree(model->device, slot.scalars);
    slot = QueuedCall{};
  }
  model->queueHead = model->numQueued = 0;
  gpu::deviceFree(model->device, model->deviceParams);
  gpu::deviceFree(model->device, model->deviceStates);
  gpu::deviceFree(model->device, model->deviceScalars);
  gpu::destroyDeviceContext(model->device);
  model->device = nullptr;
  model->deviceParams = model->deviceStates = nullptr;
  model->deviceScalars = nullptr;
  model->hostStale = model->deviceStale = false;
}

cnnc_status cnnc::abi::deviceStatus(cnnc_model *model, const char *what) {
  const char *error = gpu::takeError(model->device);
  if (!error)
    return CNNC_OK;
  return fail(CNNC_DEVICE_ERROR, "%s on %s: %s", what, model->deviceLabel,
              error);
}

ResultFreer cnnc::abi::deviceResultFreer(cnnc_model *model) {
  ResultFreer freer(freeDeviceBlock, model->device);
  freer.keep(model->deviceParams, static_cast<int64_t>(paramBytes()));
  freer.keep(model->deviceStates, static_cast<int64_t>(stateBytes(model)));
  return freer;
}

cnnc_status cnnc::abi::prepareSlot(cnnc_model *model, QueuedCall &slot,
                                   int64_t floats, const char *what) {
  if (!slot.done && !(slot.done = gpu::createFence(model->device)))
    return deviceStatus(model, what);
  if (!slot.scalars && !(slot.scalars = static_cast<Scalars *>(
                             gpu::hostAlloc(model->device, sizeof(Scalars)))))
    return deviceStatus(model, what);
  if (slot.capacity >= floats)
    return CNNC_OK;
  gpu::hostFree(model->device, slot.download);
  slot.capacity = 0;
  slot.download = static_cast<float *>(gpu::hostAlloc(
      model->device, static_cast<size_t>(floats) * sizeof(float)));
  if (!slot.download)
    return deviceStatus(model, what);
  slot.capacity = floats;
  return CNNC_OK;
}

cnnc_status cnnc::abi::inferOnDevice(cnnc_model *model,
                                     const cnnc_tensor *inputs,
                                     int32_t numInputs,
                                     const cnnc_tensor *outputs,
                                     int32_t numOutputs, QueuedCall *slot) {
  const char *what = slot ? "infer_queue" : "infer";
  const cnnc_model_record &r = record();
  if (!r.gpu_infer)
    return fail(CNNC_INTERNAL_ERROR, "%s: the library has no CUDA entry", what);
  if (cnnc_status s = refreshDevice(model, what))
    return s;
  // The slot's buffer before any work, so that nothing queued can fail for
  // memory.
  if (slot) {
    int64_t floats = 1;
    for (int32_t k = 0; k < numOutputs; ++k)
      floats += tensorBytes(outputs[k]) / 4;
    if (cnnc_status s = prepareSlot(model, *slot, floats, what))
      return s;
  }
  int32_t ranks[DeviceCall::kMaxResults];
  for (int32_t k = 0; k < numOutputs && k < DeviceCall::kMaxResults; ++k)
    ranks[k] = r.outputs[k].rank;
  // Every call with these shapes is the same work: it is replayed.
  DeviceCall call(model, {reinterpret_cast<const void *>(r.gpu_infer), inputs,
                          numInputs, nullptr, 0, ranks, numOutputs,
                          /*behindQueuedWork=*/model->numQueued > 0});
  if (cnnc_status s = call.upload(what))
    return s;

  Descriptor inputDescs[kMaxArgs], paramDesc, seedDesc;
  void *args[kMaxArgs + 3];
  for (int32_t k = 0; k < numInputs; ++k) {
    const cnnc_tensor &t = call.inputs()[k];
    describeContiguous(inputDescs[k], t.data, t.shape, t.rank);
    args[1 + k] = &inputDescs[k];
  }
  describeContiguous(paramDesc, model->deviceParams, &r.param_elements, 1);
  args[1 + numInputs] = &paramDesc;
  // Dropout is the identity: the seed is a zero in device memory.
  describeContiguous(seedDesc, &model->deviceScalars[1].seed, nullptr, 0);
  if (r.has_seed)
    args[2 + numInputs] = &seedDesc;
  {
    gpu::CurrentDevice current(model->device);
    call.run([&](int64_t *results) {
      args[0] = results;
      r.gpu_infer(args);
    });
  }

  int64_t *word = call.results();
  float *queued = slot ? slot->download : nullptr;
  for (int32_t k = 0; k < numOutputs; ++k) {
    auto *d = reinterpret_cast<Descriptor *>(word);
    word += descriptorWords(r.outputs[k].rank);
    auto bytes = static_cast<size_t>(tensorBytes(outputs[k]));
    if (!slot) {
      gpu::download(model->device, outputs[k].data, resultData(*d, 4), bytes);
      continue;
    }
    gpu::queueDownload(model->device, queued, resultData(*d, 4), bytes);
    slot->outputs[k] = outputs[k].data;
    slot->outputBytes[k] = static_cast<int64_t>(bytes);
    queued += bytes / 4;
  }
  if (slot) {
    gpu::markFence(model->device, slot->done);
    slot->inference = true;
    slot->numOutputs = numOutputs;
  }
  return deviceStatus(model, what);
}

cnnc_status cnnc::abi::finishInferenceOnDevice(cnnc_model *model,
                                               QueuedCall &slot) {
  gpu::waitForFence(model->device, slot.done); // a failure is recorded
  if (cnnc_status s = deviceStatus(model, "infer"))
    return s;
  const float *from = slot.download;
  for (int32_t k = 0; k < slot.numOutputs; ++k) {
    std::memcpy(slot.outputs[k], from,
                static_cast<size_t>(slot.outputBytes[k]));
    from += slot.outputBytes[k] / 4;
  }
  return CNNC_OK;
}

extern "C" {

const char *cnnc_cuda_arch(void) { return record().cuda_arch; }

cnnc_status cnnc_set_device(cnnc_model *model, const char *device) {
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "set_device: the model is null");
  if (!device)
    return fail(CNNC_INVALID_ARGUMENT, "set_device: the device is null");
  int ordinal = parseDevice(device);
  if (ordinal == -2)
    return fail(CNNC_INVALID_ARGUMENT,
                "set_device: unknown device '%s': expected cpu, cuda or "
                "cuda:N",
                device);
  if (ordinal >= 0 && !record().cuda_arch)
    return fail(CNNC_DEVICE_UNAVAILABLE,
                "set_device: the library has no CUDA code (it was compiled "
                "without a CUDA toolkit, or with --no-cuda); recompile it with "
                "cnnc on a machine with the toolkit to run on %s",
                device);
  if (cnnc_status s = checkNothingQueued(model, "set_device"))
    return s;
  if (ordinal >= 0 && onDevice(model) &&
      gpu::deviceOrdinal(model->device) == ordinal)
    return CNNC_OK;
  if (cnnc_status s = refreshHost(model, "set_device"))
    return s;
  if (ordinal >= 0)
    return moveToDevice(model, ordinal);
  releaseDevice(model);
  return CNNC_OK;
}

cnnc_status cnnc_pin_host_memory(cnnc_model *model, const void *data,
                                 int64_t bytes) {
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "pin_host_memory: the model is null");
  if (!data || bytes <= 0)
    return fail(CNNC_INVALID_ARGUMENT, "pin_host_memory: %s",
                data ? "the size must be at least 1" : "the address is null");
  if (!onDevice(model))
    return CNNC_OK;
  if (!gpu::pinHostMemory(model->device, data, static_cast<size_t>(bytes)))
    return deviceStatus(model, "pin_host_memory");
  return CNNC_OK;
}

cnnc_status cnnc_unpin_host_memory(cnnc_model *model, const void *data) {
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "unpin_host_memory: the model is null");
  if (!onDevice(model))
    return CNNC_OK;
  if (!gpu::unpinHostMemory(model->device, data))
    return fail(CNNC_INVALID_ARGUMENT,
                "unpin_host_memory: no memory is pinned at %p on %s", data,
                model->deviceLabel);
  return CNNC_OK;
}

const char *cnnc_device(const cnnc_model *model) {
  if (!model) {
    fail(CNNC_INVALID_ARGUMENT, "device: the model is null");
    return nullptr;
  }
  return onDevice(model) ? model->deviceLabel : "cpu";
}

} // extern "C"
