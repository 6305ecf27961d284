//===- RuntimeIOIdxTest.cpp - MNIST-style IDX files -----------------------===//
//
// Plain and gzipped IDX images and labels, crafted byte by byte, and one case
// per class of broken file: wrong magic, truncation, trailing data, corrupt
// or cut-off gzip streams, sizes that must not be allocated.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Idx.h"

#include "RuntimeIOTestUtil.h"

#include <gmock/gmock.h>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::HasSubstr;

namespace {

std::string idxImages(uint32_t n, uint32_t rows, uint32_t cols,
                      const std::string &pixels) {
  return be32(0x803) + be32(n) + be32(rows) + be32(cols) + pixels;
}

std::string idxLabels(const std::string &labels) {
  return be32(0x801) + be32(uint32_t(labels.size())) + labels;
}

/// Six images of 2x3 whose pixels are 0, 17, 34, ... (wrapping at 256).
std::string samplePixels() {
  std::string pixels;
  for (int i = 0; i < 36; ++i)
    pixels += char((i * 17) & 0xff);
  return pixels;
}

class IdxTest : public ScratchDirTest {
protected:
  std::string imagesError(const std::string &bytes) {
    writeBytes(path("f"), bytes);
    Result<Tensor> r = readIdxImages(path("f"));
    EXPECT_FALSE(r);
    return r ? "" : r.error().message;
  }
  std::string labelsError(const std::string &bytes) {
    writeBytes(path("f"), bytes);
    Result<Tensor> r = readIdxLabels(path("f"));
    EXPECT_FALSE(r);
    return r ? "" : r.error().message;
  }
  void expectSampleImages(const Result<Tensor> &r) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->dtype, DType::F32);
    EXPECT_EQ(r->shape, (std::vector<int64_t>{6, 1, 2, 3}));
    ASSERT_EQ(r->f32.size(), 36u);
    for (int i = 0; i < 36; ++i)
      EXPECT_EQ(r->f32[i], float((i * 17) & 0xff) / 255.0f) << i;
    EXPECT_EQ(r->f32[15], 1.0f); // 15 * 17 = 255
  }
};

TEST_F(IdxTest, ReadsImagesScaledToUnitRange) {
  writeBytes(path("images"), idxImages(6, 2, 3, samplePixels()));
  expectSampleImages(readIdxImages(path("images")));
}

TEST_F(IdxTest, ReadsLabels) {
  writeBytes(path("labels"), idxLabels(std::string("\x03\x00\x09\xff", 4)));
  Result<Tensor> r = readIdxLabels(path("labels"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->dtype, DType::I32);
  EXPECT_EQ(r->shape, std::vector<int64_t>{4});
  EXPECT_EQ(r->i32, (std::vector<int32_t>{3, 0, 9, 255}));

  writeBytes(path("none"), idxLabels(""));
  r = readIdxLabels(path("none"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, std::vector<int64_t>{0});
}

TEST_F(IdxTest, ReadsGzippedFilesAndConcatenatedMembers) {
  std::string plain = idxImages(6, 2, 3, samplePixels());
  writeBytes(path("images.gz"), gzipBytes(plain));
  expectSampleImages(readIdxImages(path("images.gz")));

  // gzip -c a >x; gzip -c b >>x: one file of two members.
  writeBytes(path("two.gz"),
             gzipBytes(plain.substr(0, 10)) + gzipBytes(plain.substr(10)));
  expectSampleImages(readIdxImages(path("two.gz")));

  writeBytes(path("labels.gz"), gzipBytes(idxLabels("\x01\x02")));
  Result<Tensor> r = readIdxLabels(path("labels.gz"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->i32, (std::vector<int32_t>{1, 2}));
}

TEST_F(IdxTest, ReportsWrongMagicNumbers) {
  EXPECT_EQ(imagesError(idxLabels("\x01")),
            path("f") + ": this is an IDX labels file (magic number "
                        "0x00000801), not an images file: an IDX images file "
                        "has the magic number 0x00000803 (3 dimensions of "
                        "u8).");
  EXPECT_EQ(labelsError(idxImages(1, 1, 1, "x")),
            path("f") + ": this is an IDX images file (magic number "
                        "0x00000803), not a labels file: an IDX labels file "
                        "has the magic number 0x00000801 (1 dimension of "
                        "u8).");
  EXPECT_EQ(imagesError("\x89PNG\r\n\x1a\n"),
            path("f") + ": not an IDX file: it starts with the bytes 89 50 4e "
                        "47, an IDX file starts with 00 00.");
  EXPECT_THAT(imagesError(be32(0x0d03) + be32(1) + be32(1) + be32(1) +
                          std::string(4, '\0')),
              HasSubstr("the IDX element type is 0x0d (magic number "
                        "0x00000d03)"));
  EXPECT_THAT(imagesError(be32(0x802) + be32(1) + be32(1)),
              HasSubstr("the IDX file has 2 dimensions (magic number "
                        "0x00000802)"));
  // Gzipped files say so.
  EXPECT_THAT(imagesError(gzipBytes("\x12\x34\x56\x78 and more")),
              HasSubstr("starts with the bytes 12 34 56 78 after "
                        "decompression"));
}

TEST_F(IdxTest, ReportsTruncationAndTrailingData) {
  std::string good = idxImages(6, 2, 3, samplePixels());
  EXPECT_EQ(imagesError(""), path("f") + ": truncated: the file holds 0 "
                                         "bytes, less than the 4-byte IDX "
                                         "magic number.");
  EXPECT_EQ(imagesError(good.substr(0, 10)),
            path("f") + ": truncated: the header of an IDX images file needs "
                        "16 bytes, the file holds 10.");
  EXPECT_EQ(labelsError(idxLabels("abc").substr(0, 6)),
            path("f") + ": truncated: the header of an IDX labels file needs 8 "
                        "bytes, the file holds 6.");
  EXPECT_EQ(imagesError(good.substr(0, 30)),
            path("f") + ": truncated: the header announces 6 images of 2x3 "
                        "(52 bytes with the header), the file holds 30.");
  EXPECT_EQ(imagesError(good + "12345"),
            path("f") + ": 5 bytes of trailing data: the header announces 6 "
                        "images of 2x3 (52 bytes with the header), the file "
                        "holds 57.");
  // MNIST's test images cut to 4096 bytes, as a failed download leaves them.
  EXPECT_EQ(imagesError(idxImages(10000, 28, 28, std::string(4080, '\0'))),
            path("f") + ": truncated: the header announces 10000 images of "
                        "28x28 (7840016 bytes with the header), the file "
                        "holds 4096.");
}

TEST_F(IdxTest, ReportsBrokenGzipStreams) {
  std::string plain = idxImages(6, 2, 3, samplePixels());
  std::string gz = gzipBytes(plain);
  EXPECT_EQ(imagesError(gzipBytes(plain + "xy")),
            path("f") + ": trailing data: the header announces 6 images of "
                        "2x3 (52 bytes with the header), the file holds more "
                        "after decompression.");
  EXPECT_EQ(imagesError(gzipBytes(plain.substr(0, 40))),
            path("f") + ": truncated: the header announces 6 images of 2x3 "
                        "(52 bytes with the header), the file holds 40 after "
                        "decompression.");
  EXPECT_THAT(imagesError(gz.substr(0, gz.size() / 2)),
              HasSubstr("(the gzip stream is cut off)."));
  // All pixels arrive but the CRC-32 and length trailer does not.
  EXPECT_THAT(imagesError(gz.substr(0, gz.size() - 8)),
              HasSubstr("the gzip stream is cut off after the 6 images of "
                        "2x3"));
  EXPECT_EQ(imagesError(gz + "garbage"),
            path("f") +
                ": 7 bytes of trailing data after the gzip stream "
                "(of " +
                std::to_string(gz.size() + 7) + " bytes).");
  std::string corrupt = gz;
  corrupt[gz.size() - 3] ^= 0x55; // inside the stored length
  EXPECT_THAT(imagesError(corrupt), HasSubstr(": the gzip data is corrupt "));
  corrupt = gz;
  corrupt[3] = char(0xe0); // reserved header flags
  EXPECT_THAT(imagesError(corrupt), HasSubstr(": the gzip data is corrupt "));
}

TEST_F(IdxTest, RefusesHugeAnnouncedSizesWithoutAllocating) {
  EXPECT_EQ(imagesError(idxImages(0xffffffff, 0xffffffff, 0xffffffff, "")),
            path("f") + ": the header announces 4294967295 images of "
                        "4294967295x4294967295, too many pixels to be held in "
                        "memory.");
  EXPECT_THAT(imagesError(idxImages(0xffffffff, 0xffff, 0xffff, "")),
              HasSubstr("truncated: the header announces 4294967295 images "
                        "of 65535x65535"));
  EXPECT_EQ(imagesError(gzipBytes(idxImages(0xffffffff, 28, 28, ""))),
            path("f") + ": the header announces 4294967295 images of 28x28 "
                        "(3367254359296 bytes with the header), more than the "
                        "4294967296 bytes the runtime decompresses.");
  // 3 GB announced, 16 bytes present: inflating stops at what is there.
  EXPECT_THAT(imagesError(gzipBytes(idxImages(3000000, 1000, 1, ""))),
              HasSubstr("the file holds 16 after decompression."));
}

TEST_F(IdxTest, ReportsMissingFiles) {
  Result<Tensor> r = readIdxLabels(path("t10k-labels-idx1-ubyte"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            path("t10k-labels-idx1-ubyte") + ": cannot read it: no such file.");
}

} // namespace
