//===- ReferenceGradientTest.cpp - backward references vs finite diffs ----===//
//
// Every backward function of test/reference/ReferenceGradients.h against
// central finite differences of the forward references of ReferenceOps.h:
// with a random input x and a random upstream tensor R,
// L(x) = Σ R ⊙ forward(x), and the backward function given gy = R must
// return ∂L/∂x_i ≈ (L(x + h·e_i) − L(x − h·e_i)) / 2h for every element i
// (or a fixed random sample of at least 50 for big tensors).
//
// Tolerance. The forward references compute in double and round each result
// to f32 once, so each output carries an error of at most 2⁻²⁴ of itself.
// The difference is taken output by output, Σ_j R_j (y⁺_j − y⁻_j) / (x⁺ − x⁻)
// in double, where outputs x_i does not reach are bit-identical on both
// sides and cancel exactly, and x⁺ − x⁻ is the step f32 actually took. So
// per element
//   |analytic − fd| ≤ 2·ρ + atol + 1e-5·|analytic|,
//   ρ = Σ_{j: y⁺_j ≠ y⁻_j} |R_j| (|y⁺_j| + |y⁻_j|) 2⁻²⁴ / (x⁺ − x⁻),
// where ρ bounds the rounding of the forward results (computed per element,
// not guessed), 1e-5 relative covers the backward's own f32 result and the
// f32 forward output it may read (activations, softmax), and atol is the
// truncation error h²/6·|f'''|: 1e-6 for the rules that are linear (conv,
// pooling, subsampling, dense, bias, reshapes, dropout) or piecewise linear
// (relu, max pool away from ties) or quadratic (mse), where central
// differences are exact; 1e-5 to 5e-5 for the smooth nonlinear ones, with h
// chosen per test so that ρ stays near 1e-5. A wrong rule is off by a
// sizeable fraction of the gradient (≥ 1e-3 here), far above these.
//
//===----------------------------------------------------------------------===//

#include "test/reference/ReferenceGradients.h"
#include "test/reference/ReferenceOps.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#include <string>

using namespace cnnc::test;
using namespace cnnc::test::ref;

namespace {

using Forward = std::function<HostTensor(const HostTensor &)>;

constexpr double kF32Rounding = 0x1p-24;

/// Checks `analytic` = ∂(Σ R ⊙ f(x))/∂x against central differences with
/// step `h` on every element of x, or on `maxSamples` random ones.
void expectMatchesFiniteDifferences(const HostTensor &x, const HostTensor &r,
                                    const Forward &f,
                                    const HostTensor &analytic, double h,
                                    double atol, size_t maxSamples = 300) {
  ASSERT_EQ(analytic.shape, x.shape);
  ASSERT_EQ(f(x).shape, r.shape);
  std::vector<size_t> elements(x.data.size());
  std::iota(elements.begin(), elements.end(), 0);
  if (elements.size() > maxSamples) {
    std::mt19937 pick(7);
    std::shuffle(elements.begin(), elements.end(), pick);
    elements.resize(maxSamples);
  }
  HostTensor probe = x;
  for (size_t i : elements) {
    float original = x.data[i];
    float up = static_cast<float>(original + h);
    float down = static_cast<float>(original - h);
    probe.data[i] = up;
    HostTensor yUp = f(probe);
    probe.data[i] = down;
    HostTensor yDown = f(probe);
    probe.data[i] = original;
    double step = static_cast<double>(up) - down;
    double diff = 0, rounding = 0;
    for (size_t j = 0; j < yUp.data.size(); ++j) {
      if (yUp.data[j] == yDown.data[j])
        continue;
      double rj = r.data[j];
      diff += rj * (static_cast<double>(yUp.data[j]) - yDown.data[j]);
      rounding += std::fabs(rj) *
                  (std::fabs(yUp.data[j]) + std::fabs(yDown.data[j])) *
                  kF32Rounding;
    }
    double fd = diff / step, want = analytic.data[i];
    double tol = 2 * rounding / step + atol + 1e-5 * std::fabs(want);
    EXPECT_NEAR(want, fd, tol) << "element " << i;
  }
}

/// Linear and piecewise-linear rules: exact differences, so any h.
constexpr double kLinearH = 0.25, kLinearTol = 1e-6;

struct GradientTest : testing::Test {
  std::mt19937 rng{20240601};
  HostTensor random(std::vector<int64_t> shape, float lo = -1, float hi = 1) {
    return randomTensor(rng, std::move(shape), lo, hi);
  }
};

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

struct ConvCase {
  std::string name;
  std::vector<int64_t> input;  // [N, C, H, W]
  std::vector<int64_t> weight; // [F, C/groups, KH, KW]
  Conv2DParams params;
};

std::vector<ConvCase> convCases() {
  std::vector<ConvCase> cases;
  cases.push_back({"Plain", {2, 3, 6, 5}, {4, 3, 3, 2}, {}});
  ConvCase padded{"PaddedStrided", {2, 2, 10, 8}, {3, 2, 3, 3}, {}};
  // Height 10 at stride 2 gives 4 rows reading rows 0..8; row 9 is never
  // read (the output size rounds down). Width: padding 1, stride 3.
  padded.params.stride = {2, 3};
  padded.params.padding = {0, 1};
  cases.push_back(padded);
  ConvCase dilated{"Dilated", {1, 2, 9, 9}, {2, 2, 3, 3}, {}};
  dilated.params.dilation = {2, 3};
  dilated.params.padding = {1, 2};
  cases.push_back(dilated);
  ConvCase grouped{"Groups2", {2, 4, 6, 6}, {6, 2, 3, 3}, {}};
  grouped.params.groups = 2;
  grouped.params.padding = {1, 1};
  cases.push_back(grouped);
  // LeNet-5's C3 style: output map f reads input maps f, f+1, f+2 (mod 4).
  ConvCase table{"ConnectionTable", {2, 4, 7, 7}, {5, 4, 3, 3}, {}};
  table.params.connections.assign(5, std::vector<bool>(4, false));
  for (int f = 0; f < 5; ++f)
    for (int d = 0; d < 3; ++d)
      table.params.connections[f][(f + d) % 4] = true;
  cases.push_back(table);
  return cases;
}

TEST_F(GradientTest, Conv2DInputWeightAndBias) {
  for (const ConvCase &c : convCases()) {
    SCOPED_TRACE(c.name);
    HostTensor x = random(c.input), w = random(c.weight),
               b = random({c.weight[0]});
    HostTensor y = conv2d(x, w, &b, c.params);
    HostTensor r = random(y.shape);
    Pair inputSize{c.input[2], c.input[3]}, kernel{c.weight[2], c.weight[3]};

    HostTensor gx = conv2dBackwardInput(r, w, inputSize, c.params);
    expectMatchesFiniteDifferences(
        x, r, [&](const HostTensor &v) { return conv2d(v, w, &b, c.params); },
        gx, kLinearH, kLinearTol);

    HostTensor gw = conv2dBackwardWeight(x, r, kernel, c.params);
    expectMatchesFiniteDifferences(
        w, r, [&](const HostTensor &v) { return conv2d(x, v, &b, c.params); },
        gw, kLinearH, kLinearTol);

    expectMatchesFiniteDifferences(
        b, r, [&](const HostTensor &v) { return conv2d(x, w, &v, c.params); },
        biasBackward(r), kLinearH, kLinearTol);

    if (c.name == "PaddedStrided") { // the row the forward op never reads
      for (int64_t i = 0; i < c.input[0] * c.input[1]; ++i)
        for (int64_t col = 0; col < c.input[3]; ++col) {
          EXPECT_EQ(gx.data[(i * 10 + 9) * c.input[3] + col], 0.0f);
        }
    }
    if (!c.params.connections.empty()) { // unconnected kernels never move
      for (int64_t f = 0; f < c.weight[0]; ++f)
        for (int64_t ch = 0; ch < c.weight[1]; ++ch) {
          if (c.params.connections[f][ch])
            continue;
          for (int64_t k = 0; k < 9; ++k) {
            EXPECT_EQ(gw.data[(f * c.weight[1] + ch) * 9 + k], 0.0f);
          }
        }
    }
  }
}

//===----------------------------------------------------------------------===//
// Pooling and subsampling
//===----------------------------------------------------------------------===//

TEST_F(GradientTest, AvgPool) {
  std::vector<std::pair<std::vector<int64_t>, Pool2DParams>> cases = {
      {{2, 3, 9, 9}, {{3, 3}, {2, 2}, {1, 1}}}, // overlapping, padded
      {{2, 2, 7, 7}, {{2, 2}, {2, 2}, {0, 0}}}, // rounds down: row 6 unread
      {{1, 2, 6, 7}, {{3, 2}, {1, 2}, {1, 0}}},
  };
  for (auto &[shape, p] : cases) {
    HostTensor x = random(shape);
    HostTensor r = random(avgPool2d(x, p).shape);
    expectMatchesFiniteDifferences(
        x, r, [&](const HostTensor &v) { return avgPool2d(v, p); },
        avgPool2dBackward(r, {shape[2], shape[3]}, p), kLinearH, kLinearTol);
  }
}

/// Distinct values 0.01 apart, shuffled: no window has a tie, and no
/// perturbation by h < 0.005 changes a window's winner.
HostTensor distinctValues(std::mt19937 &rng, std::vector<int64_t> shape) {
  HostTensor x = zeros(std::move(shape));
  for (size_t i = 0; i < x.data.size(); ++i)
    x.data[i] = 0.01f * (static_cast<float>(i) - x.data.size() / 2.0f);
  std::shuffle(x.data.begin(), x.data.end(), rng);
  return x;
}

TEST_F(GradientTest, MaxPool) {
  std::vector<std::pair<std::vector<int64_t>, Pool2DParams>> cases = {
      {{2, 3, 9, 9}, {{3, 3}, {2, 2}, {0, 0}}}, // AlexNet's overlapping pool
      {{2, 2, 8, 8}, {{3, 3}, {2, 2}, {1, 1}}},
      {{1, 2, 7, 6}, {{2, 2}, {2, 2}, {0, 0}}},
  };
  for (auto &[shape, p] : cases) {
    HostTensor x = distinctValues(rng, shape);
    HostTensor r = random(maxPool2d(x, p).shape);
    expectMatchesFiniteDifferences(
        x, r, [&](const HostTensor &v) { return maxPool2d(v, p); },
        maxPool2dBackward(r, x, p), 1e-3, kLinearTol);
  }
}

TEST_F(GradientTest, MaxPoolTiesGoToTheFirstInRowMajorOrder) {
  // All equal, 3x3 windows at stride 2 over 5x5: each window's top-left.
  HostTensor x = floatTensor({1, 1, 5, 5}, std::vector<float>(25, 1.0f));
  HostTensor gy = floatTensor({1, 1, 2, 2}, {1, 2, 3, 4});
  HostTensor gx = maxPool2dBackward(gy, x, {{3, 3}, {2, 2}, {0, 0}});
  std::vector<float> want(25, 0.0f);
  want[0] = 1, want[2] = 2, want[10] = 3, want[12] = 4;
  EXPECT_EQ(gx.data, want);

  // Padding is −∞: with all inputs −5, 2x2 windows at stride 1, padding 1,
  // each of the 3x3 windows routes to its first real cell:
  //   (0,0) ← windows 1, 2, 4, 5; (0,1) ← 3, 6; (1,0) ← 7, 8; (1,1) ← 9.
  HostTensor neg = floatTensor({1, 1, 2, 2}, {-5, -5, -5, -5});
  HostTensor g9 = floatTensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  HostTensor gneg = maxPool2dBackward(g9, neg, {{2, 2}, {1, 1}, {1, 1}});
  EXPECT_EQ(gneg.data, (std::vector<float>{12, 9, 15, 9}));
}

TEST_F(GradientTest, Subsample2DInputCoefficientAndBias) {
  std::vector<std::tuple<std::vector<int64_t>, Pair, Pair>> cases = {
      {{2, 3, 8, 8}, {2, 2}, {2, 2}}, // LeNet-5's S2
      {{2, 2, 7, 8}, {3, 2}, {2, 3}}, // overlapping rows, rounding down
  };
  for (auto &[shape, kernel, stride] : cases) {
    HostTensor x = random(shape), coefficient = random({shape[1]}),
               bias = random({shape[1]});
    HostTensor r =
        random(subsample2d(x, coefficient, bias, kernel, stride).shape);
    expectMatchesFiniteDifferences(
        x, r,
        [&](const HostTensor &v) {
          return subsample2d(v, coefficient, bias, kernel, stride);
        },
        subsample2dBackwardInput(r, coefficient, kernel, stride,
                                 {shape[2], shape[3]}),
        kLinearH, kLinearTol);
    expectMatchesFiniteDifferences(
        coefficient, r,
        [&](const HostTensor &v) {
          return subsample2d(x, v, bias, kernel, stride);
        },
        subsample2dBackwardCoefficient(r, x, kernel, stride), kLinearH,
        kLinearTol);
    expectMatchesFiniteDifferences(
        bias, r,
        [&](const HostTensor &v) {
          return subsample2d(x, coefficient, v, kernel, stride);
        },
        biasBackward(r), kLinearH, kLinearTol);
  }
}

//===----------------------------------------------------------------------===//
// Element-wise, dense, reshaping
//===----------------------------------------------------------------------===//

TEST_F(GradientTest, ActivationsFromTheirOutput) {
  struct Case {
    Activation act;
    double h, atol;
  };
  for (Case c : {Case{Activation::None, kLinearH, kLinearTol},
                 Case{Activation::Tanh, 3e-3, 1e-5},
                 Case{Activation::ScaledTanh, 3e-3, 1e-5},
                 Case{Activation::Relu, 1e-3, kLinearTol},
                 Case{Activation::Sigmoid, 3e-3, 1e-5}}) {
    SCOPED_TRACE(static_cast<int>(c.act));
    HostTensor x = random({3, 4, 5}, -3, 3);
    for (float &v : x.data) // keep relu's kink out of reach of the step
      if (std::fabs(v) < 0.01f)
        v = 0.5f;
    HostTensor r = random(x.shape);
    expectMatchesFiniteDifferences(
        x, r, [&](const HostTensor &v) { return activate(v, c.act); },
        activationBackward(r, activate(x, c.act), c.act), c.h, c.atol);
  }
}

TEST_F(GradientTest, DenseInputWeightAndBias) {
  HostTensor x = random({3, 7}), w = random({5, 7}), b = random({5});
  HostTensor r = random({3, 5});
  expectMatchesFiniteDifferences(
      x, r, [&](const HostTensor &v) { return dense(v, w, &b); },
      denseBackwardInput(r, w), kLinearH, kLinearTol);
  expectMatchesFiniteDifferences(
      w, r, [&](const HostTensor &v) { return dense(x, v, &b); },
      denseBackwardWeight(r, x), kLinearH, kLinearTol);
  expectMatchesFiniteDifferences(
      b, r, [&](const HostTensor &v) { return dense(x, w, &v); },
      biasBackward(r), kLinearH, kLinearTol);
}

TEST_F(GradientTest, FlattenAndUnflatten) {
  HostTensor x = random({2, 3, 2, 2});
  HostTensor r = random({2, 12});
  expectMatchesFiniteDifferences(
      x, r, [](const HostTensor &v) { return flatten(v); },
      unflatten(r, {3, 2, 2}), kLinearH, kLinearTol);
  HostTensor back = unflatten(flatten(x), {3, 2, 2});
  EXPECT_EQ(back.shape, x.shape);
  EXPECT_EQ(back.data, x.data);
}

TEST_F(GradientTest, ConcatEachInput) {
  HostTensor a = random({2, 3, 2, 2}), b = random({2, 1, 2, 2}),
             c = random({2, 2, 2, 2});
  HostTensor r = random({2, 6, 2, 2});
  expectMatchesFiniteDifferences(
      a, r,
      [&](const HostTensor &v) {
        return concat({&v, &b, &c}, 1);
      },
      concatBackward(r, 1, 0, 3), kLinearH, kLinearTol);
  expectMatchesFiniteDifferences(
      b, r,
      [&](const HostTensor &v) {
        return concat({&a, &v, &c}, 1);
      },
      concatBackward(r, 1, 3, 1), kLinearH, kLinearTol);
  expectMatchesFiniteDifferences(
      c, r,
      [&](const HostTensor &v) {
        return concat({&a, &b, &v}, 1);
      },
      concatBackward(r, 1, 4, 2), kLinearH, kLinearTol);
}

//===----------------------------------------------------------------------===//
// Normalisation, softmax, losses
//===----------------------------------------------------------------------===//

TEST_F(GradientTest, LocalResponseNorm) {
  // AlexNet's constants on activations large enough (|x| up to 20) that the
  // cross-channel term is a few percent of the gradient, not noise.
  HostTensor x = random({2, 7, 2, 3}, -20, 20);
  HostTensor r = random(x.shape);
  expectMatchesFiniteDifferences(
      x, r,
      [](const HostTensor &v) {
        return localResponseNorm(v, 5, 1e-4, 0.75, 2.0);
      },
      localResponseNormBackward(r, x, 5, 1e-4, 0.75, 2.0), 0.05, 1e-5);

  // An even size looks back size/2 and ahead size/2 − 1 channels; a large
  // alpha makes the cross terms as big as the direct one.
  HostTensor x2 = random({2, 6, 3}, -2, 2);
  HostTensor r2 = random(x2.shape);
  expectMatchesFiniteDifferences(
      x2, r2,
      [](const HostTensor &v) {
        return localResponseNorm(v, 4, 1.0, 0.75, 1.0);
      },
      localResponseNormBackward(r2, x2, 4, 1.0, 0.75, 1.0), 1e-2, 5e-5);
}

TEST_F(GradientTest, SoftmaxAndLogSoftmaxAlongAxis1) {
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{2, 5, 2, 3}, std::vector<int64_t>{3, 6}}) {
    HostTensor x = random(shape, -2, 2);
    HostTensor r = random(shape);
    expectMatchesFiniteDifferences(
        x, r, [](const HostTensor &v) { return softmax(v, 1); },
        softmaxBackward(r, softmax(x, 1), 1), 5e-3, 2e-5);
    expectMatchesFiniteDifferences(
        x, r, [](const HostTensor &v) { return logSoftmax(v, 1); },
        logSoftmaxBackward(r, logSoftmax(x, 1), 1), 5e-3, 2e-5);
  }
}

TEST_F(GradientTest, CrossEntropy) {
  HostTensor logits = random({4, 6}, -2, 2);
  HostTensor labels = intTensor({4}, {0, 5, 2, 2});
  // The loss is a scalar and the op has no grad_output: R = 1. Besides the
  // final rounding, crossEntropy rounds log_softmax to f32 first (≤ 2⁻²⁴·5
  // per row, over 2h, divided by N): atol 3e-5 at h = 5e-3.
  expectMatchesFiniteDifferences(
      logits, scalar(1.0),
      [&](const HostTensor &v) { return crossEntropy(v, labels); },
      crossEntropyBackward(logits, labels), 5e-3, 3e-5);
}

TEST_F(GradientTest, MeanSquaredError) {
  HostTensor prediction = random({3, 4}), target = random({3, 4});
  expectMatchesFiniteDifferences(
      prediction, scalar(1.0),
      [&](const HostTensor &v) { return mse(v, target); },
      mseBackward(prediction, target), kLinearH, kLinearTol);
}

//===----------------------------------------------------------------------===//
// Dropout in training mode
//===----------------------------------------------------------------------===//

TEST_F(GradientTest, DropoutIsLinearWithAFixedMask) {
  // The backward of dropout is dropoutTraining of gy with the forward's seed:
  // the same mask and scale, which finite differences of the forward confirm.
  HostTensor x = random({3, 4, 5, 5});
  HostTensor r = random(x.shape);
  const uint64_t seed = 0x5eed;
  HostTensor y = dropoutTraining(x, 0.3, seed);
  expectMatchesFiniteDifferences(
      x, r, [&](const HostTensor &v) { return dropoutTraining(v, 0.3, seed); },
      dropoutTraining(r, 0.3, seed), kLinearH, kLinearTol);
  // Kept elements are x · (float)(1 / 0.7), one f32 product; dropped are 0.
  float scale = static_cast<float>(1.0 / 0.7);
  HostTensor gx = dropoutTraining(r, 0.3, seed);
  for (size_t i = 0; i < x.data.size(); ++i) {
    bool kept = y.data[i] != 0.0f;
    EXPECT_EQ(y.data[i], kept ? x.data[i] * scale : 0.0f) << i;
    EXPECT_EQ(gx.data[i], kept ? r.data[i] * scale : 0.0f) << i;
  }
}

TEST_F(GradientTest, DropoutKeepsOneMinusRate) {
  HostTensor ones = floatTensor({10, 100, 100}, std::vector<float>(100000, 1));
  for (double rate : {0.1, 0.5, 0.8}) {
    HostTensor y = dropoutTraining(ones, rate, /*seed=*/42);
    double kept = std::count_if(y.data.begin(), y.data.end(),
                                [](float v) { return v != 0.0f; });
    EXPECT_NEAR(kept / 1e5, 1.0 - rate, 0.01) << "rate " << rate;
  }
  EXPECT_EQ(dropoutTraining(ones, 0.0, 42).data, ones.data);
}

TEST_F(GradientTest, DropoutIsDeterministicAndFollowsTheSpec) {
  HostTensor x = random({2, 3, 4});
  EXPECT_EQ(dropoutTraining(x, 0.5, 9).data, dropoutTraining(x, 0.5, 9).data);
  EXPECT_NE(dropoutTraining(x, 0.5, 9).data, dropoutTraining(x, 0.5, 10).data);

  // u_i is SplitMix64's i-th output for state `seed`, shifted right by 40.
  // Its published first outputs for seed 0 are 0xE220A8397B1DCDAF,
  // 0x6E789E6AA1B965F4, 0x06C45D188009454F: u = 14819496, 7239838, 443485.
  // keep = u >= (uint64)(rate · 2²⁴), so a rate of exactly u₀ / 2²⁴ keeps
  // element 0 and one 2⁻²⁴ larger drops it.
  HostTensor ones = floatTensor({3}, {1, 1, 1});
  auto kept = [&](double rate) {
    HostTensor y = dropoutTraining(ones, rate, 0);
    std::vector<bool> k;
    for (float v : y.data)
      k.push_back(v != 0.0f);
    return k;
  };
  EXPECT_EQ(kept(14819496 / 16777216.0), (std::vector<bool>{1, 0, 0}));
  EXPECT_EQ(kept(14819497 / 16777216.0), (std::vector<bool>{0, 0, 0}));
  EXPECT_EQ(kept(7239838 / 16777216.0), (std::vector<bool>{1, 1, 0}));
  EXPECT_EQ(kept(443485 / 16777216.0), (std::vector<bool>{1, 1, 1}));
  EXPECT_EQ(kept(443486 / 16777216.0), (std::vector<bool>{1, 1, 0}));
}

} // namespace
