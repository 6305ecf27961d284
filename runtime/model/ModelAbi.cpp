//===- ModelAbi.cpp - the functions of cnnc.h, linked into every model ----===//
//
// cnnc links this file (as libcnnc_model.a) into each .so it writes; the
// model's object supplies `cnnc_model_record_v5`. Everything a caller can get
// wrong is checked here, before generated code runs, because generated code
// trusts its shapes.
//
// Built without exceptions and without the C++ library's allocation, so a
// model needs only libc and libm at run time.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/AbiSupport.h"
#include "runtime/model/GpuAbi.h"
#include "runtime/model/ThreadPool.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace cnnc::abi;

namespace {

/// `count` zero floats, 64-byte aligned (generated code may use aligned
/// vector loads); null when none are asked for or memory is short.
float *allocateZeroed(int64_t count) {
  void *p = nullptr;
  size_t bytes = static_cast<size_t>(count) * sizeof(float);
  if (!bytes || posix_memalign(&p, 64, bytes) != 0)
    return nullptr;
  std::memset(p, 0, bytes);
  return static_cast<float *>(p);
}

/// Descriptors live on the stack: at most a few per model.
constexpr int32_t kMaxArgs = 64;
static_assert(CNNC_MAX_QUEUED_OUTPUTS >= kMaxArgs,
              "a queued inference writes every output cnnc_infer writes");

/// One cnnc_infer, checked, to be run as `slices` slices of the batch.
struct InferCall {
  cnnc_model *model;
  const cnnc_tensor *inputs;
  int32_t numInputs;
  const cnnc_tensor *outputs;
  int32_t numOutputs;
  int64_t batch;
  int32_t slices;
};

/// Runs the forward function on slice `i` of the call's batch and copies
/// its outputs into place. Generated code cannot fail on checked inputs.
void inferSlice(void *context, int32_t i) {
  const InferCall &c = *static_cast<const InferCall *>(context);
  const cnnc_model_record &r = record();
  int64_t begin = 0, end = 0;
  sliceBounds(c.batch, c.slices, i, begin, end);
  int64_t count = end - begin;

  Descriptor inputDescs[kMaxArgs], paramDesc;
  int64_t shapes[kMaxArgs][CNNC_MAX_RANK];
  int64_t results[kMaxArgs * descriptorWords(CNNC_MAX_RANK)];
  void *args[kMaxArgs];
  args[0] = results;
  for (int32_t k = 0; k < c.numInputs; ++k) {
    cnnc_tensor in;
    restrictToImages(in, c.inputs[k], shapes[k], begin, count);
    describeContiguous(inputDescs[k], in.data, in.shape, in.rank);
    args[1 + k] = &inputDescs[k];
  }
  describeContiguous(paramDesc, c.model->params, &r.param_elements, 1);
  args[1 + c.numInputs] = &paramDesc;
  int64_t seed = 0; // dropout is the identity in inference
  if (r.has_seed)
    args[2 + c.numInputs] = &seed;
  r.infer(args);

  // Copy each result out, then free what generated code allocated. A result
  // may alias an input or the parameters (`output image`), or another
  // result: those are not freed, nor freed twice. Results come back
  // contiguous: the pipeline bufferizes function boundaries with identity
  // layouts.
  int64_t *word = results;
  for (int32_t k = 0; k < c.numOutputs; ++k) {
    auto *d = reinterpret_cast<Descriptor *>(word);
    word += descriptorWords(r.outputs[k].rank);
    const cnnc_tensor &out = c.outputs[k];
    std::memcpy(static_cast<char *>(out.data) + begin * imageBytes(out),
                resultData(*d, 4),
                static_cast<size_t>(count * imageBytes(out)));
  }
  ResultFreer freer;
  freer.keep(c.model->params, r.param_elements * int64_t(sizeof(float)));
  for (int32_t k = 0; k < c.numInputs; ++k)
    freer.keep(c.inputs[k].data, tensorBytes(c.inputs[k]));
  word = results;
  for (int32_t k = 0; k < c.numOutputs; ++k) {
    freer.release(*reinterpret_cast<Descriptor *>(word));
    word += descriptorWords(r.outputs[k].rank);
  }
}

/// The checks of an inference (`what` names the call): the model, the
/// counts and shapes of the tensors.
cnnc_status checkInference(const cnnc_model *model, const cnnc_tensor *inputs,
                           int32_t numInputs, const cnnc_tensor *outputs,
                           int32_t numOutputs, const char *what,
                           int64_t &batch) {
  const cnnc_model_record &r = record();
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "%s: the model is null", what);
  if (cnnc_status s = checkBatch(what, inputs, numInputs,
                                 {outputs, numOutputs, r.num_outputs, r.outputs,
                                  "the model has", "output"},
                                 batch))
    return s;
  if (numInputs + 3 > kMaxArgs || numOutputs > kMaxArgs)
    return fail(CNNC_INTERNAL_ERROR, "%s: too many inputs or outputs", what);
  return CNNC_OK;
}

/// Inference on the CPU, checked: slices of the batch run on the model's
/// threads at once, images being independent in inference.
void inferOnHost(cnnc_model *model, const cnnc_tensor *inputs,
                 int32_t numInputs, const cnnc_tensor *outputs,
                 int32_t numOutputs, int64_t batch) {
  InferCall call{model,      inputs, numInputs,        outputs,
                 numOutputs, batch,  sliceCount(batch)};
  parallelFor(call.slices, inferSlice, &call);
}

} // namespace

extern "C" {

uint32_t cnnc_abi_version(void) { return CNNC_ABI_VERSION; }
const char *cnnc_model_name(void) { return record().name; }
const char *cnnc_last_error(void) { return lastErrorText(); }
int32_t cnnc_num_inputs(void) { return record().num_inputs; }
int32_t cnnc_num_outputs(void) { return record().num_outputs; }
int32_t cnnc_num_params(void) { return record().num_params; }

cnnc_status cnnc_input_info(int32_t index, cnnc_tensor_info *info) {
  return describe(record().inputs, record().num_inputs, "input", index, info);
}

cnnc_status cnnc_output_info(int32_t index, cnnc_tensor_info *info) {
  return describe(record().outputs, record().num_outputs, "output", index,
                  info);
}

cnnc_status cnnc_param_info(int32_t index, cnnc_tensor_info *info) {
  if (index < 0 || index >= record().num_params || !info)
    return describe(nullptr, record().num_params, "parameter", index, info);
  *info = record().params[index].info;
  return CNNC_OK;
}

cnnc_status cnnc_create(uint32_t abiVersion, cnnc_model **model) {
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "create: the model pointer is null");
  *model = nullptr;
  if (abiVersion != CNNC_ABI_VERSION)
    return fail(CNNC_ABI_MISMATCH,
                "the caller was built for cnnc ABI version %u, this library "
                "implements version %u; recompile the model with a matching "
                "cnnc",
                abiVersion, CNNC_ABI_VERSION);
  auto *m = static_cast<cnnc_model *>(std::calloc(1, sizeof(cnnc_model)));
  if (!m)
    return fail(CNNC_OUT_OF_MEMORY, "cannot allocate a model instance");
  // The optimizer's state buffers follow each other at a stride rounded up
  // to 64 bytes, so each is as aligned as the parameters.
  int64_t elements = record().param_elements;
  m->stateStride = (elements + 15) / 16 * 16;
  int64_t stateElements = m->stateStride * record().num_states;
  float *params = allocateZeroed(elements);
  float *states = allocateZeroed(stateElements);
  if ((elements != 0 && !params) || (stateElements != 0 && !states)) {
    std::free(params);
    std::free(states);
    std::free(m);
    return fail(CNNC_OUT_OF_MEMORY,
                "cannot allocate %lld bytes for the parameters and %d "
                "optimizer state buffer(s)",
                static_cast<long long>(elements * 4), record().num_states);
  }
  m->params = params;
  m->states = states;
  *model = m;
  return CNNC_OK;
}

void cnnc_destroy(cnnc_model *model) {
  if (!model)
    return;
  releaseDevice(model);
  std::free(model->params);
  std::free(model->states);
  std::free(model);
}

/// Initialises the parameters only: the optimizer state, the step and the
/// training seed stay as they are (a fresh instance has them zero), so a
/// caller restoring a checkpoint sets each of them itself.
cnnc_status cnnc_init_params(cnnc_model *model, uint64_t seed) {
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "init_params: the model is null");
  // The states stay: they must be current on the host before it is
  // uploaded again.
  if (cnnc_status s = refreshHost(model, "init_params"))
    return s;
  hostWritten(model);
  for (int32_t p = 0; p < record().num_params; ++p) {
    const cnnc_param_record &param = record().params[p];
    float *data = model->params + param.offset;
    int64_t n = elementCount(param.info);
    if (param.init == CNNC_INIT_CONSTANT) {
      for (int64_t i = 0; i < n; ++i)
        data[i] = param.init_value;
      continue;
    }
    // One splitmix64 stream per parameter, so adding a layer does not
    // change the draws of the others.
    uint64_t state = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t(p) + 1));
    for (int64_t i = 0; i < n; ++i) {
      uint64_t z = (state += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      z ^= z >> 31;
      float unit = static_cast<float>(z >> 40) * 0x1.0p-24f; // [0, 1)
      data[i] = (2.0f * unit - 1.0f) * param.init_value;
    }
  }
  return CNNC_OK;
}

cnnc_status cnnc_get_param(const cnnc_model *model, int32_t index, float *data,
                           int64_t count) {
  if (cnnc_status s = checkParamAccess(model, index, data, count, "get_param"))
    return s;
  if (cnnc_status s = refreshHost(model, "get_param"))
    return s;
  std::memcpy(data, model->params + record().params[index].offset,
              static_cast<size_t>(count) * sizeof(float));
  return CNNC_OK;
}

cnnc_status cnnc_set_param(cnnc_model *model, int32_t index, const float *data,
                           int64_t count) {
  if (cnnc_status s = checkParamAccess(model, index, data, count, "set_param"))
    return s;
  if (cnnc_status s = refreshHost(model, "set_param"))
    return s;
  std::memcpy(model->params + record().params[index].offset, data,
              static_cast<size_t>(count) * sizeof(float));
  hostWritten(model);
  return CNNC_OK;
}

cnnc_status cnnc_infer(cnnc_model *model, const cnnc_tensor *inputs,
                       int32_t numInputs, const cnnc_tensor *outputs,
                       int32_t numOutputs) {
  int64_t batch = 0;
  if (cnnc_status s = checkInference(model, inputs, numInputs, outputs,
                                     numOutputs, "infer", batch))
    return s;
  if (onDevice(model))
    return inferOnDevice(model, inputs, numInputs, outputs, numOutputs);
  inferOnHost(model, inputs, numInputs, outputs, numOutputs, batch);
  return CNNC_OK;
}

cnnc_status cnnc_infer_queue(cnnc_model *model, const cnnc_tensor *inputs,
                             int32_t numInputs, const cnnc_tensor *outputs,
                             int32_t numOutputs) {
  const char *what = "infer_queue";
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "%s: the model is null", what);
  QueuedCall *slot = nullptr;
  if (cnnc_status s = nextQueueSlot(model, what, &slot))
    return s;
  int64_t batch = 0;
  if (cnnc_status s = checkInference(model, inputs, numInputs, outputs,
                                     numOutputs, what, batch))
    return s;
  if (numOutputs > CNNC_MAX_QUEUED_OUTPUTS)
    return fail(CNNC_INVALID_ARGUMENT,
                "%s: the model has %d outputs, more than the %d a queued "
                "inference writes; use cnnc_infer",
                what, numOutputs, CNNC_MAX_QUEUED_OUTPUTS);
  if (onDevice(model)) {
    if (cnnc_status s =
            inferOnDevice(model, inputs, numInputs, outputs, numOutputs, slot))
      return s;
  } else {
    inferOnHost(model, inputs, numInputs, outputs, numOutputs, batch);
    slot->inference = true;
  }
  ++model->numQueued;
  return CNNC_OK;
}

cnnc_status cnnc_infer_wait(cnnc_model *model) {
  const char *what = "infer_wait";
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "%s: the model is null", what);
  QueuedCall *slot = nullptr;
  if (cnnc_status s = takeOldestQueued(model, what, /*inference=*/true, &slot))
    return s;
  // The instance cannot move while calls are queued.
  if (!onDevice(model))
    return CNNC_OK;
  return finishInferenceOnDevice(model, *slot);
}

} // extern "C"
