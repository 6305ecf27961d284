//===- AbiSupport.h - what ModelAbi.cpp and TrainAbi.cpp share --*- C++ -*-===//
//
// The instance layout, error reporting, tensor checks and memref
// descriptors of the functions of cnnc.h. Internal to libcnnc_model.a: the
// names have hidden visibility, so nothing here leaves the .so, and there is
// one `lastError` for both files. No exceptions, no C++ library allocation.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_MODEL_ABISUPPORT_H
#define CNNC_RUNTIME_MODEL_ABISUPPORT_H

#include "runtime/model/ModelRecord.h"

#include <cstddef>
#include <cstdint>

namespace cnnc::gpu {
struct DeviceContext;
struct Fence;
} // namespace cnnc::gpu
namespace cnnc::abi {
struct RecordedCalls;

/// The values of an entry's scalar arguments: on the CPU each argument
/// points to one; a CUDA entry reads each from a rank-0 buffer in device
/// memory laid out like this (cnn-scalars-in-device-memory).
struct Scalars {
  float rate;
  int64_t step;
  int64_t seed;
};

/// The most targets a queued step keeps (a loss takes one or two).
constexpr int32_t kMaxQueuedTargets = 8;

/// A training step (cnnc_train_step_queue) or an inference
/// (cnnc_infer_queue) queued and not yet waited for; an instance has
/// CNNC_MAX_QUEUED_STEPS of these, used in turn.
struct QueuedCall {
  bool inference;
  /// On the CPU a step has run: its result.
  cnnc_step_result result;
  /// On a GPU: passed once what the call downloads is in `download`
  /// (pinned, of `capacity` floats): a step's loss, then its prediction; an
  /// inference's outputs, back to back. A step's scalars, uploaded from
  /// pinned memory too (from pageable memory the driver may wait for the
  /// calls queued before). The fence and the buffers stay with the
  /// instance's device for later calls.
  cnnc::gpu::Fence *done;
  Scalars *scalars;
  float *download;
  int64_t capacity;
  /// A step's batch and the caller's targets, to count the correct
  /// predictions.
  int64_t batch;
  cnnc_tensor targets[kMaxQueuedTargets];
  int32_t numTargets;
  /// An inference's outputs in the caller's memory, filled from `download`
  /// when it is waited for.
  void *outputs[CNNC_MAX_QUEUED_OUTPUTS];
  int64_t outputBytes[CNNC_MAX_QUEUED_OUTPUTS];
  int32_t numOutputs;
};
} // namespace cnnc::abi

/// A model instance. Every buffer is 64-byte aligned (generated code may use
/// aligned vector loads) and zero after cnnc_create.
struct cnnc_model {
  float *params; // record.param_elements floats
  /// record.num_states buffers of record.param_elements floats, each laid out
  /// like `params`, starting every `stateStride` floats.
  float *states;
  int64_t stateStride;
  int64_t step;          // optimizer steps taken
  uint64_t trainingSeed; // dropout masks derive from it and the step
  /// The GPU the instance runs on (cnnc_set_device); null on the CPU. Its
  /// copies of the parameters and states, laid out as on the host, are then
  /// the current ones: the host buffers are refreshed from them before they
  /// are read (`hostStale`), and uploaded again before the next GPU call
  /// after they were written (`deviceStale`). GpuAbi.cpp keeps this.
  cnnc::gpu::DeviceContext *device;
  float *deviceParams;
  float *deviceStates;
  bool hostStale;
  bool deviceStale;
  char deviceLabel[16]; // "cuda:0"
  /// The calls on the device recorded as graphs (GpuCalls.h), or null.
  cnnc::abi::RecordedCalls *recordedCalls;
  /// Two sets of scalars in device memory: [0] a step's, uploaded before
  /// each call that reads them; [1] zeros, inference's dropout seed.
  cnnc::abi::Scalars *deviceScalars;
  /// The calls queued and not yet waited for: `numQueued` of them, the
  /// oldest at `queued[queueHead]`. A step or an evaluation run at once on
  /// a GPU goes through `queued[queueHead]` too (nothing is queued then).
  cnnc::abi::QueuedCall queued[CNNC_MAX_QUEUED_STEPS];
  int32_t queueHead;
  int32_t numQueued;
};

namespace cnnc::abi {

inline const cnnc_model_record &record() { return cnnc_model_record_v5; }

/// Optimizer state buffer `s` of `model`.
inline float *stateBuffer(const cnnc_model *model, int32_t s) {
  return model->states + s * model->stateStride;
}

/// Sets the thread's last error to "<model>: <format...>" and returns
/// `status`.
cnnc_status fail(cnnc_status status, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/// The last error of this thread.
const char *lastErrorText();

/// "[-1, 1, 28, 28]" into `out`.
const char *formatShape(const int64_t *shape, int32_t rank, char *out,
                        size_t size);

const char *dtypeName(int32_t dtype);

/// The number of elements of a parameter (no batch dimension).
int64_t elementCount(const cnnc_tensor_info &info);

/// Copies entry `index` of `table` to `info`, or fails naming `what`.
cnnc_status describe(const cnnc_tensor_info *table, int32_t count,
                     const char *what, int32_t index, cnnc_tensor_info *info);

/// Checks one caller tensor against its description with the batch size
/// `*batch` (or learns the batch when `*batch` is 0).
cnnc_status checkTensor(const cnnc_tensor &t, const cnnc_tensor_info &info,
                        const char *what, int64_t *batch);

/// Checks that a call passes `expected` tensors: `count` of them at
/// `tensors`. The message reads "<what>: <owner> <expected> <role>(s), got
/// <count>" ("infer: the model takes 1 input(s), got 2").
cnnc_status checkCount(const cnnc_tensor *tensors, int32_t count,
                       int32_t expected, const char *what, const char *owner,
                       const char *role);

/// checkTensor for each of the `count` tensors at `tensors` against `infos`,
/// with one batch size `*batch`; `role` names them ("input", "target").
cnnc_status checkTensors(const cnnc_tensor *tensors, int32_t count,
                         const cnnc_tensor_info *infos, const char *role,
                         int64_t *batch);

/// The tensors a call passes besides the model's inputs (an inference's
/// outputs, a step's targets): `count` at `tensors`, `expected` of them
/// described by `infos`; `owner` and `role` name them in a message ("the
/// model has", "output").
struct OtherTensors {
  const cnnc_tensor *tensors;
  int32_t count;
  int32_t expected;
  const cnnc_tensor_info *infos;
  const char *owner;
  const char *role;
};

/// checkCount for a call's inputs and its other tensors, then checkTensors
/// for each, all with one batch size, learnt into `batch`; `what` names
/// the call.
cnnc_status checkBatch(const char *what, const cnnc_tensor *inputs,
                       int32_t numInputs, const OtherTensors &others,
                       int64_t &batch);

/// Refuses (`what` names the call) what must not overtake the instance's
/// queued calls: a step, an evaluation, a move.
cnnc_status checkNothingQueued(const cnnc_model *model, const char *what);

/// The slot a call queued now takes (`what` names it), or the refusal when
/// CNNC_MAX_QUEUED_STEPS calls are queued already.
cnnc_status nextQueueSlot(cnnc_model *model, const char *what,
                          QueuedCall **slot);

/// Takes the oldest queued call for `what`, which waits for calls of one
/// kind (`inference`), or refuses when nothing is queued or the oldest is
/// of the other kind.
cnnc_status takeOldestQueued(cnnc_model *model, const char *what,
                             bool inference, QueuedCall **slot);

/// Checks a get/set of parameter `index` (or of its optimizer state) with
/// `count` elements at `data`; `what` names the function for the message.
cnnc_status checkParamAccess(const cnnc_model *model, int32_t index,
                             const void *data, int64_t count, const char *what);

/// A strided memref descriptor as generated code reads and writes it:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct Descriptor {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizesAndStrides[2 * CNNC_MAX_RANK];
};

constexpr size_t descriptorWords(int32_t rank) { return 3 + 2 * rank; }

/// Describes `data` as a contiguous row-major `shape`.
void describeContiguous(Descriptor &d, void *data, const int64_t *shape,
                        int32_t rank);

/// The first element a result descriptor points at.
inline void *resultData(const Descriptor &d, size_t elementBytes) {
  return static_cast<char *>(d.aligned) + d.offset * elementBytes;
}

/// The bytes of a caller's tensor (4 per element, both dtypes).
int64_t tensorBytes(const cnnc_tensor &t);

/// The bytes of one image of `t`: its elements past the batch dimension.
int64_t imageBytes(const cnnc_tensor &t);

/// `t` restricted to images [begin, begin + count) as `out`, whose shape is
/// written to `shape` (CNNC_MAX_RANK extents); the data is `t`'s, offset.
void restrictToImages(cnnc_tensor &out, const cnnc_tensor &t, int64_t *shape,
                      int64_t begin, int64_t count);

/// Into how many slices a batch of `batch` images is split across the
/// model's threads: at most one per thread, each of at least 8 images
/// (below that, splitting costs more than it saves).
int32_t sliceCount(int64_t batch);

/// Images [begin, end) of slice `i` of `n` over `batch` images.
void sliceBounds(int64_t batch, int32_t n, int32_t i, int64_t &begin,
                 int64_t &end);

/// Returns a block generated code allocated (WorkspaceAllocator.cpp) to the
/// calling thread's cache.
void workspaceFree(void *p);

/// Frees the buffers generated code allocated for its results, and only
/// those: a result may alias a buffer the caller or the instance owns
/// (bufferization updates in place, `output image` returns an input), or
/// another result.
class ResultFreer {
public:
  /// Frees with `freeFn(context, block)`; by default CPU results go back to
  /// the workspace cache (workspaceFree).
  using FreeFn = void (*)(void *context, void *block);
  explicit ResultFreer(FreeFn freeFn = nullptr, void *context = nullptr)
      : freeFn_(freeFn), context_(context) {}

  /// A region no result inside of which is freed.
  void keep(const void *begin, int64_t bytes);
  /// Frees `d.allocated` unless it is kept or was freed already.
  void release(const Descriptor &d);

  static constexpr int32_t kMaxRegions = 160;

private:
  FreeFn freeFn_;
  void *context_;
  const char *keptBegin_[kMaxRegions];
  int64_t keptBytes_[kMaxRegions];
  void *freed_[kMaxRegions];
  int32_t numKept_ = 0, numFreed_ = 0;
};

} // namespace cnnc::abi

#endif // CNNC_RUNTIME_MODEL_ABISUPPORT_H
