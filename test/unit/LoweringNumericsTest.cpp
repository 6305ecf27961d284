//===- LoweringNumericsTest.cpp - cnn-to-linalg computes the right numbers ===//
//
// The lit test of cnn-to-linalg checks the shape of the IR it emits; these
// check its meaning. Each case lowers one cnn op to native code (see
// LoweringTestUtil.h), runs it on fixed-seed random inputs and compares the
// result with the plain C++ loop nests of test/reference/ReferenceOps.h,
// written from docs/dialect.md and PyTorch's definitions, not from the
// lowering. Tolerance: 1e-5 absolute or
// 1e-4 relative per element.
//
//===----------------------------------------------------------------------===//

#include "LoweringTestUtil.h"

#include "test/reference/ReferenceOps.h"

using namespace cnnc::test;

namespace {

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
  ref::Conv2DParams p;
  p.padding = {2, 2};
  expectClose(got, ref::conv2d(x, w, &b, p));
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
  ref::Conv2DParams p;
  p.stride = {2, 2};
  p.dilation = {2, 2};
  expectClose(got, ref::conv2d(x, w, &b, p));
}

// Strided convolutions run at unit stride over their input's phases
// (StridedConvPhases.cpp); these cover padding the kernel and the input up
// to a multiple of the stride, cutting unread input, and unequal strides.
TEST_F(CNNToLinalgNumerics, Conv2DStride4Kernel11OverPhases) {
  HostTensor x = randomTensor(rng, {2, 3, 31, 31});
  HostTensor w = randomTensor(rng, {4, 3, 11, 11});
  HostTensor b = randomTensor(rng, {4});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x3x31x31xf32>, %w: tensor<4x3x11x11xf32>, %b: tensor<4xf32>) -> tensor<2x4x6x6xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [4, 4] : (tensor<2x3x31x31xf32>, tensor<4x3x11x11xf32>, tensor<4xf32>) -> tensor<2x4x6x6xf32>
  return %0 : tensor<2x4x6x6xf32>
})mlir",
                       {x, w, b});
  ref::Conv2DParams p;
  p.stride = {4, 4};
  expectClose(got, ref::conv2d(x, w, &b, p));
}

TEST_F(CNNToLinalgNumerics, Conv2DStride2Padding1OverPhases) {
  HostTensor x = randomTensor(rng, {2, 3, 10, 10});
  HostTensor w = randomTensor(rng, {4, 3, 3, 3});
  HostTensor b = randomTensor(rng, {4});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x3x10x10xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<?x4x5x5xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] : (tensor<?x3x10x10xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x5x5xf32>
  return %0 : tensor<?x4x5x5xf32>
})mlir",
                       {x, w, b});
  ref::Conv2DParams p;
  p.stride = {2, 2};
  p.padding = {1, 1};
  expectClose(got, ref::conv2d(x, w, &b, p));
}

TEST_F(CNNToLinalgNumerics, Conv2DStride1x3OverPhases) {
  HostTensor x = randomTensor(rng, {1, 2, 7, 11});
  HostTensor w = randomTensor(rng, {3, 2, 2, 3});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x2x7x11xf32>, %w: tensor<3x2x2x3xf32>) -> tensor<1x3x10x3xf32> {
  %0 = cnn.conv2d %x, %w stride [1, 3] padding [2, 0] : (tensor<1x2x7x11xf32>, tensor<3x2x2x3xf32>) -> tensor<1x3x10x3xf32>
  return %0 : tensor<1x3x10x3xf32>
})mlir",
                       {x, w});
  ref::Conv2DParams p;
  p.stride = {1, 3};
  p.padding = {2, 0};
  expectClose(got, ref::conv2d(x, w, nullptr, p));
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
  ref::Conv2DParams p;
  p.padding = {1, 1};
  p.groups = 2;
  expectClose(got, ref::conv2d(x, w, &b, p));
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
  ref::Conv2DParams p;
  p.connections = {{true, false, true}, {false, true, true}};
  expectClose(got, ref::conv2d(x, w, &b, p));
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
  expectClose(got, ref::avgPool2d(x, {{2, 2}, {2, 2}, {0, 0}}));
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
  expectClose(got, ref::maxPool2d(x, {{3, 3}, {2, 2}, {1, 1}}));
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
  expectClose(got, ref::subsample2d(x, coef, bias, {2, 2}, {2, 2}));
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
  expectClose(got, ref::dense(x, w, &b));
}

/// fused_dense_act against the reference dense then activation, for every
/// activation: LeNet-5's f6 (120 inputs: 7 full 16-lane dot products and a
/// tail of 8; 84 outputs: 5 full chunks and a masked one) with a dynamic
/// batch, and a layer without bias whose 5 outputs do not divide the
/// column tile.
TEST_F(CNNToLinalgNumerics, FusedDenseActEveryActivation) {
  const std::pair<const char *, ref::Activation> acts[] = {
      {"tanh", ref::Activation::Tanh},
      {"scaled_tanh", ref::Activation::ScaledTanh},
      {"relu", ref::Activation::Relu},
      {"sigmoid", ref::Activation::Sigmoid}};
  HostTensor x = randomTensor(rng, {3, 120});
  HostTensor w = randomTensor(rng, {84, 120}, -0.3f, 0.3f);
  HostTensor b = randomTensor(rng, {84});
  HostTensor small = randomTensor(rng, {2, 7});
  HostTensor v = randomTensor(rng, {5, 7});
  for (auto [name, act] : acts) {
    SCOPED_TRACE(name);
    std::string source =
        std::string(R"mlir(
func.func @f(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>, %b: tensor<84xf32>, %s: tensor<2x7xf32>, %v: tensor<5x7xf32>) -> (tensor<?x84xf32>, tensor<2x5xf32>) {
  %0 = cnn.fused_dense_act %x, %w, %b act )mlir") +
        name +
        R"mlir( : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
  %1 = cnn.fused_dense_act %s, %v act )mlir" +
        name + R"mlir( : (tensor<2x7xf32>, tensor<5x7xf32>) -> tensor<2x5xf32>
  return %0, %1 : tensor<?x84xf32>, tensor<2x5xf32>
})mlir";
    std::vector<HostTensor> got = runN(source, {x, w, b, small, v}, 2);
    expectClose(got[0], ref::activate(ref::dense(x, w, &b), act));
    expectClose(got[1], ref::activate(ref::dense(small, v, nullptr), act));
  }
}

std::string unary(const char *op) {
  return std::string("func.func @f(%x: tensor<2x3x4x4xf32>) -> "
                     "tensor<2x3x4x4xf32> {\n  %0 = cnn.") +
         op +
         " %x : tensor<2x3x4x4xf32>\n  return %0 : tensor<2x3x4x4xf32>\n}\n";
}

TEST_F(CNNToLinalgNumerics, Tanh) {
  HostTensor x = randomTensor(rng, {2, 3, 4, 4}, -3.0f, 3.0f);
  expectClose(run(unary("tanh"), {x}), ref::tanh(x));
}

TEST_F(CNNToLinalgNumerics, ScaledTanh) {
  HostTensor x = randomTensor(rng, {2, 3, 4, 4}, -3.0f, 3.0f);
  expectClose(run(unary("scaled_tanh"), {x}), ref::scaledTanh(x));
}

TEST_F(CNNToLinalgNumerics, Relu) {
  HostTensor x = randomTensor(rng, {2, 3, 4, 4});
  expectClose(run(unary("relu"), {x}), ref::relu(x));
}

TEST_F(CNNToLinalgNumerics, Sigmoid) {
  HostTensor x = randomTensor(rng, {2, 3, 4, 4}, -5.0f, 5.0f);
  expectClose(run(unary("sigmoid"), {x}), ref::sigmoid(x));
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
  expectClose(got, ref::softmax(x, 1));
}

TEST_F(CNNToLinalgNumerics, LogSoftmax) {
  HostTensor x = randomTensor(rng, {2, 10}, -20.0f, 20.0f);
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = cnn.log_softmax %x : tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
})mlir",
                       {x});
  expectClose(got, ref::logSoftmax(x, 1));
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
  expectClose(got, ref::localResponseNorm(x, 5, 1e-4, 0.75, 2.0));
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
  expectClose(got, ref::localResponseNorm(x, 4, 1e-2, 0.75, 1.0));
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
  expectClose(got, ref::flatten(x));
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
  expectClose(got, ref::concat({&a, &b}, 1));
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
  expectClose(got, ref::crossEntropy(logits, labels));
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
  expectClose(got, ref::mse(y, t));
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
  ref::Conv2DParams p;
  p.padding = {1, 1};
  p.groups = 2;
  expectClose(got, ref::conv2d(x, w, &b, p));
}

TEST_F(CNNToLinalgNumerics, AvgPoolPaddingCountsPad) {
  HostTensor x = randomTensor(rng, {2, 2, 5, 5});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x2x5x5xf32>) -> tensor<?x2x3x3xf32> {
  %0 = cnn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<?x2x5x5xf32> -> tensor<?x2x3x3xf32>
  return %0 : tensor<?x2x3x3xf32>
})mlir",
                       {x});
  expectClose(got, ref::avgPool2d(x, {{3, 3}, {2, 2}, {1, 1}}));
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
  expectClose(got, ref::crossEntropy(logits, labels));
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
  ref::Conv2DParams p;
  p.padding = {2, 2};
  expectClose(got, ref::fusedConvActPool(
                       x, w, &b, p, ref::Activation::Tanh,
                       ref::FusedPool{ref::PoolKind::Avg, {{2, 2}, {2, 2}}}));
}

} // namespace
