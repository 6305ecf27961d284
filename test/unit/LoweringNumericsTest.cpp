//===- LoweringNumericsTest.cpp - cnn-to-linalg computes the right numbers ===//
//
// The lit test of cnn-to-linalg checks the shape of the IR it emits; these
// check its meaning. Each case lowers one cnn op to native code (see
// LoweringTestUtil.h), runs it on fixed-seed random inputs and compares the
// result with a plain C++ loop nest written here from docs/dialect.md and
// PyTorch's definitions, not from the lowering. Tolerance: 1e-5 absolute or
// 1e-4 relative per element.
//
//===----------------------------------------------------------------------===//

#include "LoweringTestUtil.h"

#include <algorithm>
#include <limits>

using namespace cnnc::test;

namespace {

struct ConvParams {
  int64_t stride = 1, padding = 0, dilation = 1, groups = 1;
  const std::vector<std::vector<int>> *connections = nullptr; // [F][C]
};

/// PyTorch's conv2d (square stride/padding/dilation) plus a connection mask.
HostTensor referenceConv(const HostTensor &x, const HostTensor &w,
                         const HostTensor *bias, const ConvParams &p) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3];
  int64_t f = w.shape[0], cg = w.shape[1], kh = w.shape[2], kw = w.shape[3];
  int64_t oh = (h + 2 * p.padding - p.dilation * (kh - 1) - 1) / p.stride + 1;
  int64_t ow = (wd + 2 * p.padding - p.dilation * (kw - 1) - 1) / p.stride + 1;
  int64_t fg = f / p.groups;
  (void)c;
  HostTensor y = zeros({n, f, oh, ow});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < f; ++o)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = bias ? bias->data[o] : 0.0;
          int64_t g = o / fg;
          for (int64_t ci = 0; ci < cg; ++ci) {
            int64_t ch = g * cg + ci;
            if (p.connections && !(*p.connections)[o][ch])
              continue;
            for (int64_t u = 0; u < kh; ++u)
              for (int64_t v = 0; v < kw; ++v) {
                int64_t r = i * p.stride - p.padding + u * p.dilation;
                int64_t s = j * p.stride - p.padding + v * p.dilation;
                if (r < 0 || r >= h || s < 0 || s >= wd)
                  continue;
                acc += x.at({b, ch, r, s}) * w.at({o, ci, u, v});
              }
          }
          y.at({b, o, i, j}) = static_cast<float>(acc);
        }
  return y;
}

/// Pooling with square kernel/stride/padding. Average counts padded cells
/// (count_include_pad); max ignores them.
HostTensor referencePool(const HostTensor &x, bool isMax, int64_t k,
                         int64_t stride, int64_t padding) {
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t oh = (h + 2 * padding - k) / stride + 1;
  int64_t ow = (w + 2 * padding - k) / stride + 1;
  HostTensor y = zeros({n, c, oh, ow});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double sum = 0;
          float mx = -std::numeric_limits<float>::infinity();
          for (int64_t u = 0; u < k; ++u)
            for (int64_t v = 0; v < k; ++v) {
              int64_t r = i * stride - padding + u,
                      s = j * stride - padding + v;
              if (r < 0 || r >= h || s < 0 || s >= w)
                continue;
              sum += x.at({b, ch, r, s});
              mx = std::max(mx, x.at({b, ch, r, s}));
            }
          y.at({b, ch, i, j}) =
              isMax ? mx : static_cast<float>(sum / static_cast<double>(k * k));
        }
  return y;
}

HostTensor mapRef(const HostTensor &x, float (*fn)(float)) {
  HostTensor y = x;
  for (float &v : y.data)
    v = fn(v);
  return y;
}

/// softmax or log_softmax over dimension 1 of an [N, C] tensor.
HostTensor referenceSoftmax(const HostTensor &x, bool log) {
  HostTensor y = x;
  int64_t n = x.shape[0], c = x.shape[1];
  for (int64_t b = 0; b < n; ++b) {
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < c; ++i)
      mx = std::max<double>(mx, x.at({b, i}));
    for (int64_t i = 0; i < c; ++i)
      sum += std::exp(x.at({b, i}) - mx);
    for (int64_t i = 0; i < c; ++i)
      y.at({b, i}) =
          static_cast<float>(log ? x.at({b, i}) - mx - std::log(sum)
                                 : std::exp(x.at({b, i}) - mx) / sum);
  }
  return y;
}

HostTensor scalar(double v) {
  HostTensor t;
  t.data = {static_cast<float>(v)};
  return t;
}

class CNNToLinalgNumerics : public LoweringNumericsTest {
protected:
  std::mt19937 rng{20240611};
};

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

TEST_F(CNNToLinalgNumerics, Conv2DLeNetC1Padding2) {
  HostTensor x = randomTensor(rng, {2, 1, 28, 28});
  HostTensor w = randomTensor(rng, {6, 1, 5, 5});
  HostTensor b = randomTensor(rng, {6});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>) -> tensor<2x6x28x28xf32> {
  %0 = cnn.conv2d %x, %w, %b padding [2, 2] : (tensor<2x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<2x6x28x28xf32>
  return %0 : tensor<2x6x28x28xf32>
})mlir",
                       {x, w, b});
  ConvParams p;
  p.padding = 2;
  expectClose(got, referenceConv(x, w, &b, p));
}

TEST_F(CNNToLinalgNumerics, Conv2DStride2Dilation2) {
  HostTensor x = randomTensor(rng, {2, 3, 13, 13});
  HostTensor w = randomTensor(rng, {4, 3, 3, 3});
  HostTensor b = randomTensor(rng, {4});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x3x13x13xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<2x4x5x5xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [2, 2] dilation [2, 2] : (tensor<2x3x13x13xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<2x4x5x5xf32>
  return %0 : tensor<2x4x5x5xf32>
})mlir",
                       {x, w, b});
  ConvParams p;
  p.stride = 2;
  p.dilation = 2;
  expectClose(got, referenceConv(x, w, &b, p));
}

TEST_F(CNNToLinalgNumerics, Conv2DGroups2) {
  HostTensor x = randomTensor(rng, {2, 4, 7, 7});
  HostTensor w = randomTensor(rng, {6, 2, 3, 3});
  HostTensor b = randomTensor(rng, {6});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x4x7x7xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<2x6x7x7xf32> {
  %0 = cnn.conv2d %x, %w, %b padding [1, 1] groups 2 : (tensor<2x4x7x7xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<2x6x7x7xf32>
  return %0 : tensor<2x6x7x7xf32>
})mlir",
                       {x, w, b});
  ConvParams p;
  p.padding = 1;
  p.groups = 2;
  expectClose(got, referenceConv(x, w, &b, p));
}

TEST_F(CNNToLinalgNumerics, Conv2DConnectionTable) {
  HostTensor x = randomTensor(rng, {2, 3, 8, 8});
  HostTensor w = randomTensor(rng, {2, 3, 3, 3});
  HostTensor b = randomTensor(rng, {2});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x3x8x8xf32>, %w: tensor<2x3x3x3xf32>, %b: tensor<2xf32>) -> tensor<2x2x6x6xf32> {
  %0 = cnn.conv2d %x, %w, %b connections dense<[[true, false, true], [false, true, true]]> : tensor<2x3xi1> : (tensor<2x3x8x8xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<2x2x6x6xf32>
  return %0 : tensor<2x2x6x6xf32>
})mlir",
                       {x, w, b});
  std::vector<std::vector<int>> table = {{1, 0, 1}, {0, 1, 1}};
  ConvParams p;
  p.connections = &table;
  expectClose(got, referenceConv(x, w, &b, p));
}

//===----------------------------------------------------------------------===//
// Pooling and subsampling
//===----------------------------------------------------------------------===//

TEST_F(CNNToLinalgNumerics, AvgPool2x2Stride2) {
  HostTensor x = randomTensor(rng, {2, 3, 8, 8});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x3x8x8xf32>) -> tensor<2x3x4x4xf32> {
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2] : tensor<2x3x8x8xf32> -> tensor<2x3x4x4xf32>
  return %0 : tensor<2x3x4x4xf32>
})mlir",
                       {x});
  expectClose(got, referencePool(x, false, 2, 2, 0));
}

TEST_F(CNNToLinalgNumerics, MaxPool3x3Stride2Padding1) {
  // All negative, so a zero pad would win the border windows: the lowering
  // must pad with -inf.
  HostTensor x = randomTensor(rng, {2, 2, 7, 7}, -2.0f, -0.5f);
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x2x7x7xf32>) -> tensor<2x2x4x4xf32> {
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<2x2x7x7xf32> -> tensor<2x2x4x4xf32>
  return %0 : tensor<2x2x4x4xf32>
})mlir",
                       {x});
  expectClose(got, referencePool(x, true, 3, 2, 1));
}

TEST_F(CNNToLinalgNumerics, Subsample2D) {
  HostTensor x = randomTensor(rng, {2, 3, 6, 6});
  HostTensor coef = randomTensor(rng, {3});
  HostTensor bias = randomTensor(rng, {3});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x3x6x6xf32>, %c: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<2x3x3x3xf32> {
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<2x3x6x6xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3x3x3xf32>
  return %0 : tensor<2x3x3x3xf32>
})mlir",
                       {x, coef, bias});
  HostTensor want = referencePool(x, false, 2, 2, 0);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 3; ++j)
          want.at({n, c, i, j}) =
              want.at({n, c, i, j}) * coef.data[c] + bias.data[c];
  expectClose(got, want);
}

//===----------------------------------------------------------------------===//
// Dense and element-wise
//===----------------------------------------------------------------------===//

TEST_F(CNNToLinalgNumerics, DenseWithBias) {
  HostTensor x = randomTensor(rng, {2, 5});
  HostTensor w = randomTensor(rng, {3, 5});
  HostTensor b = randomTensor(rng, {3});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x5xf32>, %w: tensor<3x5xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = cnn.dense %x, %w, %b : (tensor<2x5xf32>, tensor<3x5xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
})mlir",
                       {x, w, b});
  HostTensor want = zeros({2, 3});
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t o = 0; o < 3; ++o) {
      double acc = b.data[o];
      for (int64_t i = 0; i < 5; ++i)
        acc += x.at({n, i}) * w.at({o, i});
      want.at({n, o}) = static_cast<float>(acc);
    }
  expectClose(got, want);
}

std::string unary(const char *op) {
  return std::string("func.func @f(%x: tensor<2x3x4x4xf32>) -> "
                     "tensor<2x3x4x4xf32> {\n  %0 = cnn.") +
         op +
         " %x : tensor<2x3x4x4xf32>\n  return %0 : tensor<2x3x4x4xf32>\n}\n";
}

TEST_F(CNNToLinalgNumerics, Tanh) {
  HostTensor x = randomTensor(rng, {2, 3, 4, 4}, -3.0f, 3.0f);
  expectClose(run(unary("tanh"), {x}),
              mapRef(x, [](float v) { return std::tanh(v); }));
}

TEST_F(CNNToLinalgNumerics, ScaledTanh) {
  HostTensor x = randomTensor(rng, {2, 3, 4, 4}, -3.0f, 3.0f);
  expectClose(run(unary("scaled_tanh"), {x}), mapRef(x, [](float v) {
                return 1.7159f * std::tanh(2.0f * v / 3.0f);
              }));
}

TEST_F(CNNToLinalgNumerics, Relu) {
  HostTensor x = randomTensor(rng, {2, 3, 4, 4});
  expectClose(run(unary("relu"), {x}),
              mapRef(x, [](float v) { return v > 0 ? v : 0.0f; }));
}

TEST_F(CNNToLinalgNumerics, Sigmoid) {
  HostTensor x = randomTensor(rng, {2, 3, 4, 4}, -5.0f, 5.0f);
  expectClose(run(unary("sigmoid"), {x}),
              mapRef(x, [](float v) { return 1.0f / (1.0f + std::exp(-v)); }));
}

//===----------------------------------------------------------------------===//
// Softmax, normalisation
//===----------------------------------------------------------------------===//

TEST_F(CNNToLinalgNumerics, Softmax) {
  HostTensor x = randomTensor(rng, {2, 10}, -20.0f, 20.0f);
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = cnn.softmax %x : tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
})mlir",
                       {x});
  expectClose(got, referenceSoftmax(x, false));
}

TEST_F(CNNToLinalgNumerics, LogSoftmax) {
  HostTensor x = randomTensor(rng, {2, 10}, -20.0f, 20.0f);
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = cnn.log_softmax %x : tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
})mlir",
                       {x});
  expectClose(got, referenceSoftmax(x, true));
}

/// PyTorch's LocalResponseNorm: the window of channel c is
/// c - size/2 .. c + (size-1)/2, clipped to the channels.
HostTensor referenceLRN(const HostTensor &x, int64_t size, double alpha,
                        double beta, double k) {
  HostTensor y = x;
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t j = 0; j < w; ++j) {
          double sum = 0;
          for (int64_t q = std::max<int64_t>(0, ch - size / 2);
               q <= std::min<int64_t>(c - 1, ch + (size - 1) / 2); ++q)
            sum += double(x.at({b, q, i, j})) * x.at({b, q, i, j});
          y.at({b, ch, i, j}) = static_cast<float>(
              x.at({b, ch, i, j}) / std::pow(k + alpha / size * sum, beta));
        }
  return y;
}

TEST_F(CNNToLinalgNumerics, LocalResponseNorm) {
  // Values up to 10 so the alpha term is far from negligible.
  HostTensor x = randomTensor(rng, {2, 7, 3, 3}, -10.0f, 10.0f);
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x7x3x3xf32>) -> tensor<2x7x3x3xf32> {
  %0 = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta 7.5e-01 k 2.0 : tensor<2x7x3x3xf32>
  return %0 : tensor<2x7x3x3xf32>
})mlir",
                       {x});
  expectClose(got, referenceLRN(x, 5, 1e-4, 0.75, 2.0));
}

TEST_F(CNNToLinalgNumerics, LocalResponseNormEvenSize) {
  // An even size makes the window asymmetric: 2 channels before, 1 after.
  HostTensor x = randomTensor(rng, {2, 6, 2, 2}, -30.0f, 30.0f);
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x6x2x2xf32>) -> tensor<2x6x2x2xf32> {
  %0 = cnn.local_response_norm %x size 4 alpha 1.0e-2 beta 7.5e-01 k 1.0 : tensor<2x6x2x2xf32>
  return %0 : tensor<2x6x2x2xf32>
})mlir",
                       {x});
  expectClose(got, referenceLRN(x, 4, 1e-2, 0.75, 1.0));
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

TEST_F(CNNToLinalgNumerics, Flatten) {
  HostTensor x = randomTensor(rng, {2, 3, 2, 2});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x3x2x2xf32>) -> tensor<2x12xf32> {
  %0 = cnn.flatten %x : tensor<2x3x2x2xf32> -> tensor<2x12xf32>
  return %0 : tensor<2x12xf32>
})mlir",
                       {x});
  HostTensor want = x;
  want.shape = {2, 12};
  expectClose(got, want);
}

TEST_F(CNNToLinalgNumerics, ConcatChannels) {
  HostTensor a = randomTensor(rng, {2, 2, 3, 3});
  HostTensor b = randomTensor(rng, {2, 3, 3, 3});
  HostTensor got = run(R"mlir(
func.func @f(%a: tensor<2x2x3x3xf32>, %b: tensor<2x3x3x3xf32>) -> tensor<2x5x3x3xf32> {
  %0 = cnn.concat %a, %b : (tensor<2x2x3x3xf32>, tensor<2x3x3x3xf32>) -> tensor<2x5x3x3xf32>
  return %0 : tensor<2x5x3x3xf32>
})mlir",
                       {a, b});
  HostTensor want = zeros({2, 5, 3, 3});
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 5; ++c)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 3; ++j)
          want.at({n, c, i, j}) =
              c < 2 ? a.at({n, c, i, j}) : b.at({n, c - 2, i, j});
  expectClose(got, want);
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

TEST_F(CNNToLinalgNumerics, CrossEntropy) {
  HostTensor logits = randomTensor(rng, {3, 10}, -5.0f, 5.0f);
  HostTensor labels = intTensor({3}, {7, 0, 9});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<3x10xf32>, %l: tensor<3xi32>) -> tensor<f32> {
  %0 = cnn.cross_entropy %x, %l : (tensor<3x10xf32>, tensor<3xi32>) -> tensor<f32>
  return %0 : tensor<f32>
})mlir",
                       {logits, labels});
  HostTensor logp = referenceSoftmax(logits, true);
  double loss = 0;
  for (int64_t n = 0; n < 3; ++n)
    loss -= logp.at({n, labels.ints[n]});
  expectClose(got, scalar(loss / 3));
}

TEST_F(CNNToLinalgNumerics, MSE) {
  HostTensor y = randomTensor(rng, {2, 10});
  HostTensor t = randomTensor(rng, {2, 10});
  HostTensor got = run(R"mlir(
func.func @f(%y: tensor<2x10xf32>, %t: tensor<2x10xf32>) -> tensor<f32> {
  %0 = cnn.mse %y, %t : (tensor<2x10xf32>, tensor<2x10xf32>) -> tensor<f32>
  return %0 : tensor<f32>
})mlir",
                       {y, t});
  double sum = 0;
  for (size_t i = 0; i < y.data.size(); ++i)
    sum += double(y.data[i] - t.data[i]) * (y.data[i] - t.data[i]);
  expectClose(got, scalar(sum / 20));
}

//===----------------------------------------------------------------------===//
// Dynamic batch and fusion
//===----------------------------------------------------------------------===//

TEST_F(CNNToLinalgNumerics, Conv2DGroupsPaddingDynamicBatch) {
  HostTensor x = randomTensor(rng, {3, 4, 6, 6});
  HostTensor w = randomTensor(rng, {4, 2, 3, 3});
  HostTensor b = randomTensor(rng, {4});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x4x6x6xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x6x6xf32> {
  %0 = cnn.conv2d %x, %w, %b padding [1, 1] groups 2 : (tensor<?x4x6x6xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32>
  return %0 : tensor<?x4x6x6xf32>
})mlir",
                       {x, w, b});
  ConvParams p;
  p.padding = 1;
  p.groups = 2;
  expectClose(got, referenceConv(x, w, &b, p));
}

TEST_F(CNNToLinalgNumerics, AvgPoolPaddingCountsPad) {
  HostTensor x = randomTensor(rng, {2, 2, 5, 5});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x2x5x5xf32>) -> tensor<?x2x3x3xf32> {
  %0 = cnn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<?x2x5x5xf32> -> tensor<?x2x3x3xf32>
  return %0 : tensor<?x2x3x3xf32>
})mlir",
                       {x});
  expectClose(got, referencePool(x, false, 3, 2, 1));
}

TEST_F(CNNToLinalgNumerics, CrossEntropyDynamicBatch) {
  HostTensor logits = randomTensor(rng, {4, 5}, -5.0f, 5.0f);
  HostTensor labels = intTensor({4}, {4, 1, 0, 3});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x5xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %0 = cnn.cross_entropy %x, %l : (tensor<?x5xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
})mlir",
                       {logits, labels});
  HostTensor logp = referenceSoftmax(logits, true);
  double loss = 0;
  for (int64_t n = 0; n < 4; ++n)
    loss -= logp.at({n, labels.ints[n]});
  expectClose(got, scalar(loss / 4));
}

TEST_F(CNNToLinalgNumerics, FusedConvTanhAvgPool) {
  HostTensor x = randomTensor(rng, {2, 1, 12, 12});
  HostTensor w = randomTensor(rng, {3, 1, 5, 5});
  HostTensor b = randomTensor(rng, {3});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x1x12x12xf32>, %w: tensor<3x1x5x5xf32>, %b: tensor<3xf32>) -> tensor<?x3x6x6xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b padding [2, 2] act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x1x12x12xf32>, tensor<3x1x5x5xf32>, tensor<3xf32>) -> tensor<?x3x6x6xf32>
  return %0 : tensor<?x3x6x6xf32>
})mlir",
                       {x, w, b});
  ConvParams p;
  p.padding = 2;
  HostTensor conv =
      mapRef(referenceConv(x, w, &b, p), [](float v) { return std::tanh(v); });
  expectClose(got, referencePool(conv, false, 2, 2, 0));
}

} // namespace
