//===- GpuCalls.cpp - a CUDA entry's call, replayed as a graph ------------===//
//
// An instance keeps up to kMaxRecorded calls, each known by its entry and
// the shapes of its tensors; the least recently used makes way for a new
// one. A call is recorded when it is made the second time, and given up
// for good (it then runs as it comes) when recording fails: the driver has
// no graphs, or the generated code does something a graph cannot hold.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/GpuCalls.h"

#include "runtime/model/GpuAbi.h"
#include "runtime/model/GpuRuntime.h"

#include <cstdlib>
#include <cstring>

using namespace cnnc::abi;
namespace gpu = cnnc::gpu;

namespace {

/// An epoch of cnnc-train makes calls of five shapes: training on full
/// batches and on the last one, evaluating full batches, the last
/// validation batch and the last test batch.
constexpr int32_t kMaxRecorded = 8;
constexpr int32_t kMaxTensors = 2 * DeviceCall::kMaxTensors;

} // namespace

struct cnnc::abi::RecordedCall {
  const void *entry; // null: an empty slot
  int32_t numInputs;
  int32_t numTargets;
  /// The call's tensors, inputs then targets: their shapes are the key;
  /// once `hasBuffers`, `data` is the device buffer each is uploaded to.
  cnnc_tensor tensors[kMaxTensors];
  int64_t shapes[kMaxTensors][CNNC_MAX_RANK];
  bool hasBuffers;
  int32_t eagerCalls;
  bool unrecordable;
  gpu::Graph *graph;
  /// With a graph: the results it writes, which it keeps.
  int64_t results[DeviceCall::kResultWords];
  int32_t resultRanks[DeviceCall::kMaxResults];
  int32_t numResults;
  uint64_t lastUse;
  /// Where a replay's tensors from pinned memory are uploaded while the
  /// calls before it still run: two sets used in turn, each with the
  /// fences after its upload and after the copy out of it into `tensors`.
  /// Made at the first such upload (`hasAhead`).
  void *ahead[2][kMaxTensors];
  gpu::Fence *uploaded[2];
  gpu::Fence *consumed[2];
  bool hasAhead;
  int32_t nextAhead;
};

struct cnnc::abi::RecordedCalls {
  RecordedCall calls[kMaxRecorded];
  uint64_t clock;
};

namespace {

bool sameShape(const cnnc_tensor &recorded, const cnnc_tensor &t) {
  if (recorded.dtype != t.dtype || recorded.rank != t.rank)
    return false;
  for (int32_t d = 0; d < t.rank; ++d)
    if (recorded.shape[d] != t.shape[d])
      return false;
  return true;
}

/// The caller's tensor `k` of `spec`, inputs then targets.
const cnnc_tensor &callerTensor(const DeviceCallSpec &spec, int32_t k) {
  return k < spec.numInputs ? spec.inputs[k] : spec.targets[k - spec.numInputs];
}

int32_t tensorCount(const DeviceCallSpec &spec) {
  return spec.numInputs + spec.numTargets;
}

bool sameKey(const RecordedCall &call, const DeviceCallSpec &spec) {
  if (call.entry != spec.entry || call.numInputs != spec.numInputs ||
      call.numTargets != spec.numTargets)
    return false;
  for (int32_t k = 0; k < tensorCount(spec); ++k)
    if (!sameShape(call.tensors[k], callerTensor(spec, k)))
      return false;
  return true;
}

/// Frees the results in `words` (of `ranks`) that generated code
/// allocated, keeping the instance's buffers and the call's `tensors`.
void freeResults(cnnc_model *model, int64_t *words, const int32_t *ranks,
                 int32_t numResults, const cnnc_tensor *tensors,
                 int32_t numTensors) {
  ResultFreer freer = deviceResultFreer(model);
  for (int32_t k = 0; k < numTensors; ++k)
    freer.keep(tensors[k].data, tensorBytes(tensors[k]));
  for (int32_t i = 0; i < numResults; ++i) {
    freer.release(*reinterpret_cast<Descriptor *>(words));
    words += descriptorWords(ranks[i]);
  }
}

/// Drops `call`'s graph and the results it kept.
void dropGraph(cnnc_model *model, RecordedCall &call) {
  if (!call.graph)
    return;
  gpu::destroyGraph(model->device, call.graph);
  call.graph = nullptr;
  freeResults(model, call.results, call.resultRanks, call.numResults,
              call.tensors, call.numInputs + call.numTargets);
}

/// Frees the sets of buffers uploads ahead go to, and their fences.
void freeAhead(cnnc_model *model, RecordedCall &call) {
  for (int32_t set = 0; set < 2; ++set) {
    for (int32_t k = 0; k < call.numInputs + call.numTargets; ++k) {
      gpu::deviceFree(model->device, call.ahead[set][k]);
      call.ahead[set][k] = nullptr;
    }
    gpu::destroyFence(model->device, call.uploaded[set]);
    gpu::destroyFence(model->device, call.consumed[set]);
    call.uploaded[set] = call.consumed[set] = nullptr;
  }
  call.hasAhead = false;
}

/// Empties the slot, freeing everything the call holds.
void clear(cnnc_model *model, RecordedCall &call) {
  dropGraph(model, call);
  freeAhead(model, call);
  if (call.hasBuffers)
    for (int32_t k = 0; k < call.numInputs + call.numTargets; ++k)
      gpu::deviceFree(model->device, call.tensors[k].data);
  std::memset(static_cast<void *>(&call), 0, sizeof call);
}

/// Gives `call` its two sets of buffers to upload ahead into; false, with
/// nothing recorded, when memory runs out (the call uploads in order).
bool allocateAhead(cnnc_model *model, RecordedCall &call) {
  if (call.hasAhead)
    return true;
  bool ok = true;
  for (int32_t set = 0; set < 2 && ok; ++set) {
    for (int32_t k = 0; k < call.numInputs + call.numTargets && ok; ++k) {
      auto bytes = static_cast<size_t>(tensorBytes(call.tensors[k]));
      call.ahead[set][k] = gpu::deviceAlloc(model->device, bytes ? bytes : 4);
      ok = call.ahead[set][k] != nullptr;
    }
    ok = ok && (call.uploaded[set] = gpu::createFence(model->device)) &&
         (call.consumed[set] = gpu::createFence(model->device));
  }
  if (!ok) {
    freeAhead(model, call);
    gpu::takeError(model->device);
    return false;
  }
  call.hasAhead = true;
  return true;
}

/// The record of calls like `spec`, made when there is none, or null when
/// the call cannot be replayed.
RecordedCall *findRecord(cnnc_model *model, const DeviceCallSpec &spec) {
  if (spec.numInputs > DeviceCall::kMaxTensors ||
      spec.numTargets > DeviceCall::kMaxTensors ||
      spec.numResults > DeviceCall::kMaxResults)
    return nullptr;
  if (!model->recordedCalls) {
    model->recordedCalls =
        static_cast<RecordedCalls *>(std::calloc(1, sizeof(RecordedCalls)));
    if (!model->recordedCalls)
      return nullptr;
  }
  RecordedCalls &records = *model->recordedCalls;
  ++records.clock;
  RecordedCall *slot = &records.calls[0];
  for (RecordedCall &call : records.calls) {
    if (call.entry && sameKey(call, spec)) {
      call.lastUse = records.clock;
      return &call;
    }
    if (slot->entry && (!call.entry || call.lastUse < slot->lastUse))
      slot = &call;
  }
  clear(model, *slot);
  slot->entry = spec.entry;
  slot->numInputs = spec.numInputs;
  slot->numTargets = spec.numTargets;
  for (int32_t k = 0; k < tensorCount(spec); ++k) {
    const cnnc_tensor &t = callerTensor(spec, k);
    std::memcpy(slot->shapes[k], t.shape,
                sizeof(int64_t) * static_cast<size_t>(t.rank));
    slot->tensors[k] = cnnc_tensor{nullptr, t.dtype, t.rank, slot->shapes[k]};
  }
  slot->numResults = spec.numResults;
  std::memcpy(slot->resultRanks, spec.resultRanks,
              sizeof(int32_t) * static_cast<size_t>(spec.numResults));
  slot->lastUse = records.clock;
  return slot;
}

/// Gives `call` device buffers for its tensors; false when memory runs out.
bool allocateBuffers(cnnc_model *model, RecordedCall &call) {
  int32_t count = call.numInputs + call.numTargets;
  for (int32_t k = 0; k < count; ++k) {
    auto bytes = static_cast<size_t>(tensorBytes(call.tensors[k]));
    call.tensors[k].data = gpu::deviceAlloc(model->device, bytes ? bytes : 4);
    if (!call.tensors[k].data) {
      for (int32_t j = 0; j < k; ++j)
        gpu::deviceFree(model->device, call.tensors[j].data);
      for (int32_t j = 0; j <= k; ++j)
        call.tensors[j].data = nullptr;
      gpu::takeError(model->device); // the call goes on as it comes
      return false;
    }
  }
  call.hasBuffers = true;
  return true;
}

} // namespace

void cnnc::abi::releaseRecordedCalls(cnnc_model *model) {
  if (!model->recordedCalls)
    return;
  for (RecordedCall &call : model->recordedCalls->calls)
    clear(model, call);
  std::free(model->recordedCalls);
  model->recordedCalls = nullptr;
}

DeviceCall::DeviceCall(cnnc_model *model, const DeviceCallSpec &spec)
    : model_(model), spec_(spec) {
  std::memset(results_, 0, sizeof results_);
  std::memset(static_cast<void *>(tensors_), 0, sizeof tensors_);
  call_ = findRecord(model, spec);
  if (!call_)
    return;
  // Memory given back to the driver since: recorded again, now.
  if (call_->graph && !gpu::graphIsCurrent(model->device, call_->graph)) {
    dropGraph(model, *call_);
    call_->unrecordable = false;
  }
  replaying_ = call_->graph != nullptr;
  recording_ = !replaying_ && !call_->unrecordable && call_->eagerCalls >= 1 &&
               gpu::canCapture(model->device);
  if ((replaying_ || recording_) && !call_->hasBuffers &&
      !allocateBuffers(model, *call_))
    recording_ = false;
}

DeviceCall::~DeviceCall() {
  if (!recorded_)
    freeResults(model_, results_, spec_.resultRanks, spec_.numResults, tensors_,
                tensorCount(spec_));
  if (ownsTensors_)
    for (int32_t k = 0; k < tensorCount(spec_); ++k)
      gpu::deviceFree(model_->device, tensors_[k].data);
}

cnnc_status DeviceCall::upload(const char *what) {
  int32_t count = tensorCount(spec_);
  if (spec_.numInputs > kMaxTensors || spec_.numTargets > kMaxTensors ||
      spec_.numResults > kMaxResults)
    return fail(CNNC_INTERNAL_ERROR, "%s: the call has too many tensors", what);
  if (replaying_ && spec_.behindQueuedWork && uploadAhead())
    return deviceStatus(model_, what);
  bool ok = true;
  if (call_ && call_->hasBuffers) {
    std::memcpy(static_cast<void *>(tensors_), call_->tensors,
                sizeof(cnnc_tensor) * static_cast<size_t>(count));
  } else {
    if (call_)
      ++call_->eagerCalls;
    ownsTensors_ = true;
    for (int32_t k = 0; k < count && ok; ++k) {
      tensors_[k] = callerTensor(spec_, k);
      auto bytes = static_cast<size_t>(tensorBytes(tensors_[k]));
      tensors_[k].data = gpu::deviceAlloc(model_->device, bytes ? bytes : 4);
      ok = tensors_[k].data != nullptr;
    }
  }
  for (int32_t k = 0; k < count && ok; ++k)
    ok = gpu::upload(model_->device, tensors_[k].data,
                     callerTensor(spec_, k).data,
                     static_cast<size_t>(tensorBytes(tensors_[k])));
  if (ok)
    return CNNC_OK;
  if (cnnc_status s = deviceStatus(model_, what))
    return s;
  return fail(CNNC_OUT_OF_MEMORY, "%s: out of device memory on %s", what,
              model_->deviceLabel);
}

bool DeviceCall::beginRecording() {
  if (!recording_)
    return false;
  if (!gpu::beginCapture(model_->device)) {
    recording_ = false;
    call_->unrecordable = true;
  }
  return recording_;
}

bool DeviceCall::finishRecording() {
  recording_ = false;
  gpu::Graph *graph = gpu::endCapture(model_->device);
  if (!graph) {
    // None of it ran: what it allocated goes back, and the call runs as it
    // comes, now and from now on.
    freeResults(model_, results_, spec_.resultRanks, spec_.numResults, tensors_,
                tensorCount(spec_));
    std::memset(results_, 0, sizeof results_);
    call_->unrecordable = true;
    return false;
  }
  call_->graph = graph;
  std::memcpy(call_->results, results_, sizeof results_);
  recorded_ = true;
  gpu::launchGraph(model_->device, graph); // a failure is recorded
  return true;
}

bool DeviceCall::uploadAhead() {
  int32_t count = tensorCount(spec_);
  // A large tensor in pageable memory goes through the staging buffer, in
  // order; a small one the driver copies aside at once.
  for (int32_t k = 0; k < count; ++k) {
    const cnnc_tensor &t = callerTensor(spec_, k);
    auto bytes = static_cast<size_t>(tensorBytes(t));
    if (bytes >= gpu::kStagedUploadMin &&
        !gpu::isPinned(model_->device, t.data, bytes))
      return false;
  }
  if (!allocateAhead(model_, *call_))
    return false;
  int32_t set = call_->nextAhead;
  call_->nextAhead ^= 1;
  std::memcpy(static_cast<void *>(tensors_), call_->tensors,
              sizeof(cnnc_tensor) * static_cast<size_t>(count));
  // After the copy out of this set for the call before last (the upload
  // stream keeps its copies in order: the first waits for all).
  for (int32_t k = 0; k < count; ++k)
    gpu::uploadAside(
        model_->device, call_->ahead[set][k], callerTensor(spec_, k).data,
        static_cast<size_t>(tensorBytes(tensors_[k])),
        k == 0 ? call_->consumed[set] : nullptr, call_->uploaded[set]);
  aheadSet_ = set;
  return true;
}

void DeviceCall::replay() {
  std::memcpy(results_, call_->results, sizeof results_);
  recorded_ = true;
  if (aheadSet_ >= 0) {
    // The upload ran beside the calls before; the copy into the graph's
    // buffers waits for it, and frees the set for the call after next.
    int32_t set = aheadSet_;
    gpu::streamWaitsFor(model_->device, call_->uploaded[set]);
    for (int32_t k = 0; k < tensorCount(spec_); ++k)
      gpu::copyOnDevice(model_->device, tensors_[k].data, call_->ahead[set][k],
                        static_cast<size_t>(tensorBytes(tensors_[k])));
    gpu::markFence(model_->device, call_->consumed[set]);
  }
  gpu::launchGraph(model_->device, call_->graph);
}
