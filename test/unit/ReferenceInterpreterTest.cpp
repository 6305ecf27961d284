//===- ReferenceInterpreterTest.cpp - the reference the e2e tests trust ---===//
//
// The end-to-end tests compare compiled models with test/reference's
// interpreter, so it is checked here against numbers worked out by hand: one
// tiny case (or a few) per op family, each written as cnn IR, interpreted,
// and compared with values computed in the comment next to it. Then every
// model in models/ runs through the interpreter on a small random batch:
// outputs have the right shape and are finite, dropout is the identity, and
// the loss function equals the cross-entropy of the forward function's
// logits. Last, what must be an error and not a crash.
//
//===----------------------------------------------------------------------===//

#include "test/reference/Interpreter.h"
#include "test/reference/ReferenceOps.h"
#include "test/unit/InterpreterTestUtil.h"

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Sema.h"
#include "dialects/cnn/CNNDialect.h"
#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <string>
#include <vector>

using namespace cnnc::test;

namespace {

/// Checks shape and values, each within `tol` absolute or relative.
void expectValues(const HostTensor &got, const std::vector<int64_t> &shape,
                  const std::vector<double> &want, double tol = 1e-6) {
  ASSERT_FALSE(got.isInt);
  ASSERT_EQ(got.shape, shape);
  ASSERT_EQ(got.data.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got.data[i], want[i], tol * std::max(1.0, std::fabs(want[i])))
        << "element " << i;
}

class Interpret : public InterpreterFixture<> {
protected:
  /// As runAll; returns the only result.
  HostTensor run(const std::string &source,
                 const std::vector<HostTensor> &args) {
    std::vector<HostTensor> results = runAll(source, args);
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? HostTensor() : results.front();
  }
};

/// x = [[1 2 3] [4 5 6] [7 8 9]] as 1x1x3x3, w = [[1 2] [3 4]] as 1x1x2x2.
HostTensor x3x3() {
  return floatTensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
}
HostTensor w2x2() { return floatTensor({1, 1, 2, 2}, {1, 2, 3, 4}); }

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

TEST_F(Interpret, Conv2DKnownKernelAndBias) {
  // out(i,j) = x(i,j) + 2x(i,j+1) + 3x(i+1,j) + 4x(i+1,j+1) + 0.5:
  //   (0,0) = 1+4+12+20 = 37, (0,1) = 2+6+15+24 = 47,
  //   (1,0) = 4+10+21+32 = 67, (1,1) = 5+12+24+36 = 77.
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>, %b: tensor<1xf32>) -> tensor<1x1x2x2xf32> {
  %0 = cnn.conv2d %x, %w, %b : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
})mlir",
                       {x3x3(), w2x2(), floatTensor({1}, {0.5f})});
  expectValues(got, {1, 1, 2, 2}, {37.5, 47.5, 67.5, 77.5});
}

TEST_F(Interpret, Conv2DNoBias) {
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = cnn.conv2d %x, %w : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
})mlir",
                       {x3x3(), w2x2()});
  expectValues(got, {1, 1, 2, 2}, {37, 47, 67, 77});
}

TEST_F(Interpret, Conv2DStrideAndPaddingPerAxis) {
  // stride [1, 2], padding [0, 1]: columns become [0 c0 c1 c2 0]; windows
  // start at padded columns 0 and 2, so they read {pad, c0} and {c1, c2}.
  //   (0,0) = 2·1 + 4·4 = 18          (0,1) = 2 + 2·3 + 3·5 + 4·6 = 47
  //   (1,0) = 2·4 + 4·7 = 36          (1,1) = 5 + 2·6 + 3·8 + 4·9 = 77
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %0 = cnn.conv2d %x, %w stride [1, 2] padding [0, 1] : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
})mlir",
                       {x3x3(), w2x2()});
  expectValues(got, {1, 1, 2, 2}, {18, 47, 36, 77});
}

TEST_F(Interpret, Conv2DPaddingOnlyAlongHeightWithStride) {
  // 1x1 kernel of 2, stride [2, 1], padding [1, 0]: padded rows
  // [0, r0, r1, r2, 0], every other one taken: 0, r1, 0.
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x3x3xf32> {
  %0 = cnn.conv2d %x, %w stride [2, 1] padding [1, 0] : (tensor<1x1x3x3xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
})mlir",
                       {x3x3(), floatTensor({1, 1, 1, 1}, {2})});
  expectValues(got, {1, 1, 3, 3}, {0, 0, 0, 8, 10, 12, 0, 0, 0});
}

TEST_F(Interpret, Conv2DDilation) {
  // dilation [2, 2]: the taps are the four corners, 1 + 2·3 + 3·7 + 4·9 = 64.
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  %0 = cnn.conv2d %x, %w dilation [2, 2] : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
})mlir",
                       {x3x3(), w2x2()});
  expectValues(got, {1, 1, 1, 1}, {64});
  // dilation [1, 2]: columns 0 and 2 of two rows.
  //   row 0: 1 + 2·3 + 3·4 + 4·6 = 43, row 1: 4 + 2·6 + 3·7 + 4·9 = 73.
  got = run(R"mlir(
func.func @f(%x: tensor<1x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<1x1x2x1xf32> {
  %0 = cnn.conv2d %x, %w dilation [1, 2] : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<1x1x2x1xf32>
  return %0 : tensor<1x1x2x1xf32>
})mlir",
            {x3x3(), w2x2()});
  expectValues(got, {1, 1, 2, 1}, {43, 73});
}

TEST_F(Interpret, Conv2DGroups) {
  // Two groups of one channel: map 0 = 10·c0, map 1 = 100·c1.
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x2x1x2xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x1x2xf32> {
  %0 = cnn.conv2d %x, %w groups 2 : (tensor<1x2x1x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x1x2xf32>
  return %0 : tensor<1x2x1x2xf32>
})mlir",
                       {floatTensor({1, 2, 1, 2}, {1, 2, 3, 4}),
                        floatTensor({2, 1, 1, 1}, {10, 100})});
  expectValues(got, {1, 2, 1, 2}, {10, 20, 300, 400});
}

TEST_F(Interpret, Conv2DConnectionTable) {
  // Map 0 reads c0 only (its weight 10 on c1 is masked): [1, 2].
  // Map 1 reads both: 100·[1, 2] + 1000·[3, 4] = [3100, 4200].
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x2x1x2xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x1x2xf32> {
  %0 = cnn.conv2d %x, %w connections dense<[[true, false], [true, true]]> : tensor<2x2xi1> : (tensor<1x2x1x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x1x2xf32>
  return %0 : tensor<1x2x1x2xf32>
})mlir",
                       {floatTensor({1, 2, 1, 2}, {1, 2, 3, 4}),
                        floatTensor({2, 2, 1, 1}, {1, 10, 100, 1000})});
  expectValues(got, {1, 2, 1, 2}, {1, 2, 3100, 4200});
}

TEST_F(Interpret, Conv2DDynamicBatch) {
  // Batch 2 through a `?` dimension; the second image is the first times -1.
  HostTensor x = floatTensor({2, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2,
                                            -3, -4, -5, -6, -7, -8, -9});
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x1x3x3xf32>, %w: tensor<1x1x2x2xf32>) -> tensor<?x1x2x2xf32> {
  %0 = cnn.conv2d %x, %w : (tensor<?x1x3x3xf32>, tensor<1x1x2x2xf32>) -> tensor<?x1x2x2xf32>
  return %0 : tensor<?x1x2x2xf32>
})mlir",
                       {x, w2x2()});
  expectValues(got, {2, 1, 2, 2}, {37, 47, 67, 77, -37, -47, -67, -77});
}

//===----------------------------------------------------------------------===//
// Pooling and subsampling
//===----------------------------------------------------------------------===//

TEST_F(Interpret, AvgPoolCountsPadding) {
  // [[1 2] [3 4]], kernel 2, stride 1, padding 1: every window divides by 4.
  //   corners 1/4, 2/4, 3/4, 4/4; edges (1+2)/4, (1+3)/4, (2+4)/4, (3+4)/4;
  //   centre 10/4.
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32> {
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [1, 1] padding [1, 1] : tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
})mlir",
                       {floatTensor({1, 1, 2, 2}, {1, 2, 3, 4})});
  expectValues(got, {1, 1, 3, 3},
               {0.25, 0.75, 0.5, 1.0, 2.5, 1.5, 0.75, 1.75, 1.0});
}

TEST_F(Interpret, AvgPoolNonSquareWindowRoundsDown) {
  // kernel [1, 2] stride [1, 2] over a 2x5 row pair: the fifth column is
  // dropped (floor), pairs average to 1.5, 3.5 and 6.5, 8.5.
  HostTensor got =
      run(R"mlir(
func.func @f(%x: tensor<1x1x2x5xf32>) -> tensor<1x1x2x2xf32> {
  %0 = cnn.avg_pool2d %x kernel [1, 2] stride [1, 2] : tensor<1x1x2x5xf32> -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
})mlir",
          {floatTensor({1, 1, 2, 5}, {1, 2, 3, 4, 100, 6, 7, 8, 9, 100})});
  expectValues(got, {1, 1, 2, 2}, {1.5, 3.5, 6.5, 8.5});
}

TEST_F(Interpret, MaxPoolPadsWithMinusInfinity) {
  // All negative: a zero pad would win every border window.
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32> {
  %0 = cnn.max_pool2d %x kernel [2, 2] stride [1, 1] padding [1, 1] : tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
})mlir",
                       {floatTensor({1, 1, 2, 2}, {-1, -2, -3, -4})});
  expectValues(got, {1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -3, -3, -4});
}

TEST_F(Interpret, MaxPoolOverlapping) {
  // [[1 5 2] [7 3 9] [4 8 6]], kernel 2 stride 1: 7, 9, 8, 9.
  HostTensor got =
      run(R"mlir(
func.func @f(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32> {
  %0 = cnn.max_pool2d %x kernel [2, 2] stride [1, 1] : tensor<1x1x3x3xf32> -> tensor<1x1x2x2xf32>
  return %0 : tensor<1x1x2x2xf32>
})mlir",
          {floatTensor({1, 1, 3, 3}, {1, 5, 2, 7, 3, 9, 4, 8, 6})});
  expectValues(got, {1, 1, 2, 2}, {7, 9, 8, 9});
}

TEST_F(Interpret, Subsample2D) {
  // Channel 0: mean 2.5 · 2 + 1 = 6; channel 1: mean 25 · -1 + 0.5 = -24.5.
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x2x2x2xf32>, %c: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<1x2x1x1xf32> {
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32>
  return %0 : tensor<1x2x1x1xf32>
})mlir",
                       {floatTensor({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40}),
                        floatTensor({2}, {2, -1}), floatTensor({2}, {1, 0.5})});
  expectValues(got, {1, 2, 1, 1}, {6, -24.5});
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

std::string unary(const char *op) {
  return std::string("func.func @f(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {\n"
                     "  %0 = cnn.") +
         op + " %x : tensor<1x3xf32>\n  return %0 : tensor<1x3xf32>\n}\n";
}

TEST_F(Interpret, Tanh) {
  // tanh(ln 2) = (4 - 1) / (4 + 1) = 0.6; tanh is odd.
  double ln2 = std::log(2.0);
  HostTensor got =
      run(unary("tanh"), {floatTensor({1, 3}, {0, float(ln2), -float(ln2)})});
  expectValues(got, {1, 3}, {0, 0.6, -0.6});
}

TEST_F(Interpret, ScaledTanh) {
  // 1.7159·tanh(2x/3): at x = 1.5 ln 2 that is 1.7159 · 0.6 = 1.02954; LeCun
  // chose the constants so that f(1) = 1 (to 1e-4).
  double x = 1.5 * std::log(2.0);
  HostTensor got =
      run(unary("scaled_tanh"), {floatTensor({1, 3}, {float(x), 1.0f, -1.0f})});
  expectValues(got, {1, 3}, {1.02954, 1.0, -1.0}, 1e-4);
}

TEST_F(Interpret, Relu) {
  HostTensor got = run(unary("relu"), {floatTensor({1, 3}, {-1, 0, 2})});
  expectValues(got, {1, 3}, {0, 0, 2});
}

TEST_F(Interpret, Sigmoid) {
  // 1 / (1 + e^-ln3) = 1 / (1 + 1/3) = 0.75, and 0.25 at -ln 3.
  float ln3 = static_cast<float>(std::log(3.0));
  HostTensor got = run(unary("sigmoid"), {floatTensor({1, 3}, {0, ln3, -ln3})});
  expectValues(got, {1, 3}, {0.5, 0.75, 0.25});
}

//===----------------------------------------------------------------------===//
// Dense, flatten, add, concat
//===----------------------------------------------------------------------===//

TEST_F(Interpret, DenseDynamicBatch) {
  // W = [[1 0] [0 1] [1 1]], b = [0 0 1]: [1 2] → [1 2 4]; [3 -1] → [3 -1 3].
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x2xf32>, %w: tensor<3x2xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = cnn.dense %x, %w, %b : (tensor<?x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
})mlir",
                       {floatTensor({2, 2}, {1, 2, 3, -1}),
                        floatTensor({3, 2}, {1, 0, 0, 1, 1, 1}),
                        floatTensor({3}, {0, 0, 1})});
  expectValues(got, {2, 3}, {1, 2, 4, 3, -1, 3});
}

TEST_F(Interpret, DenseNoBias) {
  HostTensor got = run(
      R"mlir(
func.func @f(%x: tensor<1x2xf32>, %w: tensor<3x2xf32>) -> tensor<1x3xf32> {
  %0 = cnn.dense %x, %w : (tensor<1x2xf32>, tensor<3x2xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
})mlir",
      {floatTensor({1, 2}, {1, 2}), floatTensor({3, 2}, {1, 0, 0, 1, 1, 1})});
  expectValues(got, {1, 3}, {1, 2, 3});
}

TEST_F(Interpret, Flatten) {
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<?x2x2x1xf32>) -> tensor<?x4xf32> {
  %0 = cnn.flatten %x : tensor<?x2x2x1xf32> -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
})mlir",
                       {floatTensor({2, 2, 2, 1}, {1, 2, 3, 4, 5, 6, 7, 8})});
  expectValues(got, {2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_F(Interpret, Add) {
  HostTensor got =
      run(R"mlir(
func.func @f(%a: tensor<1x2xf32>, %b: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = cnn.add %a, %b : tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
})mlir",
          {floatTensor({1, 2}, {1, 2}), floatTensor({1, 2}, {10, -20})});
  expectValues(got, {1, 2}, {11, -18});
}

TEST_F(Interpret, ConcatChannels) {
  // [[1] [2]] ++ [[3 4] [5 6]] along axis 1 = [[1 3 4] [2 5 6]].
  HostTensor got =
      run(R"mlir(
func.func @f(%a: tensor<2x1xf32>, %b: tensor<2x2xf32>) -> tensor<2x3xf32> {
  %0 = cnn.concat %a, %b : (tensor<2x1xf32>, tensor<2x2xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
})mlir",
          {floatTensor({2, 1}, {1, 2}), floatTensor({2, 2}, {3, 4, 5, 6})});
  expectValues(got, {2, 3}, {1, 3, 4, 2, 5, 6});
}

TEST_F(Interpret, ConcatThreeAlongAxis2) {
  // Per channel: [1] ++ [2 3] ++ [4] along the last axis.
  HostTensor got = run(R"mlir(
func.func @f(%a: tensor<1x2x1xf32>, %b: tensor<1x2x2xf32>, %c: tensor<1x2x1xf32>) -> tensor<1x2x4xf32> {
  %0 = cnn.concat %a, %b, %c axis 2 : (tensor<1x2x1xf32>, tensor<1x2x2xf32>, tensor<1x2x1xf32>) -> tensor<1x2x4xf32>
  return %0 : tensor<1x2x4xf32>
})mlir",
                       {floatTensor({1, 2, 1}, {1, 10}),
                        floatTensor({1, 2, 2}, {2, 3, 20, 30}),
                        floatTensor({1, 2, 1}, {4, 40})});
  expectValues(got, {1, 2, 4}, {1, 2, 3, 4, 10, 20, 30, 40});
}

//===----------------------------------------------------------------------===//
// Local response normalisation, dropout
//===----------------------------------------------------------------------===//

std::string lrn(const char *attrs) {
  return std::string(
             "func.func @f(%x: tensor<1x3x1x1xf32>) -> tensor<1x3x1x1xf32> {\n"
             "  %0 = cnn.local_response_norm %x ") +
         attrs +
         " : tensor<1x3x1x1xf32>\n  return %0 : tensor<1x3x1x1xf32>\n}\n";
}

TEST_F(Interpret, LocalResponseNormOddSize) {
  // a = [1 2 3], size 3, alpha 3 (alpha / size = 1), beta 1, k 1:
  //   c0 sums {1, 4} = 5 → 1/6; c1 sums 14 → 2/15; c2 sums {4, 9} → 3/14.
  HostTensor got = run(lrn("size 3 alpha 3.0 beta 1.0 k 1.0"),
                       {floatTensor({1, 3, 1, 1}, {1, 2, 3})});
  expectValues(got, {1, 3, 1, 1}, {1.0 / 6, 2.0 / 15, 3.0 / 14});
}

TEST_F(Interpret, LocalResponseNormEvenSizeLooksBack) {
  // size 2: the window of c is {c-1, c}. alpha 2 (alpha / size = 1):
  //   c0 sums 1 → 1/2; c1 sums 5 → 2/6; c2 sums 13 → 3/14.
  HostTensor got = run(lrn("size 2 alpha 2.0 beta 1.0 k 1.0"),
                       {floatTensor({1, 3, 1, 1}, {1, 2, 3})});
  expectValues(got, {1, 3, 1, 1}, {0.5, 2.0 / 6, 3.0 / 14});
}

TEST_F(Interpret, LocalResponseNormBetaIsAPower) {
  // size 1, alpha 1, beta 0.5, k 7: a / sqrt(7 + a²); 3 → 3/4, -3 → -3/4,
  // 0 → 0.
  HostTensor got = run(lrn("size 1 alpha 1.0 beta 0.5 k 7.0"),
                       {floatTensor({1, 3, 1, 1}, {3, -3, 0})});
  expectValues(got, {1, 3, 1, 1}, {0.75, -0.75, 0});
}

TEST_F(Interpret, DropoutIsTheIdentity) {
  // Inference semantics whatever the rate and seed; the seed may go through
  // the front end's arith.addi.
  const char *source = R"mlir(
func.func @f(%x: tensor<1x3xf32>, %seed: i64) -> tensor<1x3xf32> {
  %c1 = arith.constant 1 : i64
  %s = arith.addi %seed, %c1 : i64
  %0 = cnn.dropout %x, %seed rate 5.0e-01 : tensor<1x3xf32>
  %1 = cnn.dropout %0, %s rate 9.0e-01 : tensor<1x3xf32>
  return %1 : tensor<1x3xf32>
})mlir";
  HostTensor x = floatTensor({1, 3}, {1, -2, 3});
  expectValues(run(source, {x, intTensor({}, {42})}), {1, 3}, {1, -2, 3});
  // The seed left out of the arguments takes interpret()'s `seed`.
  auto results = tryRun(source, {x}, /*seed=*/7);
  ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
  expectValues(results->front(), {1, 3}, {1, -2, 3});
}

//===----------------------------------------------------------------------===//
// Softmax and losses
//===----------------------------------------------------------------------===//

TEST_F(Interpret, Softmax) {
  // e^0 : e^ln3 = 1 : 3, so [0.25, 0.75]; the second row is shifted by 100,
  // which must not change it (nor overflow).
  float ln3 = static_cast<float>(std::log(3.0));
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %0 = cnn.softmax %x : tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
})mlir",
                       {floatTensor({2, 2}, {0, ln3, 100, 100 + ln3})});
  expectValues(got, {2, 2}, {0.25, 0.75, 0.25, 0.75}, 1e-5);
}

TEST_F(Interpret, SoftmaxAlongAxis1Of3D) {
  // Axis 1 of [1, 2, 2]: columns [0, ln3] → [.25, .75] and [ln3, 0] →
  // [.75, .25].
  float ln3 = static_cast<float>(std::log(3.0));
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<1x2x2xf32>) -> tensor<1x2x2xf32> {
  %0 = cnn.softmax %x : tensor<1x2x2xf32>
  return %0 : tensor<1x2x2xf32>
})mlir",
                       {floatTensor({1, 2, 2}, {0, ln3, ln3, 0})});
  expectValues(got, {1, 2, 2}, {0.25, 0.75, 0.75, 0.25});
}

TEST_F(Interpret, LogSoftmaxAxis0) {
  // Along axis 0 of [[0] [ln3]]: log(1/4) and log(3/4).
  float ln3 = static_cast<float>(std::log(3.0));
  HostTensor got = run(R"mlir(
func.func @f(%x: tensor<2x1xf32>) -> tensor<2x1xf32> {
  %0 = cnn.log_softmax %x axis 0 : tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
})mlir",
                       {floatTensor({2, 1}, {0, ln3})});
  expectValues(got, {2, 1}, {std::log(0.25), std::log(0.75)});
}

TEST_F(Interpret, CrossEntropyIsTheMeanOverTheBatch) {
  // Row 0 [0 0], label 0: -log(1/2). Row 1 [ln3 0], label 1: -log(1/4).
  // Mean: (ln 2 + ln 4) / 2 = 1.5 ln 2.
  float ln3 = static_cast<float>(std::log(3.0));
  HostTensor got =
      run(R"mlir(
func.func @f(%x: tensor<?x2xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %0 = cnn.cross_entropy %x, %l : (tensor<?x2xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
})mlir",
          {floatTensor({2, 2}, {0, 0, ln3, 0}), intTensor({2}, {0, 1})});
  expectValues(got, {}, {1.5 * std::log(2.0)});
}

TEST_F(Interpret, MSE) {
  // ((1 - 0)² + (2 - 4)²) / 2 = 2.5.
  HostTensor got =
      run(R"mlir(
func.func @f(%y: tensor<1x2xf32>, %t: tensor<1x2xf32>) -> tensor<f32> {
  %0 = cnn.mse %y, %t : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
})mlir",
          {floatTensor({1, 2}, {1, 2}), floatTensor({1, 2}, {0, 4})});
  expectValues(got, {}, {2.5});
}

//===----------------------------------------------------------------------===//
// Fused conv + activation + pool
//===----------------------------------------------------------------------===//

std::string fused(const char *attrs, const char *resultType) {
  return std::string("func.func @f(%x: tensor<1x1x3x3xf32>, %w: "
                     "tensor<1x1x2x2xf32>, %b: tensor<1xf32>) -> ") +
         resultType + " {\n  %0 = cnn.fused_conv_act_pool %x, %w, %b " + attrs +
         " : (tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32>, tensor<1xf32>) -> " +
         resultType + "\n  return %0 : " + resultType + "\n}\n";
}

TEST_F(Interpret, FusedConvActPool) {
  // The conv of Conv2DKnownKernelAndBias with bias -50: [-13 -3 17 27].
  std::vector<HostTensor> args = {x3x3(), w2x2(), floatTensor({1}, {-50})};
  expectValues(run(fused("act none", "tensor<1x1x2x2xf32>"), args),
               {1, 1, 2, 2}, {-13, -3, 17, 27});
  // relu → [0 0 17 27]; max pool → 27; average pool → 44 / 4 = 11.
  expectValues(run(fused("act relu", "tensor<1x1x2x2xf32>"), args),
               {1, 1, 2, 2}, {0, 0, 17, 27});
  expectValues(run(fused("act relu pool max kernel [2, 2] stride [2, 2]",
                         "tensor<1x1x1x1xf32>"),
                   args),
               {1, 1, 1, 1}, {27});
  expectValues(run(fused("act relu pool avg kernel [2, 2] stride [2, 2]",
                         "tensor<1x1x1x1xf32>"),
                   args),
               {1, 1, 1, 1}, {11});
  // A pool with padding: kernel 2 stride 2 padding 1 on [[0 0] [17 27]]
  // takes single cells of the 2x2 map: 0/4, 0/4, 17/4, 27/4.
  expectValues(run(fused("act relu pool avg kernel [2, 2] stride [2, 2] "
                         "pool_padding [1, 1]",
                         "tensor<1x1x2x2xf32>"),
                   args),
               {1, 1, 2, 2}, {0, 0, 17.0 / 4, 27.0 / 4});
}

TEST_F(Interpret, FusedEqualsTheUnfusedChain) {
  // tanh and avg pool after a padded conv, on random numbers: the fused op
  // and the chain of single ops must agree exactly (same loops).
  std::mt19937 rng(7);
  std::vector<HostTensor> args = {randomTensor(rng, {2, 2, 6, 6}),
                                  randomTensor(rng, {3, 2, 3, 3}),
                                  randomTensor(rng, {3})};
  HostTensor fusedResult = run(R"mlir(
func.func @f(%x: tensor<?x2x6x6xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<3xf32>) -> tensor<?x3x3x3xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b padding [1, 1] act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x2x6x6xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>) -> tensor<?x3x3x3xf32>
  return %0 : tensor<?x3x3x3xf32>
})mlir",
                               args);
  HostTensor chain = run(R"mlir(
func.func @f(%x: tensor<?x2x6x6xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<3xf32>) -> tensor<?x3x3x3xf32> {
  %0 = cnn.conv2d %x, %w, %b padding [1, 1] : (tensor<?x2x6x6xf32>, tensor<3x2x3x3xf32>, tensor<3xf32>) -> tensor<?x3x6x6xf32>
  %1 = cnn.tanh %0 : tensor<?x3x6x6xf32>
  %2 = cnn.avg_pool2d %1 kernel [2, 2] stride [2, 2] : tensor<?x3x6x6xf32> -> tensor<?x3x3x3xf32>
  return %2 : tensor<?x3x3x3xf32>
})mlir",
                         args);
  ASSERT_EQ(fusedResult.shape, (std::vector<int64_t>{2, 3, 3, 3}));
  EXPECT_EQ(fusedResult.data, chain.data);
}

//===----------------------------------------------------------------------===//
// Errors, not crashes
//===----------------------------------------------------------------------===//

TEST_F(Interpret, UnknownOpIsAnError) {
  std::string message = errorOf(R"mlir(
func.func @f(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = arith.addf %x, %x : tensor<2xf32>
  return %0 : tensor<2xf32>
})mlir",
                                {floatTensor({2}, {1, 2})});
  EXPECT_NE(message.find("test.mlir:3:"), std::string::npos) << message;
  EXPECT_NE(message.find("'arith.addf' op is not supported"), std::string::npos)
      << message;
}

TEST_F(Interpret, ArgumentShapeMismatchIsAnError) {
  const char *source = R"mlir(
func.func @f(%x: tensor<?x1x4x4xf32>) -> tensor<?x1x2x2xf32> {
  %0 = cnn.max_pool2d %x kernel [2, 2] stride [2, 2] : tensor<?x1x4x4xf32> -> tensor<?x1x2x2xf32>
  return %0 : tensor<?x1x2x2xf32>
})mlir";
  std::string message = errorOf(source, {zeros({1, 1, 5, 5})});
  EXPECT_NE(message.find("argument #0 has shape [1, 1, 5, 5] but its type is "
                         "tensor<?x1x4x4xf32>"),
            std::string::npos)
      << message;
  message = errorOf(source, {zeros({1, 4, 4})});
  EXPECT_NE(message.find("argument #0 has shape [1, 4, 4]"), std::string::npos)
      << message;
  message =
      errorOf(source, {intTensor({1, 1, 4, 4}, std::vector<int32_t>(16))});
  EXPECT_NE(message.find("argument #0 is an i32 tensor"), std::string::npos)
      << message;
  HostTensor short_ = zeros({1, 1, 4, 4});
  short_.data.pop_back();
  message = errorOf(source, {short_});
  EXPECT_NE(message.find("holds 15 elements"), std::string::npos) << message;
  message = errorOf(source, {});
  EXPECT_NE(message.find("expects 1 arguments, got 0"), std::string::npos)
      << message;
}

TEST_F(Interpret, DynamicSizesThatDisagreeAreAnError) {
  std::string message = errorOf(R"mlir(
func.func @f(%x: tensor<?x?xf32>, %w: tensor<3x2xf32>) -> tensor<?x3xf32> {
  %0 = cnn.dense %x, %w : (tensor<?x?xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
})mlir",
                                {zeros({1, 5}), zeros({3, 2})});
  EXPECT_NE(message.find("'cnn.dense' op input has 5 features but weight "
                         "expects 2"),
            std::string::npos)
      << message;

  message = errorOf(R"mlir(
func.func @f(%x: tensor<?x2xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %0 = cnn.cross_entropy %x, %l : (tensor<?x2xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
})mlir",
                    {zeros({2, 2}), intTensor({3}, {0, 1, 0})});
  EXPECT_NE(message.find("logits have 2 rows but labels 3"), std::string::npos)
      << message;
}

TEST_F(Interpret, LabelOutOfRangeIsAnError) {
  std::string message = errorOf(R"mlir(
func.func @f(%x: tensor<?x2xf32>, %l: tensor<?xi32>) -> tensor<f32> {
  %0 = cnn.cross_entropy %x, %l : (tensor<?x2xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
})mlir",
                                {zeros({2, 2}), intTensor({2}, {1, 2})});
  EXPECT_NE(message.find("label 2 of row 1 is not in [0, 2)"),
            std::string::npos)
      << message;
}

TEST_F(Interpret, SeedArgumentsAreAllGivenOrAllLeftOut) {
  const char *source = R"mlir(
func.func @f(%x: tensor<1x2xf32>, %seed: i64, %y: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = cnn.dropout %x, %seed rate 5.0e-01 : tensor<1x2xf32>
  %1 = cnn.add %0, %y : tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
})mlir";
  HostTensor x = floatTensor({1, 2}, {1, 2}), y = floatTensor({1, 2}, {3, 4});
  expectValues(run(source, {x, intTensor({}, {5}), y}), {1, 2}, {4, 6});
  expectValues(run(source, {x, y}), {1, 2}, {4, 6});
  std::string message = errorOf(source, {x});
  EXPECT_NE(message.find("@f: expects 3 arguments (or 2 without the integer "
                         "seed), got 1"),
            std::string::npos)
      << message;
  message = errorOf(source, {x, floatTensor({2}, {1, 2}), y});
  EXPECT_NE(message.find("argument #1 is an integer scalar"), std::string::npos)
      << message;
}

//===----------------------------------------------------------------------===//
// Every model in models/
//===----------------------------------------------------------------------===//

std::vector<std::string> modelFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  std::string dir = std::string(CNNC_SOURCE_DIR) + "/models";
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    llvm::StringRef ext = llvm::sys::path::extension(it->path());
    if (ext == ".mdl" || ext == ".mlir")
      files.push_back(llvm::sys::path::filename(it->path()).str());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Model : public InterpreterFixture<testing::TestWithParam<std::string>> {
protected:
  /// The module of models/<file>: generated by the front end for .mdl,
  /// parsed for .mlir.
  void load(const std::string &file) {
    std::string path = std::string(CNNC_SOURCE_DIR) + "/models/" + file;
    if (llvm::StringRef(file).ends_with(".mlir")) {
      module = mlir::parseSourceFile<mlir::ModuleOp>(
          path, mlir::ParserConfig(&context));
      ASSERT_TRUE(module) << "cannot parse " << path;
      return;
    }
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    ASSERT_TRUE(bool(buffer)) << "cannot read " << path;
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
    std::string messages;
    llvm::raw_string_ostream os(messages);
    cnnc::Diagnostics diags(sourceMgr, os);
    std::optional<cnnc::ast::Model> syntax = cnnc::parseModel(sourceMgr, diags);
    ASSERT_TRUE(syntax) << messages;
    std::unique_ptr<cnnc::CheckedModel> checked = cnnc::analyze(*syntax, diags);
    ASSERT_TRUE(checked) << messages;
    module = cnnc::generateIR(*checked, context, diags);
    ASSERT_TRUE(module) << messages;
  }
};

/// Random arguments for the tensor arguments of `fn` (integer scalars are
/// left out: they take interpret()'s seed). Dynamic sizes become `batch`.
/// Parameters of rank ≥ 2 are uniform in ±1/sqrt(fan-in), PyTorch's default
/// bound, so activations stay in a sensible range through AlexNet; vectors
/// (biases, coefficients) in ±0.1; inputs in [-1, 1); labels cycle through
/// [0, classes).
std::vector<HostTensor> randomArguments(mlir::func::FuncOp fn, int64_t batch,
                                        int64_t classes, std::mt19937 &rng) {
  std::vector<HostTensor> args;
  for (mlir::BlockArgument arg : fn.getArguments()) {
    auto type = mlir::dyn_cast<mlir::RankedTensorType>(arg.getType());
    if (!type)
      continue;
    std::vector<int64_t> shape;
    for (int64_t d : type.getShape())
      shape.push_back(mlir::ShapedType::isDynamic(d) ? batch : d);
    if (type.getElementType().isInteger(32)) {
      HostTensor labels = intTensor(shape, {});
      for (int64_t i = 0; i < labels.numElements(); ++i)
        labels.ints.push_back(static_cast<int32_t>((3 * i + 1) % classes));
      args.push_back(std::move(labels));
      continue;
    }
    float bound = 1.0f;
    if (fn.getArgAttr(arg.getArgNumber(), "cnn.param")) {
      int64_t fanIn = shape.size() >= 2 ? HostTensor{shape}.numElements() /
                                              std::max<int64_t>(1, shape[0])
                                        : 0;
      bound = fanIn > 0 ? 1.0f / std::sqrt(static_cast<float>(fanIn)) : 0.1f;
    }
    args.push_back(randomTensor(rng, shape, -bound, bound));
  }
  return args;
}

/// The static sizes of `type` with dynamic ones replaced by `batch`.
std::vector<int64_t> expectedShape(mlir::Type type, int64_t batch) {
  std::vector<int64_t> shape;
  for (int64_t d : mlir::cast<mlir::RankedTensorType>(type).getShape())
    shape.push_back(mlir::ShapedType::isDynamic(d) ? batch : d);
  return shape;
}

TEST_P(Model, InterpretsOnARandomBatch) {
  ASSERT_NO_FATAL_FAILURE(load(GetParam()));
  std::vector<mlir::func::FuncOp> forwards;
  for (auto fn : module->getOps<mlir::func::FuncOp>())
    if (!fn.getSymName().ends_with("_loss"))
      forwards.push_back(fn);
  ASSERT_FALSE(forwards.empty());

  for (mlir::func::FuncOp fn : forwards) {
    SCOPED_TRACE(fn.getSymName().str());
    // Plain loops do about a GFLOP per AlexNet image: big models get a
    // batch of one, the rest two.
    int64_t parameters = 0;
    for (mlir::BlockArgument arg : fn.getArguments())
      if (fn.getArgAttr(arg.getArgNumber(), "cnn.param"))
        parameters +=
            mlir::cast<mlir::RankedTensorType>(arg.getType()).getNumElements();
    bool big = parameters > 10'000'000;
    int64_t batch = big ? 1 : 2;

    std::mt19937 rng(1998);
    std::vector<HostTensor> args = randomArguments(fn, batch, 1, rng);
    auto results = interpret(fn, args);
    ASSERT_TRUE(bool(results)) << llvm::toString(results.takeError());
    ASSERT_EQ(results->size(), fn.getNumResults());
    for (size_t r = 0; r < results->size(); ++r) {
      const HostTensor &out = (*results)[r];
      EXPECT_EQ(out.shape, expectedShape(fn.getResultTypes()[r], batch));
      bool finite = std::all_of(out.data.begin(), out.data.end(),
                                [](float v) { return std::isfinite(v); });
      EXPECT_TRUE(finite) << "result " << r;
      // Random weights give distinct outputs; all-equal would mean a
      // collapsed network (or an interpreter that forgot to compute).
      auto [lo, hi] = std::minmax_element(out.data.begin(), out.data.end());
      EXPECT_LT(*lo, *hi) << "result " << r;
    }

    // Dropout is the identity: another seed gives the same numbers.
    bool hasSeed = llvm::any_of(fn.getArgumentTypes(), [](mlir::Type t) {
      return mlir::isa<mlir::IntegerType>(t);
    });
    if (hasSeed && !big) {
      auto again = interpret(fn, args, /*seed=*/123456789);
      ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
      for (size_t r = 0; r < results->size(); ++r)
        EXPECT_EQ((*again)[r].data, (*results)[r].data);
    }

    // The loss function: the same arguments plus labels, and it must equal
    // the cross-entropy of the forward logits, computed here directly.
    auto lossFn = module->lookupSymbol<mlir::func::FuncOp>(
        (fn.getSymName() + "_loss").str());
    if (!lossFn)
      continue;
    bool crossEntropy = false;
    lossFn.walk([&](mlir::cnn::CrossEntropyOp) { crossEntropy = true; });
    if (!crossEntropy || results->size() != 1)
      continue;
    const HostTensor &logits = results->front();
    ASSERT_EQ(logits.shape.size(), 2u);
    int64_t n = logits.shape[0], classes = logits.shape[1];
    std::vector<HostTensor> lossArgs;
    if (lossFn.getArgumentTypes().take_front(fn.getNumArguments()) ==
        fn.getArgumentTypes()) {
      // The front end's convention: the forward's arguments, then labels.
      std::mt19937 again(1998);
      lossArgs = randomArguments(lossFn, batch, classes, again);
      for (size_t i = 0; i < args.size(); ++i)
        ASSERT_EQ(lossArgs[i].data, args[i].data) << "argument " << i;
    } else if (lossFn.getNumArguments() == 2 &&
               lossFn.getArgumentTypes()[0] == fn.getResultTypes()[0]) {
      // models/lenet5.mlir's: (logits, labels).
      std::mt19937 unused(0);
      lossArgs = randomArguments(lossFn, batch, classes, unused);
      lossArgs[0] = logits;
    } else {
      ADD_FAILURE() << "@" << lossFn.getSymName().str()
                    << " takes neither the forward's arguments nor its logits";
      continue;
    }
    auto loss = interpret(lossFn, lossArgs);
    ASSERT_TRUE(bool(loss)) << llvm::toString(loss.takeError());
    ASSERT_EQ(loss->size(), 1u);
    ASSERT_EQ(loss->front().shape, std::vector<int64_t>{});
    const HostTensor &labels = lossArgs.back();
    double sum = 0;
    for (int64_t b = 0; b < n; ++b) {
      double logSumExp = 0;
      for (int64_t c = 0; c < classes; ++c)
        logSumExp += std::exp(double(logits.data[b * classes + c]));
      sum += std::log(logSumExp) - logits.data[b * classes + labels.ints[b]];
    }
    EXPECT_NEAR(loss->front().data[0], sum / n, 1e-5 * std::max(1.0, sum / n));
  }
}

std::string testName(const testing::TestParamInfo<std::string> &info) {
  std::string name = info.param;
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Shipped, Model, testing::ValuesIn(modelFiles()),
                         testName);

} // namespace
