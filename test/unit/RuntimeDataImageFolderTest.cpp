//===- RuntimeDataImageFolderTest.cpp - image folders and openDataset -----===//
//
// Folders of PNG and JPEG images, gray and RGB mixed and of several sizes,
// as train/test splits or a single tree; undecodable images, empty and
// unknown class folders; and openDataset recognising each layout or saying
// what it looked for.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/DatasetReaders.h"
#include "runtime/io/Jpeg.h"
#include "runtime/io/Png.h"

#include "RuntimeDataTestUtil.h"

#include <gmock/gmock.h>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

class ImageFolderTest : public ScratchDirTest {
protected:
  void mkdir(const std::string &rel) {
    std::filesystem::create_directories(path(rel));
  }
  void png(const std::string &rel, const Tensor &t) {
    ASSERT_TRUE(writePng(path(rel), t)) << rel;
  }
  void jpeg(const std::string &rel, const Tensor &t) {
    ASSERT_TRUE(writeJpeg(path(rel), t, 100)) << rel;
  }

  /// train/{cat,dog} and test/dog: a gray 4x4 PNG, an RGB 16x16 JPEG, an
  /// RGB 8x8 PNG and a file that is not an image.
  void writeTree() {
    mkdir("train/cat");
    mkdir("train/dog/nested");
    mkdir("test/dog");
    png("train/cat/a.png", solidImage({0.4f}, 4, 4));
    jpeg("train/cat/b.JPG", solidImage({1.0f, 0.0f, 0.0f}, 16, 16));
    png("train/dog/nested/c.png", solidImage({0.0f, 0.2f, 1.0f}, 8, 8));
    writeBytes(path("train/dog/notes.txt"), "not an image");
    png("test/dog/d.png", solidImage({0.6f}, 8, 8));
  }

  std::string error(const std::string &dir) {
    Result<DataSplits> r = readImageFolder(dir, {3, 8, 8});
    EXPECT_FALSE(r);
    return r ? "" : r.error().message;
  }
};

TEST_F(ImageFolderTest, ReadsSplitsWithMixedFormatsChannelsAndSizes) {
  writeTree();
  Result<DataSplits> r = readImageFolder(dir_, {3, 8, 8});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->format, DataFormat::ImageFolder);
  EXPECT_EQ(r->train.classNames, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(r->train.numClasses, 2);
  EXPECT_EQ(r->train.labels, (std::vector<int32_t>{0, 0, 1}));
  EXPECT_EQ(r->train.fitting, "2 of 3 images resized to 8x8");
  EXPECT_TRUE(r->augmentByDefault);
  // The gray PNG, replicated into R, G and B; solid stays solid.
  for (int k = 0; k < 3 * 64; ++k)
    ASSERT_EQ(r->train.image(0)[k], 102) << k;
  // The red JPEG (lossy: within a few levels).
  EXPECT_NEAR(r->train.image(1)[10], 255, 3);
  EXPECT_NEAR(r->train.image(1)[64 + 10], 0, 3);
  EXPECT_NEAR(r->train.image(1)[128 + 10], 0, 3);
  // The RGB PNG as it was.
  EXPECT_EQ(r->train.image(2)[64 + 5], 51);
  ASSERT_TRUE(r->test);
  EXPECT_EQ(r->testName, "test");
  EXPECT_EQ(r->test->labels, (std::vector<int32_t>{1}));
  EXPECT_EQ(r->test->classNames, r->train.classNames);
}

TEST_F(ImageFolderTest, GrayModelAndSingleTreeWithoutSplits) {
  mkdir("b");
  mkdir("a");
  png("b/x.png", solidImage({1.0f, 1.0f, 0.0f}, 3, 5));
  jpeg("a/y.jpeg", solidImage({0.5f}, 6, 6));
  Result<DataSplits> r = readImageFolder(dir_, {1, 4, 4});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->test);
  EXPECT_EQ(r->train.labels, (std::vector<int32_t>{0, 1}));
  EXPECT_NEAR(r->train.image(0)[3], 128, 2);
  EXPECT_EQ(r->train.image(1)[7], 226); // round((0.299 + 0.587) * 255)
}

TEST_F(ImageFolderTest, ValFolderIsTheTestSplitWhenThereIsNoTest) {
  mkdir("train/one");
  mkdir("val/one");
  png("train/one/a.png", solidImage({0.5f}, 8, 8));
  png("val/one/b.png", solidImage({0.5f}, 8, 8));
  Result<DataSplits> r = readImageFolder(dir_, {1, 8, 8});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->test);
  EXPECT_EQ(r->testName, "val");
}

TEST_F(ImageFolderTest, UnreadableImageIsNamed) {
  writeTree();
  writeBytes(path("train/dog/broken.png"), "\x89PNG garbage");
  EXPECT_THAT(error(dir_), AllOf(HasSubstr("train/dog/broken.png"),
                                 HasSubstr("not a PNG file")));
  std::filesystem::remove(path("train/dog/broken.png"));
  std::string good = readBytes(path("train/cat/b.JPG"));
  writeBytes(path("train/cat/b.JPG"), good.substr(0, good.size() / 2));
  EXPECT_THAT(error(dir_),
              AllOf(HasSubstr("train/cat/b.JPG"), HasSubstr("truncated")));
}

TEST_F(ImageFolderTest, EmptyAndUnknownClassFoldersAreErrors) {
  writeTree();
  mkdir("train/emu");
  EXPECT_THAT(error(dir_), AllOf(HasSubstr("train/emu"),
                                 HasSubstr("no .png, .jpg or .jpeg")));
  std::filesystem::remove(path("train/emu"));
  mkdir("test/owl");
  png("test/owl/o.png", solidImage({0.5f}, 8, 8));
  EXPECT_THAT(error(dir_), AllOf(HasSubstr("test/owl"),
                                 HasSubstr("the training split does not")));
}

TEST_F(ImageFolderTest, FolderWithoutClassesIsAnError) {
  mkdir("train");
  EXPECT_THAT(error(dir_),
              AllOf(HasSubstr("train"), HasSubstr("no class folders")));
}

TEST_F(ImageFolderTest, OpenDatasetRecognisesEachLayout) {
  std::string mnist = path("mnist"), cifar = path("cifar"),
              folder = path("folder");
  std::filesystem::create_directories(mnist);
  writeBytes(mnist + "/train-images-idx3-ubyte", idxImageFile(2, 4, 4));
  writeBytes(mnist + "/train-labels-idx1-ubyte", idxLabelFile({0, 1}));
  writeBytes(mnist + "/t10k-images-idx3-ubyte", idxImageFile(1, 4, 4));
  writeBytes(mnist + "/t10k-labels-idx1-ubyte", idxLabelFile({2}));
  std::filesystem::create_directories(cifar + "/cifar-10-batches-bin");
  for (const char *f : {"data_batch_1", "data_batch_2", "data_batch_3",
                        "data_batch_4", "data_batch_5", "test_batch"})
    writeBytes(cifar + "/cifar-10-batches-bin/" + f + ".bin",
               cifarRecord(1, 0));
  std::filesystem::create_directories(folder + "/k");
  ASSERT_TRUE(writePng(folder + "/k/a.png", solidImage({0.5f}, 4, 4)));

  ImageShape model{1, 4, 4};
  Result<DataSplits> m = openDataset(mnist, model);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->format, DataFormat::Mnist);
  EXPECT_THAT(describeSplits(*m, mnist),
              HasSubstr("MNIST-format IDX files, 2 training and 1 test "
                        "images of 1x4x4, 10 classes"));
  Result<DataSplits> c = openDataset(cifar, model);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->format, DataFormat::Cifar10);
  Result<DataSplits> f = openDataset(folder, model);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->format, DataFormat::ImageFolder);

  // A recognised but incomplete layout names what its reader misses.
  std::filesystem::remove(mnist + "/t10k-images-idx3-ubyte");
  Result<DataSplits> partial = openDataset(mnist, model);
  ASSERT_FALSE(partial);
  EXPECT_THAT(partial.error().message, HasSubstr("t10k-images-idx3-ubyte"));
}

TEST_F(ImageFolderTest, OpenDatasetSaysWhatItLookedFor) {
  writeBytes(path("readme.txt"), "hello");
  Result<DataSplits> r = openDataset(dir_, {1, 28, 28});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message,
              AllOf(HasSubstr(dir_), HasSubstr("no data set found"),
                    HasSubstr("train-images-idx3-ubyte"),
                    HasSubstr("data_batch_1.bin"), HasSubstr("image folder")));
  Result<DataSplits> missing = openDataset(path("absent"), {1, 28, 28});
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("absent: no such directory"));
  writeBytes(path("file"), "x");
  Result<DataSplits> file = openDataset(path("file"), {1, 28, 28});
  ASSERT_FALSE(file);
  EXPECT_THAT(file.error().message, HasSubstr("not a directory"));
}

} // namespace
