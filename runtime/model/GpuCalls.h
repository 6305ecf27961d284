//===- GpuCalls.h - a CUDA entry's call, replayed as a graph ---*- C++ -*-===//
//
// A cnnc_infer, evaluation or training step on a GPU calls host code cnnc
// generated, which queues dozens of kernels; on a GPU that runs each in a
// few microseconds, launching them is most of the call. So a call the
// instance makes again with the same shapes is recorded as a CUDA graph the
// second time (the first loads the kernels and fills the allocator's cache)
// and every later one is that graph, replayed with one launch.
//
// A recorded call reads and writes fixed device buffers: its own copies of
// the caller's tensors (uploaded before each replay), the instance's
// parameters and states, and the results it allocated when it was
// recorded, which it keeps. Its scratch memory stays in the context's
// cache, shared with other calls: all of an instance's work is on one
// stream, and no call leaves anything in scratch that a later one reads.
//
// A training step reads its scalars (learning rate, step, dropout seed)
// from device memory uploaded before it, so it is replayed like the rest.
//
// A replay queued behind other work (a queued training step's batch while
// the step before trains) whose large tensors are in pinned memory
// (cnnc_pin_host_memory; a small one the driver copies at once from
// anywhere) is uploaded on a second stream into one of two sets of buffers
// of the record while that work runs, and copied into the graph's buffers
// on the device when its turn comes.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_MODEL_GPUCALLS_H
#define CNNC_RUNTIME_MODEL_GPUCALLS_H

#include "runtime/model/AbiSupport.h"

namespace cnnc::abi {

/// The instance's recorded calls, on the device it is on, and one of them.
struct RecordedCalls;
struct RecordedCall;

/// Frees every recorded call of the instance and its buffers (before its
/// device is released).
void releaseRecordedCalls(cnnc_model *model);

/// What a call of a CUDA entry binds: the generated function (what tells
/// one entry from another), the caller's tensors, the rank of each result, and
/// whether work queued before it may still run (a queued step behind another),
/// so that its upload beside that work gains something.
struct DeviceCallSpec {
  const void *entry;
  const cnnc_tensor *inputs;
  int32_t numInputs;
  const cnnc_tensor *targets;
  int32_t numTargets;
  const int32_t *resultRanks;
  int32_t numResults;
  bool behindQueuedWork = false;
};

/// One call of a CUDA entry on the instance's device: its tensors uploaded,
/// the work run or replayed, its results freed on destruction unless a
/// recorded call keeps them.
class DeviceCall {
public:
  static constexpr int32_t kMaxTensors = 64;
  static constexpr int32_t kMaxResults = 64;
  static constexpr size_t kResultWords =
      kMaxResults * descriptorWords(CNNC_MAX_RANK);

  DeviceCall(cnnc_model *model, const DeviceCallSpec &spec);
  ~DeviceCall();
  DeviceCall(const DeviceCall &) = delete;
  DeviceCall &operator=(const DeviceCall &) = delete;

  /// Uploads the caller's tensors. CNNC_OK, or the failure with its
  /// message ("<what>: out of device memory on cuda:0").
  cnnc_status upload(const char *what);

  /// The device copies of the inputs and the targets.
  const cnnc_tensor *inputs() const { return tensors_; }
  const cnnc_tensor *targets() const { return tensors_ + spec_.numInputs; }

  /// Queues the call: `enqueue(results)` calls the generated code, which
  /// queues the work and writes the results' descriptors to `results`, and
  /// queues what else belongs to the call. When the call is recorded,
  /// `enqueue` runs while recording and the graph is launched; when it is
  /// replayed, `enqueue` is not called. The instance's device must be
  /// current (gpu::CurrentDevice).
  template <typename Enqueue> void run(Enqueue enqueue) {
    if (replaying_) {
      replay();
      return;
    }
    if (beginRecording()) {
      enqueue(results_);
      if (finishRecording())
        return;
    }
    enqueue(results_);
  }

  /// The results' descriptors, after run.
  int64_t *results() { return results_; }
  /// Whether the call was a replay of a recorded one, or recorded now.
  bool recorded() const { return recorded_; }

private:
  bool beginRecording();
  bool finishRecording();
  void replay();
  /// For a replay behind queued work whose large tensors are in pinned
  /// memory: queues their upload on the upload stream into the record's
  /// next set of buffers, so that it runs beside the calls queued before;
  /// replay copies them into the graph's. False when it cannot (the upload
  /// then goes in order).
  bool uploadAhead();

  cnnc_model *model_;
  DeviceCallSpec spec_;
  RecordedCall *call_ = nullptr; // its record, when it can have one
  cnnc_tensor tensors_[2 * kMaxTensors];
  bool ownsTensors_ = false; // uploaded for this call only
  bool replaying_ = false;
  bool recording_ = false;
  bool recorded_ = false;
  int32_t aheadSet_ = -1; // the set uploadAhead uploaded into
  int64_t results_[kResultWords];
};

} // namespace cnnc::abi

#endif // CNNC_RUNTIME_MODEL_GPUCALLS_H
