//===- RuntimeDataBatcherTest.cpp - epochs, splits and batches ------------===//
//
// Shuffles that are permutations, reproducible and new every epoch; a
// validation split disjoint from training and fixed across epochs; batch
// contents, normalisation and the partial last batch; resuming at (epoch,
// batch) with augmentation; and the options that are refused.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/Batcher.h"

#include "RuntimeDataTestUtil.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::HasSubstr;

namespace {

Batcher makeBatcher(const Dataset &d, BatchOptions o) {
  Result<Batcher> b = Batcher::create(d, o);
  EXPECT_TRUE(b) << (b ? "" : b.error().message);
  return std::move(*b);
}

TEST(Batcher, EpochOrderIsADeterministicPermutationNewEachEpoch) {
  Dataset d = syntheticDataset(100, {1, 2, 2});
  BatchOptions o;
  o.seed = 42;
  Batcher b = makeBatcher(d, o);
  std::vector<uint32_t> e0 = b.epochOrder(0), e1 = b.epochOrder(1);
  std::vector<uint32_t> sorted = e0;
  std::sort(sorted.begin(), sorted.end());
  for (uint32_t i = 0; i < 100; ++i)
    ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(makeBatcher(d, o).epochOrder(0), e0);
  EXPECT_NE(e0, e1);
  o.seed = 43;
  EXPECT_NE(makeBatcher(d, o).epochOrder(0), e0);
  o.shuffle = false;
  EXPECT_EQ(makeBatcher(d, o).epochOrder(5), sorted);
}

TEST(Batcher, ValidationSplitIsDisjointAndFixedAcrossEpochs) {
  Dataset d = syntheticDataset(50, {1, 2, 2});
  BatchOptions o;
  o.seed = 9;
  o.batchSize = 4;
  o.validationFraction = 0.2;
  Batcher b = makeBatcher(d, o);
  EXPECT_EQ(b.validationCount(), 10u);
  EXPECT_EQ(b.count(), 40u);
  std::set<uint32_t> val(b.validationIndices().begin(),
                         b.validationIndices().end());
  ASSERT_EQ(val.size(), 10u);
  EXPECT_NE(*val.rbegin(), 9u); // not simply the first ten
  for (uint64_t epoch : {0, 1, 7}) {
    b.setEpoch(epoch);
    std::set<uint32_t> train(b.order().begin(), b.order().end());
    EXPECT_EQ(train.size(), 40u);
    for (uint32_t i : val)
      EXPECT_EQ(train.count(i), 0u) << i;
  }
  // Validation batches hold exactly the validation images, unshuffled.
  std::vector<float> images(4 * 4);
  std::vector<int32_t> labels(4);
  std::vector<uint32_t> seen;
  for (size_t v = 0; v < b.validationBatches(); ++v) {
    size_t n = b.validationBatch(v, images.data(), labels.data());
    for (size_t i = 0; i < n; ++i)
      seen.push_back(uint32_t(std::lround(images[i * 4] * 255))); // i % 256
  }
  EXPECT_EQ(seen, b.validationIndices());
  // Another seed, another split.
  o.seed = 10;
  EXPECT_NE(makeBatcher(d, o).validationIndices(), b.validationIndices());
}

TEST(Batcher, BatchesFollowTheOrderAndTheLastIsPartial) {
  Dataset d = syntheticDataset(10, {1, 1, 2});
  BatchOptions o;
  o.batchSize = 4;
  o.seed = 3;
  Batcher b = makeBatcher(d, o);
  b.setEpoch(2);
  ASSERT_EQ(b.batches(), 3u);
  std::vector<float> images(8, -1.0f);
  std::vector<int32_t> labels(4, -1);
  std::vector<uint32_t> got;
  for (size_t k = 0; k < 3; ++k) {
    size_t n = b.batch(k, images.data(), labels.data());
    EXPECT_EQ(n, k < 2 ? 4u : 2u);
    for (size_t i = 0; i < n; ++i) {
      uint32_t index = uint32_t(std::lround(images[i * 2] * 255));
      EXPECT_EQ(labels[i], int32_t(index % 10));
      got.push_back(index);
    }
  }
  EXPECT_EQ(got, b.epochOrder(2));
  // The unused slots of the last batch are zeroed.
  EXPECT_EQ(images[4], 0.0f);
  EXPECT_EQ(labels[3], 0);
  EXPECT_EQ(b.batch(3, images.data(), labels.data()), 0u);
}

TEST(Batcher, NormalisesPerChannel) {
  Dataset d;
  d.stored = d.shape = {3, 1, 2};
  d.pixels = {0, 255, 51, 102, 255, 255};
  d.labels = {1};
  d.numClasses = 2;
  BatchOptions o;
  o.batchSize = 1;
  o.normalization = {{0.5f, 0.1f, 0.0f}, {0.5f, 0.2f, 4.0f}};
  Batcher b = makeBatcher(d, o);
  std::vector<float> images(6);
  int32_t label = -1;
  ASSERT_EQ(b.batch(0, images.data(), &label), 1u);
  EXPECT_NEAR(images[0], -1.0f, 1e-6);
  EXPECT_NEAR(images[1], 1.0f, 1e-6);
  EXPECT_NEAR(images[2], 0.5f, 1e-6); // (0.2 - 0.1) / 0.2
  EXPECT_NEAR(images[3], 1.5f, 1e-6); // (0.4 - 0.1) / 0.2
  EXPECT_NEAR(images[4], 0.25f, 1e-6);
  EXPECT_EQ(label, 1);
  // MNIST's recipe: pixels in [0, 1], one value for every channel.
  o.normalization = defaultNormalization(DataFormat::Mnist);
  ASSERT_EQ(makeBatcher(d, o).batch(0, images.data(), &label), 1u);
  EXPECT_NEAR(images[0], 0.0f, 1e-6);
  EXPECT_NEAR(images[1], 1.0f, 1e-6);
}

TEST(Batcher, FitsStoredImagesToTheModel) {
  // 1x2x2 images centred in a 3x4x4 model input, as MNIST in LeNet-5.
  Dataset d = syntheticDataset(3, {1, 2, 2});
  d.pixels[4] = 51;
  d.shape = {3, 4, 4};
  d.fit = FitMode::PadOrResize;
  BatchOptions o;
  o.batchSize = 2;
  o.shuffle = false;
  Batcher b = makeBatcher(d, o);
  std::vector<float> images(2 * 48, -1.0f);
  std::vector<int32_t> labels(2);
  ASSERT_EQ(b.batch(0, images.data(), labels.data()), 2u);
  for (int c = 0; c < 3; ++c) {
    float *second = images.data() + 48 + c * 16;
    EXPECT_EQ(second[0], 0.0f);
    EXPECT_NEAR(second[5], 0.2f, 1e-6); // (1, 1) holds pixel (0, 0)
    EXPECT_NEAR(second[6], 1.0f / 255, 1e-6);
    EXPECT_EQ(second[15], 0.0f);
  }
  d.pixels.pop_back();
  Result<Batcher> broken = Batcher::create(d, o);
  ASSERT_FALSE(broken);
  EXPECT_THAT(broken.error().message,
              HasSubstr("synthetic: holds 11 pixel bytes for 3 images"));
}

TEST(Batcher, ResumesExactlyWithAugmentationAndAnyThread) {
  // Images with structure, so that flips and warps change them.
  Dataset d = syntheticDataset(20, {3, 6, 6});
  for (size_t i = 0; i < d.pixels.size(); ++i)
    d.pixels[i] = uint8_t((i * 37) % 251);
  BatchOptions o;
  o.batchSize = 3;
  o.seed = 77;
  o.augment = true;
  o.validationFraction = 0.25;
  o.normalization = defaultNormalization(DataFormat::Cifar10);
  size_t size = 3 * 108;
  Batcher first = makeBatcher(d, o);
  first.setEpoch(4);
  std::vector<float> a(size), fresh(size), plain(size);
  std::vector<int32_t> la(3), lb(3);
  first.batch(2, a.data(), la.data());

  Batcher resumed = makeBatcher(d, o); // a new process after a checkpoint
  resumed.setEpoch(4);
  std::thread worker([&] { resumed.batch(2, fresh.data(), lb.data()); });
  worker.join();
  EXPECT_EQ(std::memcmp(a.data(), fresh.data(), size * sizeof(float)), 0);
  EXPECT_EQ(la, lb);

  // Augmentation changes the batch; the next epoch changes it again.
  o.augment = false;
  Batcher unaugmented = makeBatcher(d, o);
  unaugmented.setEpoch(4);
  unaugmented.batch(2, plain.data(), lb.data());
  EXPECT_EQ(la, lb);
  EXPECT_NE(std::memcmp(a.data(), plain.data(), size * sizeof(float)), 0);
  // Validation batches are never augmented.
  first.validationBatch(0, a.data(), la.data());
  unaugmented.validationBatch(0, plain.data(), lb.data());
  EXPECT_EQ(std::memcmp(a.data(), plain.data(), size * sizeof(float)), 0);
}

TEST(Batcher, RefusesBadOptions) {
  Dataset d = syntheticDataset(4, {3, 2, 2});
  auto error = [&](BatchOptions o) {
    Result<Batcher> b = Batcher::create(d, o);
    EXPECT_FALSE(b);
    return b ? "" : b.error().message;
  };
  BatchOptions o;
  o.batchSize = 0;
  EXPECT_THAT(error(o), HasSubstr("batch size"));
  o = BatchOptions();
  o.validationFraction = 1.0;
  EXPECT_THAT(error(o), HasSubstr("validation fraction"));
  o.validationFraction = 0.9; // 3 of 4 held out still leaves one
  EXPECT_TRUE(Batcher::create(d, o));
  o = BatchOptions();
  o.normalization = {{0.1f, 0.2f}, {1.0f, 1.0f}};
  EXPECT_THAT(error(o), HasSubstr("3 channels"));
  o.normalization = {{0.1f}, {0.0f}};
  EXPECT_THAT(error(o), HasSubstr("positive"));
  Dataset empty = syntheticDataset(0, {1, 2, 2});
  Result<Batcher> none = Batcher::create(empty, BatchOptions());
  ASSERT_FALSE(none);
  EXPECT_THAT(none.error().message, HasSubstr("synthetic: holds no images"));
}

} // namespace
