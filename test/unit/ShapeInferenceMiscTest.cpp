//===- ShapeInferenceMiscTest.cpp - the non-windowed shape rules ----------===//
//
// Tests the rules of dense, flatten, add, concat, local response norm,
// dropout, softmax and the losses, called directly: LeNet-5 and AlexNet shapes,
// dynamic dimensions, overflow, NaN attributes, and every error word for word.
// The windowed layers are in ShapeInferenceTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "ShapeTestUtil.h"

#include "dialects/cnn/ShapeInference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>

using namespace mlir::cnn;
using namespace cnnc::test;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

//===----------------------------------------------------------------------===//
// Dense
//===----------------------------------------------------------------------===//

const Shape kF6Weight = {84, 120};

TEST(DenseShape, LeNetF5F6AndOutput) {
  EXPECT_TRUE(hasShape(
      inferDenseShape({kDyn, 400}, {120, 400}, llvm::ArrayRef<int64_t>{120}),
      {kDyn, 120}));
  EXPECT_TRUE(hasShape(
      inferDenseShape({kDyn, 120}, kF6Weight, llvm::ArrayRef<int64_t>{84}),
      {kDyn, 84}));
  EXPECT_TRUE(hasShape(inferDenseShape({kDyn, 84}, {10, 84}, std::nullopt),
                       {kDyn, 10}));
}

TEST(DenseShape, AlexNetFc6WithStaticBatch) {
  EXPECT_TRUE(hasShape(
      inferDenseShape({128, 9216}, {4096, 9216}, llvm::ArrayRef<int64_t>{4096}),
      {128, 4096}));
}

TEST(DenseShape, DynamicFeaturesAndBiasAreAccepted) {
  EXPECT_TRUE(hasShape(
      inferDenseShape({kDyn, kDyn}, kF6Weight, llvm::ArrayRef<int64_t>{kDyn}),
      {kDyn, 84}));
}

TEST(DenseShape, OperandRanks) {
  EXPECT_EQ(
      errorOf(inferDenseShape({kDyn, 16, 5, 5}, {120, 400}, std::nullopt)),
      "input must have rank 2 [N, K], got rank 4 ([?, 16, 5, 5])");
  EXPECT_EQ(errorOf(inferDenseShape({kDyn, 400}, {120}, std::nullopt)),
            "weight must have rank 2 [M, K], got rank 1 ([120])");
  EXPECT_EQ(errorOf(inferDenseShape({kDyn, 120}, kF6Weight,
                                    llvm::ArrayRef<int64_t>{84, 1})),
            "bias must have rank 1, got rank 2 ([84, 1])");
}

TEST(DenseShape, WeightMustBeStatic) {
  EXPECT_EQ(errorOf(inferDenseShape({kDyn, 400}, {120, kDyn}, std::nullopt)),
            "weight must have a static shape, got [120, ?]");
}

TEST(DenseShape, FeaturesMustMatch) {
  EXPECT_EQ(errorOf(inferDenseShape({kDyn, 256}, {120, 400}, std::nullopt)),
            "input has 256 features but weight expects 400");
}

TEST(DenseShape, BiasMustMatchOutputs) {
  EXPECT_EQ(errorOf(inferDenseShape({kDyn, 400}, {120, 400},
                                    llvm::ArrayRef<int64_t>{84})),
            "bias has 84 elements but weight has 120 outputs");
}

//===----------------------------------------------------------------------===//
// Flatten
//===----------------------------------------------------------------------===//

TEST(FlattenShape, LeNetAndAlexNet) {
  EXPECT_TRUE(hasShape(inferFlattenShape({kDyn, 16, 5, 5}), {kDyn, 400}));
  EXPECT_TRUE(hasShape(inferFlattenShape({kDyn, 256, 6, 6}), {kDyn, 9216}));
}

TEST(FlattenShape, KeepsTheBatchAndAcceptsRank2) {
  EXPECT_TRUE(hasShape(inferFlattenShape({32, 16, 5, 5}), {32, 400}));
  EXPECT_TRUE(hasShape(inferFlattenShape({kDyn, 400}), {kDyn, 400}));
  EXPECT_TRUE(hasShape(inferFlattenShape({2, 0, 5}), {2, 0}));
}

TEST(FlattenShape, DynamicInnerDimGivesDynamicFeatures) {
  EXPECT_TRUE(hasShape(inferFlattenShape({kDyn, 16, kDyn, 5}), {kDyn, kDyn}));
  EXPECT_TRUE(hasShape(inferFlattenShape({8, kDyn}), {8, kDyn}));
}

TEST(FlattenShape, NeedsRank2) {
  EXPECT_EQ(errorOf(inferFlattenShape({400})),
            "input must have rank 2 or more [N, ...], got rank 1");
  EXPECT_EQ(errorOf(inferFlattenShape({})),
            "input must have rank 2 or more [N, ...], got rank 0");
}

TEST(FlattenShape, ProductUpToInt64MaxIsExact) {
  // 7 * 1317624576693539401 == INT64_MAX.
  EXPECT_TRUE(
      hasShape(inferFlattenShape({1, 7, 1317624576693539401}), {1, kMax}));
}

TEST(FlattenShape, OverflowIsAnError) {
  EXPECT_EQ(errorOf(inferFlattenShape({1, kMax / 2, 3})),
            "input [1, 4611686018427387903, 3] has too many features to "
            "flatten");
  // 2^32 * 2^32 is 0 modulo 2^64: a wrapped product would pass unnoticed.
  const int64_t big = int64_t{1} << 32;
  EXPECT_EQ(errorOf(inferFlattenShape({kDyn, big, big})),
            "input [?, 4294967296, 4294967296] has too many features to "
            "flatten");
}

//===----------------------------------------------------------------------===//
// Add
//===----------------------------------------------------------------------===//

TEST(AddShape, SameShapes) {
  EXPECT_TRUE(hasShape(inferAddShape({kDyn, 16, 10, 10}, {kDyn, 16, 10, 10}),
                       {kDyn, 16, 10, 10}));
  EXPECT_TRUE(hasShape(inferAddShape({}, {}), {}));
}

TEST(AddShape, StaticDimsWinOverDynamicOnes) {
  EXPECT_TRUE(hasShape(inferAddShape({kDyn, 10}, {4, 10}), {4, 10}));
  EXPECT_TRUE(hasShape(inferAddShape({4, kDyn}, {kDyn, 10}), {4, 10}));
}

TEST(AddShape, ShapesMustMatch) {
  EXPECT_EQ(errorOf(inferAddShape({kDyn, 10}, {10})),
            "lhs has shape [?, 10] but rhs has shape [10]");
  EXPECT_EQ(errorOf(inferAddShape({kDyn, 16, 10, 10}, {kDyn, 16, 5, 5})),
            "lhs has shape [?, 16, 10, 10] but rhs has shape [?, 16, 5, 5]");
}

//===----------------------------------------------------------------------===//
// Concat
//===----------------------------------------------------------------------===//

/// Keeps the shapes alive while inferConcatShape looks at them.
llvm::Expected<Shape> inferConcat(std::initializer_list<Shape> inputs,
                                  int64_t axis) {
  llvm::SmallVector<llvm::ArrayRef<int64_t>> refs(inputs.begin(), inputs.end());
  return inferConcatShape(refs, axis);
}

TEST(ConcatShape, ChannelsOfTwoBranches) {
  EXPECT_TRUE(hasShape(inferConcat({{kDyn, 6, 14, 14}, {kDyn, 10, 14, 14}}, 1),
                       {kDyn, 16, 14, 14}));
}

TEST(ConcatShape, FourBranchesOfAnInceptionBlock) {
  EXPECT_TRUE(hasShape(inferConcat({{kDyn, 64, 28, 28},
                                    {kDyn, 128, 28, 28},
                                    {kDyn, 32, 28, 28},
                                    {kDyn, 32, 28, 28}},
                                   1),
                       {kDyn, 256, 28, 28}));
}

TEST(ConcatShape, AlongTheBatch) {
  EXPECT_TRUE(hasShape(inferConcat({{2, 10}, {3, 10}}, 0), {5, 10}));
  EXPECT_TRUE(hasShape(inferConcat({{kDyn, 10}, {3, 10}}, 0), {kDyn, 10}));
  EXPECT_TRUE(
      hasShape(inferConcat({{3, 10}, {kDyn, 10}, {2, 10}}, 0), {kDyn, 10}));
}

TEST(ConcatShape, DynamicDimsOutsideTheAxisTakeTheStaticSize) {
  EXPECT_TRUE(
      hasShape(inferConcat({{kDyn, 6, kDyn, 14}, {kDyn, 10, 14, kDyn}}, 1),
               {kDyn, 16, 14, 14}));
}

TEST(ConcatShape, NeedsTwoInputs) {
  EXPECT_EQ(errorOf(inferConcat({{kDyn, 6, 14, 14}}, 1)),
            "concat needs at least 2 inputs, got 1");
  EXPECT_EQ(errorOf(inferConcat({}, 1)),
            "concat needs at least 2 inputs, got 0");
}

TEST(ConcatShape, AxisMustBeInRange) {
  EXPECT_EQ(errorOf(inferConcat({{kDyn, 6}, {kDyn, 6}}, 2)),
            "axis 2 is out of range for inputs of rank 2");
  EXPECT_EQ(errorOf(inferConcat({{kDyn, 6}, {kDyn, 6}}, -1)),
            "axis -1 is out of range for inputs of rank 2");
  EXPECT_EQ(errorOf(inferConcat({{}, {}}, 0)),
            "axis 0 is out of range for inputs of rank 0");
}

TEST(ConcatShape, RanksMustMatch) {
  EXPECT_EQ(errorOf(inferConcat({{kDyn, 6, 14, 14}, {kDyn, 6}}, 1)),
            "input 1 has rank 2 but input 0 has rank 4");
  EXPECT_EQ(errorOf(inferConcat({{kDyn, 6}, {kDyn, 6}, {kDyn, 6, 1}}, 1)),
            "input 2 has rank 3 but input 0 has rank 2");
}

TEST(ConcatShape, OtherDimsMustMatch) {
  EXPECT_EQ(errorOf(inferConcat({{kDyn, 6, 14, 14}, {kDyn, 6, 10, 10}}, 1)),
            "input 1 has shape [?, 6, 10, 10], which differs from input 0's "
            "[?, 6, 14, 14] outside axis 1");
}

TEST(ConcatShape, OverflowAlongTheAxisIsAnError) {
  EXPECT_EQ(errorOf(inferConcat({{1, kMax}, {1, 1}}, 1)),
            "concatenated size along axis 1 is too large");
  EXPECT_EQ(errorOf(inferConcat({{kMax / 2 + 1, 3}, {kMax / 2 + 1, 3}}, 0)),
            "concatenated size along axis 0 is too large");
  EXPECT_TRUE(hasShape(inferConcat({{1, kMax - 1}, {1, 1}}, 1), {1, kMax}));
}

// Regression: a dynamic dim of input 0 takes the size of the first input that
// has one, and a later conflict is blamed on input 0: this says input 2
// differs from input 0's [?, 2], though only input 1's 3 disagrees with 4.
TEST(ConcatRegression, ConflictNamesTheInputsThatDisagree) {
  std::string message = errorOf(inferConcat({{kDyn, 2}, {3, 2}, {4, 2}}, 1));
  EXPECT_EQ(message.find("input 0's [?, 2]"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// LocalResponseNorm
//===----------------------------------------------------------------------===//

const Shape kAlexNetConv1Out = {kDyn, 96, 55, 55};

TEST(LocalResponseNormShape, AlexNetKeepsTheShape) {
  EXPECT_TRUE(hasShape(
      inferLocalResponseNormShape(kAlexNetConv1Out, 5, 1e-4, 0.75, 2.0),
      kAlexNetConv1Out));
  EXPECT_TRUE(hasShape(
      inferLocalResponseNormShape({8, 256, kDyn, kDyn}, 5, 1e-4, 0.75, 2.0),
      {8, 256, kDyn, kDyn}));
}

TEST(LocalResponseNormShape, ZeroAlphaAndBetaAreAllowed) {
  EXPECT_TRUE(
      hasShape(inferLocalResponseNormShape(kAlexNetConv1Out, 1, 0.0, 0.0, 1e-9),
               kAlexNetConv1Out));
}

TEST(LocalResponseNormShape, InputMustHaveRank4) {
  EXPECT_EQ(
      errorOf(inferLocalResponseNormShape({kDyn, 4096}, 5, 1e-4, 0.75, 2.0)),
      "input must have rank 4 [N, C, H, W], got rank 2 ([?, 4096])");
}

struct LrnErrorCase {
  const char *name;
  int64_t size;
  double alpha, beta, k;
  const char *message;
};

void PrintTo(const LrnErrorCase &c, std::ostream *os) { *os << c.name; }

// clang-format off
const LrnErrorCase kLrnErrors[] = {
  // name           size alpha   beta   k      message
  {"SizeZero",      0,   1e-4,   0.75,  2.0,   "size must be at least 1, got 0"},
  {"SizeNegative",  -3,  1e-4,   0.75,  2.0,   "size must be at least 1, got -3"},
  {"AlphaNegative", 5,   -1.0,   0.75,  2.0,   "alpha must be finite and non-negative, got -1"},
  {"AlphaNaN",      5,   kNaN,   0.75,  2.0,   "alpha must be finite and non-negative, got nan"},
  {"AlphaInf",      5,   kInf,   0.75,  2.0,   "alpha must be finite and non-negative, got inf"},
  {"BetaNegative",  5,   1e-4,   -0.5,  2.0,   "beta must be finite and non-negative, got -0.5"},
  {"BetaNaN",       5,   1e-4,   kNaN,  2.0,   "beta must be finite and non-negative, got nan"},
  {"BetaInf",       5,   1e-4,   kInf,  2.0,   "beta must be finite and non-negative, got inf"},
  {"KZero",         5,   1e-4,   0.75,  0.0,   "k must be finite and positive, got 0"},
  {"KNegative",     5,   1e-4,   0.75,  -2.0,  "k must be finite and positive, got -2"},
  {"KNaN",          5,   1e-4,   0.75,  kNaN,  "k must be finite and positive, got nan"},
  {"KInf",          5,   1e-4,   0.75,  kInf,  "k must be finite and positive, got inf"},
  // Checked in order: size, alpha, beta, k.
  {"SizeBeforeAlpha", 0, kNaN,   kNaN,  kNaN,  "size must be at least 1, got 0"},
  {"AlphaBeforeBeta", 5, kNaN,   kNaN,  kNaN,  "alpha must be finite and non-negative, got nan"},
};
// clang-format on

class LocalResponseNormErrorTest : public testing::TestWithParam<LrnErrorCase> {
};

TEST_P(LocalResponseNormErrorTest, ReportsMessage) {
  const LrnErrorCase &c = GetParam();
  EXPECT_EQ(errorOf(inferLocalResponseNormShape(kAlexNetConv1Out, c.size,
                                                c.alpha, c.beta, c.k)),
            c.message);
}

INSTANTIATE_TEST_SUITE_P(Invalid, LocalResponseNormErrorTest,
                         testing::ValuesIn(kLrnErrors),
                         [](const auto &info) { return info.param.name; });

TEST(LocalResponseNormShape, AttributesAreCheckedBeforeTheInput) {
  EXPECT_EQ(errorOf(inferLocalResponseNormShape({4096}, 5, kNaN, 0.75, 2.0)),
            "alpha must be finite and non-negative, got nan");
}

// Regression: values print with two decimals, so a small negative alpha reads
// as "got -0.00", which looks like an allowed zero.
TEST(LocalResponseNormRegression, SmallNegativeAlphaIsReadable) {
  std::string message = errorOf(
      inferLocalResponseNormShape(kAlexNetConv1Out, 5, -1e-4, 0.75, 2.0));
  EXPECT_EQ(message, "alpha must be finite and non-negative, got -0.0001");
}

//===----------------------------------------------------------------------===//
// Dropout
//===----------------------------------------------------------------------===//

TEST(DropoutShape, KeepsAnyShape) {
  EXPECT_TRUE(hasShape(inferDropoutShape({kDyn, 4096}, 0.5), {kDyn, 4096}));
  EXPECT_TRUE(
      hasShape(inferDropoutShape({2, 3, 4, 5, 6}, 0.0), {2, 3, 4, 5, 6}));
  EXPECT_TRUE(hasShape(inferDropoutShape({}, 0.999), {}));
}

TEST(DropoutShape, RateMustBeInHalfOpenUnitInterval) {
  EXPECT_EQ(errorOf(inferDropoutShape({kDyn, 4096}, 1.0)),
            "rate must be in [0, 1), got 1");
  EXPECT_EQ(errorOf(inferDropoutShape({kDyn, 4096}, -0.5)),
            "rate must be in [0, 1), got -0.5");
  EXPECT_EQ(errorOf(inferDropoutShape({kDyn, 4096}, kInf)),
            "rate must be in [0, 1), got inf");
}

TEST(DropoutShape, NaNRateIsAnError) {
  EXPECT_EQ(errorOf(inferDropoutShape({kDyn, 4096}, kNaN)),
            "rate must be in [0, 1), got nan");
  EXPECT_EQ(errorOf(inferDropoutShape({kDyn, 4096}, -kNaN)),
            "rate must be in [0, 1), got nan");
}

// Regression: as for alpha, a small negative rate reads as "got -0.00".
TEST(DropoutRegression, SmallNegativeRateIsReadable) {
  EXPECT_EQ(errorOf(inferDropoutShape({kDyn, 4096}, -1e-3)),
            "rate must be in [0, 1), got -0.001");
}

//===----------------------------------------------------------------------===//
// Softmax (and log_softmax, which shares the rule)
//===----------------------------------------------------------------------===//

TEST(SoftmaxShape, KeepsTheShapeForEveryValidAxis) {
  EXPECT_TRUE(hasShape(inferSoftmaxShape({kDyn, 10}, 1), {kDyn, 10}));
  EXPECT_TRUE(hasShape(inferSoftmaxShape({kDyn, 10}, 0), {kDyn, 10}));
  EXPECT_TRUE(hasShape(inferSoftmaxShape({10}, 0), {10}));
  EXPECT_TRUE(hasShape(inferSoftmaxShape({2, 3, 4, kDyn}, 3), {2, 3, 4, kDyn}));
}

TEST(SoftmaxShape, AxisMustBeInRange) {
  EXPECT_EQ(errorOf(inferSoftmaxShape({kDyn, 10}, 2)),
            "axis 2 is out of range for input of rank 2");
  EXPECT_EQ(errorOf(inferSoftmaxShape({kDyn, 10}, -1)),
            "axis -1 is out of range for input of rank 2");
  EXPECT_EQ(errorOf(inferSoftmaxShape({kDyn, 10}, kMax)),
            "axis 9223372036854775807 is out of range for input of rank 2");
}

TEST(SoftmaxShape, ScalarsHaveNoAxis) {
  EXPECT_EQ(errorOf(inferSoftmaxShape({}, 0)),
            "input must have rank 1 or more, got rank 0");
}

//===----------------------------------------------------------------------===//
// CrossEntropy
//===----------------------------------------------------------------------===//

TEST(CrossEntropyShape, GivesAScalar) {
  EXPECT_TRUE(hasShape(inferCrossEntropyShape({kDyn, 10}, {kDyn}), {}));
  EXPECT_TRUE(hasShape(inferCrossEntropyShape({64, 1000}, {64}), {}));
}

TEST(CrossEntropyShape, DynamicBatchOnEitherSideIsAccepted) {
  EXPECT_TRUE(hasShape(inferCrossEntropyShape({kDyn, 10}, {64}), {}));
  EXPECT_TRUE(hasShape(inferCrossEntropyShape({64, 10}, {kDyn}), {}));
  EXPECT_TRUE(hasShape(inferCrossEntropyShape({64, kDyn}, {64}), {}));
}

TEST(CrossEntropyShape, OperandRanks) {
  EXPECT_EQ(errorOf(inferCrossEntropyShape({10}, {kDyn})),
            "logits must have rank 2 [N, classes], got rank 1 ([10])");
  EXPECT_EQ(errorOf(inferCrossEntropyShape({kDyn, 10}, {64, 1})),
            "labels must have rank 1 [N], got rank 2 ([64, 1])");
}

TEST(CrossEntropyShape, NeedsAClass) {
  EXPECT_EQ(errorOf(inferCrossEntropyShape({64, 0}, {64})),
            "logits must have at least one class, got 0");
}

TEST(CrossEntropyShape, BatchesMustMatch) {
  EXPECT_EQ(errorOf(inferCrossEntropyShape({64, 10}, {32})),
            "labels has 32 entries but logits has 64 rows");
}

//===----------------------------------------------------------------------===//
// MSE
//===----------------------------------------------------------------------===//

TEST(MSEShape, GivesAScalar) {
  EXPECT_TRUE(hasShape(inferMSEShape({kDyn, 10}, {kDyn, 10}), {}));
  EXPECT_TRUE(hasShape(inferMSEShape({}, {}), {}));
}

TEST(MSEShape, DynamicDimsMatchAnything) {
  EXPECT_TRUE(hasShape(inferMSEShape({kDyn, 10}, {64, 10}), {}));
  EXPECT_TRUE(hasShape(inferMSEShape({64, kDyn}, {kDyn, 10}), {}));
}

TEST(MSEShape, ShapesMustMatch) {
  EXPECT_EQ(errorOf(inferMSEShape({kDyn, 10}, {10})),
            "prediction has shape [?, 10] but target has shape [10]");
  EXPECT_EQ(errorOf(inferMSEShape({64, 10}, {64, 5})),
            "prediction has shape [64, 10] but target has shape [64, 5]");
}

} // namespace
