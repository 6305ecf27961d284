//===- RuntimeIOPngTest.cpp - PNG images through libpng -------------------===//
//
// Fixtures of every PNG colour type and bit depth are written here with
// libpng directly (rows given exactly as PNG stores them), then read back
// with readPng; writePng round trips; broken files are crafted byte by byte.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Png.h"

#include "RuntimeIOTestUtil.h"

#include <gmock/gmock.h>
#include <png.h>
#include <zlib.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::HasSubstr;

namespace {

/// What writeRawPng encodes; plain data, as libpng's longjmp requires.
struct RawPng {
  uint32_t width, height;
  int bitDepth, colorType, interlace;
  png_bytep *rows; // height rows, packed as PNG stores them (16-bit: BE)
  const png_color *palette;
  int paletteSize;
  // Palette: one alpha byte per entry. Gray: 2 bytes (BE), RGB: 6 bytes.
  const unsigned char *trns;
  int trnsSize;
};

bool writeRawPng(const char *path, const RawPng *p) {
  FILE *f = std::fopen(path, "wb");
  if (!f)
    return false;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    return false;
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, p->width, p->height, p->bitDepth, p->colorType,
               p->interlace, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (p->palette)
    png_set_PLTE(png, info, p->palette, p->paletteSize);
  png_color_16 transparent{};
  if (p->trns && p->colorType == PNG_COLOR_TYPE_PALETTE) {
    png_set_tRNS(png, info, p->trns, p->trnsSize, nullptr);
  } else if (p->trns) {
    auto sample = [&](int i) {
      return png_uint_16((p->trns[2 * i] << 8) | p->trns[2 * i + 1]);
    };
    transparent.gray = sample(0);
    if (p->trnsSize == 6) {
      transparent.red = sample(0);
      transparent.green = sample(1);
      transparent.blue = sample(2);
    }
    png_set_tRNS(png, info, nullptr, 1, &transparent);
  }
  png_write_info(png, info);
  png_write_image(png, p->rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::fclose(f) == 0;
}

class PngTest : public ScratchDirTest {
protected:
  /// Writes `rows` as a PNG of the given type and reads it with readPng.
  Result<Tensor> roundTrip(uint32_t width, int bitDepth, int colorType,
                           std::vector<std::string> rows,
                           std::vector<png_color> palette = {},
                           std::string trns = "",
                           int interlace = PNG_INTERLACE_NONE) {
    std::vector<png_bytep> pointers;
    for (std::string &row : rows)
      pointers.push_back(reinterpret_cast<png_bytep>(row.data()));
    RawPng p{width,
             uint32_t(rows.size()),
             bitDepth,
             colorType,
             interlace,
             pointers.data(),
             palette.empty() ? nullptr : palette.data(),
             int(palette.size()),
             trns.empty()
                 ? nullptr
                 : reinterpret_cast<const unsigned char *>(trns.data()),
             int(trns.size())};
    EXPECT_TRUE(writeRawPng(path("raw.png").c_str(), &p));
    return readPng(path("raw.png"));
  }

  std::string readError(const std::string &bytes) {
    writeBytes(path("bad.png"), bytes);
    Result<Tensor> r = readPng(path("bad.png"));
    EXPECT_FALSE(r);
    return r ? "" : r.error().message;
  }
};

std::vector<float> scaled(std::initializer_list<int> bytes) {
  std::vector<float> v;
  for (int b : bytes)
    v.push_back(float(b) / 255.0f);
  return v;
}

/// A chunk with its length and CRC, for crafting headers.
std::string chunk(const std::string &type, const std::string &data) {
  std::string body = type + data;
  uLong crc =
      crc32(0, reinterpret_cast<const Bytef *>(body.data()), uInt(body.size()));
  return be32(uint32_t(data.size())) + body + be32(uint32_t(crc));
}

const std::string kSignature("\x89PNG\r\n\x1a\n", 8);

/// A PNG that announces a gray 8-bit image of width x height and then
/// starts an IDAT with two bytes of nonsense.
std::string announcing(uint32_t width, uint32_t height) {
  return kSignature +
         chunk("IHDR",
               be32(width) + be32(height) + std::string("\x08\0\0\0\0", 5)) +
         chunk("IDAT", "xx");
}

TEST_F(PngTest, RoundTripsGrayAndRgbThroughWritePng) {
  Tensor gray = Tensor::zerosF32({1, 2, 3});
  gray.f32 = scaled({0, 1, 2, 253, 254, 255});
  ASSERT_TRUE(writePng(path("g.png"), gray));
  Result<Tensor> r = readPng(path("g.png"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(r->f32, gray.f32);

  Tensor rgb = Tensor::zerosF32({3, 2, 2});
  rgb.f32 = scaled({10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120});
  ASSERT_TRUE(writePng(path("c.png"), rgb));
  r = readPng(path("c.png"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{3, 2, 2}));
  EXPECT_EQ(r->f32, rgb.f32);
}

TEST_F(PngTest, WritePngClampsRoundsAndRefusesWhatIsNoImage) {
  Tensor t = Tensor::zerosF32({1, 1, 4});
  t.f32 = {-0.5f, 1.5f, 0.5f, 0.1f};
  ASSERT_TRUE(writePng(path("t.png"), t));
  Result<Tensor> r = readPng(path("t.png"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->f32, scaled({0, 255, 128, 26}));

  t.f32[2] = std::nanf("");
  Status s = writePng(path("n.png"), t);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, path("n.png") + ": cannot write the tensor as "
                                               "a PNG image: element 2 is "
                                               "NaN.");
  s = writePng(path("n.png"), Tensor::zerosF32({2, 4, 4}));
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message,
              HasSubstr("its shape [2, 4, 4] is not [1, H, W] (gray) or "
                        "[3, H, W] (RGB)."));
  s = writePng(path("n.png"), Tensor::zerosI32({1, 4, 4}));
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("it is i32, an image is f32."));
  s = writePng(path("n.png"), Tensor::zerosF32({1, 0, 4}));
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("its size 0x4 is empty"));
  EXPECT_FALSE(std::filesystem::exists(path("n.png")));
}

TEST_F(PngTest, ExpandsLowBitDepthGray) {
  Result<Tensor> r = roundTrip(4, 2, PNG_COLOR_TYPE_GRAY, {"\x1b"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{1, 1, 4}));
  EXPECT_EQ(r->f32, scaled({0, 85, 170, 255}));

  r = roundTrip(8, 1, PNG_COLOR_TYPE_GRAY, {"\xa5", "\x0f"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{1, 2, 8}));
  EXPECT_EQ(r->f32, scaled({255, 0, 255, 0, 0, 255, 0, 255, //
                            0, 0, 0, 0, 255, 255, 255, 255}));
}

TEST_F(PngTest, DropsAlpha) {
  Result<Tensor> r = roundTrip(2, 8, PNG_COLOR_TYPE_GRAY_ALPHA,
                               {std::string("\x0a\x00\xc8\xff", 4)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(r->f32, scaled({10, 200}));

  r = roundTrip(2, 8, PNG_COLOR_TYPE_RGB_ALPHA,
                {std::string("\x01\x02\x03\x00\x04\x05\x06\x80", 8)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(r->f32, scaled({1, 4, 2, 5, 3, 6}));
}

TEST_F(PngTest, ExpandsPalettesIgnoringTransparency) {
  std::vector<png_color> palette = {{255, 0, 0}, {0, 128, 255}, {1, 2, 3}};
  Result<Tensor> r =
      roundTrip(3, 8, PNG_COLOR_TYPE_PALETTE, {std::string("\x02\x00\x01", 3)},
                palette, std::string("\x00\x80", 2));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{3, 1, 3}));
  EXPECT_EQ(r->f32, scaled({1, 255, 0, 2, 0, 128, 3, 0, 255}));

  // 4-bit indices, two to a byte, high nibble first.
  r = roundTrip(3, 4, PNG_COLOR_TYPE_PALETTE, {std::string("\x12\x00", 2)},
                palette);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->f32, scaled({0, 1, 255, 128, 2, 0, 255, 3, 0}));
}

TEST_F(PngTest, IgnoresGrayAndRgbTransparency) {
  // tRNS marks 2-bit gray 1 and 8-bit RGB (1, 2, 3) transparent.
  Result<Tensor> r = roundTrip(4, 2, PNG_COLOR_TYPE_GRAY, {"\x1b"}, {},
                               std::string("\x00\x01", 2));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{1, 1, 4}));
  EXPECT_EQ(r->f32, scaled({0, 85, 170, 255}));

  r = roundTrip(2, 8, PNG_COLOR_TYPE_RGB,
                {std::string("\x01\x02\x03\x04\x05\x06", 6)}, {},
                std::string("\x00\x01\x00\x02\x00\x03", 6));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{3, 1, 2}));
  EXPECT_EQ(r->f32, scaled({1, 4, 2, 5, 3, 6}));
}

TEST_F(PngTest, KeepsTheHighByteOfSixteenBitSamples) {
  Result<Tensor> r = roundTrip(2, 16, PNG_COLOR_TYPE_GRAY,
                               {std::string("\x12\xff\xff\x00", 4)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ(r->f32, scaled({0x12, 0xff}));

  r = roundTrip(1, 16, PNG_COLOR_TYPE_RGB_ALPHA,
                {std::string("\xab\xcd\x01\x02\xff\xff\x00\x00", 8)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{3, 1, 1}));
  EXPECT_EQ(r->f32, scaled({0xab, 0x01, 0xff}));
}

TEST_F(PngTest, ReadsInterlacedImages) {
  std::vector<std::string> rows;
  std::vector<float> expected(3 * 7 * 5);
  for (int y = 0; y < 7; ++y) {
    std::string row;
    for (int x = 0; x < 5; ++x)
      for (int c = 0; c < 3; ++c) {
        int v = (y * 31 + x * 7 + c * 101) & 0xff;
        row += char(v);
        expected[(c * 7 + y) * 5 + x] = float(v) / 255.0f;
      }
    rows.push_back(row);
  }
  Result<Tensor> r =
      roundTrip(5, 8, PNG_COLOR_TYPE_RGB, rows, {}, "", PNG_INTERLACE_ADAM7);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{3, 7, 5}));
  EXPECT_EQ(r->f32, expected);
}

TEST_F(PngTest, ReportsCorruptAndTruncatedFiles) {
  Tensor t = Tensor::zerosF32({1, 8, 8});
  for (size_t i = 0; i < t.f32.size(); ++i)
    t.f32[i] = float(i % 7) / 6.0f;
  ASSERT_TRUE(writePng(path("good.png"), t));
  std::string good = readBytes(path("good.png"));
  size_t idat = good.find("IDAT");
  ASSERT_NE(idat, std::string::npos);

  // A flipped bit in the compressed data, then one in the chunk's CRC.
  std::string corrupt = good;
  corrupt[idat + 6] ^= 0x40;
  EXPECT_THAT(readError(corrupt),
              HasSubstr(": not a valid PNG image: libpng says \"IDAT: "));
  uint32_t idatLength = (uint32_t(uint8_t(good[idat - 4])) << 24) |
                        (uint32_t(uint8_t(good[idat - 3])) << 16) |
                        (uint32_t(uint8_t(good[idat - 2])) << 8) |
                        uint32_t(uint8_t(good[idat - 1]));
  corrupt = good;
  corrupt[idat + 4 + idatLength] ^= 0x01;
  EXPECT_EQ(readError(corrupt), path("bad.png") + ": not a valid PNG image: "
                                                  "libpng says \"IDAT: CRC "
                                                  "error\".");
  EXPECT_EQ(readError(good.substr(0, 4)),
            path("bad.png") + ": truncated: the file holds 4 bytes, less than "
                              "the 8-byte PNG signature.");
  for (size_t cut : {size_t(20), idat + 10, good.size() - 12}) {
    EXPECT_EQ(readError(good.substr(0, cut)),
              path("bad.png") +
                  ": truncated: the PNG data ends early; the "
                  "file holds " +
                  std::to_string(cut) + " bytes.")
        << "cut at " << cut;
  }
  EXPECT_EQ(readError("\xff\xd8\xff\xe0 a JPEG"),
            path("bad.png") + ": not a PNG file: it does not start with the "
                              "PNG signature.");
  Result<Tensor> r = readPng(path("missing.png"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            path("missing.png") + ": cannot read it: no such file.");
}

TEST_F(PngTest, RefusesHugeImagesWithoutAllocating) {
  EXPECT_EQ(readError(announcing(20000, 20000)),
            path("bad.png") + ": the image is 20000x20000 (400000000 pixels), "
                              "more than the 268435456 the runtime reads.");
  std::string small = announcing(10000, 10000);
  EXPECT_EQ(readError(small),
            path("bad.png") +
                ": truncated or corrupt: the header announces a "
                "10000x10000 image, which " +
                std::to_string(small.size()) +
                " bytes of compressed data cannot hold.");
  EXPECT_THAT(readError(announcing(2000000, 1)),
              HasSubstr("not a valid PNG image: libpng says \"Invalid IHDR "
                        "data\" (after \"Image width exceeds user limit in "
                        "IHDR\")."));
}

} // namespace
