//===- ReferenceOps.cpp - the cnn ops as plain C++ loops ------------------===//
//
// Loop orders are chosen so the innermost loop runs along contiguous memory
// (AlexNet in these loops is about a GFLOP per image); the arithmetic is
// still the textbook one, accumulated in double.
//
//===----------------------------------------------------------------------===//

#include "test/reference/ReferenceOps.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cnnc::test::ref {

namespace {

/// Element-wise map computed in double.
template <typename Fn> HostTensor map(const HostTensor &x, Fn fn) {
  HostTensor y = zeros(x.shape);
  for (size_t i = 0; i < x.data.size(); ++i)
    y.data[i] = static_cast<float>(fn(static_cast<double>(x.data[i])));
  return y;
}

/// First and one-past-last output index `o` along an axis whose input index
/// o·stride + offset lies in [0, in).
std::pair<int64_t, int64_t> validRange(int64_t out, int64_t stride,
                                       int64_t offset, int64_t in) {
  int64_t lo = 0;
  while (lo < out && lo * stride + offset < 0)
    ++lo;
  int64_t hi = out;
  while (hi > lo && (hi - 1) * stride + offset >= in)
    --hi;
  return {lo, hi};
}

/// Pooling shared by avg and max.
HostTensor pool2d(const HostTensor &x, const Pool2DParams &p, bool isMax) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t oh = windowOutputSize(h, p.kernel[0], p.stride[0], p.padding[0]);
  int64_t ow = windowOutputSize(w, p.kernel[1], p.stride[1], p.padding[1]);
  HostTensor y = zeros({n, c, oh, ow});
  double count = static_cast<double>(p.kernel[0] * p.kernel[1]);
  for (int64_t plane = 0; plane < n * c; ++plane) {
    const float *in = x.data.data() + plane * h * w;
    float *out = y.data.data() + plane * oh * ow;
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        double sum = 0;
        double best = -std::numeric_limits<double>::infinity();
        for (int64_t u = 0; u < p.kernel[0]; ++u) {
          int64_t r = i * p.stride[0] - p.padding[0] + u;
          if (r < 0 || r >= h)
            continue; // padding: 0 in the sum, −∞ for the max
          for (int64_t v = 0; v < p.kernel[1]; ++v) {
            int64_t s = j * p.stride[1] - p.padding[1] + v;
            if (s < 0 || s >= w)
              continue;
            double value = in[r * w + s];
            sum += value;
            best = std::max(best, value);
          }
        }
        out[i * ow + j] = static_cast<float>(isMax ? best : sum / count);
      }
  }
  return y;
}

/// softmax or log_softmax along `axis`.
HostTensor softmaxLike(const HostTensor &x, int64_t axis, bool log) {
  int64_t outer = 1, inner = 1, size = x.shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= x.shape[d];
  for (size_t d = axis + 1; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  HostTensor y = zeros(x.shape);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t in = 0; in < inner; ++in) {
      auto index = [&](int64_t i) { return (o * size + i) * inner + in; };
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t i = 0; i < size; ++i)
        mx = std::max<double>(mx, x.data[index(i)]);
      double sum = 0;
      for (int64_t i = 0; i < size; ++i)
        sum += std::exp(x.data[index(i)] - mx);
      for (int64_t i = 0; i < size; ++i) {
        double shifted = x.data[index(i)] - mx;
        y.data[index(i)] = static_cast<float>(log ? shifted - std::log(sum)
                                                  : std::exp(shifted) / sum);
      }
    }
  return y;
}

} // namespace

int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padding, int64_t dilation) {
  return (in + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

HostTensor conv2d(const HostTensor &x, const HostTensor &w,
                  const HostTensor *bias, const Conv2DParams &p) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  int64_t f = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  int64_t oh =
      windowOutputSize(h, kh, p.stride[0], p.padding[0], p.dilation[0]);
  int64_t ow =
      windowOutputSize(wd, kw, p.stride[1], p.padding[1], p.dilation[1]);
  int64_t fPerGroup = f / p.groups;
  HostTensor y = zeros({n, f, oh, ow});
  std::vector<double> acc(oh * ow);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < f; ++o) {
      std::fill(acc.begin(), acc.end(), bias ? bias->data[o] : 0.0);
      int64_t group = o / fPerGroup;
      for (int64_t ci = 0; ci < cg; ++ci) {
        int64_t ch = group * cg + ci;
        if (!p.connections.empty() && !p.connections[o][ch])
          continue;
        const float *plane = x.data.data() + (b * c + ch) * h * wd;
        const float *kernel = w.data.data() + (o * cg + ci) * kh * kw;
        for (int64_t u = 0; u < kh; ++u)
          for (int64_t v = 0; v < kw; ++v) {
            double weight = kernel[u * kw + v];
            int64_t colOffset = v * p.dilation[1] - p.padding[1];
            auto [jlo, jhi] = validRange(ow, p.stride[1], colOffset, wd);
            for (int64_t i = 0; i < oh; ++i) {
              int64_t r = i * p.stride[0] - p.padding[0] + u * p.dilation[0];
              if (r < 0 || r >= h)
                continue;
              const float *row = plane + r * wd + colOffset;
              double *out = acc.data() + i * ow;
              for (int64_t j = jlo; j < jhi; ++j)
                out[j] += weight * row[j * p.stride[1]];
            }
          }
      }
      float *dst = y.data.data() + (b * f + o) * oh * ow;
      for (int64_t i = 0; i < oh * ow; ++i)
        dst[i] = static_cast<float>(acc[i]);
    }
  return y;
}

//===----------------------------------------------------------------------===//
// Pooling and subsampling
//===----------------------------------------------------------------------===//

HostTensor avgPool2d(const HostTensor &x, const Pool2DParams &p) {
  return pool2d(x, p, /*isMax=*/false);
}

HostTensor maxPool2d(const HostTensor &x, const Pool2DParams &p) {
  return pool2d(x, p, /*isMax=*/true);
}

double windowSum(const float *map, int64_t width, int64_t i, int64_t j,
                 Pair kernel, Pair stride) {
  double sum = 0;
  for (int64_t u = 0; u < kernel[0]; ++u)
    for (int64_t v = 0; v < kernel[1]; ++v)
      sum += map[(i * stride[0] + u) * width + j * stride[1] + v];
  return sum;
}

HostTensor subsample2d(const HostTensor &x, const HostTensor &coefficient,
                       const HostTensor &bias, Pair kernel, Pair stride) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t oh = windowOutputSize(h, kernel[0], stride[0], 0);
  int64_t ow = windowOutputSize(w, kernel[1], stride[1], 0);
  HostTensor y = zeros({n, c, oh, ow});
  double count = static_cast<double>(kernel[0] * kernel[1]);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      const float *in = x.data.data() + (b * c + ch) * h * w;
      float *out = y.data.data() + (b * c + ch) * oh * ow;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j)
          out[i * ow + j] =
              static_cast<float>(windowSum(in, w, i, j, kernel, stride) /
                                     count * coefficient.data[ch] +
                                 bias.data[ch]);
    }
  return y;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

HostTensor tanh(const HostTensor &x) {
  return map(x, [](double v) { return std::tanh(v); });
}

HostTensor scaledTanh(const HostTensor &x) {
  return map(x, [](double v) { return 1.7159 * std::tanh(2.0 * v / 3.0); });
}

HostTensor relu(const HostTensor &x) {
  return map(x, [](double v) { return v > 0 ? v : 0.0; });
}

HostTensor sigmoid(const HostTensor &x) {
  return map(x, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
}

HostTensor activate(const HostTensor &x, Activation act) {
  switch (act) {
  case Activation::None:
    return x;
  case Activation::Tanh:
    return tanh(x);
  case Activation::ScaledTanh:
    return scaledTanh(x);
  case Activation::Relu:
    return relu(x);
  case Activation::Sigmoid:
    return sigmoid(x);
  }
  return x;
}

//===----------------------------------------------------------------------===//
// Dense and shape ops
//===----------------------------------------------------------------------===//

HostTensor dense(const HostTensor &x, const HostTensor &w,
                 const HostTensor *bias) {
  int64_t n = x.shape[0], k = x.shape[1], m = w.shape[0];
  HostTensor y = zeros({n, m});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < m; ++o) {
      const float *xs = x.data.data() + b * k;
      const float *ws = w.data.data() + o * k;
      double acc = bias ? bias->data[o] : 0.0;
      for (int64_t i = 0; i < k; ++i)
        acc += static_cast<double>(xs[i]) * ws[i];
      y.data[b * m + o] = static_cast<float>(acc);
    }
  return y;
}

HostTensor flatten(const HostTensor &x) {
  int64_t features = 1;
  for (size_t d = 1; d < x.shape.size(); ++d)
    features *= x.shape[d];
  HostTensor y = x;
  y.shape = {x.shape[0], features};
  return y;
}

HostTensor add(const HostTensor &a, const HostTensor &b) {
  HostTensor y = zeros(a.shape);
  for (size_t i = 0; i < a.data.size(); ++i)
    y.data[i] = static_cast<float>(static_cast<double>(a.data[i]) + b.data[i]);
  return y;
}

HostTensor concat(const std::vector<const HostTensor *> &inputs, int64_t axis) {
  std::vector<int64_t> shape = inputs.front()->shape;
  shape[axis] = 0;
  for (const HostTensor *in : inputs)
    shape[axis] += in->shape[axis];
  HostTensor y = zeros(shape);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  // Each input contributes a contiguous block of size[axis]·inner elements
  // to every one of the `outer` slices of the result.
  int64_t offset = 0;
  for (const HostTensor *in : inputs) {
    int64_t block = in->shape[axis] * inner;
    for (int64_t o = 0; o < outer; ++o)
      std::copy_n(in->data.data() + o * block, block,
                  y.data.data() + o * shape[axis] * inner + offset);
    offset += block;
  }
  return y;
}

//===----------------------------------------------------------------------===//
// Normalisation, regularisation, softmax
//===----------------------------------------------------------------------===//

HostTensor localResponseNorm(const HostTensor &x, int64_t size, double alpha,
                             double beta, double k) {
  int64_t n = x.shape[0], c = x.shape[1], inner = 1;
  for (size_t d = 2; d < x.shape.size(); ++d)
    inner *= x.shape[d];
  HostTensor y = zeros(x.shape);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t first = std::max<int64_t>(0, ch - size / 2);
      int64_t last = std::min<int64_t>(c - 1, ch + (size - 1) / 2);
      for (int64_t i = 0; i < inner; ++i) {
        double sum = 0;
        for (int64_t q = first; q <= last; ++q) {
          double a = x.data[(b * c + q) * inner + i];
          sum += a * a;
        }
        int64_t at = (b * c + ch) * inner + i;
        y.data[at] = static_cast<float>(x.data[at] /
                                        std::pow(k + alpha / size * sum, beta));
      }
    }
  return y;
}

HostTensor dropout(const HostTensor &x, double rate) { return x; }

HostTensor softmax(const HostTensor &x, int64_t axis) {
  return softmaxLike(x, axis, /*log=*/false);
}

HostTensor logSoftmax(const HostTensor &x, int64_t axis) {
  return softmaxLike(x, axis, /*log=*/true);
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

HostTensor crossEntropy(const HostTensor &logits, const HostTensor &labels) {
  HostTensor logp = logSoftmax(logits, 1);
  int64_t n = logits.shape[0], c = logits.shape[1];
  double sum = 0;
  for (int64_t b = 0; b < n; ++b)
    sum -= logp.data[b * c + labels.ints[b]];
  return scalar(sum / static_cast<double>(n));
}

HostTensor mse(const HostTensor &prediction, const HostTensor &target) {
  double sum = 0;
  for (size_t i = 0; i < prediction.data.size(); ++i) {
    double d = static_cast<double>(prediction.data[i]) - target.data[i];
    sum += d * d;
  }
  return scalar(sum / static_cast<double>(prediction.data.size()));
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

HostTensor fusedConvActPool(const HostTensor &x, const HostTensor &w,
                            const HostTensor *bias, const Conv2DParams &conv,
                            Activation act,
                            const std::optional<FusedPool> &pool) {
  HostTensor y = activate(conv2d(x, w, bias, conv), act);
  if (!pool)
    return y;
  return pool->kind == PoolKind::Max ? maxPool2d(y, pool->params)
                                     : avgPool2d(y, pool->params);
}

} // namespace cnnc::test::ref
