//===- RuntimeDataMnistTest.cpp - MNIST-format directories ----------------===//
//
// Small IDX files (plain and gzipped) read as train and test splits, fitted
// to models of the same size, larger by an even margin (padding), larger by
// an odd one (resizing) and with three channels; and each broken directory
// reported with the file at fault.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/DatasetReaders.h"
#include "runtime/data/ImageFit.h"

#include "RuntimeDataTestUtil.h"

#include <gmock/gmock.h>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

class MnistTest : public ScratchDirTest {
protected:
  /// 5 training and 3 test images of 4x4; the test files gzipped.
  void writeMnist() {
    writeBytes(path("train-images-idx3-ubyte"), idxImageFile(5, 4, 4));
    writeBytes(path("train-labels-idx1-ubyte"), idxLabelFile({3, 1, 4, 1, 5}));
    writeBytes(path("t10k-images-idx3-ubyte.gz"),
               gzipBytes(idxImageFile(3, 4, 4)));
    writeBytes(path("t10k-labels-idx1-ubyte.gz"),
               gzipBytes(idxLabelFile({9, 2, 6})));
  }

  std::string error(ImageShape model = {1, 4, 4}) {
    Result<DataSplits> r = readMnistDirectory(dir_, model);
    EXPECT_FALSE(r);
    return r ? "" : r.error().message;
  }
};

TEST_F(MnistTest, ReadsPlainAndGzippedSplits) {
  writeMnist();
  Result<DataSplits> r = readMnistDirectory(dir_, {1, 4, 4});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->format, DataFormat::Mnist);
  EXPECT_EQ(r->train.size(), 5u);
  EXPECT_EQ(r->train.labels, (std::vector<int32_t>{3, 1, 4, 1, 5}));
  EXPECT_EQ(r->train.numClasses, 10);
  EXPECT_TRUE(r->train.fitting.empty());
  ASSERT_EQ(r->train.pixels.size(), 5u * 16);
  for (uint32_t i = 0; i < 5; ++i)
    for (uint32_t k = 0; k < 16; ++k)
      ASSERT_EQ(r->train.image(i)[k], idxPixel(i, k)) << i << " " << k;
  ASSERT_TRUE(r->test);
  EXPECT_EQ(r->test->labels, (std::vector<int32_t>{9, 2, 6}));
  EXPECT_EQ(r->test->image(2)[5], idxPixel(2, 5));
  // The reference recipes' pixels in [0, 1], no augmentation.
  EXPECT_EQ(r->normalization.mean, std::vector<float>{0.0f});
  EXPECT_EQ(r->normalization.std, std::vector<float>{1.0f});
  EXPECT_FALSE(r->augmentByDefault);
}

TEST_F(MnistTest, PadsCentredWhenTheModelIsLargerByAnEvenMargin) {
  writeMnist();
  Result<DataSplits> r = readMnistDirectory(dir_, {1, 8, 6});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->train.fitting, "4x4 padded to 8x6");
  // Kept as read; fitted when a batch needs it.
  EXPECT_EQ(r->train.stored, (ImageShape{1, 4, 4}));
  EXPECT_EQ(r->train.shape, (ImageShape{1, 8, 6}));
  EXPECT_EQ(r->train.image(1)[3], idxPixel(1, 3));
  std::vector<float> img(48, -1.0f);
  fittedImage(r->train, 1, img.data());
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 6; ++x) {
      bool inside = y >= 2 && y < 6 && x >= 1 && x < 5;
      uint8_t want = inside ? idxPixel(1, uint32_t((y - 2) * 4 + x - 1)) : 0;
      ASSERT_EQ(img[y * 6 + x], float(want) / 255.0f) << y << "," << x;
    }
}

TEST_F(MnistTest, ResizesWhenTheMarginIsOddAndReplicatesIntoRgb) {
  writeMnist();
  Result<DataSplits> r = readMnistDirectory(dir_, {3, 5, 5});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->train.fitting, "4x4 resized to 5x5");
  EXPECT_EQ(r->train.shape, (ImageShape{3, 5, 5}));
  EXPECT_EQ(r->test->fitting, "4x4 resized to 5x5");
  std::vector<float> img(75);
  fittedImage(r->train, 0, img.data());
  for (int k = 0; k < 25; ++k) {
    EXPECT_EQ(img[k], img[25 + k]);
    EXPECT_EQ(img[k], img[50 + k]);
  }
  // Enlarging keeps the corner pixels (the filter reads only the corner).
  EXPECT_NEAR(img[0], idxPixel(0, 0) / 255.0f, 1e-6);
  EXPECT_NEAR(img[24], idxPixel(0, 15) / 255.0f, 1e-6);
  EXPECT_GT(img[1], 0.0f);
}

TEST_F(MnistTest, MissingDirectoryAndFilesAreNamed) {
  Result<DataSplits> r = readMnistDirectory(path("nowhere"), {1, 4, 4});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("nowhere: no such directory"));
  writeMnist();
  std::filesystem::remove(path("t10k-labels-idx1-ubyte.gz"));
  EXPECT_THAT(error(), AllOf(HasSubstr(dir_), HasSubstr("missing"),
                             HasSubstr("t10k-labels-idx1-ubyte[.gz]")));
}

TEST_F(MnistTest, TruncatedFileIsNamed) {
  writeMnist();
  std::string images = idxImageFile(5, 4, 4);
  writeBytes(path("train-images-idx3-ubyte"), images.substr(0, 40));
  EXPECT_THAT(error(), AllOf(HasSubstr(path("train-images-idx3-ubyte")),
                             HasSubstr("truncated")));
}

TEST_F(MnistTest, WrongMagicIsNamed) {
  writeMnist();
  // A labels file where the images belong.
  writeBytes(path("train-images-idx3-ubyte"), idxLabelFile({1, 2}));
  EXPECT_THAT(error(), AllOf(HasSubstr(path("train-images-idx3-ubyte")),
                             HasSubstr("magic number")));
}

TEST_F(MnistTest, LabelOutOfRangeIsNamed) {
  writeMnist();
  writeBytes(path("train-labels-idx1-ubyte"), idxLabelFile({3, 1, 10, 1, 5}));
  EXPECT_THAT(error(), AllOf(HasSubstr(path("train-labels-idx1-ubyte")),
                             HasSubstr("image 2 is 10, outside 0..9")));
}

TEST_F(MnistTest, MismatchedCountsNameBothFiles) {
  writeMnist();
  writeBytes(path("train-labels-idx1-ubyte"), idxLabelFile({3, 1, 4}));
  EXPECT_THAT(error(), AllOf(HasSubstr(path("train-images-idx3-ubyte")),
                             HasSubstr(path("train-labels-idx1-ubyte")),
                             HasSubstr("5 images"), HasSubstr("3 labels")));
}

TEST_F(MnistTest, SplitsOfDifferentImageSizesAreAnError) {
  writeMnist();
  writeBytes(path("t10k-images-idx3-ubyte.gz"),
             gzipBytes(idxImageFile(3, 6, 6)));
  EXPECT_THAT(error(), AllOf(HasSubstr(path("t10k-images-idx3-ubyte.gz")),
                             HasSubstr("6x6"), HasSubstr("4x4")));
}

TEST_F(MnistTest, EmptyImageFileIsAnError) {
  writeMnist();
  writeBytes(path("train-images-idx3-ubyte"), idxImageFile(0, 4, 4));
  writeBytes(path("train-labels-idx1-ubyte"), idxLabelFile({}));
  EXPECT_THAT(error(), AllOf(HasSubstr(path("train-images-idx3-ubyte")),
                             HasSubstr("no images")));
}

TEST_F(MnistTest, ModelThatIsNotAnImageIsAnError) {
  writeMnist();
  EXPECT_THAT(error({2, 4, 4}), HasSubstr("1 (gray) or 3 (RGB) channels"));
  EXPECT_THAT(error({1, 0, 4}), HasSubstr("height and width"));
}

TEST(ImageShapeOfInput, AcceptsImageBatchesOnly) {
  Result<ImageShape> s = imageShapeOfInput({-1, 1, 32, 32}, "x");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(*s, (ImageShape{1, 32, 32}));
  Result<ImageShape> flat = imageShapeOfInput({-1, 784}, "pixels");
  ASSERT_FALSE(flat);
  EXPECT_THAT(flat.error().message,
              AllOf(HasSubstr("'pixels'"), HasSubstr("[-1, 784]"),
                    HasSubstr("[N, C, H, W]")));
  Result<ImageShape> four = imageShapeOfInput({-1, 4, 8, 8}, "x");
  ASSERT_FALSE(four);
  EXPECT_THAT(four.error().message, HasSubstr("not 4"));
}

} // namespace
