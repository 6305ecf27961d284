//===- Batcher.h - epochs of normalised, augmented batches ------*- C++ -*-===//
//
// cnnc-train's view of a data set: a fixed validation split carved from the
// training images, a shuffled order per epoch, and batches assembled into the
// float32 NCHW buffers the model's C ABI takes. Orders and augmentations are
// pure functions of (seed, epoch, image), so training can stop after any
// batch and resume at (epoch, batch) with the same images in the same order
// and the same random transformations.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_DATA_BATCHER_H
#define CNNC_RUNTIME_DATA_BATCHER_H

#include "runtime/data/Augment.h"
#include "runtime/data/Dataset.h"

#include <cstdint>
#include <vector>

namespace cnnc::rt {

struct BatchOptions {
  size_t batchSize = 64;
  uint64_t seed = 0;
  /// Shuffle the images anew every epoch (training); false keeps the data
  /// set's order (evaluating a test split).
  bool shuffle = true;
  /// The share of the images held out for validation, in [0, 1): the last
  /// part of a permutation drawn from the seed alone, the same every epoch.
  double validationFraction = 0.0;
  Normalization normalization{{0.0f}, {1.0f}};
  /// Augment the batches (never the validation images).
  bool augment = false;
  AugmentOptions augmentation;
};

/// Writes image `index` of `data` to `out` (data.shape's C*H*W floats): its
/// bytes to [0, 1] fitted to the model's shape, then the augmentation `draw`
/// when not null, then (x - mean) / std.
void prepareImage(const Dataset &data, size_t index, const Normalization &n,
                  const AugmentDraw *draw, float *out);

class Batcher {
public:
  /// An error when the batch size is 0, the validation fraction is outside
  /// [0, 1) or leaves no images to train on, the data set is empty, has more
  /// than 2^31 - 1 images or is inconsistent (pixel count, labels, shapes),
  /// or the normalisation does not fit its channels. `data` must outlive the
  /// Batcher.
  static Result<Batcher> create(const Dataset &data,
                                const BatchOptions &options);

  const Dataset &data() const { return *data_; }
  const BatchOptions &options() const { return options_; }
  size_t batchSize() const { return options_.batchSize; }

  /// The images batches are drawn from (all but the validation images).
  size_t count() const { return train_.size(); }
  /// Batches per epoch, the last one partial when the count is not a
  /// multiple of the batch size.
  size_t batches() const { return batchesOf(train_.size()); }
  size_t validationCount() const { return validation_.size(); }
  size_t validationBatches() const { return batchesOf(validation_.size()); }

  /// The data set indices held out for validation, ascending.
  const std::vector<uint32_t> &validationIndices() const { return validation_; }
  /// The order of `epoch`'s batches: the training indices shuffled by
  /// Fisher-Yates from (seed, epoch), or ascending when not shuffling.
  std::vector<uint32_t> epochOrder(uint64_t epoch) const;

  /// Makes `epoch` the one batch() serves (computing its order once).
  void setEpoch(uint64_t epoch);
  uint64_t epoch() const { return epoch_; }
  const std::vector<uint32_t> &order() const { return order_; }

  /// Fills `images` [batchSize, C, H, W] and `labels` [batchSize] with batch
  /// `b` of the current epoch and returns how many images it holds (fewer
  /// than batchSize for the last batch; the rest of both buffers is zeroed).
  /// Returns 0 and writes nothing when b >= batches(). Safe to call from
  /// several threads at once.
  size_t batch(size_t b, float *images, int32_t *labels) const;

  /// The same for validation batch `b` (never augmented).
  size_t validationBatch(size_t b, float *images, int32_t *labels) const;

private:
  Batcher(const Dataset &data, const BatchOptions &options)
      : data_(&data), options_(options) {}
  size_t batchesOf(size_t n) const {
    return (n + options_.batchSize - 1) / options_.batchSize;
  }
  size_t fill(const std::vector<uint32_t> &indices, size_t b, bool augment,
              float *images, int32_t *labels) const;

  const Dataset *data_;
  BatchOptions options_;
  std::vector<uint32_t> train_, validation_, order_;
  uint64_t epoch_ = 0;
};

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_DATA_BATCHER_H
