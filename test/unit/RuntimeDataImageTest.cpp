//===- RuntimeDataImageTest.cpp - fitting images; JPEG decoding -----------===//
//
// Padding and resampling on small images whose results can be worked out by
// hand (a linear gradient stays linear under bilinear interpolation), channel
// conversion, byte rounding, and JPEG files read back and refused.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/ImageFit.h"
#include "runtime/io/Jpeg.h"

#include "RuntimeDataTestUtil.h"

#include <gmock/gmock.h>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

Tensor image(std::vector<int64_t> shape, std::vector<float> values) {
  Tensor t = Tensor::zerosF32(std::move(shape));
  EXPECT_EQ(t.f32.size(), values.size());
  t.f32 = std::move(values);
  return t;
}

TEST(ImageFit, PadsCentredInZeros) {
  Tensor t = image({1, 2, 2}, {1, 2, 3, 4});
  Tensor p = padCentred(t, 4, 6);
  EXPECT_EQ(p.shape, (std::vector<int64_t>{1, 4, 6}));
  EXPECT_EQ(p.f32, (std::vector<float>{0, 0, 0, 0, 0, 0, //
                                       0, 0, 1, 2, 0, 0, //
                                       0, 0, 3, 4, 0, 0, //
                                       0, 0, 0, 0, 0, 0}));
}

TEST(ImageFit, PadsOnlyForAnEvenMarginInPadOrResizeMode) {
  Tensor t = image({1, 2, 2}, {1, 2, 3, 4});
  std::string how;
  Tensor even = fitImage(t, {1, 4, 4}, FitMode::PadOrResize, &how);
  EXPECT_EQ(how, "2x2 padded to 4x4");
  EXPECT_EQ(even.f32[5], 1.0f);
  EXPECT_EQ(even.f32[0], 0.0f);
  Tensor odd = fitImage(t, {1, 3, 4}, FitMode::PadOrResize, &how);
  EXPECT_EQ(how, "2x2 resized to 3x4");
  EXPECT_EQ(odd.f32[0], 1.0f); // resizing keeps the corner
  Tensor resized = fitImage(t, {1, 4, 4}, FitMode::Resize, &how);
  EXPECT_EQ(how, "2x2 resized to 4x4");
  EXPECT_EQ(resized.f32[0], 1.0f);
  EXPECT_NEAR(resized.f32[1], 1.25f, 1e-6); // 0.75 * 1 + 0.25 * 2
  Tensor same = fitImage(t, {1, 2, 2}, FitMode::PadOrResize, &how);
  EXPECT_EQ(how, "");
  EXPECT_EQ(same.f32, t.f32);
  EXPECT_FALSE(fitsByPadding(2, 2, 1, 4)); // smaller is never padding
}

TEST(ImageFit, BilinearEnlargementOfAGradient) {
  // Pixel centres: output x reads the source at (x + 0.5) / 2 - 0.5,
  // clamped at the edges.
  Tensor row = image({1, 1, 4}, {0, 1, 2, 3});
  Tensor r = resizeBilinear(row, 1, 8);
  std::vector<float> want = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2.25f, 2.75f, 3};
  ASSERT_EQ(r.f32.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(r.f32[i], want[i], 1e-6) << i;
}

TEST(ImageFit, BilinearShrinkKeepsAGradientLinearAwayFromTheEdges) {
  // A vertical gradient v(y) = y over 16 rows shrunk to 4: the widened
  // triangle is symmetric, so inner rows average to the value at their
  // centre, (y + 0.5) * 4 - 0.5; columns stay constant.
  std::vector<float> v;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 3; ++x)
      v.push_back(float(y));
  Tensor r = resizeBilinear(image({1, 16, 3}, v), 4, 3);
  for (int y = 1; y <= 2; ++y)
    for (int x = 0; x < 3; ++x)
      EXPECT_NEAR(r.f32[y * 3 + x], (y + 0.5f) * 4 - 0.5f, 1e-5) << y;
  // Every source row counts: the result is not plain bilinear sampling,
  // which would read rows 1.5 and 5.5 only.
  Tensor spike = Tensor::zerosF32({1, 16, 1});
  spike.f32[4] = 1.0f;
  Tensor s = resizeBilinear(spike, 4, 1);
  // Row 4's weight in output 0 (centre 2, rows 0-5 weigh 0.625 0.875 0.875
  // 0.625 0.375 0.125) and in output 1 (centre 6, rows 2-9, total 4).
  EXPECT_NEAR(s.f32[0], 0.375 / 3.5, 1e-6);
  EXPECT_NEAR(s.f32[1], 0.625 / 4.0, 1e-6);
  EXPECT_EQ(s.f32[2], 0.0f);
}

TEST(ImageFit, ConvertsChannels) {
  Tensor rgb = solidImage({1.0f, 0.5f, 0.0f}, 1, 2);
  Tensor gray = convertChannels(rgb, 1);
  EXPECT_EQ(gray.shape, (std::vector<int64_t>{1, 1, 2}));
  EXPECT_NEAR(gray.f32[0], 0.299f + 0.5f * 0.587f, 1e-6);
  Tensor back = convertChannels(gray, 3);
  EXPECT_EQ(back.shape, (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(back.f32[0], gray.f32[0]);
  EXPECT_EQ(back.f32[4], gray.f32[1]);
}

TEST(ImageFit, BytesRoundAndClamp) {
  std::vector<uint8_t> out;
  appendAsBytes(image({1, 1, 5}, {0.0f, 1.0f, 0.5f, -0.2f, 1.7f}), out);
  EXPECT_EQ(out, (std::vector<uint8_t>{0, 255, 128, 0, 255}));
}

class JpegTest : public ScratchDirTest {};

TEST_F(JpegTest, RoundTripsGrayAndRgb) {
  Tensor gray = Tensor::zerosF32({1, 8, 16});
  for (size_t i = 0; i < gray.f32.size(); ++i)
    gray.f32[i] = float(i % 16) / 15.0f;
  ASSERT_TRUE(writeJpeg(path("g.jpg"), gray, 100));
  Result<Tensor> g = readJpeg(path("g.jpg"));
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->shape, (std::vector<int64_t>{1, 8, 16}));
  for (size_t i = 0; i < gray.f32.size(); ++i)
    ASSERT_NEAR(g->f32[i], gray.f32[i], 3.0f / 255) << i;

  ASSERT_TRUE(writeJpeg(path("c.jpg"), solidImage({0.2f, 0.4f, 0.8f}, 9, 7)));
  Result<Tensor> c = readJpeg(path("c.jpg"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->shape, (std::vector<int64_t>{3, 9, 7}));
  EXPECT_NEAR(c->f32[0], 0.2f, 3.0f / 255);
  EXPECT_NEAR(c->f32[63], 0.4f, 3.0f / 255);
  EXPECT_NEAR(c->f32[126], 0.8f, 3.0f / 255);
}

TEST_F(JpegTest, RefusesWhatIsNotAWholeJpeg) {
  writeBytes(path("text.jpg"), "hello");
  Result<Tensor> text = readJpeg(path("text.jpg"));
  ASSERT_FALSE(text);
  EXPECT_THAT(text.error().message,
              AllOf(HasSubstr("text.jpg"), HasSubstr("not a JPEG file")));

  ASSERT_TRUE(writeJpeg(path("ok.jpg"), solidImage({0.5f}, 32, 32)));
  std::string whole = readBytes(path("ok.jpg"));
  writeBytes(path("cut.jpg"), whole.substr(0, whole.size() - 40));
  Result<Tensor> cut = readJpeg(path("cut.jpg"));
  ASSERT_FALSE(cut);
  EXPECT_THAT(cut.error().message,
              AllOf(HasSubstr("cut.jpg"), HasSubstr("truncated")));

  // A header cut off before the frame: libjpeg's own error, quoted.
  writeBytes(path("head.jpg"), whole.substr(0, 30));
  Result<Tensor> head = readJpeg(path("head.jpg"));
  ASSERT_FALSE(head);
  EXPECT_THAT(head.error().message, HasSubstr("head.jpg"));

  Result<Tensor> missing = readJpeg(path("absent.jpg"));
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("absent.jpg"));
  EXPECT_FALSE(writeJpeg(path("bad.jpg"), Tensor::zerosF32({2, 4, 4})));
}

} // namespace
