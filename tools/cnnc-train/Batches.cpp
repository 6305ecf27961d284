//===- Batches.cpp - cnnc-train's batches, filled ahead -------------------===//

#include "Batches.h"

using namespace cnnc;
using namespace cnnc::rt;
using namespace cnnc::train;

BatchBuffers::BatchBuffers(const ImageShape &shape, int64_t batch,
                           int64_t oneHot)
    : shape_(shape), batch_(batch), oneHot_(oneHot) {
  images_ =
      Tensor::zerosF32({batch, shape.channels, shape.height, shape.width});
  labels_ = Tensor::zerosI32({batch});
  if (oneHot)
    oneHotTargets_ = Tensor::zerosF32({batch, oneHot});
}

Status BatchBuffers::pin(ModelInstance &instance) {
  size_t bytes = images_.f32.size() * sizeof(float);
  if (bytes < kPinnedBatchMin)
    return Status::ok();
  // fill() resizes within the capacity the constructor gave: the address
  // stays.
  if (Status s = instance.pinHostMemory(images_.f32.data(), bytes); !s)
    return s;
  pinned_ = true;
  return Status::ok();
}

void BatchBuffers::unpin(ModelInstance &instance) {
  if (pinned_)
    (void)instance.unpinHostMemory(images_.f32.data());
  pinned_ = false;
}

bool BatchBuffers::fill(const Batcher &batcher, size_t b, bool validation) {
  images_.shape[0] = labels_.shape[0] = batch_;
  images_.f32.resize(static_cast<size_t>(batch_ * shape_.numElements()));
  labels_.i32.resize(static_cast<size_t>(batch_));
  size_t n =
      validation
          ? batcher.validationBatch(b, images_.f32.data(), labels_.i32.data())
          : batcher.batch(b, images_.f32.data(), labels_.i32.data());
  if (n == 0)
    return false;
  int64_t count = static_cast<int64_t>(n);
  images_.shape[0] = labels_.shape[0] = count;
  images_.f32.resize(static_cast<size_t>(count * shape_.numElements()));
  labels_.i32.resize(n);
  if (oneHot_) {
    oneHotTargets_ = Tensor::zerosF32({count, oneHot_});
    for (int64_t i = 0; i < count; ++i)
      oneHotTargets_.f32[static_cast<size_t>(i * oneHot_ + labels_.i32[i])] =
          1.0f;
  }
  return true;
}

BatchPrefetcher::BatchPrefetcher(const ImageShape &shape, int64_t batch,
                                 int64_t oneHot)
    : buffers_{BatchBuffers(shape, batch, oneHot),
               BatchBuffers(shape, batch, oneHot),
               BatchBuffers(shape, batch, oneHot)},
      thread_([this] { work(); }) {}

BatchPrefetcher::~BatchPrefetcher() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !requested_; });
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
  if (pinnedFor_)
    for (BatchBuffers &buffers : buffers_)
      buffers.unpin(*pinnedFor_);
}

Status BatchPrefetcher::pin(ModelInstance &instance) {
  pinnedFor_ = &instance;
  for (BatchBuffers &buffers : buffers_)
    if (Status s = buffers.pin(instance); !s)
      return s;
  return Status::ok();
}

void BatchPrefetcher::start(const Batcher &batcher, size_t first, size_t end,
                            bool validation) {
  take(); // a fetch left under way by a loop that stopped early
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batcher_ = &batcher;
    validation_ = validation;
  }
  nextBatch_ = first;
  end_ = end;
  if (nextBatch_ < end_)
    fetch(nextBatch_);
}

BatchBuffers *BatchPrefetcher::next() {
  if (nextBatch_ >= end_)
    return nullptr;
  BatchBuffers *filled = take();
  if (++nextBatch_ < end_)
    fetch(nextBatch_);
  return filled;
}

void BatchPrefetcher::fetch(size_t b) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch_ = b;
    requested_ = true;
  }
  changed_.notify_all();
}

BatchBuffers *BatchPrefetcher::take() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !requested_; });
  BatchBuffers *filled = filled_ ? &buffers_[next_] : nullptr;
  filled_ = false;
  next_ = (next_ + 1) % kBuffers;
  return filled;
}

void BatchPrefetcher::work() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || requested_; });
    if (stopping_)
      return;
    const Batcher &batcher = *batcher_;
    BatchBuffers &buffers = buffers_[next_];
    size_t b = batch_;
    bool validation = validation_;
    lock.unlock();
    bool filled = buffers.fill(batcher, b, validation);
    lock.lock();
    filled_ = filled;
    requested_ = false;
    changed_.notify_all();
  }
}
