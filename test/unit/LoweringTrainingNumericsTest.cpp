//===- LoweringTrainingNumericsTest.cpp - dropout masks, optimizer steps --===//
//
// The training step's ops that are not gradients, compiled through the real
// CPU pipeline (LoweringTestUtil.h) and compared with
// test/reference/ReferenceGradients.h: dropout's seeded mask, which must
// equal the reference bit for bit, and the optimizer updates of
// CNNGradientOps.td, run for three steps with the state they return fed back
// in as a training loop would. Step 1 matters on its own: momentum starts its
// buffer from the gradient there and Adam's bias corrections are largest.
// Each configuration's state differs from step to step, so an update that
// ignored the step, the decay or a hyper-parameter drifts away from the
// reference.
//
// Tolerance for the optimizers: 1e-5 absolute or 1e-4 relative per element
// (expectClose); parameters are O(1) and a typical update is 1e-2 (learning
// rates 1e-2 to 1e-1), so a wrong update does not hide in the tolerance.
//
//===----------------------------------------------------------------------===//

#include "LoweringTestUtil.h"

#include "test/reference/ReferenceGradients.h"

#include <algorithm>
#include <cstring>

using namespace cnnc::test;

namespace {

class TrainingNumerics : public LoweringNumericsTest {
protected:
  std::mt19937 rng{20240613};
};

//===----------------------------------------------------------------------===//
// Dropout (training mask)
//===----------------------------------------------------------------------===//

/// The mask must be the reference's bit for bit: one wrong hash bit and the
/// compiled code drops other units than the reference (or a GPU kernel
/// written from the same spec) would.
void expectBitEqual(const HostTensor &got, const HostTensor &want) {
  ASSERT_EQ(got.shape, want.shape);
  int mismatches = 0;
  for (size_t i = 0; i < want.data.size(); ++i)
    if (std::memcmp(&got.data[i], &want.data[i], sizeof(float)) != 0 &&
        ++mismatches <= 5)
      ADD_FAILURE() << "element " << i << ": got " << got.data[i] << ", want "
                    << want.data[i];
  EXPECT_EQ(mismatches, 0) << "of " << want.data.size() << " elements";
}

TEST_F(TrainingNumerics, DropoutMaskMatchesReferenceBitForBit) {
  // In a cnn.training function (elsewhere the pipeline removes dropout).
  // Rank 4 with a dynamic batch: the index is over the whole tensor. Seeds
  // with the top bit set check the unsigned arithmetic.
  HostTensor x = randomTensor(rng, {3, 4, 5, 7});
  const std::string source = R"mlir(
func.func @f(%x: tensor<?x4x5x7xf32>, %seed: i64) -> (tensor<?x4x5x7xf32>, tensor<?x4x5x7xf32>) attributes {cnn.training} {
  %0 = cnn.dropout %x, %seed rate 5.0e-01 : tensor<?x4x5x7xf32>
  %1 = cnn.dropout %x, %seed rate 2.5e-01 : tensor<?x4x5x7xf32>
  return %0, %1 : tensor<?x4x5x7xf32>, tensor<?x4x5x7xf32>
})mlir";
  const uint64_t seeds[] = {0, 42, 0xFEDCBA9876543210ULL};
  for (uint64_t seed : seeds) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::vector<HostTensor> got =
        runN(source, {x, Arg::i64Value(static_cast<int64_t>(seed))}, 2);
    HostTensor half = ref::dropoutTraining(x, 0.5, seed);
    expectBitEqual(got[0], half);
    expectBitEqual(got[1], ref::dropoutTraining(x, 0.25, seed));
    // A mask at all: about half of the 420 elements are dropped.
    auto dropped = std::count(half.data.begin(), half.data.end(), 0.0f);
    EXPECT_GT(dropped, 150);
    EXPECT_LT(dropped, 270);
  }
}

TEST_F(TrainingNumerics, DropoutRateZeroIsTheIdentity) {
  HostTensor x = randomTensor(rng, {2, 10});
  std::vector<HostTensor> got = runN(R"mlir(
func.func @f(%x: tensor<2x10xf32>, %seed: i64) -> tensor<2x10xf32> attributes {cnn.training} {
  %0 = cnn.dropout %x, %seed rate 0.0 : tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
})mlir",
                                     {x, Arg::i64Value(7)}, 1);
  expectBitEqual(got[0], x);
  expectBitEqual(got[0], ref::dropoutTraining(x, 0.0, 7));
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

TEST_F(TrainingNumerics, SGDWithAndWithoutWeightDecay) {
  const std::string source = R"mlir(
func.func @f(%p: tensor<64xf32>, %q: tensor<64xf32>, %g: tensor<64xf32>, %lr: f32) -> (tensor<64xf32>, tensor<64xf32>) {
  %0 = cnn.sgd_update %p, %g, %lr : tensor<64xf32>
  %1 = cnn.sgd_update %q, %g, %lr weight_decay 5.0e-02 : tensor<64xf32>
  return %0, %1 : tensor<64xf32>, tensor<64xf32>
})mlir";
  HostTensor p = randomTensor(rng, {64}), q = randomTensor(rng, {64});
  HostTensor wantP = p, wantQ = q;
  for (int64_t t = 1; t <= 3; ++t) {
    SCOPED_TRACE("step " + std::to_string(t));
    HostTensor g = randomTensor(rng, {64});
    float lr = 0.1f / static_cast<float>(t);
    std::vector<HostTensor> got = runN(source, {p, q, g, Arg::f32Value(lr)}, 2);
    ref::sgdUpdate(wantP, g, lr, 0.0f);
    ref::sgdUpdate(wantQ, g, lr, 0.05f);
    expectClose(got[0], wantP);
    expectClose(got[1], wantQ);
    p = got[0];
    q = got[1];
  }
}

TEST_F(TrainingNumerics, SGDMomentumDampenedAndNesterov) {
  // Two configurations with their own state: momentum with dampening and
  // weight decay, and Nesterov momentum.
  const std::string source = R"mlir(
func.func @f(%p: tensor<48xf32>, %b: tensor<48xf32>, %q: tensor<48xf32>, %c: tensor<48xf32>, %g: tensor<48xf32>, %lr: f32, %step: i64)
    -> (tensor<48xf32>, tensor<48xf32>, tensor<48xf32>, tensor<48xf32>) {
  %0:2 = cnn.sgd_momentum_update %p, %g, %b, %lr, %step momentum 9.0e-01 dampening 1.0e-01 weight_decay 5.0e-02 : tensor<48xf32>
  %1:2 = cnn.sgd_momentum_update %q, %g, %c, %lr, %step momentum 8.0e-01 nesterov : tensor<48xf32>
  return %0#0, %0#1, %1#0, %1#1 : tensor<48xf32>, tensor<48xf32>, tensor<48xf32>, tensor<48xf32>
})mlir";
  HostTensor p = randomTensor(rng, {48}), q = randomTensor(rng, {48});
  // Whatever the buffers hold before step 1 must not matter.
  HostTensor b = randomTensor(rng, {48}, 5.0f, 9.0f);
  HostTensor c = randomTensor(rng, {48}, 5.0f, 9.0f);
  HostTensor wantP = p, wantB = b, wantQ = q, wantC = c;
  for (int64_t t = 1; t <= 3; ++t) {
    SCOPED_TRACE("step " + std::to_string(t));
    HostTensor g = randomTensor(rng, {48});
    float lr = 0.05f;
    std::vector<HostTensor> got =
        runN(source, {p, b, q, c, g, Arg::f32Value(lr), Arg::i64Value(t)}, 4);
    ref::sgdMomentumUpdate(wantP, g, wantB, lr, t, 0.9f, 0.1f, false, 0.05f);
    ref::sgdMomentumUpdate(wantQ, g, wantC, lr, t, 0.8f, 0.0f, true, 0.0f);
    expectClose(got[0], wantP);
    expectClose(got[1], wantB);
    expectClose(got[2], wantQ);
    expectClose(got[3], wantC);
    p = got[0];
    b = got[1];
    q = got[2];
    c = got[3];
  }
}

TEST_F(TrainingNumerics, AdamBiasCorrectedWithAndWithoutDecay) {
  // The second configuration's beta1 = 0.3 takes the other branch of
  // PyTorch's lerp (weight 1 - beta1 >= 0.5).
  const std::string source = R"mlir(
func.func @f(%p: tensor<40xf32>, %m: tensor<40xf32>, %v: tensor<40xf32>, %q: tensor<40xf32>, %n: tensor<40xf32>, %w: tensor<40xf32>, %g: tensor<40xf32>, %lr: f32, %step: i64)
    -> (tensor<40xf32>, tensor<40xf32>, tensor<40xf32>, tensor<40xf32>, tensor<40xf32>, tensor<40xf32>) {
  %0:3 = cnn.adam_update %p, %g, %m, %v, %lr, %step beta1 9.0e-01 beta2 9.990000e-01 eps 1.0e-08 : tensor<40xf32>
  %1:3 = cnn.adam_update %q, %g, %n, %w, %lr, %step beta1 3.0e-01 beta2 9.0e-01 eps 1.0e-03 weight_decay 1.0e-01 : tensor<40xf32>
  return %0#0, %0#1, %0#2, %1#0, %1#1, %1#2 : tensor<40xf32>, tensor<40xf32>, tensor<40xf32>, tensor<40xf32>, tensor<40xf32>, tensor<40xf32>
})mlir";
  HostTensor p = randomTensor(rng, {40}), q = randomTensor(rng, {40});
  HostTensor m = zeros({40}), v = zeros({40}), n = zeros({40}), w = zeros({40});
  HostTensor wantP = p, wantM = m, wantV = v, wantQ = q, wantN = n, wantW = w;
  for (int64_t t = 1; t <= 3; ++t) {
    SCOPED_TRACE("step " + std::to_string(t));
    // Gradients of a few units so the second moments are well above the
    // absolute tolerance.
    HostTensor g = randomTensor(rng, {40}, -5.0f, 5.0f);
    float lr = 1e-2f;
    std::vector<HostTensor> got = runN(
        source, {p, m, v, q, n, w, g, Arg::f32Value(lr), Arg::i64Value(t)}, 6);
    ref::adamUpdate(wantP, g, wantM, wantV, lr, t, 0.9f, 0.999f, 1e-8f, 0.0f);
    ref::adamUpdate(wantQ, g, wantN, wantW, lr, t, 0.3f, 0.9f, 1e-3f, 0.1f);
    const HostTensor *want[] = {&wantP, &wantM, &wantV, &wantQ, &wantN, &wantW};
    for (size_t i = 0; i < 6; ++i) {
      SCOPED_TRACE("result " + std::to_string(i));
      expectClose(got[i], *want[i]);
    }
    p = got[0];
    m = got[1];
    v = got[2];
    q = got[3];
    n = got[4];
    w = got[5];
  }
}

TEST_F(TrainingNumerics, AdamLateStepDynamicShape) {
  // Step 1000: the bias corrections are nearly 1 and beta^step must not be
  // computed in f32 from a truncated step. A dynamic flat size also runs.
  const std::string source = R"mlir(
func.func @f(%p: tensor<?xf32>, %g: tensor<?xf32>, %m: tensor<?xf32>, %v: tensor<?xf32>, %lr: f32, %step: i64) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0:3 = cnn.adam_update %p, %g, %m, %v, %lr, %step beta1 9.0e-01 beta2 9.990000e-01 eps 1.0e-08 : tensor<?xf32>
  return %0#0, %0#1, %0#2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
})mlir";
  HostTensor p = randomTensor(rng, {33});
  HostTensor g = randomTensor(rng, {33}, -5.0f, 5.0f);
  HostTensor m = randomTensor(rng, {33}), v = randomTensor(rng, {33}, 1.f, 4.f);
  HostTensor wantP = p, wantM = m, wantV = v;
  std::vector<HostTensor> got =
      runN(source, {p, g, m, v, Arg::f32Value(1e-2f), Arg::i64Value(1000)}, 3);
  ref::adamUpdate(wantP, g, wantM, wantV, 1e-2f, 1000, 0.9f, 0.999f, 1e-8f,
                  0.0f);
  expectClose(got[0], wantP);
  expectClose(got[1], wantM);
  expectClose(got[2], wantV);
}

} // namespace
