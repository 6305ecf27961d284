//===- ShapeInferenceTest.cpp - the shape rules, called directly ----------===//
//
// Tests the rules of the windowed layers (conv2d with groups and connection
// tables, pooling, LeNet-5's subsampling, the fused conv + pool) and
// formatShape, without building IR. Shapes come from LeNet-5 and AlexNet;
// every error is checked word for word, since the front end and the verifier
// show these messages to users unchanged. The other layers' rules are in
// ShapeInferenceMiscTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "ShapeTestUtil.h"

#include "dialects/cnn/ShapeInference.h"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>

using namespace mlir::cnn;
using namespace cnnc::test;

namespace {

//===----------------------------------------------------------------------===//
// formatShape
//===----------------------------------------------------------------------===//

TEST(FormatShape, RendersDynamicDimsAsQuestionMarks) {
  EXPECT_EQ(formatShape({kDyn, 6, 28, 28}), "[?, 6, 28, 28]");
  EXPECT_EQ(formatShape({kDyn, kDyn}), "[?, ?]");
}

TEST(FormatShape, RendersScalarsZerosAndHugeDims) {
  EXPECT_EQ(formatShape({}), "[]");
  EXPECT_EQ(formatShape({0}), "[0]");
  EXPECT_EQ(formatShape({kMax, 1}), "[9223372036854775807, 1]");
}

//===----------------------------------------------------------------------===//
// Conv2D
//===----------------------------------------------------------------------===//

/// Operands and attributes of one conv2d; the defaults are the op's.
struct ConvOperands {
  Shape input;
  Shape weight;
  std::optional<Shape> bias;
  Shape stride = {1, 1};
  Shape padding = {0, 0};
  Shape dilation = {1, 1};
  int64_t groups = 1;
};

llvm::Expected<Shape>
inferConv(const ConvOperands &conv,
          std::optional<ConnectionTable> connections = std::nullopt) {
  std::optional<llvm::ArrayRef<int64_t>> bias;
  if (conv.bias)
    bias = *conv.bias;
  return inferConv2DShape(
      conv.input, conv.weight, bias,
      {conv.stride, conv.padding, conv.dilation, conv.groups, connections});
}

struct ConvShapeCase {
  const char *name;
  ConvOperands conv;
  Shape expected;
};

void PrintTo(const ConvShapeCase &c, std::ostream *os) { *os << c.name; }

// clang-format off
const ConvShapeCase kConvShapes[] = {
  // name                  {input, weight, bias, stride, padding, dilation, groups}  expected
  {"LeNetC1",              {{kDyn, 1, 32, 32}, {6, 1, 5, 5}, Shape{6}},              {kDyn, 6, 28, 28}},
  {"LeNetC1On28Padded",    {{kDyn, 1, 28, 28}, {6, 1, 5, 5}, Shape{6}, {1, 1}, {2, 2}}, {kDyn, 6, 28, 28}},
  {"LeNetC5",              {{kDyn, 16, 5, 5}, {120, 16, 5, 5}, Shape{120}},          {kDyn, 120, 1, 1}},
  {"AlexNetConv1Stride4",  {{kDyn, 3, 227, 227}, {96, 3, 11, 11}, Shape{96}, {4, 4}}, {kDyn, 96, 55, 55}},
  {"AlexNetConv2Groups2",  {{kDyn, 96, 27, 27}, {256, 48, 5, 5}, Shape{256}, {1, 1}, {2, 2}, {1, 1}, 2},
                                                                                     {kDyn, 256, 27, 27}},
  {"AlexNetConv3",         {{kDyn, 256, 13, 13}, {384, 256, 3, 3}, Shape{384}, {1, 1}, {1, 1}},
                                                                                     {kDyn, 384, 13, 13}},
  {"AlexNetConv4Groups2",  {{kDyn, 384, 13, 13}, {384, 192, 3, 3}, Shape{384}, {1, 1}, {1, 1}, {1, 1}, 2},
                                                                                     {kDyn, 384, 13, 13}},
  {"Depthwise",            {{1, 8, 10, 10}, {8, 1, 3, 3}, Shape{8}, {1, 1}, {0, 0}, {1, 1}, 8},
                                                                                     {1, 8, 8, 8}},
  {"NoBias",               {{kDyn, 1, 32, 32}, {6, 1, 5, 5}, std::nullopt},          {kDyn, 6, 28, 28}},
  {"StaticBatch",          {{64, 1, 32, 32}, {6, 1, 5, 5}, Shape{6}},                {64, 6, 28, 28}},
  // A 3x3 kernel at dilation 2 spans 5 inputs.
  {"Dilation2",            {{1, 1, 32, 32}, {1, 1, 3, 3}, std::nullopt, {1, 1}, {0, 0}, {2, 2}},
                                                                                     {1, 1, 28, 28}},
  {"DilationPerAxis",      {{1, 1, 32, 32}, {1, 1, 3, 3}, std::nullopt, {1, 1}, {0, 0}, {2, 1}},
                                                                                     {1, 1, 28, 30}},
  {"DilatedSamePadding",   {{1, 1, 16, 16}, {1, 1, 3, 3}, std::nullopt, {1, 1}, {2, 2}, {2, 2}},
                                                                                     {1, 1, 16, 16}},
  // A 1x1 kernel spans one input whatever its dilation.
  {"HugeDilation1x1",      {{1, 1, 8, 8}, {1, 1, 1, 1}, std::nullopt, {1, 1}, {0, 0}, {kMax, kMax}},
                                                                                     {1, 1, 8, 8}},
  {"Kernel1x7SamePadding", {{1, 4, 17, 17}, {8, 4, 1, 7}, std::nullopt, {1, 1}, {0, 3}},
                                                                                     {1, 8, 17, 17}},
  {"Kernel3x5Stride1x2",   {{2, 3, 10, 11}, {5, 3, 3, 5}, std::nullopt, {1, 2}},    {2, 5, 8, 4}},
  {"StrideRoundsDown",     {{1, 1, 6, 6}, {1, 1, 3, 3}, std::nullopt, {2, 2}},      {1, 1, 2, 2}},
  {"PaddingMakesItFit",    {{1, 1, 2, 2}, {1, 1, 3, 3}, std::nullopt, {1, 1}, {1, 1}}, {1, 1, 2, 2}},
  {"HugeStride",           {{1, 1, 5, 5}, {1, 1, 1, 1}, std::nullopt, {kMax, kMax}}, {1, 1, 1, 1}},
  {"HugeInput",            {{1, 1, kMax, 1}, {1, 1, 1, 1}, std::nullopt},            {1, 1, kMax, 1}},
  {"DynamicHeight",        {{1, 3, kDyn, 32}, {8, 3, 3, 3}, Shape{8}},               {1, 8, kDyn, 30}},
  {"DynamicSpatialPadded", {{kDyn, 3, kDyn, kDyn}, {8, 3, 3, 3}, Shape{8}, {1, 1}, {1, 1}},
                                                                                     {kDyn, 8, kDyn, kDyn}},
  {"DynamicChannels",      {{1, kDyn, 8, 8}, {4, 3, 3, 3}, Shape{4}},                {1, 4, 6, 6}},
  {"DynamicChannelsGroups",{{1, kDyn, 8, 8}, {4, 3, 3, 3}, Shape{4}, {1, 1}, {0, 0}, {1, 1}, 2},
                                                                                     {1, 4, 6, 6}},
  {"DynamicBiasLength",    {{1, 3, 8, 8}, {4, 3, 3, 3}, Shape{kDyn}},                {1, 4, 6, 6}},
};
// clang-format on

class Conv2DShapeTest : public testing::TestWithParam<ConvShapeCase> {};

TEST_P(Conv2DShapeTest, InfersResult) {
  EXPECT_TRUE(hasShape(inferConv(GetParam().conv), GetParam().expected));
}

INSTANTIATE_TEST_SUITE_P(Valid, Conv2DShapeTest, testing::ValuesIn(kConvShapes),
                         [](const auto &info) { return info.param.name; });

struct ConvErrorCase {
  const char *name;
  ConvOperands conv;
  const char *message;
};

void PrintTo(const ConvErrorCase &c, std::ostream *os) { *os << c.name; }

const Shape kLeNetInput = {kDyn, 1, 32, 32};
const Shape kLeNetWeight = {6, 1, 5, 5};

// clang-format off
const ConvErrorCase kConvErrors[] = {
  // Attributes.
  {"StrideOneValue",     {kLeNetInput, kLeNetWeight, std::nullopt, {1}},
   "stride must have 2 values [h, w], got 1"},
  {"StrideZeroWidth",    {kLeNetInput, kLeNetWeight, std::nullopt, {1, 0}},
   "stride width must be at least 1, got 0"},
  {"PaddingNegative",    {kLeNetInput, kLeNetWeight, std::nullopt, {1, 1}, {-1, 0}},
   "padding height must be at least 0, got -1"},
  {"DilationZero",       {kLeNetInput, kLeNetWeight, std::nullopt, {1, 1}, {0, 0}, {0, 1}},
   "dilation height must be at least 1, got 0"},
  {"DilationThreeValues",{kLeNetInput, kLeNetWeight, std::nullopt, {1, 1}, {0, 0}, {1, 1, 1}},
   "dilation must have 2 values [h, w], got 3"},
  {"GroupsZero",         {kLeNetInput, kLeNetWeight, std::nullopt, {1, 1}, {0, 0}, {1, 1}, 0},
   "groups must be at least 1, got 0"},
  {"GroupsNegative",     {kLeNetInput, kLeNetWeight, std::nullopt, {1, 1}, {0, 0}, {1, 1}, -2},
   "groups must be at least 1, got -2"},
  // Attributes are checked before operands.
  {"AttributesFirst",    {{1, 32, 32}, kLeNetWeight, std::nullopt, {0, 1}},
   "stride height must be at least 1, got 0"},
  // Ranks and static weights.
  {"InputRank3",         {{1, 32, 32}, kLeNetWeight, Shape{6}},
   "input must have rank 4 [N, C, H, W], got rank 3 ([1, 32, 32])"},
  {"WeightRank2",        {kLeNetInput, {6, 25}, Shape{6}},
   "weight must have rank 4 [F, C/groups, KH, KW], got rank 2 ([6, 25])"},
  {"WeightDynamic",      {kLeNetInput, {kDyn, 1, 5, 5}, Shape{6}},
   "weight must have a static shape, got [?, 1, 5, 5]"},
  {"BiasRank2",          {kLeNetInput, kLeNetWeight, Shape{6, 1}},
   "bias must have rank 1, got rank 2 ([6, 1])"},
  {"BiasLength",         {kLeNetInput, kLeNetWeight, Shape{5}},
   "bias has 5 elements but weight has 6 output channels"},
  // Channels and groups.
  {"ChannelMismatch",    {{kDyn, 3, 32, 32}, kLeNetWeight, Shape{6}},
   "input has 3 channels but weight expects 1"},
  {"GroupsSplitOutputs", {{1, 4, 8, 8}, {6, 1, 3, 3}, std::nullopt, {1, 1}, {0, 0}, {1, 1}, 4},
   "weight has 6 output channels, which groups = 4 does not divide"},
  {"GroupsSplitInputs",  {{1, 6, 8, 8}, {8, 2, 3, 3}, std::nullopt, {1, 1}, {0, 0}, {1, 1}, 4},
   "input has 6 channels, which groups = 4 does not divide"},
  // AlexNet's conv2 with an ungrouped weight.
  {"PerGroupMismatch",   {{kDyn, 96, 27, 27}, {256, 96, 5, 5}, Shape{256}, {1, 1}, {2, 2}, {1, 1}, 2},
   "input has 96 channels, 48 per group of 2, but weight expects 96 per group"},
  // Windows that do not fit.
  {"KernelTooTall",      {{1, 1, 4, 8}, {1, 1, 5, 5}},
   "conv2d kernel height 5 does not fit input height 4 (padding 0)"},
  {"KernelTooWide",      {{1, 1, 8, 4}, {1, 1, 5, 5}},
   "conv2d kernel width 5 does not fit input width 4 (padding 0)"},
  {"PaddingNotEnough",   {{1, 1, 2, 2}, {1, 1, 7, 7}, std::nullopt, {1, 1}, {2, 2}},
   "conv2d kernel height 7 does not fit input height 2 (padding 2)"},
  {"DilatedTooLarge",    {{1, 1, 8, 8}, {1, 1, 3, 3}, std::nullopt, {1, 1}, {0, 0}, {4, 4}},
   "conv2d dilated kernel height 9 does not fit input height 8 (padding 0)"},
  {"EmptyInput",         {{1, 1, 0, 8}, {1, 1, 1, 1}},
   "conv2d kernel height 1 does not fit input height 0 (padding 0)"},
  // Sizes past int64_t are errors, not wrapped arithmetic.
  {"DilationOverflow",   {kLeNetInput, kLeNetWeight, std::nullopt, {1, 1}, {0, 0}, {kMax / 2, 1}},
   "conv2d height window is too large"},
  {"KernelSpanOverflow", {{1, 1, 8, 8}, {1, 1, kMax, 1}, std::nullopt, {1, 1}, {0, 0}, {2, 1}},
   "conv2d height window is too large"},
  {"PaddingOverflow",    {kLeNetInput, kLeNetWeight, std::nullopt, {1, 1}, {0, kMax}},
   "conv2d padding width 9223372036854775807 is too large"},
  {"PaddedInputOverflow",{kLeNetInput, {6, 1, 1, 1}, std::nullopt, {1, 1}, {kMax / 2, 0}},
   "conv2d padded input height is too large"},
  {"HugeInputPadded",    {{1, 1, kMax, 1}, {1, 1, 1, 1}, std::nullopt, {1, 1}, {1, 0}},
   "conv2d padded input height is too large"},
  // The window's own size is checked even when the input size is unknown.
  {"OverflowDynamicDims",{{kDyn, 1, kDyn, kDyn}, kLeNetWeight, std::nullopt, {1, 1}, {0, 0}, {kMax / 2, 1}},
   "conv2d height window is too large"},
};
// clang-format on

class Conv2DErrorTest : public testing::TestWithParam<ConvErrorCase> {};

TEST_P(Conv2DErrorTest, ReportsMessage) {
  EXPECT_EQ(errorOf(inferConv(GetParam().conv)), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(Invalid, Conv2DErrorTest,
                         testing::ValuesIn(kConvErrors),
                         [](const auto &info) { return info.param.name; });

// Regression: a weight with a zero-sized kernel dimension (a valid MLIR type,
// tensor<6x1x0x5xf32>) was accepted, and the output grew past the input:
// the window spanned 0 rows, so OH = (32 - 0) / 1 + 1 = 33.
TEST(Conv2DRegression, ZeroSizedKernelIsAnError) {
  EXPECT_TRUE(fails(inferConv({kLeNetInput, {6, 1, 0, 5}})));
}

// Regression: with a zero-sized kernel the window span is
// dilation * (0 - 1) + 1, negative, and `padded - span` overflows int64_t
// (signed overflow: UBSan aborts here) instead of reporting an error.
TEST(Conv2DRegression, ZeroSizedKernelWithHugeDilationIsAnError) {
  ConvOperands conv = {{1, 1, 2, 2}, {1, 1, 0, 1}};
  conv.dilation = {kMax, 1};
  EXPECT_TRUE(fails(inferConv(conv)));
}

//===----------------------------------------------------------------------===//
// Conv2D with a connection table
//===----------------------------------------------------------------------===//

/// LeNet-5's C3 table (LeCun et al. 1998, table I), [16 output maps, 6 input
/// maps]: maps 0-5 read three neighbouring S2 maps, maps 6-11 four
/// neighbouring ones, maps 12-14 four non-neighbouring ones, map 15 all six.
llvm::SmallVector<bool> leNetC3Table() {
  llvm::SmallVector<bool> table(16 * 6, false);
  auto connect = [&](int64_t out, std::initializer_list<int64_t> ins) {
    for (int64_t in : ins)
      table[out * 6 + in % 6] = true;
  };
  for (int64_t out = 0; out < 6; ++out)
    connect(out, {out, out + 1, out + 2});
  for (int64_t out = 6; out < 12; ++out)
    connect(out, {out, out + 1, out + 2, out + 3});
  connect(12, {0, 1, 3, 4});
  connect(13, {1, 2, 4, 5});
  connect(14, {0, 2, 3, 5});
  connect(15, {0, 1, 2, 3, 4, 5});
  return table;
}

class ConnectionTableTest : public testing::Test {
protected:
  /// C3 of LeNet-5: S2's 6 maps of 14x14 to 16 maps of 10x10.
  ConvOperands c3 = {{kDyn, 6, 14, 14}, {16, 6, 5, 5}, Shape{16}};
  llvm::SmallVector<bool> connected = leNetC3Table();
  Shape tableShape = {16, 6};

  llvm::Expected<Shape> infer() {
    return inferConv(c3, ConnectionTable{tableShape, connected});
  }
};

TEST_F(ConnectionTableTest, LeNetC3) {
  ASSERT_EQ(llvm::count(connected, true), 60); // the paper's 60 kernels
  EXPECT_TRUE(hasShape(infer(), {kDyn, 16, 10, 10}));
}

TEST_F(ConnectionTableTest, DynamicInputChannels) {
  c3.input = {kDyn, kDyn, 14, 14};
  EXPECT_TRUE(hasShape(infer(), {kDyn, 16, 10, 10}));
}

TEST_F(ConnectionTableTest, RequiresGroupsOne) {
  c3.groups = 2;
  EXPECT_EQ(errorOf(infer()), "a connection table requires groups = 1, got 2");
}

TEST_F(ConnectionTableTest, RequiresRank2) {
  tableShape = {96};
  EXPECT_EQ(errorOf(infer()), "connection table must have rank 2 [output "
                              "maps, input maps], got rank 1");
}

TEST_F(ConnectionTableTest, RowsMustMatchOutputChannels) {
  tableShape = {15, 6};
  connected.resize(15 * 6);
  EXPECT_EQ(errorOf(infer()),
            "connection table has 15 rows but weight has 16 output channels");
}

TEST_F(ConnectionTableTest, ColumnsMustMatchWeightInputChannels) {
  tableShape = {16, 5};
  connected.resize(16 * 5);
  EXPECT_EQ(errorOf(infer()),
            "connection table has 5 columns but weight has 6 input channels");
}

TEST_F(ConnectionTableTest, EntriesMustMatchShape) {
  connected.pop_back();
  EXPECT_EQ(errorOf(infer()), "connection table has 95 entries, expected 96");
}

TEST_F(ConnectionTableTest, EveryOutputMapReadsAnInput) {
  for (int64_t in = 0; in < 6; ++in)
    connected[3 * 6 + in] = false;
  EXPECT_EQ(errorOf(infer()),
            "connection table: output map 3 reads no input map");
}

TEST_F(ConnectionTableTest, InputChannelsMustMatchWeight) {
  c3.input = {kDyn, 3, 14, 14};
  EXPECT_EQ(errorOf(infer()), "input has 3 channels but weight expects 6");
}

// Regression: checkConnectionTable computes `outputs * inputs` unchecked. With
// 2^32 x 2^32 the product wraps to 0 (UBSan aborts on the signed overflow),
// matches an empty table, and the row loop then reads past its end.
TEST_F(ConnectionTableTest, TableSizeDoesNotOverflow) {
  const int64_t big = int64_t{1} << 32;
  c3 = {{1, big, 1, 1}, {big, big, 1, 1}};
  tableShape = {big, big};
  connected.clear();
  EXPECT_TRUE(fails(infer()));
}

//===----------------------------------------------------------------------===//
// Pooling (avg_pool2d and max_pool2d share the rule)
//===----------------------------------------------------------------------===//

struct PoolCase {
  const char *name;
  Shape input;
  Shape kernel;
  Shape stride;
  Shape padding;
  Shape expected;      // when message is null
  const char *message; // the error, or null for a valid case
};

void PrintTo(const PoolCase &c, std::ostream *os) { *os << c.name; }

// clang-format off
const PoolCase kPoolCases[] = {
  // name                  input                kernel      stride      padding   expected
  {"LeNetS2",              {kDyn, 6, 28, 28},   {2, 2},     {2, 2},     {0, 0},   {kDyn, 6, 14, 14}, nullptr},
  {"LeNetS4",              {kDyn, 16, 10, 10},  {2, 2},     {2, 2},     {0, 0},   {kDyn, 16, 5, 5}, nullptr},
  {"AlexNetPool1Overlap",  {kDyn, 96, 55, 55},  {3, 3},     {2, 2},     {0, 0},   {kDyn, 96, 27, 27}, nullptr},
  {"AlexNetPool2Overlap",  {kDyn, 256, 27, 27}, {3, 3},     {2, 2},     {0, 0},   {kDyn, 256, 13, 13}, nullptr},
  {"AlexNetPool5Overlap",  {kDyn, 256, 13, 13}, {3, 3},     {2, 2},     {0, 0},   {kDyn, 256, 6, 6}, nullptr},
  {"SamePadding",          {1, 3, 7, 7},        {3, 3},     {1, 1},     {1, 1},   {1, 3, 7, 7}, nullptr},
  {"PaddingHalfKernel",    {1, 1, 4, 4},        {2, 2},     {2, 2},     {1, 1},   {1, 1, 3, 3}, nullptr},
  {"NonSquare",            {1, 3, 8, 9},        {2, 3},     {2, 3},     {0, 0},   {1, 3, 4, 3}, nullptr},
  {"RoundsDown",           {1, 1, 7, 7},        {2, 2},     {2, 2},     {0, 0},   {1, 1, 3, 3}, nullptr},
  {"GlobalPool",           {1, 1, 5, 5},        {5, 5},     {1, 1},     {0, 0},   {1, 1, 1, 1}, nullptr},
  {"HugeStride",           {1, 1, 5, 5},        {1, 1},     {kMax, kMax}, {0, 0}, {1, 1, 1, 1}, nullptr},
  {"DynamicSpatial",       {1, 3, kDyn, 9},     {2, 2},     {2, 2},     {0, 0},   {1, 3, kDyn, 4}, nullptr},
  {"DynamicChannels",      {kDyn, kDyn, 4, 4},  {2, 2},     {2, 2},     {0, 0},   {kDyn, kDyn, 2, 2}, nullptr},
  // Errors: attributes, then the input's rank, then the window.
  {"KernelOneValue",       {1, 1, 4, 4},        {2},        {2, 2},     {0, 0},   {},
   "kernel must have 2 values [h, w], got 1"},
  {"KernelZero",           {1, 1, 4, 4},        {0, 2},     {2, 2},     {0, 0},   {},
   "kernel height must be at least 1, got 0"},
  {"StrideEmpty",          {1, 1, 4, 4},        {2, 2},     {},         {0, 0},   {},
   "stride must have 2 values [h, w], got 0"},
  {"StrideZero",           {1, 1, 4, 4},        {2, 2},     {2, 0},     {0, 0},   {},
   "stride width must be at least 1, got 0"},
  {"PaddingNegative",      {1, 1, 4, 4},        {2, 2},     {2, 2},     {0, -1},  {},
   "padding width must be at least 0, got -1"},
  {"PaddingPastHalfHeight",{1, 1, 4, 4},        {3, 3},     {1, 1},     {2, 0},   {},
   "padding height 2 must be at most half of kernel height 3"},
  {"PaddingPastHalfWidth", {1, 1, 4, 4},        {2, 3},     {1, 1},     {1, 2},   {},
   "padding width 2 must be at most half of kernel width 3"},
  {"AttributesFirst",      {kDyn, 400},         {2, 2},     {0, 2},     {0, 0},   {},
   "stride height must be at least 1, got 0"},
  {"InputRank2",           {kDyn, 400},         {2, 2},     {2, 2},     {0, 0},   {},
   "input must have rank 4 [N, C, H, W], got rank 2 ([?, 400])"},
  {"KernelTooTall",        {1, 1, 2, 2},        {3, 3},     {1, 1},     {0, 0},   {},
   "pooling kernel height 3 does not fit input height 2 (padding 0)"},
  {"KernelTooWide",        {1, 1, 8, 2},        {2, 3},     {1, 1},     {0, 0},   {},
   "pooling kernel width 3 does not fit input width 2 (padding 0)"},
  {"PaddingNotEnough",     {1, 1, 1, 1},        {4, 4},     {1, 1},     {1, 1},   {},
   "pooling kernel height 4 does not fit input height 1 (padding 1)"},
  {"HugeKernel",           {1, 1, 5, 5},        {kMax, 1},  {1, 1},     {0, 0},   {},
   "pooling kernel height 9223372036854775807 does not fit input height 5 (padding 0)"},
  {"PaddedInputOverflow",  {1, 1, 2, 2},        {kMax, 1},  {1, 1},     {kMax / 2, 0}, {},
   "pooling padded input height is too large"},
};
// clang-format on

class Pool2DShapeTest : public testing::TestWithParam<PoolCase> {};

TEST_P(Pool2DShapeTest, InfersResultOrReportsMessage) {
  const PoolCase &c = GetParam();
  llvm::Expected<Shape> shape =
      inferPool2DShape(c.input, {c.kernel, c.stride, c.padding});
  if (c.message)
    EXPECT_EQ(errorOf(std::move(shape)), c.message);
  else
    EXPECT_TRUE(hasShape(std::move(shape), c.expected));
}

INSTANTIATE_TEST_SUITE_P(All, Pool2DShapeTest, testing::ValuesIn(kPoolCases),
                         [](const auto &info) { return info.param.name; });

//===----------------------------------------------------------------------===//
// Subsample2D (LeNet-5's trainable subsampling)
//===----------------------------------------------------------------------===//

const Shape kWindow2x2 = {2, 2};

TEST(Subsample2DShape, LeNetS2AndS4) {
  EXPECT_TRUE(hasShape(inferSubsample2DShape({kDyn, 6, 28, 28}, {6}, {6},
                                             kWindow2x2, kWindow2x2),
                       {kDyn, 6, 14, 14}));
  EXPECT_TRUE(hasShape(inferSubsample2DShape({kDyn, 16, 10, 10}, {16}, {16},
                                             kWindow2x2, kWindow2x2),
                       {kDyn, 16, 5, 5}));
}

TEST(Subsample2DShape, DynamicChannelsAndSpatialDims) {
  EXPECT_TRUE(hasShape(inferSubsample2DShape({kDyn, kDyn, 28, kDyn}, {6}, {6},
                                             kWindow2x2, kWindow2x2),
                       {kDyn, kDyn, 14, kDyn}));
  EXPECT_TRUE(hasShape(inferSubsample2DShape({1, 6, 28, 28}, {kDyn}, {kDyn},
                                             kWindow2x2, kWindow2x2),
                       {1, 6, 14, 14}));
}

TEST(Subsample2DShape, InputMustHaveRank4) {
  EXPECT_EQ(errorOf(inferSubsample2DShape({6, 28, 28}, {6}, {6}, kWindow2x2,
                                          kWindow2x2)),
            "input must have rank 4 [N, C, H, W], got rank 3 ([6, 28, 28])");
}

TEST(Subsample2DShape, CoefficientIsOnePerChannel) {
  EXPECT_EQ(errorOf(inferSubsample2DShape({kDyn, 6, 28, 28}, {5}, {6},
                                          kWindow2x2, kWindow2x2)),
            "coefficient has 5 elements but input has 6 channels");
  EXPECT_EQ(errorOf(inferSubsample2DShape({kDyn, 6, 28, 28}, {6, 1}, {6},
                                          kWindow2x2, kWindow2x2)),
            "coefficient must have rank 1, got rank 2 ([6, 1])");
}

TEST(Subsample2DShape, BiasIsOnePerChannel) {
  EXPECT_EQ(errorOf(inferSubsample2DShape({kDyn, 6, 28, 28}, {6}, {16},
                                          kWindow2x2, kWindow2x2)),
            "bias has 16 elements but input has 6 channels");
  EXPECT_EQ(errorOf(inferSubsample2DShape({kDyn, 6, 28, 28}, {6}, {},
                                          kWindow2x2, kWindow2x2)),
            "bias must have rank 1, got rank 0 ([])");
}

TEST(Subsample2DShape, WindowUsesThePoolingRule) {
  const Shape kernel3 = {2, 2, 2};
  EXPECT_EQ(errorOf(inferSubsample2DShape({kDyn, 6, 28, 28}, {6}, {6}, kernel3,
                                          kWindow2x2)),
            "kernel must have 2 values [h, w], got 3");
  EXPECT_EQ(errorOf(inferSubsample2DShape({kDyn, 6, 1, 28}, {6}, {6},
                                          kWindow2x2, kWindow2x2)),
            "pooling kernel height 2 does not fit input height 1 (padding 0)");
  const Shape stride0 = {0, 2};
  EXPECT_EQ(errorOf(inferSubsample2DShape({kDyn, 6, 28, 28}, {6}, {6},
                                          kWindow2x2, stride0)),
            "stride height must be at least 1, got 0");
}

//===----------------------------------------------------------------------===//
// FusedConvActPool
//===----------------------------------------------------------------------===//

const Shape kUnit = {1, 1}, kNoPad = {0, 0};

llvm::Expected<Shape> inferFused(const ConvOperands &conv,
                                 std::optional<Pool2DParams> pool) {
  std::optional<llvm::ArrayRef<int64_t>> bias;
  if (conv.bias)
    bias = *conv.bias;
  return inferFusedConvActPoolShape(
      conv.input, conv.weight, bias,
      {conv.stride, conv.padding, conv.dilation, conv.groups, std::nullopt},
      pool);
}

TEST(FusedConvActPoolShape, LeNetC1WithS2) {
  EXPECT_TRUE(hasShape(inferFused({kLeNetInput, kLeNetWeight, Shape{6}},
                                  Pool2DParams{kWindow2x2, kWindow2x2, kNoPad}),
                       {kDyn, 6, 14, 14}));
}

TEST(FusedConvActPoolShape, AlexNetConv1WithOverlappingPool) {
  const Shape stride4 = {4, 4}, kernel3 = {3, 3};
  EXPECT_TRUE(hasShape(
      inferFused({{kDyn, 3, 227, 227}, {96, 3, 11, 11}, Shape{96}, stride4},
                 Pool2DParams{kernel3, kWindow2x2, kNoPad}),
      {kDyn, 96, 27, 27}));
}

TEST(FusedConvActPoolShape, WithoutPoolIsTheConvShape) {
  EXPECT_TRUE(
      hasShape(inferFused({kLeNetInput, kLeNetWeight, Shape{6}}, std::nullopt),
               {kDyn, 6, 28, 28}));
}

TEST(FusedConvActPoolShape, ConvErrorsAreUnprefixed) {
  EXPECT_EQ(errorOf(inferFused({{kDyn, 3, 32, 32}, kLeNetWeight, Shape{6}},
                               Pool2DParams{kWindow2x2, kWindow2x2, kNoPad})),
            "input has 3 channels but weight expects 1");
}

TEST(FusedConvActPoolShape, PoolErrorsArePrefixed) {
  // The conv gives 2x2 maps; a 3x3 pool does not fit them.
  const Shape kernel3 = {3, 3};
  EXPECT_EQ(errorOf(inferFused({{1, 1, 6, 6}, {1, 1, 5, 5}},
                               Pool2DParams{kernel3, kUnit, kNoPad})),
            "pool: pooling kernel height 3 does not fit input height 2 "
            "(padding 0)");
  const Shape oneValue = {2};
  EXPECT_EQ(errorOf(inferFused({kLeNetInput, kLeNetWeight},
                               Pool2DParams{oneValue, kWindow2x2, kNoPad})),
            "pool: kernel must have 2 values [h, w], got 1");
}

} // namespace
