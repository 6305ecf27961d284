//===- Batcher.cpp - epochs of normalised, augmented batches --------------===//

#include "runtime/data/Batcher.h"

#include "runtime/data/ImageFit.h"
#include "runtime/data/Random.h"

#include <algorithm>
#include <cmath>

namespace cnnc::rt {

void prepareImage(const Dataset &data, size_t index, const Normalization &n,
                  const AugmentDraw *draw, float *out) {
  const ImageShape &s = data.shape;
  size_t plane = size_t(s.height * s.width);
  fittedImage(data, index, out);
  if (draw)
    augmentImage(out, s, *draw);
  for (size_t k = 0; k < size_t(s.channels); ++k) {
    float mean = n.mean[n.mean.size() == 1 ? 0 : k];
    float inv = 1.0f / n.std[n.std.size() == 1 ? 0 : k];
    for (size_t i = k * plane; i < (k + 1) * plane; ++i)
      out[i] = (out[i] - mean) * inv;
  }
}

namespace {

/// An error unless `data` is consistent: shapes the fitting handles, as many
/// bytes as images, labels in range. Readers make such data sets; this
/// catches one put together by hand.
Status checkDataset(const Dataset &data) {
  const std::string &origin = data.origin;
  if (Status st = checkImageShape(data.stored); !st)
    return Error{origin + ": its stored images: " + st.error().message};
  if (Status st = checkImageShape(data.shape); !st)
    return Error{origin + ": its images: " + st.error().message};
  if (data.pixels.size() != data.size() * size_t(data.stored.numElements()))
    return Error{origin + ": holds " + std::to_string(data.pixels.size()) +
                 " pixel bytes for " + std::to_string(data.size()) +
                 " images of " + formatImageShape(data.stored) + "."};
  for (size_t i = 0; i < data.size(); ++i)
    if (data.labels[i] < 0 || data.labels[i] >= data.numClasses)
      return Error{origin + ": the label of image " + std::to_string(i) +
                   " is " + std::to_string(data.labels[i]) + ", outside 0.." +
                   std::to_string(data.numClasses - 1) + "."};
  return Status::ok();
}

} // namespace

Result<Batcher> Batcher::create(const Dataset &data,
                                const BatchOptions &options) {
  const std::string &origin = data.origin;
  if (options.batchSize == 0)
    return Error{"the batch size must be at least 1."};
  if (!(options.validationFraction >= 0.0 && options.validationFraction < 1.0))
    return Error{"the validation fraction must be at least 0 and less than "
                 "1, not " +
                 std::to_string(options.validationFraction) + "."};
  if (data.size() == 0)
    return Error{origin + ": holds no images."};
  if (data.size() > size_t(INT32_MAX))
    return Error{origin + ": holds " + std::to_string(data.size()) +
                 " images, more than the " + std::to_string(INT32_MAX) +
                 " the runtime batches."};
  if (Status st = checkDataset(data); !st)
    return st.error();
  if (Status st =
          checkNormalization(options.normalization, data.shape.channels);
      !st)
    return st.error();

  Batcher b(data, options);
  size_t n = data.size();
  size_t held = size_t(std::floor(options.validationFraction * double(n)));
  if (held >= n)
    return Error{origin + ": a validation fraction of " +
                 std::to_string(options.validationFraction) + " of " +
                 std::to_string(n) + " images leaves none to train on."};
  std::vector<uint32_t> all(n);
  for (size_t i = 0; i < n; ++i)
    all[i] = uint32_t(i);
  if (held > 0) {
    // The split depends on the seed only, never the epoch: validation images
    // are never trained on, even across a resume.
    Rng rng = Rng::forKey(options.seed, RandomPurpose::ValidationSplit);
    shuffleInPlace(all, rng);
  }
  b.train_.assign(all.begin(), all.end() - ptrdiff_t(held));
  b.validation_.assign(all.end() - ptrdiff_t(held), all.end());
  std::sort(b.train_.begin(), b.train_.end());
  std::sort(b.validation_.begin(), b.validation_.end());
  b.setEpoch(0);
  return b;
}

std::vector<uint32_t> Batcher::epochOrder(uint64_t epoch) const {
  std::vector<uint32_t> order = train_;
  if (options_.shuffle) {
    Rng rng = Rng::forKey(options_.seed, RandomPurpose::EpochShuffle, epoch);
    shuffleInPlace(order, rng);
  }
  return order;
}

void Batcher::setEpoch(uint64_t epoch) {
  epoch_ = epoch;
  order_ = epochOrder(epoch);
}

size_t Batcher::fill(const std::vector<uint32_t> &indices, size_t b,
                     bool augment, float *images, int32_t *labels) const {
  size_t bs = options_.batchSize;
  if (b >= batchesOf(indices.size()))
    return 0;
  size_t first = b * bs, count = std::min(bs, indices.size() - first);
  size_t imageSize = size_t(data_->shape.numElements());
  for (size_t i = 0; i < count; ++i) {
    uint32_t index = indices[first + i];
    AugmentDraw draw;
    if (augment)
      draw =
          drawAugmentation(options_.augmentation, options_.seed, epoch_, index);
    prepareImage(*data_, index, options_.normalization,
                 augment ? &draw : nullptr, images + i * imageSize);
    labels[i] = data_->labels[index];
  }
  std::fill(images + count * imageSize, images + bs * imageSize, 0.0f);
  std::fill(labels + count, labels + bs, 0);
  return count;
}

size_t Batcher::batch(size_t b, float *images, int32_t *labels) const {
  return fill(order_, b, options_.augment, images, labels);
}

size_t Batcher::validationBatch(size_t b, float *images,
                                int32_t *labels) const {
  return fill(validation_, b, false, images, labels);
}

} // namespace cnnc::rt
