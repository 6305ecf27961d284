//===- Png.cpp - PNG images through libpng --------------------------------===//
//
// libpng reports errors by longjmp. The functions that call it (decodePng,
// encodePng) are C-style: no object with a destructor lives in their frames,
// everything they allocate is malloc'd and reachable from a plain struct the
// caller owns, and the error handler copies libpng's message into that struct
// before jumping back. The C++ code around them turns the struct into a
// Tensor or an Error.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Png.h"

#include "runtime/io/IOSupport.h"
#include "runtime/io/ImageSupport.h"
#include "runtime/support/AtomicFile.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <png.h>

using namespace cnnc::rt::io_detail;

namespace cnnc::rt {
namespace {

/// Deflate expands at most about 1032:1; a file whose pixels would need
/// more than this many bytes per byte of file is truncated or corrupt, and
/// is refused before the pixel buffer is allocated.
constexpr uint64_t kMaxDeflateRatio = 1100;

void copyMessage(char *to, size_t capacity, const char *from) {
  size_t n = from ? std::strlen(from) : 0;
  if (n >= capacity)
    n = capacity - 1;
  if (n)
    std::memcpy(to, from, n);
  to[n] = '\0';
}

//===----------------------------------------------------------------------===//
// Decoding
//===----------------------------------------------------------------------===//

/// Everything decodePng reads and writes; plain data only.
struct PngDecoding {
  const unsigned char *data;
  size_t size;
  size_t pos;
  uint32_t width, height;
  int bitDepth, colorType;
  unsigned channels;     // after the transforms: 1 or 3
  unsigned char *pixels; // malloc'd, height * width * channels, interleaved
  unsigned char **rows;  // malloc'd while decoding
  bool truncated, tooLarge, tooSmallForSize;
  char message[512];
  char warning[512]; // the last warning, which often says why an error came
};

void onPngError(png_structp png, png_const_charp message) {
  auto *d = static_cast<PngDecoding *>(png_get_error_ptr(png));
  copyMessage(d->message, sizeof d->message, message);
  png_longjmp(png, 1);
}

void onPngWarning(png_structp png, png_const_charp message) {
  // Warnings (an ancillary chunk with a bad CRC, an unknown sRGB profile)
  // do not stop decoding, but the last one explains a following error
  // ("Image width exceeds user limit in IHDR" before "Invalid IHDR data").
  auto *d = static_cast<PngDecoding *>(png_get_error_ptr(png));
  copyMessage(d->warning, sizeof d->warning, message);
}

void onPngEncodeWarning(png_structp, png_const_charp) {}

void onPngRead(png_structp png, png_bytep out, size_t n) {
  auto *d = static_cast<PngDecoding *>(png_get_io_ptr(png));
  if (n > d->size - d->pos) {
    d->truncated = true;
    png_error(png, "the file ends early");
  }
  std::memcpy(out, d->data + d->pos, n);
  d->pos += n;
}

/// Decodes d->data into d->pixels; false with d->message (and the flags) set
/// on failure, in which case nothing stays allocated.
bool decodePng(PngDecoding *d) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, onPngError,
                                           onPngWarning);
  if (!png) {
    copyMessage(d->message, sizeof d->message, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    copyMessage(d->message, sizeof d->message, "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::free(d->rows);
    d->rows = nullptr;
    std::free(d->pixels);
    d->pixels = nullptr;
    return false;
  }
  png_set_read_fn(png, d, onPngRead);
  png_read_info(png, info);
  int interlace = 0;
  png_get_IHDR(png, info, &d->width, &d->height, &d->bitDepth, &d->colorType,
               &interlace, nullptr, nullptr);

  uint64_t pixelCount = uint64_t(d->width) * d->height;
  if (pixelCount > kMaxPngPixels) {
    d->tooLarge = true;
    png_error(png, "too many pixels");
  }
  unsigned inChannels = png_get_channels(png, info);
  uint64_t minRawBytes = pixelCount * inChannels * unsigned(d->bitDepth) / 8;
  if (minRawBytes > d->size * kMaxDeflateRatio + 4096) {
    d->tooSmallForSize = true;
    png_error(png, "the file is too small for its size");
  }

  if (d->colorType == PNG_COLOR_TYPE_PALETTE)
    png_set_palette_to_rgb(png);
  if (d->colorType == PNG_COLOR_TYPE_GRAY && d->bitDepth < 8)
    png_set_expand_gray_1_2_4_to_8(png);
  if (d->bitDepth == 16)
    png_set_strip_16(png);
  // Expanding a palette also turns its tRNS chunk into an alpha channel.
  if ((d->colorType & PNG_COLOR_MASK_ALPHA) ||
      png_get_valid(png, info, PNG_INFO_tRNS))
    png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);

  d->channels = png_get_channels(png, info);
  size_t rowBytes = png_get_rowbytes(png, info);
  if ((d->channels != 1 && d->channels != 3) ||
      png_get_bit_depth(png, info) != 8 ||
      rowBytes != size_t(d->width) * d->channels)
    png_error(png, "unexpected pixel layout after the conversion to 8 bits");

  // libpng rejects images with a zero width or height, so neither size is 0.
  size_t height = d->height;
  d->pixels = static_cast<unsigned char *>(std::malloc(rowBytes * height));
  d->rows = static_cast<unsigned char **>(
      std::malloc(height * sizeof(unsigned char *)));
  if (!d->pixels || !d->rows)
    png_error(png, "out of memory for the pixels");
  for (size_t y = 0; y < height; ++y)
    d->rows[y] = d->pixels + y * rowBytes;
  png_read_image(png, d->rows);
  png_read_end(png, nullptr);

  png_destroy_read_struct(&png, &info, nullptr);
  std::free(d->rows);
  d->rows = nullptr;
  return true;
}

//===----------------------------------------------------------------------===//
// Encoding
//===----------------------------------------------------------------------===//

/// Everything encodePng reads and writes; plain data only.
struct PngEncoding {
  const unsigned char *pixels; // height * width * channels, interleaved
  uint32_t width, height;
  unsigned channels;
  unsigned char *out; // malloc'd, grows as libpng writes
  size_t size, capacity;
  char message[512];
};

void onPngEncodeError(png_structp png, png_const_charp message) {
  auto *e = static_cast<PngEncoding *>(png_get_error_ptr(png));
  copyMessage(e->message, sizeof e->message, message);
  png_longjmp(png, 1);
}

void onPngWrite(png_structp png, png_bytep data, size_t n) {
  auto *e = static_cast<PngEncoding *>(png_get_io_ptr(png));
  if (n > e->capacity - e->size) {
    size_t capacity = e->capacity ? e->capacity : 4096;
    while (capacity - e->size < n) {
      if (capacity > SIZE_MAX / 2)
        png_error(png, "out of memory for the encoded image");
      capacity *= 2;
    }
    void *grown = std::realloc(e->out, capacity);
    if (!grown)
      png_error(png, "out of memory for the encoded image");
    e->out = static_cast<unsigned char *>(grown);
    e->capacity = capacity;
  }
  std::memcpy(e->out + e->size, data, n);
  e->size += n;
}

void onPngFlush(png_structp) {}

/// Encodes e->pixels into e->out; false with e->message set on failure, in
/// which case e->out is freed.
bool encodePng(PngEncoding *e) {
  png_structp png = png_create_write_struct(
      PNG_LIBPNG_VER_STRING, e, onPngEncodeError, onPngEncodeWarning);
  if (!png) {
    copyMessage(e->message, sizeof e->message, "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    copyMessage(e->message, sizeof e->message, "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::free(e->out);
    e->out = nullptr;
    e->size = e->capacity = 0;
    return false;
  }
  png_set_write_fn(png, e, onPngWrite, onPngFlush);
  png_set_IHDR(png, info, e->width, e->height, 8,
               e->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  size_t rowBytes = size_t(e->width) * e->channels;
  for (uint32_t y = 0; y < e->height; ++y)
    png_write_row(png, e->pixels + y * rowBytes);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

} // namespace

Result<Tensor> readPng(const std::string &path) {
  Result<std::string> file = readFile(path);
  if (!file)
    return file.error();
  const auto *data = reinterpret_cast<const unsigned char *>(file->data());
  if (file->size() < 8 || png_sig_cmp(data, 0, 8) != 0) {
    if (file->size() < 8 && png_sig_cmp(data, 0, file->size()) == 0)
      return Error{path + ": truncated: the file holds " +
                   bytesText(file->size()) +
                   ", less than the 8-byte PNG signature."};
    return Error{path + ": not a PNG file: it does not start with the PNG "
                        "signature."};
  }

  PngDecoding d{};
  d.data = data;
  d.size = file->size();
  bool ok = decodePng(&d);
  MallocedBytes pixels(d.pixels);
  std::string size = std::to_string(d.width) + "x" + std::to_string(d.height);
  if (!ok) {
    if (d.tooLarge)
      return Error{path + ": the image is " + size + " (" +
                   std::to_string(uint64_t(d.width) * d.height) +
                   " pixels), more than the " + std::to_string(kMaxPngPixels) +
                   " the runtime reads."};
    if (d.tooSmallForSize)
      return Error{path + ": truncated or corrupt: the header announces a " +
                   size + " image, which " + bytesText(d.size) +
                   " of compressed data cannot hold."};
    if (d.truncated)
      return Error{path + ": truncated: the PNG data ends early; the file " +
                   "holds " + bytesText(d.size) + "."};
    return Error{path + ": not a valid PNG image: libpng says \"" +
                 std::string(d.message) + "\"" +
                 (d.warning[0] ? " (after \"" + std::string(d.warning) + "\")"
                               : std::string()) +
                 "."};
  }

  return planarFromInterleaved(pixels.get(), d.channels, d.height, d.width);
}

Status writePng(const std::string &path, const Tensor &chw) {
  auto refuse = [&](const std::string &why) -> Status {
    return Error{path + ": cannot write the tensor as a PNG image: " + why +
                 "."};
  };
  if (std::optional<std::string> problem = tensorProblem(chw))
    return refuse(*problem);
  if (chw.dtype != DType::F32)
    return refuse("it is i32, an image is f32");
  if (chw.shape.size() != 3 || (chw.shape[0] != 1 && chw.shape[0] != 3))
    return refuse("its shape " + formatShape(chw.shape) +
                  " is not [1, H, W] (gray) or [3, H, W] (RGB)");
  int64_t h = chw.shape[1], w = chw.shape[2];
  if (h < 1 || w < 1 || h > PNG_USER_HEIGHT_MAX || w > PNG_USER_WIDTH_MAX ||
      uint64_t(h) * uint64_t(w) > kMaxPngPixels)
    return refuse("its size " + std::to_string(h) + "x" + std::to_string(w) +
                  " is empty or larger than the runtime writes");

  Result<std::string> interleaved = interleavedFromPlanar(chw);
  if (!interleaved)
    return refuse(interleaved.error().message);

  PngEncoding e{};
  e.pixels = reinterpret_cast<const unsigned char *>(interleaved->data());
  e.width = uint32_t(w);
  e.height = uint32_t(h);
  e.channels = unsigned(chw.shape[0]);
  if (!encodePng(&e))
    return refuse("libpng says \"" + std::string(e.message) + "\"");
  MallocedBytes out(e.out);
  return writeFileAtomically(
      path, std::string(reinterpret_cast<const char *>(out.get()), e.size));
}

} // namespace cnnc::rt
