//===- ReferenceInterpreterGradientTest.cpp - backward ops, interpreted ---===//
//
// The interpreter on the backward and optimizer ops: each op written as cnn
// IR with non-default attributes, interpreted, and compared element for
// element with the ReferenceGradients.h function called directly with the
// same operands and attributes (the functions themselves are checked in
// ReferenceGradientTest.cpp and ReferenceOptimizerTest.cpp). So these check
// the wiring: operand order, every attribute, several results per op, f32
// and i64 scalar arguments, dropout's training option, and the errors for
// runtime shapes and steps an op does not accept.
//
//===----------------------------------------------------------------------===//

#include "test/reference/Interpreter.h"
#include "test/reference/ReferenceGradients.h"
#include "test/reference/ReferenceOps.h"
#include "test/unit/InterpreterTestUtil.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace cnnc::test;

namespace {

class InterpretGradient : public InterpreterFixture<> {
protected:
  HostTensor random(std::vector<int64_t> shape) {
    return randomTensor(rng, std::move(shape));
  }

  std::mt19937 rng{99};
};

void expectSame(const std::vector<HostTensor> &got,
                const std::vector<HostTensor> &want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].shape, want[i].shape) << "result " << i;
    EXPECT_EQ(got[i].data, want[i].data) << "result " << i;
  }
}

TEST_F(InterpretGradient, ConvolutionWithEveryAttribute) {
  // Input 7x8, kernel 3x3, stride [2, 3], padding [1, 1], dilation [2, 1]:
  // output (7 + 2 − 5) / 2 + 1 = 3 by (8 + 2 − 3) / 3 + 1 = 3.
  const char *source = R"mlir(
func.func @f(%gy: tensor<?x4x3x3xf32>, %w: tensor<4x1x3x3xf32>, %x: tensor<?x2x7x8xf32>)
    -> (tensor<?x2x7x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>) {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [7, 8] stride [2, 3] padding [1, 1] dilation [2, 1] groups 2 : (tensor<?x4x3x3xf32>, tensor<4x1x3x3xf32>) -> tensor<?x2x7x8xf32>
  %1 = cnn.conv2d_backward_weight %x, %gy kernel [3, 3] stride [2, 3] padding [1, 1] dilation [2, 1] groups 2 : (tensor<?x2x7x8xf32>, tensor<?x4x3x3xf32>) -> tensor<4x1x3x3xf32>
  %2 = cnn.bias_backward %gy : tensor<?x4x3x3xf32> -> tensor<4xf32>
  return %0, %1, %2 : tensor<?x2x7x8xf32>, tensor<4x1x3x3xf32>, tensor<4xf32>
})mlir";
  HostTensor gy = random({2, 4, 3, 3}), w = random({4, 1, 3, 3}),
             x = random({2, 2, 7, 8});
  ref::Conv2DParams p;
  p.stride = {2, 3};
  p.padding = {1, 1};
  p.dilation = {2, 1};
  p.groups = 2;
  expectSame(runAll(source, {gy, w, x}),
             {ref::conv2dBackwardInput(gy, w, {7, 8}, p),
              ref::conv2dBackwardWeight(x, gy, {3, 3}, p),
              ref::biasBackward(gy)});
}

TEST_F(InterpretGradient, ConvolutionWithAConnectionTable) {
  const char *source = R"mlir(
func.func @f(%gy: tensor<1x2x2x2xf32>, %w: tensor<2x2x2x2xf32>, %x: tensor<1x2x3x3xf32>)
    -> (tensor<1x2x3x3xf32>, tensor<2x2x2x2xf32>) {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [3, 3] connections dense<[[true, false], [true, true]]> : tensor<2x2xi1> : (tensor<1x2x2x2xf32>, tensor<2x2x2x2xf32>) -> tensor<1x2x3x3xf32>
  %1 = cnn.conv2d_backward_weight %x, %gy kernel [2, 2] connections dense<[[true, false], [true, true]]> : tensor<2x2xi1> : (tensor<1x2x3x3xf32>, tensor<1x2x2x2xf32>) -> tensor<2x2x2x2xf32>
  return %0, %1 : tensor<1x2x3x3xf32>, tensor<2x2x2x2xf32>
})mlir";
  HostTensor gy = random({1, 2, 2, 2}), w = random({2, 2, 2, 2}),
             x = random({1, 2, 3, 3});
  ref::Conv2DParams p;
  p.connections = {{true, false}, {true, true}};
  std::vector<HostTensor> got = runAll(source, {gy, w, x});
  expectSame(got, {ref::conv2dBackwardInput(gy, w, {3, 3}, p),
                   ref::conv2dBackwardWeight(x, gy, {2, 2}, p)});
  ASSERT_EQ(got.size(), 2u);
  for (int k = 4; k < 8; ++k) // map 0's kernel on input map 1
    EXPECT_EQ(got[1].data[k], 0.0f);
}

TEST_F(InterpretGradient, PoolingAndSubsampling) {
  const char *source = R"mlir(
func.func @f(%gy: tensor<?x2x4x4xf32>, %x: tensor<?x2x8x8xf32>, %c: tensor<2xf32>)
    -> (tensor<?x2x8x8xf32>, tensor<?x2x8x8xf32>, tensor<?x2x8x8xf32>, tensor<2xf32>) {
  %0 = cnn.avg_pool2d_backward %gy kernel [3, 3] stride [2, 2] padding [1, 1] input_size [8, 8] : tensor<?x2x4x4xf32> -> tensor<?x2x8x8xf32>
  %1 = cnn.max_pool2d_backward %gy, %x kernel [3, 3] stride [2, 2] padding [1, 1] : (tensor<?x2x4x4xf32>, tensor<?x2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %2 = cnn.subsample2d_backward_input %gy, %c kernel [2, 2] stride [2, 2] input_size [8, 8] : (tensor<?x2x4x4xf32>, tensor<2xf32>) -> tensor<?x2x8x8xf32>
  %3 = cnn.subsample2d_backward_coefficient %gy, %x kernel [2, 2] stride [2, 2] : (tensor<?x2x4x4xf32>, tensor<?x2x8x8xf32>) -> tensor<2xf32>
  return %0, %1, %2, %3 : tensor<?x2x8x8xf32>, tensor<?x2x8x8xf32>, tensor<?x2x8x8xf32>, tensor<2xf32>
})mlir";
  HostTensor gy = random({3, 2, 4, 4}), x = random({3, 2, 8, 8}),
             c = random({2});
  ref::Pool2DParams pool{{3, 3}, {2, 2}, {1, 1}};
  expectSame(runAll(source, {gy, x, c}),
             {ref::avgPool2dBackward(gy, {8, 8}, pool),
              ref::maxPool2dBackward(gy, x, pool),
              ref::subsample2dBackwardInput(gy, c, {2, 2}, {2, 2}, {8, 8}),
              ref::subsample2dBackwardCoefficient(gy, x, {2, 2}, {2, 2})});
}

TEST_F(InterpretGradient, ElementWiseDenseAndReshapes) {
  const char *source = R"mlir(
func.func @f(%gy: tensor<?x6xf32>, %y: tensor<?x6xf32>, %w: tensor<6x4xf32>, %x: tensor<?x4xf32>)
    -> (tensor<?x6xf32>, tensor<?x6xf32>, tensor<?x4xf32>, tensor<6x4xf32>, tensor<?x1x2x2xf32>, tensor<?x6xf32>, tensor<?x6xf32>, tensor<?x3xf32>) {
  %0 = cnn.activation_backward %gy, %y act scaled_tanh : tensor<?x6xf32>
  %1 = cnn.activation_backward %gy, %y act sigmoid : tensor<?x6xf32>
  %2 = cnn.dense_backward_input %gy, %w : (tensor<?x6xf32>, tensor<6x4xf32>) -> tensor<?x4xf32>
  %3 = cnn.dense_backward_weight %gy, %x : (tensor<?x6xf32>, tensor<?x4xf32>) -> tensor<6x4xf32>
  %4 = cnn.unflatten %x sizes [1, 2, 2] : tensor<?x4xf32> -> tensor<?x1x2x2xf32>
  %5 = cnn.softmax_backward %gy, %y : tensor<?x6xf32>
  %6 = cnn.log_softmax_backward %gy, %y axis 0 : tensor<?x6xf32>
  %7 = cnn.concat_backward %gy axis 1 offset 2 size 3 : tensor<?x6xf32> -> tensor<?x3xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<?x6xf32>, tensor<?x6xf32>, tensor<?x4xf32>, tensor<6x4xf32>, tensor<?x1x2x2xf32>, tensor<?x6xf32>, tensor<?x6xf32>, tensor<?x3xf32>
})mlir";
  HostTensor gy = random({3, 6}), y = random({3, 6}), w = random({6, 4}),
             x = random({3, 4});
  using ref::Activation;
  expectSame(runAll(source, {gy, y, w, x}),
             {ref::activationBackward(gy, y, Activation::ScaledTanh),
              ref::activationBackward(gy, y, Activation::Sigmoid),
              ref::denseBackwardInput(gy, w), ref::denseBackwardWeight(gy, x),
              ref::unflatten(x, {1, 2, 2}), ref::softmaxBackward(gy, y, 1),
              ref::logSoftmaxBackward(gy, y, 0),
              ref::concatBackward(gy, 1, 2, 3)});
}

TEST_F(InterpretGradient, NormalisationAndLosses) {
  const char *source = R"mlir(
func.func @f(%gy: tensor<2x6x2x2xf32>, %x: tensor<2x6x2x2xf32>, %logits: tensor<?x5xf32>, %labels: tensor<?xi32>, %t: tensor<?x5xf32>)
    -> (tensor<2x6x2x2xf32>, tensor<?x5xf32>, tensor<?x5xf32>) {
  %0 = cnn.local_response_norm_backward %gy, %x size 4 alpha 5.0e-01 beta 7.5e-01 k 1.5 : tensor<2x6x2x2xf32>
  %1 = cnn.cross_entropy_backward %logits, %labels : (tensor<?x5xf32>, tensor<?xi32>) -> tensor<?x5xf32>
  %2 = cnn.mse_backward %logits, %t : (tensor<?x5xf32>, tensor<?x5xf32>) -> tensor<?x5xf32>
  return %0, %1, %2 : tensor<2x6x2x2xf32>, tensor<?x5xf32>, tensor<?x5xf32>
})mlir";
  HostTensor gy = random({2, 6, 2, 2}), x = random({2, 6, 2, 2}),
             logits = random({3, 5}), t = random({3, 5});
  HostTensor labels = intTensor({3}, {4, 0, 2});
  expectSame(runAll(source, {gy, x, logits, labels, t}),
             {ref::localResponseNormBackward(gy, x, 4, 0.5, 0.75, 1.5),
              ref::crossEntropyBackward(logits, labels),
              ref::mseBackward(logits, t)});
}

TEST_F(InterpretGradient, OptimizersTakeScalarArgumentsAndReturnSeveral) {
  const char *source = R"mlir(
func.func @f(%p: tensor<5xf32>, %g: tensor<5xf32>, %b: tensor<5xf32>, %m: tensor<5xf32>, %v: tensor<5xf32>, %lr: f32, %step: i64)
    -> (tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, f32) {
  %0 = cnn.sgd_update %p, %g, %lr weight_decay 5.0e-04 : tensor<5xf32>
  %1:2 = cnn.sgd_momentum_update %p, %g, %b, %lr, %step momentum 0.9 dampening 0.25 nesterov weight_decay 1.0e-02 : tensor<5xf32>
  %2:3 = cnn.adam_update %p, %g, %m, %v, %lr, %step beta1 0.8 beta2 0.99 eps 1.0e-06 weight_decay 1.0e-03 : tensor<5xf32>
  return %0, %1#0, %1#1, %2#0, %2#1, %2#2, %lr : tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, tensor<5xf32>, f32
})mlir";
  HostTensor p = random({5}), g = random({5}), b = random({5}), m = random({5}),
             v = randomTensor(rng, {5}, 0, 1);
  HostTensor sgd = p, momentumParam = p, momentumBuffer = b, adamParam = p,
             adamM = m, adamV = v;
  ref::sgdUpdate(sgd, g, 0.05f, 5e-4f);
  ref::sgdMomentumUpdate(momentumParam, g, momentumBuffer, 0.05f, 3, 0.9f,
                         0.25f, true, 1e-2f);
  ref::adamUpdate(adamParam, g, adamM, adamV, 0.05f, 3, 0.8f, 0.99f, 1e-6f,
                  1e-3f);
  expectSame(runAll(source, {p, g, b, m, v, scalar(0.05), intTensor({}, {3})}),
             {sgd, momentumParam, momentumBuffer, adamParam, adamM, adamV,
              scalar(0.05)});
  // Step 1 of momentum SGD takes the gradient (with weight decay) as buffer.
  auto first =
      runAll(source, {p, g, b, m, v, scalar(0.05), intTensor({}, {1})});
  ASSERT_EQ(first.size(), 7u);
  for (size_t i = 0; i < 5; ++i)
    EXPECT_EQ(first[2].data[i], g.data[i] + 1e-2f * p.data[i]);
}

TEST_F(InterpretGradient, DropoutTrainingModeUsesTheSeedOperand) {
  const char *source = R"mlir(
func.func @f(%x: tensor<?x40xf32>, %seed: i64) -> tensor<?x40xf32> {
  %c1 = arith.constant 1 : i64
  %s = arith.addi %seed, %c1 : i64
  %0 = cnn.dropout %x, %s rate 2.5e-01 : tensor<?x40xf32>
  return %0 : tensor<?x40xf32>
})mlir";
  HostTensor x = random({3, 40});
  HostTensor seed = intTensor({}, {41});
  expectSame(runAll(source, {x, seed}, {/*training=*/true}),
             {ref::dropoutTraining(x, 0.25, 42)});
  expectSame(runAll(source, {x, seed}), {x}); // inference: the identity
}

TEST_F(InterpretGradient, RuntimeShapesAndStepsAreChecked) {
  // A 10x10 input at kernel 3, stride 2 gives 4x4 outputs: a 5x5 gradient,
  // which the dynamic sizes let through the verifier, is an error.
  std::string conv = errorOf(R"mlir(
func.func @f(%gy: tensor<?x1x?x?xf32>, %w: tensor<1x1x3x3xf32>) -> tensor<?x1x10x10xf32> {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [10, 10] stride [2, 2] : (tensor<?x1x?x?xf32>, tensor<1x1x3x3xf32>) -> tensor<?x1x10x10xf32>
  return %0 : tensor<?x1x10x10xf32>
})mlir",
                             {random({1, 1, 5, 5}), random({1, 1, 3, 3})});
  EXPECT_EQ(conv, "test.mlir:3:8: 'cnn.conv2d_backward_input' op "
                  "grad_output has shape [1, 1, 5, 5] but the forward "
                  "layer's result has shape [1, 1, 4, 4]");

  const char *adam = R"mlir(
func.func @f(%p: tensor<?xf32>, %g: tensor<?xf32>, %lr: f32, %step: i64) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %0:3 = cnn.adam_update %p, %g, %g, %g, %lr, %step beta1 0.9 beta2 0.999 eps 1.0e-08 : tensor<?xf32>
  return %0#0, %0#1, %0#2 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
})mlir";
  HostTensor four = random({4}), five = random({5});
  EXPECT_EQ(errorOf(adam, {four, four, scalar(0.1), intTensor({}, {0})}),
            "test.mlir:3:10: 'cnn.adam_update' op step counts from 1, got 0");
  EXPECT_EQ(errorOf(adam, {five, four, scalar(0.1), intTensor({}, {1})}),
            "test.mlir:3:10: 'cnn.adam_update' op grad has shape [4] but "
            "param has shape [5]");
  EXPECT_EQ(errorOf(adam, {four, four, four, intTensor({}, {1})}),
            "@f: argument #2 is an f32 scalar; give a one-element f32 tensor");
}

} // namespace
