//===- Augment.cpp - random training-time image transformations -----------===//
//
// Follows torchvision's tensor implementations (functional_tensor.py) where
// the reference script's transforms are defined: gray is 0.2989 R + 0.587 G
// + 0.114 B, blends are clamped, ColorJitter applies its adjustments in a
// random order.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/Augment.h"

#include "runtime/data/Random.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace cnnc::rt {
namespace {

constexpr double kPi = 3.14159265358979323846;

float clamp01(float v) { return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v; }

float grayAt(const float *chw, size_t plane, size_t i) {
  return 0.2989f * chw[i] + 0.587f * chw[plane + i] +
         0.114f * chw[2 * plane + i];
}

void adjustBrightness(float *chw, size_t n, float f) {
  for (size_t i = 0; i < n; ++i)
    chw[i] = clamp01(chw[i] * f);
}

void adjustContrast(float *chw, const ImageShape &s, float f) {
  size_t plane = size_t(s.height * s.width), n = size_t(s.channels) * plane;
  double sum = 0.0;
  for (size_t i = 0; i < plane; ++i)
    sum += s.channels == 3 ? grayAt(chw, plane, i) : chw[i];
  float mean = float(sum / double(plane));
  for (size_t i = 0; i < n; ++i)
    chw[i] = clamp01(f * chw[i] + (1.0f - f) * mean);
}

void adjustSaturation(float *chw, const ImageShape &s, float f) {
  if (s.channels != 3)
    return;
  size_t plane = size_t(s.height * s.width);
  for (size_t i = 0; i < plane; ++i) {
    float gray = grayAt(chw, plane, i);
    for (size_t k = 0; k < 3; ++k)
      chw[k * plane + i] = clamp01(f * chw[k * plane + i] + (1.0f - f) * gray);
  }
}

} // namespace

AugmentDraw drawAugmentation(const AugmentOptions &o, uint64_t seed,
                             uint64_t epoch, uint64_t index) {
  // Every number is drawn whatever the options, so that turning one
  // transformation off leaves the others' choices as they were.
  Rng rng = Rng::forKey(seed, RandomPurpose::Augmentation, epoch, index);
  AugmentDraw d;
  d.flip = rng.uniform() < o.flipProbability;
  d.rotationDegrees = rng.uniform(-o.rotationDegrees, o.rotationDegrees);
  d.shearDegrees = rng.uniform(-o.shearDegrees, o.shearDegrees);
  d.scale = rng.uniform(o.scaleMin, o.scaleMax);
  d.brightness = rng.uniform(1.0 - o.brightness, 1.0 + o.brightness);
  d.contrast = rng.uniform(1.0 - o.contrast, 1.0 + o.contrast);
  d.saturation = rng.uniform(1.0 - o.saturation, 1.0 + o.saturation);
  for (int i = 2; i > 0; --i)
    std::swap(d.jitterOrder[i], d.jitterOrder[rng.below(uint64_t(i) + 1)]);
  return d;
}

void flipHorizontal(float *chw, const ImageShape &s) {
  for (int64_t row = 0; row < s.channels * s.height; ++row)
    std::reverse(chw + row * s.width, chw + (row + 1) * s.width);
}

void warpAffine(const float *src, float *dst, const ImageShape &s,
                double rotationDegrees, double shearDegrees, double scale) {
  // A = scale * [[1, tan(shear)], [0, 1]] * [[cos, -sin], [sin, cos]];
  // each output pixel reads the source at A^-1 (p - c) + c.
  double r = rotationDegrees * kPi / 180.0,
         t = std::tan(shearDegrees * kPi / 180.0);
  double cr = std::cos(r), sr = std::sin(r);
  double a = scale * (cr + t * sr), b = scale * (-sr + t * cr);
  double c = scale * sr, d = scale * cr;
  double det = a * d - b * c; // = scale^2, never 0 for scale > 0
  double ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
  double cx = double(s.width - 1) / 2.0, cy = double(s.height - 1) / 2.0;
  int64_t h = s.height, w = s.width;
  size_t plane = size_t(h * w);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      double qx = double(x) - cx, qy = double(y) - cy;
      double sx = ia * qx + ib * qy + cx, sy = ic * qx + id * qy + cy;
      double fx0 = std::floor(sx), fy0 = std::floor(sy);
      int64_t x0 = int64_t(fx0), y0 = int64_t(fy0);
      float fx = float(sx - fx0), fy = float(sy - fy0);
      // The four neighbours' weights, zero where they are outside.
      float wt[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy,
                     fx * fy};
      int64_t at[4];
      for (int k = 0; k < 4; ++k) {
        int64_t nx = x0 + (k & 1), ny = y0 + (k >> 1);
        bool inside = nx >= 0 && nx < w && ny >= 0 && ny < h;
        at[k] = inside ? ny * w + nx : 0;
        if (!inside)
          wt[k] = 0.0f;
      }
      for (int64_t ch = 0; ch < s.channels; ++ch) {
        const float *p = src + size_t(ch) * plane;
        float v = 0.0f;
        for (int k = 0; k < 4; ++k)
          if (wt[k] != 0.0f)
            v += wt[k] * p[at[k]];
        dst[size_t(ch) * plane + size_t(y * w + x)] = v;
      }
    }
}

void jitterColour(float *chw, const ImageShape &s, const AugmentDraw &d) {
  for (int which : d.jitterOrder) {
    if (which == 0)
      adjustBrightness(chw, size_t(s.numElements()), float(d.brightness));
    else if (which == 1)
      adjustContrast(chw, s, float(d.contrast));
    else
      adjustSaturation(chw, s, float(d.saturation));
  }
}

void augmentImage(float *chw, const ImageShape &s, const AugmentDraw &d) {
  if (d.flip)
    flipHorizontal(chw, s);
  std::vector<float> source(chw, chw + s.numElements());
  warpAffine(source.data(), chw, s, d.rotationDegrees, d.shearDegrees, d.scale);
  jitterColour(chw, s, d);
}

} // namespace cnnc::rt
