//===- Augment.h - random training-time image transformations ---*- C++ -*-===//
//
// The reference CIFAR-10 LeNet script trains on
//   RandomHorizontalFlip(), RandomRotation(10),
//   RandomAffine(0, shear=10, scale=(0.8, 1.2)),
//   ColorJitter(brightness=0.2, contrast=0.2, saturation=0.2)
// and these are the same transformations on a float [C, H, W] image in
// [0, 1]: the rotation, shear and scale become one inverse-mapped bilinear
// warp about the image centre with zeros outside. Every random choice for an
// image is drawn from (seed, epoch, image index) alone, so results do not
// depend on batch size, order or thread count.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_DATA_AUGMENT_H
#define CNNC_RUNTIME_DATA_AUGMENT_H

#include "runtime/data/Dataset.h"

#include <cstdint>

namespace cnnc::rt {

/// The ranges of the random transformations; the defaults are the reference
/// script's transform_train. A range of 0 turns its transformation off.
struct AugmentOptions {
  double flipProbability = 0.5;
  double rotationDegrees = 10; // uniform in [-r, r]
  double shearDegrees = 10;    // x shear, uniform in [-s, s]
  double scaleMin = 0.8, scaleMax = 1.2;
  double brightness = 0.2, contrast = 0.2, saturation = 0.2; // 1 +- value
};

/// The choices made for one image.
struct AugmentDraw {
  bool flip = false;
  double rotationDegrees = 0, shearDegrees = 0, scale = 1;
  double brightness = 1, contrast = 1, saturation = 1; // blend factors
  int jitterOrder[3] = {0, 1, 2}; // 0 brightness, 1 contrast, 2 saturation
};

/// The choices for image `index` in `epoch`; the same arguments always give
/// the same draw.
AugmentDraw drawAugmentation(const AugmentOptions &options, uint64_t seed,
                             uint64_t epoch, uint64_t index);

/// Mirrors every row of `chw` in place.
void flipHorizontal(float *chw, const ImageShape &shape);

/// dst(p) = src(A^-1 (p - c) + c) with A = scale * Shear_x(shear) *
/// Rotation(rotation), c the image centre; bilinear, zero outside `src`.
/// The identity parameters copy `src` exactly.
void warpAffine(const float *src, float *dst, const ImageShape &shape,
                double rotationDegrees, double shearDegrees, double scale);

/// torchvision's ColorJitter on tensors with the drawn factors, in the drawn
/// order: brightness scales, contrast blends with the image's mean gray,
/// saturation with each pixel's gray (a no-op on gray images); results are
/// clamped to [0, 1].
void jitterColour(float *chw, const ImageShape &shape, const AugmentDraw &d);

/// Flip, warp and colour jitter of `chw` in place, as drawn.
void augmentImage(float *chw, const ImageShape &shape, const AugmentDraw &d);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_DATA_AUGMENT_H
