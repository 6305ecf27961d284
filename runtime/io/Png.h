//===- Png.h - PNG images through libpng ------------------------*- C++ -*-===//
//
// Images a user hands to `cnnc-run`, decoded by libpng into the CHW layout
// the models take. Writing exists for tests and tools (saving a sample).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_IO_PNG_H
#define CNNC_RUNTIME_IO_PNG_H

#include "runtime/support/Result.h"
#include "runtime/support/Tensor.h"

#include <cstdint>
#include <string>

namespace cnnc::rt {

/// The most pixels (width x height) readPng accepts: 2^28.
constexpr uint64_t kMaxPngPixels = uint64_t(1) << 28;

/// Decodes a PNG into an F32 tensor [C, H, W] with values in [0, 1]
/// (byte / 255): C = 1 for gray and gray+alpha images, 3 for RGB, RGBA and
/// palette images. Palettes are expanded, 16-bit samples reduced to 8 bits
/// (the high byte), alpha and transparency dropped (not composited).
Result<Tensor> readPng(const std::string &path);

/// Encodes an F32 tensor [1, H, W] (gray) or [3, H, W] (RGB) as an 8-bit
/// PNG, atomically: each value is clamped to [0, 1] and rounded to
/// round(v * 255). NaN values are an error.
Status writePng(const std::string &path, const Tensor &chw);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_IO_PNG_H
