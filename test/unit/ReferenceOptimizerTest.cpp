//===- ReferenceOptimizerTest.cpp - SGD and Adam references by hand -------===//
//
// The optimizer references of ReferenceGradients.h against numbers worked
// out from torch.optim.SGD's and torch.optim.Adam's step formulas for two or
// three steps on a few elements (the arithmetic is in the comments). The
// references compute in f32, so values agree to 1e-6 (a few f32 ulps at the
// magnitudes used), while a wrong rule is off by 1e-3 or more.
//
//===----------------------------------------------------------------------===//

#include "test/reference/ReferenceGradients.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace cnnc::test;
using namespace cnnc::test::ref;

namespace {

constexpr double kTol = 1e-6;

void expectValues(const HostTensor &got, const std::vector<double> &want,
                  const char *what) {
  ASSERT_EQ(got.data.size(), want.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got.data[i], want[i], kTol) << what << " element " << i;
}

TEST(ReferenceOptimizer, SGD) {
  // p − lr·g with p = [1, −2, 0.5], g = [0.1, 0.2, −0.3], lr = 0.1.
  HostTensor p = floatTensor({3}, {1, -2, 0.5f});
  HostTensor g = floatTensor({3}, {0.1f, 0.2f, -0.3f});
  sgdUpdate(p, g, 0.1f, 0.0f);
  expectValues(p, {0.99, -2.02, 0.53}, "step 1");
  sgdUpdate(p, g, 0.1f, 0.0f);
  expectValues(p, {0.98, -2.04, 0.56}, "step 2");

  // Weight decay 0.01: g + 0.01·p = [0.11, 0.18, −0.295], then p − 0.1·that.
  HostTensor q = floatTensor({3}, {1, -2, 0.5f});
  sgdUpdate(q, g, 0.1f, 0.01f);
  expectValues(q, {0.989, -2.018, 0.5295}, "weight decay");
}

/// Three momentum steps with g = 1 and lr = 0.1 from p = 0, buffer = 0.
void momentumSteps(float dampening, bool nesterov,
                   const std::vector<std::vector<double>> &wantParam,
                   const std::vector<std::vector<double>> &wantBuffer) {
  HostTensor p = floatTensor({2}, {0, 0}), buf = floatTensor({2}, {0, 0});
  HostTensor g = floatTensor({2}, {1, 1});
  for (int64_t step = 1; step <= 3; ++step) {
    sgdMomentumUpdate(p, g, buf, 0.1f, step, 0.9f, dampening, nesterov, 0.0f);
    expectValues(p, wantParam[step - 1], "param");
    expectValues(buf, wantBuffer[step - 1], "buffer");
  }
}

TEST(ReferenceOptimizer, SGDMomentum) {
  // buf = 1, 0.9·1 + 1 = 1.9, 0.9·1.9 + 1 = 2.71; p −= 0.1·buf.
  momentumSteps(0, false, {{-0.1, -0.1}, {-0.29, -0.29}, {-0.561, -0.561}},
                {{1, 1}, {1.9, 1.9}, {2.71, 2.71}});
}

TEST(ReferenceOptimizer, SGDNesterov) {
  // Same buffers; the step is g + 0.9·buf = 1.9, 2.71, 3.439:
  // p = −0.19, −0.461, −0.8049.
  momentumSteps(0, true, {{-0.19, -0.19}, {-0.461, -0.461}, {-0.8049, -0.8049}},
                {{1, 1}, {1.9, 1.9}, {2.71, 2.71}});
}

TEST(ReferenceOptimizer, SGDDampeningSkipsTheFirstStep) {
  // Step 1 clones g (no dampening): buf = 1; then 0.9·1 + 0.5·1 = 1.4,
  // 0.9·1.4 + 0.5 = 1.76; p = −0.1, −0.24, −0.416.
  momentumSteps(0.5f, false, {{-0.1, -0.1}, {-0.24, -0.24}, {-0.416, -0.416}},
                {{1, 1}, {1.4, 1.4}, {1.76, 1.76}});
}

TEST(ReferenceOptimizer, SGDMomentumWeightDecay) {
  // p = 1, grad = 0, weight decay 0.1, momentum 0.9, lr 0.1:
  // step 1: g = 0.1, buf = 0.1, p = 0.99;
  // step 2: g = 0.099, buf = 0.09 + 0.099 = 0.189, p = 0.99 − 0.0189 = 0.9711.
  HostTensor p = floatTensor({1}, {1}), buf = floatTensor({1}, {0});
  HostTensor g = floatTensor({1}, {0});
  sgdMomentumUpdate(p, g, buf, 0.1f, 1, 0.9f, 0, false, 0.1f);
  expectValues(p, {0.99}, "step 1 param");
  expectValues(buf, {0.1}, "step 1 buffer");
  sgdMomentumUpdate(p, g, buf, 0.1f, 2, 0.9f, 0, false, 0.1f);
  expectValues(p, {0.9711}, "step 2 param");
  expectValues(buf, {0.189}, "step 2 buffer");
}

TEST(ReferenceOptimizer, Adam) {
  const float lr = 0.01f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  HostTensor p = floatTensor({3}, {0.5f, -1, 2});
  HostTensor m = floatTensor({3}, {0, 0, 0}), v = floatTensor({3}, {0, 0, 0});
  HostTensor g = floatTensor({3}, {0.5f, -2, 1e-3f});

  // Step 1: m = 0.1·g, v = 0.001·g², and the bias corrections (0.1, 0.001)
  // give m̂ = g, v̂ = g²: each parameter moves by lr·g / (|g| + eps), about
  // lr·sign(g) whatever |g| (0.01·1e-3 / (1e-3 + 1e-8) = 0.0099999 for the
  // last).
  adamUpdate(p, g, m, v, lr, 1, beta1, beta2, eps, 0);
  expectValues(p, {0.49, -0.99, 1.9900001}, "step 1 param");
  expectValues(m, {0.05, -0.2, 1e-4}, "step 1 exp_avg");
  expectValues(v, {2.5e-4, 4e-3, 1e-9}, "step 1 exp_avg_sq");

  // Step 2, same g: m = (1 − β1²)·g, v = (1 − β2²)·g², corrected by
  // 1 − β1² and 1 − β2²: again m̂ = g, v̂ = g², the same move.
  adamUpdate(p, g, m, v, lr, 2, beta1, beta2, eps, 0);
  expectValues(p, {0.48, -0.98, 1.9800002}, "step 2 param");
  expectValues(m, {0.095, -0.38, 1.9e-4}, "step 2 exp_avg");

  // Step 3 with g₃ = [−0.5, −2, 0.1], element 0 by hand: m = 0.9·0.095 −
  // 0.1·0.5 = 0.0355, bias 1 − 0.9³ = 0.271, m̂ = 0.130996; v = 0.999·
  // 0.00049975 + 0.001·0.25 = 0.00074925, bias 1 − 0.999³ = 0.002997001,
  // v̂ = 0.25; p = 0.48 − 0.01·0.130996 / 0.5 = 0.47738007. Element 1 still
  // sees m̂ = g, v̂ = g²: −0.97. The f32 betas (0.9f = 0.89999998,
  // 0.999f = 0.99900001) move these results by at most 2e-7.
  HostTensor g3 = floatTensor({3}, {-0.5f, -2, 0.1f});
  adamUpdate(p, g3, m, v, lr, 3, beta1, beta2, eps, 0);
  EXPECT_NEAR(m.data[0], 0.0355, kTol);
  EXPECT_NEAR(v.data[0], 0.00074925, kTol);
  EXPECT_NEAR(p.data[0], 0.47738007, kTol);
  EXPECT_NEAR(p.data[1], -0.97, kTol);
  // Element 2: m = 0.9·1.9e-4 + 0.1·0.1 = 0.010171, m̂ = 0.0375314;
  // v = 0.999·1.999e-9 + 0.001·0.01 = 1.0001997e-5, v̂ = 0.00333733,
  // sqrt 0.0577697; p = 1.98 − 0.01·0.0375314 / 0.0577697 = 1.9735033.
  EXPECT_NEAR(p.data[2], 1.9735033, kTol);
}

TEST(ReferenceOptimizer, AdamWeightDecayIsL2) {
  // torch.optim.Adam (not AdamW): the decay joins the gradient before the
  // moments. p = 1, grad = 0, weight decay 0.1: g = 0.1, m = 0.01,
  // v = 1e-5, and the first step moves p by lr·0.1 / (0.1 + 1e-8) ≈ lr.
  HostTensor p = floatTensor({1}, {1}), m = floatTensor({1}, {0}),
             v = floatTensor({1}, {0}), g = floatTensor({1}, {0});
  adamUpdate(p, g, m, v, 0.01f, 1, 0.9f, 0.999f, 1e-8f, 0.1f);
  expectValues(p, {0.99}, "param");
  expectValues(m, {0.01}, "exp_avg");
  expectValues(v, {1e-5}, "exp_avg_sq");
}

} // namespace
