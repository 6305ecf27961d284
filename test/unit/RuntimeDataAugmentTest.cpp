//===- RuntimeDataAugmentTest.cpp - random training transformations -------===//
//
// Determinism (the same key gives the same bytes, another epoch others),
// the exact identities (flip twice, identity warp, neutral jitter), a 180
// degree warp against a double flip, and the drawn ranges.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/Augment.h"
#include "runtime/data/Random.h"

#include "RuntimeDataTestUtil.h"

#include <cmath>
#include <cstring>

using namespace cnnc::rt;
using namespace cnnc::rt::test;

namespace {

/// An RGB 6x5 image with distinct values in (0, 1).
std::vector<float> distinctImage(const ImageShape &s) {
  std::vector<float> v(size_t(s.numElements()));
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = float((i * 37) % 101 + 1) / 103.0f;
  return v;
}

const ImageShape kShape{3, 6, 5};

std::vector<float> augmented(uint64_t seed, uint64_t epoch, uint64_t index) {
  std::vector<float> img = distinctImage(kShape);
  AugmentDraw d = drawAugmentation(AugmentOptions(), seed, epoch, index);
  augmentImage(img.data(), kShape, d);
  return img;
}

bool sameBytes(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(Augment, SameKeySameBytesOtherEpochOtherBytes) {
  EXPECT_TRUE(sameBytes(augmented(7, 3, 11), augmented(7, 3, 11)));
  EXPECT_FALSE(sameBytes(augmented(7, 3, 11), augmented(7, 4, 11)));
  EXPECT_FALSE(sameBytes(augmented(7, 3, 11), augmented(7, 3, 12)));
  EXPECT_FALSE(sameBytes(augmented(7, 3, 11), augmented(8, 3, 11)));
}

TEST(Augment, DrawsStayInTheirRangesAndFlipHalfTheTime) {
  AugmentOptions o;
  int flips = 0;
  bool orders[3][3] = {};
  for (uint64_t i = 0; i < 2000; ++i) {
    AugmentDraw d = drawAugmentation(o, 1, 0, i);
    flips += d.flip;
    ASSERT_LE(std::fabs(d.rotationDegrees), 10.0);
    ASSERT_LE(std::fabs(d.shearDegrees), 10.0);
    ASSERT_TRUE(d.scale >= 0.8 && d.scale <= 1.2) << d.scale;
    for (double f : {d.brightness, d.contrast, d.saturation})
      ASSERT_TRUE(f >= 0.8 && f <= 1.2) << f;
    int seen = 0;
    for (int k = 0; k < 3; ++k) {
      orders[k][d.jitterOrder[k]] = true;
      seen |= 1 << d.jitterOrder[k];
    }
    ASSERT_EQ(seen, 7); // a permutation
  }
  EXPECT_GT(flips, 900);
  EXPECT_LT(flips, 1100);
  for (auto &position : orders)
    for (bool used : position)
      EXPECT_TRUE(used); // every adjustment comes at every position
  AugmentOptions none;
  none.flipProbability = 0;
  none.rotationDegrees = none.shearDegrees = 0;
  none.scaleMin = none.scaleMax = 1;
  none.brightness = none.contrast = none.saturation = 0;
  std::vector<float> img = distinctImage(kShape), before = img;
  augmentImage(img.data(), kShape, drawAugmentation(none, 1, 2, 3));
  for (size_t i = 0; i < img.size(); ++i)
    ASSERT_NEAR(img[i], before[i], 1e-6) << i;
}

TEST(Augment, FlipOfAFlipIsTheIdentity) {
  std::vector<float> img = distinctImage(kShape), before = img;
  flipHorizontal(img.data(), kShape);
  EXPECT_EQ(img[0], before[4]); // row 0 of channel 0 reversed
  EXPECT_EQ(img[30 + 5], before[30 + 9]);
  EXPECT_FALSE(sameBytes(img, before));
  flipHorizontal(img.data(), kShape);
  EXPECT_TRUE(sameBytes(img, before));
}

TEST(Augment, IdentityWarpCopiesAndHalfTurnFlipsBothWays) {
  std::vector<float> src = distinctImage(kShape), dst(src.size());
  warpAffine(src.data(), dst.data(), kShape, 0, 0, 1);
  EXPECT_TRUE(sameBytes(dst, src));
  warpAffine(src.data(), dst.data(), kShape, 180, 0, 1);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < 6; ++y)
      for (int64_t x = 0; x < 5; ++x)
        ASSERT_NEAR(dst[size_t((c * 6 + y) * 5 + x)],
                    src[size_t((c * 6 + 5 - y) * 5 + 4 - x)], 1e-5);
}

TEST(Augment, ShrinkingFillsTheBorderWithZeros) {
  ImageShape s{1, 9, 9};
  std::vector<float> src(81, 1.0f), dst(81);
  warpAffine(src.data(), dst.data(), s, 0, 0, 0.5);
  EXPECT_EQ(dst[0], 0.0f);         // reads (-4, -4)
  EXPECT_EQ(dst[40], 1.0f);        // the centre stays
  EXPECT_EQ(dst[4 * 9 + 2], 1.0f); // reads (2, 4)
}

TEST(Augment, ColourJitterFollowsTorchvision) {
  ImageShape s{3, 1, 2};
  std::vector<float> img = {0.2f, 0.8f, 0.4f, 0.4f, 0.6f, 0.0f};
  AugmentDraw d;
  d.brightness = 0.5;
  d.contrast = d.saturation = 1;
  jitterColour(img.data(), s, d);
  EXPECT_NEAR(img[1], 0.4f, 1e-6);
  // Saturation 0: every channel becomes the pixel's gray.
  d.brightness = 1;
  d.saturation = 0;
  jitterColour(img.data(), s, d);
  float gray0 = 0.2989f * 0.1f + 0.587f * 0.2f + 0.114f * 0.3f;
  EXPECT_NEAR(img[0], gray0, 1e-6);
  EXPECT_NEAR(img[2], gray0, 1e-6);
  EXPECT_NEAR(img[4], gray0, 1e-6);
  // Contrast 0: every value becomes the image's mean gray.
  std::vector<float> g = {0.0f, 1.0f};
  d.saturation = 1;
  d.contrast = 0;
  jitterColour(g.data(), {1, 1, 2}, d);
  EXPECT_NEAR(g[0], 0.5f, 1e-6);
  EXPECT_NEAR(g[1], 0.5f, 1e-6);
  // Brightness clamps at 1.
  d.contrast = 1;
  d.brightness = 3;
  jitterColour(g.data(), {1, 1, 2}, d);
  EXPECT_EQ(g[0], 1.0f);
}

TEST(Random, BelowIsUnbiasedAndShuffleIsAPermutation) {
  Rng rng = Rng::forKey(5, RandomPurpose::EpochShuffle, 1);
  int counts[3] = {};
  for (int i = 0; i < 3000; ++i)
    ++counts[rng.below(3)];
  for (int c : counts)
    EXPECT_TRUE(c > 900 && c < 1100) << c;
  std::vector<int> v = {0, 1, 2, 3, 4, 5, 6, 7};
  shuffleInPlace(v, rng);
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  // The generator is specified, not the library's: pin its first output.
  EXPECT_EQ(Rng(0).next(), 0xe220a8397b1dcdafULL);
}

} // namespace
