//===- Jpeg.cpp - JPEG images through libjpeg -----------------------------===//
//
// libjpeg reports fatal errors through error_exit, which must not return; we
// longjmp out of it. As in Png.cpp, the functions that call libjpeg
// (decodeJpeg, encodeJpeg) are C-style: no object with a destructor lives in
// their frames, what they allocate is malloc'd and reachable from a plain
// struct the caller owns, and messages are copied into that struct before
// the jump.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Jpeg.h"

#include "runtime/io/ImageSupport.h"
#include "runtime/support/AtomicFile.h"

#include <csetjmp>
#include <cstdio> // jpeglib.h needs FILE and size_t declared first
#include <cstdlib>
#include <cstring>
#include <jerror.h>
#include <jpeglib.h>
#include <memory>

using namespace cnnc::rt::io_detail;

namespace cnnc::rt {
namespace {

/// libjpeg's error manager with the jump target and the last message.
struct JpegErrors {
  jpeg_error_mgr mgr;
  jmp_buf jump;
  bool truncated;
  char message[JMSG_LENGTH_MAX];
};

void onJpegError(j_common_ptr cinfo) {
  auto *e = reinterpret_cast<JpegErrors *>(cinfo->err);
  cinfo->err->format_message(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

void onJpegMessage(j_common_ptr cinfo, int level) {
  // Level -1 is a warning about corrupt data. libjpeg goes on after a file
  // that ends early by inventing gray pixels; a training image must not be
  // made up, so that one warning becomes an error. Others (extraneous bytes
  // before a marker) leave the image intact and are ignored.
  if (level != -1)
    return;
  auto *e = reinterpret_cast<JpegErrors *>(cinfo->err);
  if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
    e->truncated = true;
    cinfo->err->format_message(cinfo, e->message);
    std::longjmp(e->jump, 1);
  }
}

/// Everything decodeJpeg reads and writes; plain data only.
struct JpegDecoding {
  const unsigned char *data;
  size_t size;
  JpegErrors errors;
  jpeg_decompress_struct cinfo;
  uint32_t width, height;
  unsigned channels;
  unsigned char *pixels; // malloc'd, height * width * channels, interleaved
  bool tooLarge, cmyk;
};

/// Decodes d->data into d->pixels; false with d->errors and the flags set on
/// failure, in which case nothing stays allocated.
bool decodeJpeg(JpegDecoding *d) {
  d->cinfo.err = jpeg_std_error(&d->errors.mgr);
  d->errors.mgr.error_exit = onJpegError;
  d->errors.mgr.emit_message = onJpegMessage;
  if (setjmp(d->errors.jump)) {
    jpeg_destroy_decompress(&d->cinfo);
    std::free(d->pixels);
    d->pixels = nullptr;
    return false;
  }
  jpeg_create_decompress(&d->cinfo);
  jpeg_mem_src(&d->cinfo, d->data, static_cast<unsigned long>(d->size));
  jpeg_read_header(&d->cinfo, TRUE);
  d->width = d->cinfo.image_width;
  d->height = d->cinfo.image_height;
  if (uint64_t(d->width) * d->height > kMaxJpegPixels) {
    d->tooLarge = true;
    jpeg_destroy_decompress(&d->cinfo);
    return false;
  }
  J_COLOR_SPACE space = d->cinfo.jpeg_color_space;
  if (space == JCS_CMYK || space == JCS_YCCK) {
    d->cmyk = true;
    jpeg_destroy_decompress(&d->cinfo);
    return false;
  }
  d->cinfo.out_color_space = space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&d->cinfo);
  d->channels = unsigned(d->cinfo.output_components);
  size_t rowBytes = size_t(d->cinfo.output_width) * d->channels;
  d->width = d->cinfo.output_width;
  d->height = d->cinfo.output_height;
  d->pixels = static_cast<unsigned char *>(std::malloc(rowBytes * d->height));
  if (!d->pixels)
    ERREXIT1(&d->cinfo, JERR_OUT_OF_MEMORY, 0);
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW row = d->pixels + size_t(d->cinfo.output_scanline) * rowBytes;
    jpeg_read_scanlines(&d->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&d->cinfo);
  jpeg_destroy_decompress(&d->cinfo);
  return true;
}

/// Everything encodeJpeg reads and writes; plain data only.
struct JpegEncoding {
  const unsigned char *pixels; // height * width * channels, interleaved
  uint32_t width, height;
  unsigned channels;
  int quality;
  JpegErrors errors;
  jpeg_compress_struct cinfo;
  unsigned char *out; // malloc'd by libjpeg
  unsigned long size;
};

bool encodeJpeg(JpegEncoding *e) {
  e->cinfo.err = jpeg_std_error(&e->errors.mgr);
  e->errors.mgr.error_exit = onJpegError;
  if (setjmp(e->errors.jump)) {
    jpeg_destroy_compress(&e->cinfo);
    std::free(e->out);
    e->out = nullptr;
    return false;
  }
  jpeg_create_compress(&e->cinfo);
  jpeg_mem_dest(&e->cinfo, &e->out, &e->size);
  e->cinfo.image_width = e->width;
  e->cinfo.image_height = e->height;
  e->cinfo.input_components = int(e->channels);
  e->cinfo.in_color_space = e->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&e->cinfo);
  jpeg_set_quality(&e->cinfo, e->quality, TRUE);
  jpeg_start_compress(&e->cinfo, TRUE);
  size_t rowBytes = size_t(e->width) * e->channels;
  while (e->cinfo.next_scanline < e->cinfo.image_height) {
    // libjpeg's API takes non-const rows; it only reads them.
    JSAMPROW row = const_cast<unsigned char *>(e->pixels) +
                   size_t(e->cinfo.next_scanline) * rowBytes;
    jpeg_write_scanlines(&e->cinfo, &row, 1);
  }
  jpeg_finish_compress(&e->cinfo);
  jpeg_destroy_compress(&e->cinfo);
  return true;
}

} // namespace

Result<Tensor> readJpeg(const std::string &path) {
  Result<std::string> file = readFile(path);
  if (!file)
    return file.error();
  const auto *data = reinterpret_cast<const unsigned char *>(file->data());
  if (file->size() < 3 || data[0] != 0xff || data[1] != 0xd8 || data[2] != 0xff)
    return Error{path + ": not a JPEG file: it does not start with the JPEG "
                        "start-of-image marker (ff d8 ff)."};

  // Large (a few KB with the libjpeg structs), so not on the stack.
  auto d = std::make_unique<JpegDecoding>(); // zero-initialised
  d->data = data;
  d->size = file->size();
  bool ok = decodeJpeg(d.get());
  MallocedBytes pixels(d->pixels);
  std::string size = std::to_string(d->width) + "x" + std::to_string(d->height);
  if (!ok) {
    if (d->tooLarge)
      return Error{path + ": the image is " + size + " (" +
                   std::to_string(uint64_t(d->width) * d->height) +
                   " pixels), more than the " + std::to_string(kMaxJpegPixels) +
                   " the runtime reads."};
    if (d->cmyk)
      return Error{path + ": a CMYK JPEG; the runtime reads gray and RGB "
                          "JPEG images only (convert it to RGB)."};
    if (d->errors.truncated)
      return Error{path +
                   ": truncated: the JPEG data ends early; the file "
                   "holds " +
                   std::to_string(d->size) + " bytes."};
    return Error{path + ": not a valid JPEG image: libjpeg says \"" +
                 std::string(d->errors.message) + "\"."};
  }

  return planarFromInterleaved(pixels.get(), d->channels, d->height, d->width);
}

Status writeJpeg(const std::string &path, const Tensor &chw, int quality) {
  auto refuse = [&](const std::string &why) -> Status {
    return Error{path + ": cannot write the tensor as a JPEG image: " + why +
                 "."};
  };
  if (chw.dtype != DType::F32)
    return refuse("it is i32, an image is f32");
  if (chw.shape.size() != 3 || (chw.shape[0] != 1 && chw.shape[0] != 3))
    return refuse("its shape " + formatShape(chw.shape) +
                  " is not [1, H, W] (gray) or [3, H, W] (RGB)");
  int64_t h = chw.shape[1], w = chw.shape[2];
  if (h < 1 || w < 1 || h > JPEG_MAX_DIMENSION || w > JPEG_MAX_DIMENSION)
    return refuse("its size " + std::to_string(h) + "x" + std::to_string(w) +
                  " is empty or larger than JPEG allows");
  if (chw.f32.size() != size_t(chw.shape[0] * h * w))
    return refuse("its data does not match its shape " +
                  formatShape(chw.shape));
  if (quality < 1 || quality > 100)
    return refuse("the quality " + std::to_string(quality) +
                  " is not from 1 to 100");

  Result<std::string> interleaved = interleavedFromPlanar(chw);
  if (!interleaved)
    return refuse(interleaved.error().message);

  auto e = std::make_unique<JpegEncoding>(); // zero-initialised
  e->pixels = reinterpret_cast<const unsigned char *>(interleaved->data());
  e->width = uint32_t(w);
  e->height = uint32_t(h);
  e->channels = unsigned(chw.shape[0]);
  e->quality = quality;
  if (!encodeJpeg(e.get()))
    return refuse("libjpeg says \"" + std::string(e->errors.message) + "\"");
  MallocedBytes out(e->out);
  return writeFileAtomically(
      path, std::string(reinterpret_cast<const char *>(out.get()), e->size));
}

} // namespace cnnc::rt
