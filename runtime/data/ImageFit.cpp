//===- ImageFit.cpp - fitting an image to the model's input ---------------===//
//
// The resampler follows PIL's ImagingResample (which torchvision's Resize
// calls for images): separable, a triangle filter centred on each output
// pixel's centre in source coordinates, its support widened by the shrink
// factor, weights renormalised over the source pixels that exist.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/ImageFit.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace cnnc::rt {
namespace {

/// For each output coordinate, the first source coordinate it reads and the
/// weights of that and the following ones.
struct Taps {
  std::vector<int64_t> first, count;
  std::vector<double> weights; // count[i] weights at i * stride
  int64_t stride = 0;
};

Taps computeTaps(int64_t inSize, int64_t outSize) {
  double scale = double(inSize) / double(outSize);
  double filterScale = std::max(scale, 1.0);
  double support = filterScale; // the triangle's support is 1 source pixel
  Taps t;
  t.stride = int64_t(std::ceil(support)) * 2 + 1;
  t.first.resize(outSize);
  t.count.resize(outSize);
  t.weights.assign(size_t(outSize * t.stride), 0.0);
  for (int64_t i = 0; i < outSize; ++i) {
    double centre = (double(i) + 0.5) * scale;
    int64_t lo = std::max<int64_t>(int64_t(centre - support + 0.5), 0);
    int64_t hi = std::min<int64_t>(int64_t(centre + support + 0.5), inSize);
    double *w = &t.weights[size_t(i * t.stride)];
    double total = 0.0;
    int64_t n = std::min(hi - lo, t.stride);
    for (int64_t k = 0; k < n; ++k) {
      double x = std::fabs((double(lo + k) - centre + 0.5) / filterScale);
      w[k] = x < 1.0 ? 1.0 - x : 0.0;
      total += w[k];
    }
    // Every output centre lies inside the source, so some weight is > 0.
    assert(total > 0.0);
    for (int64_t k = 0; k < n; ++k)
      w[k] /= total;
    t.first[i] = lo;
    t.count[i] = n;
  }
  return t;
}

std::string sizeText(int64_t h, int64_t w) {
  return std::to_string(h) + "x" + std::to_string(w);
}

} // namespace

Tensor convertChannels(const Tensor &chw, int64_t channels) {
  int64_t c = chw.shape[0], plane = chw.shape[1] * chw.shape[2];
  if (c == channels)
    return chw;
  assert((c == 1 || c == 3) && (channels == 1 || channels == 3));
  Tensor out = Tensor::zerosF32({channels, chw.shape[1], chw.shape[2]});
  for (int64_t i = 0; i < plane; ++i) {
    if (channels == 1) {
      out.f32[i] = 0.299f * chw.f32[i] + 0.587f * chw.f32[plane + i] +
                   0.114f * chw.f32[2 * plane + i];
    } else {
      for (int64_t k = 0; k < 3; ++k)
        out.f32[k * plane + i] = chw.f32[i];
    }
  }
  return out;
}

Tensor resizeBilinear(const Tensor &chw, int64_t height, int64_t width) {
  int64_t c = chw.shape[0], h = chw.shape[1], w = chw.shape[2];
  if (h == height && w == width)
    return chw;
  Taps across = computeTaps(w, width), down = computeTaps(h, height);

  // Rows first, into [C, h, width], then columns.
  std::vector<float> rows(size_t(c * h * width));
  for (int64_t p = 0; p < c * h; ++p) {
    const float *src = chw.f32.data() + p * w;
    for (int64_t x = 0; x < width; ++x) {
      const double *wt = &across.weights[size_t(x * across.stride)];
      double sum = 0.0;
      for (int64_t k = 0; k < across.count[x]; ++k)
        sum += wt[k] * src[across.first[x] + k];
      rows[size_t(p * width + x)] = float(sum);
    }
  }
  Tensor out = Tensor::zerosF32({c, height, width});
  for (int64_t k = 0; k < c; ++k)
    for (int64_t y = 0; y < height; ++y) {
      const double *wt = &down.weights[size_t(y * down.stride)];
      float *dst = out.f32.data() + (k * height + y) * width;
      for (int64_t j = 0; j < down.count[y]; ++j) {
        const float *src = rows.data() + (k * h + down.first[y] + j) * width;
        for (int64_t x = 0; x < width; ++x)
          dst[x] += float(wt[j]) * src[x];
      }
    }
  return out;
}

bool fitsByPadding(int64_t h, int64_t w, int64_t height, int64_t width) {
  return h <= height && w <= width && (height - h) % 2 == 0 &&
         (width - w) % 2 == 0;
}

Tensor padCentred(const Tensor &chw, int64_t height, int64_t width) {
  int64_t c = chw.shape[0], h = chw.shape[1], w = chw.shape[2];
  int64_t top = (height - h) / 2, left = (width - w) / 2;
  Tensor out = Tensor::zerosF32({c, height, width});
  for (int64_t k = 0; k < c; ++k)
    for (int64_t y = 0; y < h; ++y)
      std::copy_n(chw.f32.begin() + (k * h + y) * w, w,
                  out.f32.begin() + (k * height + y + top) * width + left);
  return out;
}

Tensor fitImage(const Tensor &chw, const ImageShape &to, FitMode mode,
                std::string *how) {
  Tensor image = convertChannels(chw, to.channels);
  ImageShape from{to.channels, image.shape[1], image.shape[2]};
  std::string note = fittingNote(from, to, mode);
  if (!note.empty())
    image = mode == FitMode::PadOrResize &&
                    fitsByPadding(from.height, from.width, to.height, to.width)
                ? padCentred(image, to.height, to.width)
                : resizeBilinear(image, to.height, to.width);
  if (how)
    *how = note;
  return image;
}

void appendAsBytes(const Tensor &chw, std::vector<uint8_t> &out) {
  // v * 255 + 0.5 truncated, not std::nearbyint: without SSE4.1 that is a
  // libm call saving the floating-point environment, seconds for MNIST.
  size_t at = out.size();
  out.resize(at + chw.f32.size());
  uint8_t *p = out.data() + at;
  for (float v : chw.f32) {
    float scaled = v * 255.0f + 0.5f;
    *p++ = uint8_t(!(scaled > 0.0f)   ? 0.0f // NaN too
                   : scaled >= 255.0f ? 255.0f
                                      : scaled);
  }
}

void fittedImage(const Dataset &data, size_t index, float *out) {
  const ImageShape &from = data.stored, &to = data.shape;
  const uint8_t *bytes = data.image(index);
  if (from == to) {
    for (int64_t i = 0; i < to.numElements(); ++i)
      out[i] = float(bytes[i]) / 255.0f;
    return;
  }
  Tensor image = Tensor::zerosF32({from.channels, from.height, from.width});
  for (int64_t i = 0; i < from.numElements(); ++i)
    image.f32[size_t(i)] = float(bytes[i]) / 255.0f;
  Tensor fitted = fitImage(image, to, data.fit);
  std::copy(fitted.f32.begin(), fitted.f32.end(), out);
}

std::string fittingNote(const ImageShape &from, const ImageShape &to,
                        FitMode mode) {
  if (from.height == to.height && from.width == to.width)
    return "";
  bool pad = mode == FitMode::PadOrResize &&
             fitsByPadding(from.height, from.width, to.height, to.width);
  return sizeText(from.height, from.width) +
         (pad ? " padded to " : " resized to ") + sizeText(to.height, to.width);
}

} // namespace cnnc::rt
