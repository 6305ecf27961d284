//===- Batches.h - cnnc-train's batches, filled ahead -----------*- C++ -*-===//
//
// A step waits for the model (on a GPU, for the device); assembling the
// next batch (decoding, fitting, augmenting, normalising: about 0.5 us an
// MNIST image here, 0.47 ms for 1,024) does not need it. BatchPrefetcher
// fills batch b + 1 on a thread of its own while batch b trains or is
// evaluated. Training queues batch b + 1's step before it waits for batch
// b's, so the two are in use while b + 2 is filled: three sets of buffers,
// whose images are pinned for a GPU, which uploads them while the step
// before trains.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TOOLS_CNNC_TRAIN_BATCHES_H
#define CNNC_TOOLS_CNNC_TRAIN_BATCHES_H

#include "runtime/data/Batcher.h"
#include "runtime/loader/ModelLibrary.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace cnnc::train {

/// A batch's tensors, sized for the batch at hand (the last one of an epoch
/// may be smaller).
class BatchBuffers {
public:
  BatchBuffers(const rt::ImageShape &shape, int64_t batch, int64_t oneHot);

  /// Fills batch `b` (of the training or the validation images); false
  /// when there is none.
  bool fill(const rt::Batcher &batcher, size_t b, bool validation);

  /// Pins the images' memory (the largest part) for `instance`'s device,
  /// if it is large enough to gain from it.
  rt::Status pin(rt::ModelInstance &instance);
  void unpin(rt::ModelInstance &instance);

  std::vector<const rt::Tensor *> inputs() const { return {&images_}; }
  std::vector<const rt::Tensor *> targets() const {
    return {oneHot_ ? &oneHotTargets_ : &labels_};
  }

private:
  rt::ImageShape shape_;
  int64_t batch_, oneHot_;
  rt::Tensor images_, labels_, oneHotTargets_;
  bool pinned_ = false;
};

/// Three BatchBuffers and a thread that fills one while the caller uses the
/// other two: start(batcher, first, end), then next() until it gives null.
/// The batcher must not change (setEpoch) before the batches are all taken
/// or a new start() is made, and must outlive the prefetcher's use of it.
class BatchPrefetcher {
public:
  BatchPrefetcher(const rt::ImageShape &shape, int64_t batch, int64_t oneHot);
  /// Waits for a fetch under way; unpins the buffers.
  ~BatchPrefetcher();
  BatchPrefetcher(const BatchPrefetcher &) = delete;
  BatchPrefetcher &operator=(const BatchPrefetcher &) = delete;

  /// Starts on batches `first` to `end` (excluded) of `batcher`, of its
  /// training or validation images: the first is filled at once.
  void start(const rt::Batcher &batcher, size_t first, size_t end,
             bool validation);
  /// The next batch, once filled, while the one after it is filled: valid
  /// until the call after next. Null past the end, or when a batch is
  /// missing.
  BatchBuffers *next();

  /// Pins every buffer's images for `instance`'s device (it must outlive
  /// the prefetcher, which unpins them).
  rt::Status pin(rt::ModelInstance &instance);

private:
  /// Fills batch `b` on the thread, in the buffers next() did not give last.
  void fetch(size_t b);
  /// Waits for the fetch under way: its buffers, or null.
  BatchBuffers *take();
  void work();

  static constexpr int kBuffers = 3;
  BatchBuffers buffers_[kBuffers];
  int next_ = 0; // the buffers the next fetch fills
  rt::ModelInstance *pinnedFor_ = nullptr;

  // The batches under way; only the caller's thread changes them.
  size_t nextBatch_ = 0, end_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  const rt::Batcher *batcher_ = nullptr;
  size_t batch_ = 0;
  bool validation_ = false;
  bool requested_ = false; // a fetch waits for the thread or is under way
  bool filled_ = false;    // the outcome of the last fetch
  bool stopping_ = false;
  std::thread thread_;
};

} // namespace cnnc::train

#endif // CNNC_TOOLS_CNNC_TRAIN_BATCHES_H
