//===- ReferenceGradients.cpp - cnn backward ops as plain loops -----------===//
//
// Each gradient is the textbook sum written as the forward op's loop nest
// with the roles of input and output swapped, accumulated in double and
// rounded to f32 once. The optimizer updates are in ReferenceOptimizers.cpp.
//
//===----------------------------------------------------------------------===//

#include "test/reference/ReferenceGradients.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace cnnc::test::ref {

namespace {

/// Rounds a double accumulator to an f32 tensor of `shape`.
HostTensor fromDouble(std::vector<int64_t> shape,
                      const std::vector<double> &acc) {
  HostTensor t = zeros(std::move(shape));
  for (size_t i = 0; i < acc.size(); ++i)
    t.data[i] = static_cast<float>(acc[i]);
  return t;
}

/// Sizes before, along and after `axis`.
struct AxisSplit {
  int64_t outer = 1, size = 1, inner = 1;
  int64_t index(int64_t o, int64_t i, int64_t in) const {
    return (o * size + i) * inner + in;
  }
};

AxisSplit splitAt(const std::vector<int64_t> &shape, int64_t axis) {
  AxisSplit s;
  s.size = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    s.outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    s.inner *= shape[d];
  return s;
}

bool connected(const Conv2DParams &p, int64_t f, int64_t c) {
  return p.connections.empty() || p.connections[f][c];
}

/// The two gradients of dense, [rows, k]: for each (b, o) of gy [N, M] in
/// order, adds gy[b, o] · row to row `r`, where `rowOf(b, o)` gives (r, row).
template <typename RowOf>
HostTensor accumulateDenseRows(const HostTensor &gy, int64_t rows, int64_t k,
                               RowOf rowOf) {
  int64_t n = gy.shape[0], m = gy.shape[1];
  std::vector<double> acc(rows * k, 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < m; ++o) {
      double g = gy.data[b * m + o];
      auto [r, row] = rowOf(b, o);
      for (int64_t i = 0; i < k; ++i)
        acc[r * k + i] += g * row[i];
    }
  return fromDouble({rows, k}, acc);
}

/// The gradients of softmax and log_softmax: along `axis`, each slice's
/// sum of term(at) in double, then gx[at] = value(at, sum).
template <typename Term, typename Value>
HostTensor sliceSumBackward(const std::vector<int64_t> &shape, int64_t axis,
                            Term term, Value value) {
  AxisSplit s = splitAt(shape, axis);
  HostTensor gx = zeros(shape);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t in = 0; in < s.inner; ++in) {
      double sum = 0;
      for (int64_t i = 0; i < s.size; ++i)
        sum += term(s.index(o, i, in));
      for (int64_t i = 0; i < s.size; ++i) {
        int64_t at = s.index(o, i, in);
        gx.data[at] = value(at, sum);
      }
    }
  return gx;
}

/// For each output position (i, j) of an [oh, ow] map, in order, whose
/// kernel tap (u, v) lands inside the [h, wd] input at (r, s): visit(i·ow +
/// j, r·wd + s). The loop both conv gradients share.
template <typename Visit>
void forEachTapHit(const Conv2DParams &p, int64_t u, int64_t v, int64_t oh,
                   int64_t ow, int64_t h, int64_t wd, Visit visit) {
  for (int64_t i = 0; i < oh; ++i) {
    int64_t r = i * p.stride[0] - p.padding[0] + u * p.dilation[0];
    if (r < 0 || r >= h)
      continue;
    for (int64_t j = 0; j < ow; ++j) {
      int64_t s = j * p.stride[1] - p.padding[1] + v * p.dilation[1];
      if (s >= 0 && s < wd)
        visit(i * ow + j, r * wd + s);
    }
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

// The forward op computes, for every output (b, f, i, j) and tap (ci, u, v)
// whose input cell r = i·stride − padding + u·dilation (and likewise s) lies
// inside the input, y[b, f, i, j] += x[b, g·CG + ci, r, s] · w[f, ci, u, v]
// with g = f / (F / groups). Both gradients walk the same nest.

HostTensor conv2dBackwardInput(const HostTensor &gy, const HostTensor &w,
                               Pair inputSize, const Conv2DParams &p) {
  int64_t n = gy.shape[0], f = gy.shape[1], oh = gy.shape[2], ow = gy.shape[3];
  int64_t cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  int64_t c = cg * p.groups, h = inputSize[0], wd = inputSize[1];
  int64_t fPerGroup = f / p.groups;
  std::vector<double> acc(n * c * h * wd, 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < f; ++o) {
      const float *grad = gy.data.data() + (b * f + o) * oh * ow;
      for (int64_t ci = 0; ci < cg; ++ci) {
        int64_t ch = (o / fPerGroup) * cg + ci;
        if (!connected(p, o, ch))
          continue;
        double *plane = acc.data() + (b * c + ch) * h * wd;
        const float *kernel = w.data.data() + (o * cg + ci) * kh * kw;
        for (int64_t u = 0; u < kh; ++u)
          for (int64_t v = 0; v < kw; ++v) {
            double weight = kernel[u * kw + v];
            forEachTapHit(p, u, v, oh, ow, h, wd, [&](int64_t out, int64_t in) {
              plane[in] += weight * grad[out];
            });
          }
      }
    }
  return fromDouble({n, c, h, wd}, acc);
}

HostTensor conv2dBackwardWeight(const HostTensor &x, const HostTensor &gy,
                                Pair kernel, const Conv2DParams &p) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  int64_t f = gy.shape[1], oh = gy.shape[2], ow = gy.shape[3];
  int64_t cg = c / p.groups, kh = kernel[0], kw = kernel[1];
  int64_t fPerGroup = f / p.groups;
  std::vector<double> acc(f * cg * kh * kw, 0.0);
  for (int64_t o = 0; o < f; ++o)
    for (int64_t ci = 0; ci < cg; ++ci) {
      int64_t ch = (o / fPerGroup) * cg + ci;
      if (!connected(p, o, ch))
        continue; // stays zero
      double *taps = acc.data() + (o * cg + ci) * kh * kw;
      for (int64_t b = 0; b < n; ++b) {
        const float *grad = gy.data.data() + (b * f + o) * oh * ow;
        const float *plane = x.data.data() + (b * c + ch) * h * wd;
        for (int64_t u = 0; u < kh; ++u)
          for (int64_t v = 0; v < kw; ++v) {
            double sum = 0;
            forEachTapHit(p, u, v, oh, ow, h, wd, [&](int64_t out, int64_t in) {
              sum += static_cast<double>(grad[out]) * plane[in];
            });
            taps[u * kw + v] += sum;
          }
      }
    }
  return fromDouble({f, cg, kh, kw}, acc);
}

HostTensor biasBackward(const HostTensor &gy) {
  AxisSplit s = splitAt(gy.shape, 1);
  std::vector<double> acc(s.size, 0.0);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t ch = 0; ch < s.size; ++ch)
      for (int64_t in = 0; in < s.inner; ++in)
        acc[ch] += gy.data[s.index(o, ch, in)];
  return fromDouble({s.size}, acc);
}

//===----------------------------------------------------------------------===//
// Pooling and subsampling
//===----------------------------------------------------------------------===//

HostTensor avgPool2dBackward(const HostTensor &gy, Pair inputSize,
                             const Pool2DParams &p) {
  int64_t planes = gy.shape[0] * gy.shape[1], oh = gy.shape[2],
          ow = gy.shape[3];
  int64_t h = inputSize[0], w = inputSize[1];
  double count = static_cast<double>(p.kernel[0] * p.kernel[1]);
  std::vector<double> acc(planes * h * w, 0.0);
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float *grad = gy.data.data() + plane * oh * ow;
    double *out = acc.data() + plane * h * w;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double share = grad[i * ow + j] / count;
        for (int64_t u = 0; u < p.kernel[0]; ++u) {
          int64_t r = i * p.stride[0] - p.padding[0] + u;
          if (r < 0 || r >= h)
            continue; // a padded cell: its share goes nowhere
          for (int64_t v = 0; v < p.kernel[1]; ++v) {
            int64_t s = j * p.stride[1] - p.padding[1] + v;
            if (s >= 0 && s < w)
              out[r * w + s] += share;
          }
        }
      }
  }
  return fromDouble({gy.shape[0], gy.shape[1], h, w}, acc);
}

HostTensor maxPool2dBackward(const HostTensor &gy, const HostTensor &x,
                             const Pool2DParams &p) {
  int64_t planes = gy.shape[0] * gy.shape[1], oh = gy.shape[2],
          ow = gy.shape[3];
  int64_t h = x.shape[2], w = x.shape[3];
  std::vector<double> acc(planes * h * w, 0.0);
  for (int64_t plane = 0; plane < planes; ++plane) {
    const float *grad = gy.data.data() + plane * oh * ow;
    const float *in = x.data.data() + plane * h * w;
    double *out = acc.data() + plane * h * w;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        // Strictly greater: the first maximum in row-major order keeps it.
        int64_t winner = -1;
        for (int64_t u = 0; u < p.kernel[0]; ++u) {
          int64_t r = i * p.stride[0] - p.padding[0] + u;
          if (r < 0 || r >= h)
            continue; // padding is −∞ and never wins
          for (int64_t v = 0; v < p.kernel[1]; ++v) {
            int64_t s = j * p.stride[1] - p.padding[1] + v;
            if (s < 0 || s >= w)
              continue;
            if (winner < 0 || in[r * w + s] > in[winner])
              winner = r * w + s;
          }
        }
        if (winner >= 0)
          out[winner] += grad[i * ow + j];
      }
  }
  return fromDouble(x.shape, acc);
}

HostTensor subsample2dBackwardInput(const HostTensor &gy,
                                    const HostTensor &coefficient, Pair kernel,
                                    Pair stride, Pair inputSize) {
  int64_t n = gy.shape[0], c = gy.shape[1], oh = gy.shape[2], ow = gy.shape[3];
  int64_t h = inputSize[0], w = inputSize[1];
  double count = static_cast<double>(kernel[0] * kernel[1]);
  std::vector<double> acc(n * c * h * w, 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float *grad = gy.data.data() + (b * c + ch) * oh * ow;
      double *out = acc.data() + (b * c + ch) * h * w;
      double scale = coefficient.data[ch] / count;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j)
          for (int64_t u = 0; u < kernel[0]; ++u)
            for (int64_t v = 0; v < kernel[1]; ++v)
              out[(i * stride[0] + u) * w + j * stride[1] + v] +=
                  grad[i * ow + j] * scale;
    }
  return fromDouble({n, c, h, w}, acc);
}

HostTensor subsample2dBackwardCoefficient(const HostTensor &gy,
                                          const HostTensor &x, Pair kernel,
                                          Pair stride) {
  int64_t n = gy.shape[0], c = gy.shape[1], oh = gy.shape[2], ow = gy.shape[3];
  int64_t h = x.shape[2], w = x.shape[3];
  double count = static_cast<double>(kernel[0] * kernel[1]);
  std::vector<double> acc(c, 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float *grad = gy.data.data() + (b * c + ch) * oh * ow;
      const float *in = x.data.data() + (b * c + ch) * h * w;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j)
          acc[ch] += grad[i * ow + j] *
                     (windowSum(in, w, i, j, kernel, stride) / count);
    }
  return fromDouble({c}, acc);
}

//===----------------------------------------------------------------------===//
// Element-wise, dense, reshaping
//===----------------------------------------------------------------------===//

HostTensor activationBackward(const HostTensor &gy, const HostTensor &y,
                              Activation act) {
  HostTensor gx = zeros(gy.shape);
  for (size_t i = 0; i < gy.data.size(); ++i) {
    double g = gy.data[i], out = y.data[i], slope = 1.0;
    switch (act) {
    case Activation::None:
      break;
    case Activation::Tanh:
      slope = 1.0 - out * out;
      break;
    case Activation::ScaledTanh:
      slope = 2.0 / 3.0 * (1.7159 - out * out / 1.7159);
      break;
    case Activation::Relu:
      slope = out > 0 ? 1.0 : 0.0;
      break;
    case Activation::Sigmoid:
      slope = out * (1.0 - out);
      break;
    }
    gx.data[i] = static_cast<float>(g * slope);
  }
  return gx;
}

HostTensor denseBackwardInput(const HostTensor &gy, const HostTensor &w) {
  int64_t k = w.shape[1];
  return accumulateDenseRows(gy, gy.shape[0], k, [&](int64_t b, int64_t o) {
    return std::make_pair(b, w.data.data() + o * k);
  });
}

HostTensor denseBackwardWeight(const HostTensor &gy, const HostTensor &x) {
  int64_t k = x.shape[1];
  return accumulateDenseRows(gy, gy.shape[1], k, [&](int64_t b, int64_t o) {
    return std::make_pair(o, x.data.data() + b * k);
  });
}

HostTensor unflatten(const HostTensor &x, const std::vector<int64_t> &sizes) {
  HostTensor y = x;
  y.shape = {x.shape[0]};
  y.shape.insert(y.shape.end(), sizes.begin(), sizes.end());
  return y;
}

HostTensor concatBackward(const HostTensor &gy, int64_t axis, int64_t offset,
                          int64_t size) {
  std::vector<int64_t> shape = gy.shape;
  shape[axis] = size;
  HostTensor g = zeros(shape);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  int64_t joined = gy.shape[axis];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t a = 0; a < size; ++a)
      for (int64_t i = 0; i < inner; ++i)
        g.data[(o * size + a) * inner + i] =
            gy.data[(o * joined + offset + a) * inner + i];
  return g;
}

//===----------------------------------------------------------------------===//
// Normalisation, softmax, losses, dropout
//===----------------------------------------------------------------------===//

// Forward: b[c] = a[c] · s[c]^−β with s[c] = k + α/size · Σ_{c'∈W(c)} a[c']²,
// W(c) = [c − size/2, c + (size−1)/2]. Then ∂b[c']/∂a[c] =
// [c = c']·s[c']^−β − 2αβ/size · a[c'] a[c] s[c']^(−β−1) for c ∈ W(c'),
// i.e. c' ∈ [c − (size−1)/2, c + size/2].
HostTensor localResponseNormBackward(const HostTensor &gy, const HostTensor &x,
                                     int64_t size, double alpha, double beta,
                                     double k) {
  AxisSplit split = splitAt(x.shape, 1);
  int64_t c = split.size;
  HostTensor gx = zeros(x.shape);
  std::vector<double> s(c), weighted(c);
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t in = 0; in < split.inner; ++in) {
      auto at = [&](int64_t ch) { return split.index(o, ch, in); };
      for (int64_t ch = 0; ch < c; ++ch) {
        double sum = 0;
        int64_t first = std::max<int64_t>(0, ch - size / 2);
        int64_t last = std::min<int64_t>(c - 1, ch + (size - 1) / 2);
        for (int64_t q = first; q <= last; ++q) {
          double a = x.data[at(q)];
          sum += a * a;
        }
        s[ch] = k + alpha / size * sum;
        // g[c']·a[c']·s[c']^(−β−1), the common factor of the cross terms.
        weighted[ch] = gy.data[at(ch)] * static_cast<double>(x.data[at(ch)]) *
                       std::pow(s[ch], -beta - 1);
      }
      for (int64_t ch = 0; ch < c; ++ch) {
        double cross = 0;
        int64_t first = std::max<int64_t>(0, ch - (size - 1) / 2);
        int64_t last = std::min<int64_t>(c - 1, ch + size / 2);
        for (int64_t q = first; q <= last; ++q)
          cross += weighted[q];
        double a = x.data[at(ch)];
        gx.data[at(ch)] =
            static_cast<float>(gy.data[at(ch)] * std::pow(s[ch], -beta) -
                               2.0 * alpha * beta / size * a * cross);
      }
    }
  return gx;
}

HostTensor softmaxBackward(const HostTensor &gy, const HostTensor &y,
                           int64_t axis) {
  return sliceSumBackward(
      y.shape, axis,
      [&](int64_t at) { return static_cast<double>(gy.data[at]) * y.data[at]; },
      [&](int64_t at, double dot) {
        return static_cast<float>(y.data[at] * (gy.data[at] - dot));
      });
}

HostTensor logSoftmaxBackward(const HostTensor &gy, const HostTensor &y,
                              int64_t axis) {
  return sliceSumBackward(
      y.shape, axis,
      [&](int64_t at) { return static_cast<double>(gy.data[at]); },
      [&](int64_t at, double sum) {
        return static_cast<float>(
            gy.data[at] - std::exp(static_cast<double>(y.data[at])) * sum);
      });
}

HostTensor crossEntropyBackward(const HostTensor &logits,
                                const HostTensor &labels) {
  int64_t n = logits.shape[0], c = logits.shape[1];
  HostTensor g = zeros(logits.shape);
  for (int64_t b = 0; b < n; ++b) {
    const float *row = logits.data.data() + b * c;
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < c; ++i)
      mx = std::max<double>(mx, row[i]);
    double sum = 0;
    for (int64_t i = 0; i < c; ++i)
      sum += std::exp(row[i] - mx);
    for (int64_t i = 0; i < c; ++i) {
      double p = std::exp(row[i] - mx) / sum;
      double onehot = i == labels.ints[b] ? 1.0 : 0.0;
      g.data[b * c + i] = static_cast<float>((p - onehot) / n);
    }
  }
  return g;
}

HostTensor mseBackward(const HostTensor &prediction, const HostTensor &target) {
  HostTensor g = zeros(prediction.shape);
  double count = static_cast<double>(prediction.data.size());
  for (size_t i = 0; i < prediction.data.size(); ++i)
    g.data[i] = static_cast<float>(
        2.0 * (static_cast<double>(prediction.data[i]) - target.data[i]) /
        count);
  return g;
}

HostTensor dropoutTraining(const HostTensor &x, double rate, uint64_t seed) {
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  uint64_t threshold = static_cast<uint64_t>(rate * 16777216.0);
  float scale = static_cast<float>(1.0 / (1.0 - rate));
  HostTensor y = zeros(x.shape);
  for (size_t i = 0; i < x.data.size(); ++i) {
    uint64_t u = mix(seed + (i + 1) * 0x9E3779B97F4A7C15ull) >> 40;
    y.data[i] = u >= threshold ? x.data[i] * scale : 0.0f;
  }
  return y;
}

} // namespace cnnc::test::ref
