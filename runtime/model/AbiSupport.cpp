//===- AbiSupport.cpp - what ModelAbi.cpp and TrainAbi.cpp share ----------===//
//
// Error text, shape checks and result ownership for the functions of cnnc.h.
// Everything a caller can get wrong is checked before generated code runs,
// because generated code trusts its shapes.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/AbiSupport.h"
#include "runtime/model/ThreadPool.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cnnc::abi {
namespace {
thread_local char lastError[1024];
} // namespace

cnnc_status fail(cnnc_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int n = std::snprintf(lastError, sizeof lastError, "%s: ", record().name);
  if (n < 0 || static_cast<size_t>(n) >= sizeof lastError)
    n = 0;
  std::vsnprintf(lastError + n, sizeof lastError - n, format, args);
  va_end(args);
  return status;
}

const char *lastErrorText() { return lastError; }

const char *formatShape(const int64_t *shape, int32_t rank, char *out,
                        size_t size) {
  size_t used = static_cast<size_t>(std::snprintf(out, size, "["));
  for (int32_t i = 0; i < rank && used < size; ++i)
    used += static_cast<size_t>(
        std::snprintf(out + used, size - used, "%s%lld", i ? ", " : "",
                      static_cast<long long>(shape[i])));
  if (used < size)
    std::snprintf(out + used, size - used, "]");
  return out;
}

const char *dtypeName(int32_t dtype) {
  return dtype == CNNC_F32 ? "f32" : dtype == CNNC_I32 ? "i32" : "unknown";
}

int64_t elementCount(const cnnc_tensor_info &info) {
  int64_t n = 1;
  for (int32_t i = 0; i < info.rank; ++i)
    n *= info.shape[i];
  return n;
}

cnnc_status describe(const cnnc_tensor_info *table, int32_t count,
                     const char *what, int32_t index, cnnc_tensor_info *info) {
  if (!info)
    return fail(CNNC_INVALID_ARGUMENT, "%s info: the info pointer is null",
                what);
  if (index < 0 || index >= count)
    return fail(CNNC_INVALID_ARGUMENT,
                "%s index %d is out of range: the model has %d", what, index,
                count);
  *info = table[index];
  return CNNC_OK;
}

cnnc_status checkTensor(const cnnc_tensor &t, const cnnc_tensor_info &info,
                        const char *what, int64_t *batch) {
  char want[256], got[256];
  if (!t.data)
    return fail(CNNC_INVALID_ARGUMENT, "%s '%s': the data pointer is null",
                what, info.name);
  if (t.dtype != info.dtype)
    return fail(CNNC_SHAPE_MISMATCH, "%s '%s' is %s, got %s", what, info.name,
                dtypeName(info.dtype), dtypeName(t.dtype));
  if (t.rank != info.rank || !t.shape)
    return fail(CNNC_SHAPE_MISMATCH,
                "%s '%s' has rank %d %s (batch first), got rank %d", what,
                info.name, info.rank,
                formatShape(info.shape, info.rank, want, sizeof want),
                t.shape ? t.rank : 0);
  if (*batch == 0) {
    if (t.shape[0] < 1)
      return fail(CNNC_SHAPE_MISMATCH,
                  "%s '%s': the batch size must be at least 1, got %lld", what,
                  info.name, static_cast<long long>(t.shape[0]));
    *batch = t.shape[0];
  }
  bool same = t.shape[0] == *batch;
  for (int32_t i = 1; i < info.rank; ++i)
    same = same && t.shape[i] == info.shape[i];
  if (!same) {
    int64_t expected[CNNC_MAX_RANK];
    std::memcpy(expected, info.shape, sizeof expected);
    expected[0] = *batch;
    return fail(CNNC_SHAPE_MISMATCH, "%s '%s' must have shape %s, got %s", what,
                info.name, formatShape(expected, info.rank, want, sizeof want),
                formatShape(t.shape, t.rank, got, sizeof got));
  }
  return CNNC_OK;
}

cnnc_status checkCount(const cnnc_tensor *tensors, int32_t count,
                       int32_t expected, const char *what, const char *owner,
                       const char *role) {
  if (count != expected || (count && !tensors))
    return fail(CNNC_INVALID_ARGUMENT, "%s: %s %d %s(s), got %d", what, owner,
                expected, role, tensors ? count : 0);
  return CNNC_OK;
}

cnnc_status checkTensors(const cnnc_tensor *tensors, int32_t count,
                         const cnnc_tensor_info *infos, const char *role,
                         int64_t *batch) {
  for (int32_t i = 0; i < count; ++i)
    if (cnnc_status s = checkTensor(tensors[i], infos[i], role, batch))
      return s;
  return CNNC_OK;
}

cnnc_status checkBatch(const char *what, const cnnc_tensor *inputs,
                       int32_t numInputs, const OtherTensors &others,
                       int64_t &batch) {
  const cnnc_model_record &r = record();
  if (cnnc_status s = checkCount(inputs, numInputs, r.num_inputs, what,
                                 "the model takes", "input"))
    return s;
  if (cnnc_status s = checkCount(others.tensors, others.count, others.expected,
                                 what, others.owner, others.role))
    return s;
  batch = 0;
  if (cnnc_status s =
          checkTensors(inputs, numInputs, r.inputs, "input", &batch))
    return s;
  return checkTensors(others.tensors, others.count, others.infos, others.role,
                      &batch);
}

namespace {

/// What the instance's queue holds: "training step", "inference" or, for
/// both kinds, "call" (`plural` adds the s); and the function that takes
/// its oldest call.
struct QueueContents {
  const char *noun;
  const char *plural;
  const char *waitFunction;
};

QueueContents queueContents(const cnnc_model *model) {
  int32_t inferences = 0;
  for (int32_t i = 0; i < model->numQueued; ++i)
    inferences +=
        model->queued[(model->queueHead + i) % CNNC_MAX_QUEUED_STEPS].inference;
  bool oldestInference = model->queued[model->queueHead].inference;
  const char *wait =
      oldestInference ? "cnnc_infer_wait" : "cnnc_train_step_wait";
  if (inferences == 0)
    return {"training step", "training steps", wait};
  if (inferences == model->numQueued)
    return {"inference", "inferences", wait};
  return {"call", "calls", wait};
}

} // namespace

cnnc_status checkNothingQueued(const cnnc_model *model, const char *what) {
  if (model->numQueued == 0)
    return CNNC_OK;
  QueueContents queue = queueContents(model);
  return fail(
      CNNC_INVALID_ARGUMENT, "%s: %d queued %s %s not been waited for (%s)",
      what, model->numQueued, model->numQueued == 1 ? queue.noun : queue.plural,
      model->numQueued == 1 ? "has" : "have", queue.waitFunction);
}

cnnc_status nextQueueSlot(cnnc_model *model, const char *what,
                          QueuedCall **slot) {
  if (model->numQueued >= CNNC_MAX_QUEUED_STEPS) {
    QueueContents queue = queueContents(model);
    return fail(CNNC_INVALID_ARGUMENT,
                "%s: %d %s are queued already, the most there may be; wait "
                "for the oldest first (%s)",
                what, model->numQueued, queue.plural, queue.waitFunction);
  }
  *slot = &model->queued[(model->queueHead + model->numQueued) %
                         CNNC_MAX_QUEUED_STEPS];
  return CNNC_OK;
}

cnnc_status takeOldestQueued(cnnc_model *model, const char *what,
                             bool inference, QueuedCall **slot) {
  const char *kind = inference ? "inference" : "training step";
  if (model->numQueued == 0)
    return fail(CNNC_INVALID_ARGUMENT, "%s: no %s is queued", what, kind);
  QueuedCall &oldest = model->queued[model->queueHead];
  if (oldest.inference != inference)
    return fail(CNNC_INVALID_ARGUMENT,
                "%s: the oldest queued call is %s; take it first (%s)", what,
                oldest.inference ? "an inference" : "a training step",
                oldest.inference ? "cnnc_infer_wait" : "cnnc_train_step_wait");
  model->queueHead = (model->queueHead + 1) % CNNC_MAX_QUEUED_STEPS;
  --model->numQueued;
  *slot = &oldest;
  return CNNC_OK;
}

cnnc_status checkParamAccess(const cnnc_model *model, int32_t index,
                             const void *data, int64_t count,
                             const char *what) {
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "%s: the model is null", what);
  if (index < 0 || index >= record().num_params)
    return fail(CNNC_INVALID_ARGUMENT,
                "%s: parameter index %d is out of range: the model has %d",
                what, index, record().num_params);
  const cnnc_param_record &param = record().params[index];
  if (!data)
    return fail(CNNC_INVALID_ARGUMENT, "%s '%s': the data pointer is null",
                what, param.info.name);
  int64_t n = elementCount(param.info);
  if (count != n) {
    char shape[256];
    return fail(
        CNNC_SHAPE_MISMATCH,
        "%s '%s': the parameter has shape %s (%lld elements), got "
        "%lld elements",
        what, param.info.name,
        formatShape(param.info.shape, param.info.rank, shape, sizeof shape),
        static_cast<long long>(n), static_cast<long long>(count));
  }
  return CNNC_OK;
}

void describeContiguous(Descriptor &d, void *data, const int64_t *shape,
                        int32_t rank) {
  d.allocated = d.aligned = data;
  d.offset = 0;
  int64_t stride = 1;
  for (int32_t i = rank - 1; i >= 0; --i) {
    d.sizesAndStrides[i] = shape[i];
    d.sizesAndStrides[rank + i] = stride;
    stride *= shape[i];
  }
}

int64_t tensorBytes(const cnnc_tensor &t) {
  int64_t bytes = 4;
  for (int32_t j = 0; j < t.rank; ++j)
    bytes *= t.shape[j];
  return bytes;
}

void ResultFreer::keep(const void *begin, int64_t bytes) {
  // Callers bound their counts far below kMaxRegions; an overflow would
  // only leak, never free a kept buffer, because release() then frees
  // nothing.
  if (numKept_ == kMaxRegions) {
    numFreed_ = -1;
    return;
  }
  keptBegin_[numKept_] = static_cast<const char *>(begin);
  keptBytes_[numKept_++] = bytes;
}

void ResultFreer::release(const Descriptor &d) {
  if (numFreed_ < 0 || numFreed_ == kMaxRegions || !d.allocated)
    return;
  auto *p = static_cast<const char *>(d.allocated);
  for (int32_t k = 0; k < numKept_; ++k)
    if (p >= keptBegin_[k] && p < keptBegin_[k] + keptBytes_[k])
      return;
  for (int32_t k = 0; k < numFreed_; ++k)
    if (freed_[k] == d.allocated)
      return;
  if (freeFn_)
    freeFn_(context_, d.allocated);
  else
    workspaceFree(d.allocated);
  freed_[numFreed_++] = d.allocated;
}

} // namespace cnnc::abi

int64_t cnnc::abi::imageBytes(const cnnc_tensor &t) {
  int64_t elements = 1;
  for (int32_t d = 1; d < t.rank; ++d)
    elements *= t.shape[d];
  return elements * 4;
}

void cnnc::abi::restrictToImages(cnnc_tensor &out, const cnnc_tensor &t,
                                 int64_t *shape, int64_t begin, int64_t count) {
  out = t;
  for (int32_t d = 0; d < t.rank; ++d)
    shape[d] = t.shape[d];
  shape[0] = count;
  out.shape = shape;
  out.data = static_cast<char *>(t.data) + begin * imageBytes(t);
}

int32_t cnnc::abi::sliceCount(int64_t batch) {
  constexpr int64_t kMinImagesPerSlice = 8;
  int64_t slices = batch / kMinImagesPerSlice;
  int32_t threads = threadCount();
  if (slices > threads)
    slices = threads;
  return slices < 1 ? 1 : static_cast<int32_t>(slices);
}

void cnnc::abi::sliceBounds(int64_t batch, int32_t n, int32_t i, int64_t &begin,
                            int64_t &end) {
  begin = batch * i / n;
  end = batch * (i + 1) / n;
}
