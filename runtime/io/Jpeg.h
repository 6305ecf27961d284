//===- Jpeg.h - JPEG images through libjpeg ---------------------*- C++ -*-===//
//
// Image folders hold JPEG photographs as often as PNGs; libjpeg-turbo decodes
// them into the same [C, H, W] float layout readPng returns.
// Writing exists for tests and tools.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_IO_JPEG_H
#define CNNC_RUNTIME_IO_JPEG_H

#include "runtime/support/Result.h"
#include "runtime/support/Tensor.h"

#include <cstdint>
#include <string>

namespace cnnc::rt {

/// The most pixels (width x height) readJpeg accepts: 2^28, as readPng.
constexpr uint64_t kMaxJpegPixels = uint64_t(1) << 28;

/// Decodes a JPEG into an F32 tensor [C, H, W] with values in [0, 1]
/// (byte / 255): C = 1 for grayscale images, 3 for every other colour space
/// libjpeg converts to RGB (YCbCr, RGB). CMYK/YCCK images, truncated and
/// corrupt files are errors naming `path`.
Result<Tensor> readJpeg(const std::string &path);

/// Encodes an F32 tensor [1, H, W] (gray) or [3, H, W] (RGB) as a baseline
/// JPEG of `quality` (1 to 100), atomically; values are clamped to [0, 1]
/// and rounded as writePng does. NaN values are an error.
Status writeJpeg(const std::string &path, const Tensor &chw, int quality = 95);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_IO_JPEG_H
