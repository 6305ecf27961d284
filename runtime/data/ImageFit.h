//===- ImageFit.h - fitting an image to the model's input -------*- C++ -*-===//
//
// Data sets and models disagree on image sizes: MNIST is 28x28 and the 1998
// LeNet-5 takes 32x32, photographs come in any size. These functions bring a
// decoded image ([C, H, W] float in [0, 1], C = 1 or 3) to the model's shape:
// channels first (gray replicated to RGB, RGB to gray by luma), then the size
// by centred zero padding (the LeNet-5 recipe) or bilinear resampling.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_DATA_IMAGEFIT_H
#define CNNC_RUNTIME_DATA_IMAGEFIT_H

#include "runtime/data/Dataset.h"
#include "runtime/support/Tensor.h"

#include <cstdint>
#include <string>

namespace cnnc::rt {

/// `chw` with `channels` channels: the same image when they agree, gray
/// replicated into R, G and B, or RGB reduced to its ITU-R BT.601 luma
/// (0.299 R + 0.587 G + 0.114 B, what PIL's convert("L") computes).
Tensor convertChannels(const Tensor &chw, int64_t channels);

/// `chw` resampled to height x width with a triangle (bilinear) filter on
/// pixel centres, widened when shrinking so that every source pixel counts
/// (what PIL's and torchvision's antialiased bilinear resize does); equal to
/// plain bilinear interpolation when enlarging.
Tensor resizeBilinear(const Tensor &chw, int64_t height, int64_t width);

/// Whether an h x w image fits height x width by padding every side equally.
bool fitsByPadding(int64_t h, int64_t w, int64_t height, int64_t width);

/// `chw` centred in a zero image of height x width; fitsByPadding must hold.
Tensor padCentred(const Tensor &chw, int64_t height, int64_t width);

/// `chw` converted to to.channels and brought to to.height x to.width as
/// `mode` says. `how` is set to a note for the user ("28x28 padded to
/// 32x32", "500x375 resized to 32x32") or "" when the size already agreed.
Tensor fitImage(const Tensor &chw, const ImageShape &to, FitMode mode,
                std::string *how = nullptr);

/// Appends the image's values as bytes, round(v * 255) clamped to [0, 255].
void appendAsBytes(const Tensor &chw, std::vector<uint8_t> &out);

/// Image `index` of `data` as data.shape floats in [0, 1] at `out`: its
/// stored bytes / 255, fitted to data.shape as data.fit says.
void fittedImage(const Dataset &data, size_t index, float *out);

/// The note for Dataset::fitting when images of `from` are fitted to `to`
/// ("28x28 padded to 32x32", "32x32 resized to 227x227", "" when the sizes
/// agree).
std::string fittingNote(const ImageShape &from, const ImageShape &to,
                        FitMode mode);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_DATA_IMAGEFIT_H
