//===- RuntimeDataCifarTest.cpp - CIFAR-10 binary batches -----------------===//
//
// Six small batch files (two records each) read from the folder the archive
// unpacks and from its parent, with class names; fitted to a gray model; and
// truncated files, bad labels, missing batches and bad class name lists.
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

class CifarTest : public ScratchDirTest {
protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    bin_ = path("cifar-10-batches-bin");
    std::filesystem::create_directory(bin_);
    for (int b = 1; b <= 5; ++b)
      writeBytes(batch(b), cifarRecord(b, 10 * b) + cifarRecord(9 - b, 11 * b));
    writeBytes(bin_ + "/test_batch.bin", cifarRecord(7, 3) + cifarRecord(0, 4));
    writeBytes(bin_ + "/batches.meta.txt",
               "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\n"
               "truck\n\n");
  }

  std::string batch(int b) const {
    return bin_ + "/data_batch_" + std::to_string(b) + ".bin";
  }

  std::string error() {
    Result<DataSplits> r = readCifar10Directory(dir_, {3, 32, 32});
    EXPECT_FALSE(r);
    return r ? "" : r.error().message;
  }

  std::string bin_;
};

TEST_F(CifarTest, ReadsRecordsFromTheArchiveFolderOrItsParent) {
  for (const std::string &where : {dir_, bin_}) {
    Result<DataSplits> r = readCifar10Directory(where, {3, 32, 32});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->format, DataFormat::Cifar10);
    EXPECT_EQ(r->train.labels,
              (std::vector<int32_t>{1, 8, 2, 7, 3, 6, 4, 5, 5, 4}));
    ASSERT_EQ(r->train.size(), 10u);
    // Record 3 is the second of batch 2: pixel k is (22 + k) & 0xff, CHW.
    for (int k : {0, 1, 1023, 1024, 3071})
      EXPECT_EQ(r->train.image(3)[k], uint8_t((22 + k) & 0xff)) << k;
    ASSERT_TRUE(r->test);
    EXPECT_EQ(r->test->labels, (std::vector<int32_t>{7, 0}));
    EXPECT_EQ(r->test->image(1)[100], uint8_t(104));
    ASSERT_EQ(r->train.classNames.size(), 10u);
    EXPECT_EQ(r->train.classNames[0], "airplane");
    EXPECT_EQ(r->train.classNames[9], "truck");
    EXPECT_EQ(r->normalization.mean, std::vector<float>{0.5f});
    EXPECT_TRUE(r->augmentByDefault);
  }
}

TEST_F(CifarTest, GrayModelGetsLuma) {
  // One pure red record and one pure blue.
  std::string red(1, '\x02'), blue(1, '\x03');
  red += std::string(1024, '\xff') + std::string(2048, '\0');
  blue += std::string(2048, '\0') + std::string(1024, '\xff');
  writeBytes(batch(1), red + blue);
  Result<DataSplits> r = readCifar10Directory(dir_, {1, 16, 16});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->train.fitting, "32x32 resized to 16x16");
  std::vector<float> img(256);
  fittedImage(r->train, 0, img.data());
  EXPECT_NEAR(img[77], 0.299f, 1e-6);
  fittedImage(r->train, 1, img.data());
  EXPECT_NEAR(img[200], 0.114f, 1e-6);
}

TEST_F(CifarTest, TruncatedBatchIsNamed) {
  writeBytes(batch(3), cifarRecord(1, 1) + cifarRecord(1, 1).substr(0, 100));
  EXPECT_THAT(error(), AllOf(HasSubstr(batch(3)), HasSubstr("truncated"),
                             HasSubstr("the last record has 100 bytes")));
  writeBytes(batch(3), "");
  EXPECT_THAT(error(), AllOf(HasSubstr(batch(3)), HasSubstr("empty")));
}

TEST_F(CifarTest, LabelOutOfRangeIsNamed) {
  writeBytes(batch(5), cifarRecord(0, 1) + cifarRecord(10, 1));
  EXPECT_THAT(error(), AllOf(HasSubstr(batch(5)),
                             HasSubstr("record 1 is 10, outside 0..9")));
}

TEST_F(CifarTest, MissingBatchesAreListed) {
  std::filesystem::remove(batch(4));
  std::filesystem::remove(bin_ + "/test_batch.bin");
  EXPECT_THAT(error(),
              AllOf(HasSubstr("data_batch_4.bin"), HasSubstr("test_batch.bin"),
                    ::testing::Not(HasSubstr("data_batch_3.bin"))));
}

TEST_F(CifarTest, ClassNamesMustBeTen) {
  writeBytes(bin_ + "/batches.meta.txt", "cat\ndog\n");
  EXPECT_THAT(error(), AllOf(HasSubstr("batches.meta.txt"),
                             HasSubstr("holds 2 class names")));
}

} // namespace
