//===- ImageSupport.h - what the PNG and JPEG codecs share ------*- C++ -*-===//
//
// libpng and libjpeg both hand over interleaved 8-bit rows in malloc'd
// buffers; the runtime's images are planar F32 [C, H, W] in [0, 1]. These
// helpers convert between the two and free what the C libraries allocate.
// Internal to runtime/io.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_IO_IMAGESUPPORT_H
#define CNNC_RUNTIME_IO_IMAGESUPPORT_H

#include "runtime/support/Result.h"
#include "runtime/support/Tensor.h"

#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>

namespace cnnc::rt::io_detail {

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

/// Bytes malloc'd by a C library (or by our C-style code around it).
using MallocedBytes = std::unique_ptr<unsigned char, FreeDeleter>;

/// An F32 tensor [c, h, w] of byte / 255 from `pixels`, h * w * c bytes
/// interleaved (row by row, the channels of a pixel together).
inline Tensor planarFromInterleaved(const unsigned char *pixels, size_t c,
                                    size_t h, size_t w) {
  Tensor t;
  t.shape = {int64_t(c), int64_t(h), int64_t(w)};
  t.f32.resize(c * h * w);
  for (size_t y = 0; y < h; ++y)
    for (size_t x = 0; x < w; ++x)
      for (size_t k = 0; k < c; ++k)
        t.f32[(k * h + y) * w + x] =
            static_cast<float>(pixels[(y * w + x) * c + k]) / 255.0f;
  return t;
}

/// The bytes of an F32 tensor [C, H, W] (shape and size already checked),
/// interleaved: each value clamped to [0, 1] and rounded to round(v * 255).
/// A NaN value is an error "element N is NaN".
inline Result<std::string> interleavedFromPlanar(const Tensor &chw) {
  size_t c = size_t(chw.shape[0]), h = size_t(chw.shape[1]),
         w = size_t(chw.shape[2]);
  std::string interleaved(c * h * w, '\0');
  for (size_t k = 0; k < c; ++k)
    for (size_t y = 0; y < h; ++y)
      for (size_t x = 0; x < w; ++x) {
        size_t at = (k * h + y) * w + x;
        float v = chw.f32[at];
        if (std::isnan(v))
          return Error{"element " + std::to_string(at) + " is NaN"};
        v = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        interleaved[(y * w + x) * c + k] =
            static_cast<char>(static_cast<unsigned char>(v * 255.0f + 0.5f));
      }
  return interleaved;
}

} // namespace cnnc::rt::io_detail

#endif // CNNC_RUNTIME_IO_IMAGESUPPORT_H
