//===- ModelAbi.cpp - the functions of cnnc.h, linked into every model ----===//
//
// cnnc links this file (as libcnnc_model.a) into each .so it writes; the
// model's object supplies `cnnc_model_record_v1`. Everything a caller can get
// wrong is checked here, before generated code runs, because generated code
// trusts its shapes.
//
// Built without exceptions and without the C++ library's allocation, so a
// model needs only libc and libm at run time.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/ModelRecord.h"

#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

struct cnnc_model {
  float *params; // record.param_elements floats
};

namespace {

const cnnc_model_record &record() { return cnnc_model_record_v1; }

thread_local char lastError[1024];

cnnc_status fail(cnnc_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

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

/// "[-1, 1, 28, 28]" into `out`.
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

/// Checks one caller tensor against its description with the batch size
/// `batch` (or learns the batch when `*batch` is 0).
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

/// A strided memref descriptor as generated code reads and writes it:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct Descriptor {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizesAndStrides[2 * CNNC_MAX_RANK];
};

constexpr size_t descriptorWords(int32_t rank) { return 3 + 2 * rank; }

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

bool pointsInto(const void *p, const void *begin, int64_t bytes) {
  auto *c = static_cast<const char *>(p);
  auto *b = static_cast<const char *>(begin);
  return c >= b && c < b + bytes;
}

} // namespace

extern "C" {

uint32_t cnnc_abi_version(void) { return CNNC_ABI_VERSION; }
const char *cnnc_model_name(void) { return record().name; }
const char *cnnc_last_error(void) { return lastError; }
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
  size_t bytes = static_cast<size_t>(record().param_elements) * sizeof(float);
  // 64-byte alignment lets generated code use aligned vector loads.
  void *params = nullptr;
  if (!m || (bytes && posix_memalign(&params, 64, bytes) != 0)) {
    std::free(m);
    return fail(CNNC_OUT_OF_MEMORY,
                "cannot allocate %lld bytes for the parameters",
                static_cast<long long>(bytes));
  }
  if (bytes)
    std::memset(params, 0, bytes);
  m->params = static_cast<float *>(params);
  *model = m;
  return CNNC_OK;
}

void cnnc_destroy(cnnc_model *model) {
  if (!model)
    return;
  std::free(model->params);
  std::free(model);
}

cnnc_status cnnc_init_params(cnnc_model *model, uint64_t seed) {
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "init_params: the model is null");
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

static cnnc_status checkParamAccess(const cnnc_model *model, int32_t index,
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

cnnc_status cnnc_get_param(const cnnc_model *model, int32_t index, float *data,
                           int64_t count) {
  if (cnnc_status s = checkParamAccess(model, index, data, count, "get_param"))
    return s;
  std::memcpy(data, model->params + record().params[index].offset,
              static_cast<size_t>(count) * sizeof(float));
  return CNNC_OK;
}

cnnc_status cnnc_set_param(cnnc_model *model, int32_t index, const float *data,
                           int64_t count) {
  if (cnnc_status s = checkParamAccess(model, index, data, count, "set_param"))
    return s;
  std::memcpy(model->params + record().params[index].offset, data,
              static_cast<size_t>(count) * sizeof(float));
  return CNNC_OK;
}

cnnc_status cnnc_infer(cnnc_model *model, const cnnc_tensor *inputs,
                       int32_t numInputs, const cnnc_tensor *outputs,
                       int32_t numOutputs) {
  const cnnc_model_record &r = record();
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "infer: the model is null");
  if (numInputs != r.num_inputs || (numInputs && !inputs))
    return fail(CNNC_INVALID_ARGUMENT,
                "infer: the model takes %d input(s), got %d", r.num_inputs,
                inputs ? numInputs : 0);
  if (numOutputs != r.num_outputs || (numOutputs && !outputs))
    return fail(CNNC_INVALID_ARGUMENT,
                "infer: the model has %d output(s), got %d", r.num_outputs,
                outputs ? numOutputs : 0);
  int64_t batch = 0;
  for (int32_t i = 0; i < numInputs; ++i)
    if (cnnc_status s = checkTensor(inputs[i], r.inputs[i], "input", &batch))
      return s;
  for (int32_t i = 0; i < numOutputs; ++i)
    if (cnnc_status s = checkTensor(outputs[i], r.outputs[i], "output", &batch))
      return s;

  // Descriptors live on the stack: at most a few per model.
  constexpr int32_t kMaxArgs = 64;
  if (numInputs + 3 > kMaxArgs || numOutputs > kMaxArgs)
    return fail(CNNC_INTERNAL_ERROR, "infer: too many inputs or outputs");
  Descriptor inputDescs[kMaxArgs], paramDesc;
  int64_t results[kMaxArgs * descriptorWords(CNNC_MAX_RANK)];
  void *args[kMaxArgs];
  args[0] = results;
  for (int32_t i = 0; i < numInputs; ++i) {
    describeContiguous(inputDescs[i], inputs[i].data, inputs[i].shape,
                       inputs[i].rank);
    args[1 + i] = &inputDescs[i];
  }
  describeContiguous(paramDesc, model->params, &r.param_elements, 1);
  args[1 + numInputs] = &paramDesc;
  int64_t seed = 0; // dropout is the identity in inference
  if (r.has_seed)
    args[2 + numInputs] = &seed;
  r.infer(args);

  // Copy each result out, then free what generated code allocated. A result
  // may alias an input or the parameters (`output image`), or another
  // result: those are not freed, nor freed twice.
  int64_t *word = results;
  void *freed[kMaxArgs];
  int32_t numFreed = 0;
  for (int32_t i = 0; i < numOutputs; ++i) {
    const cnnc_tensor_info &info = r.outputs[i];
    auto *d = reinterpret_cast<Descriptor *>(word);
    word += descriptorWords(info.rank);
    int64_t n = batch;
    for (int32_t k = 1; k < info.rank; ++k)
      n *= info.shape[k];
    // Results come back contiguous: the pipeline bufferizes function
    // boundaries with identity layouts.
    const char *src = static_cast<const char *>(d->aligned) + d->offset * 4;
    std::memcpy(outputs[i].data, src, static_cast<size_t>(n) * 4);
  }
  word = results;
  for (int32_t i = 0; i < numOutputs; ++i) {
    auto *d = reinterpret_cast<Descriptor *>(word);
    word += descriptorWords(r.outputs[i].rank);
    bool owned = !pointsInto(d->allocated, model->params,
                             r.param_elements * int64_t(sizeof(float)));
    for (int32_t k = 0; k < numInputs && owned; ++k) {
      int64_t bytes = 4;
      for (int32_t j = 0; j < inputs[k].rank; ++j)
        bytes *= inputs[k].shape[j];
      owned = !pointsInto(d->allocated, inputs[k].data, bytes);
    }
    for (int32_t k = 0; k < numFreed && owned; ++k)
      owned = freed[k] != d->allocated;
    if (owned) {
      std::free(d->allocated);
      freed[numFreed++] = d->allocated;
    }
  }
  return CNNC_OK;
}

} // extern "C"
