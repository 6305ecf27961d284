//===- OpVerifierTest.cpp - parsing and verifying cnn IR text -------------===//
//
// Parses small modules with mlir::parseSourceString (which also verifies)
// and checks every diagnostic. Valid LeNet-5 and AlexNet IR must produce
// none; each invalid case must produce exactly one error, with the shape
// rule's own words: the ShapeRulesFirst trait exists so that a bad operand or
// a wrong written result type is not followed by InferTypeOpInterface's
// generic "inferred type(s) ... are incompatible" errors.
//
//===----------------------------------------------------------------------===//

#include "OpTestUtil.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <ostream>

using namespace mlir;
using namespace mlir::cnn;
using namespace cnnc::test;

namespace {

class ParseTest : public CNNContextTest {
protected:
  /// Parses and verifies `ir` into `module` (null when either fails) and
  /// returns the diagnostics.
  std::vector<std::string> parse(llvm::StringRef ir) {
    return diagnosticsOf(
        [&] { module = parseSourceString<ModuleOp>(ir, &context); });
  }

  /// The number of ops named `name` in the parsed module.
  int count(llvm::StringRef name) {
    int n = 0;
    module->walk(
        [&](Operation *op) { n += op->getName().getStringRef() == name; });
    return n;
  }

  OwningOpRef<ModuleOp> module;
};

//===----------------------------------------------------------------------===//
// Valid IR
//===----------------------------------------------------------------------===//

// Return types are written on the functions, so func.return also checks the
// types that the parser inferred for ops that do not write theirs.

TEST_F(ParseTest, LeNet5Classic) {
  auto diagnostics = parse(R"mlir(
    func.func @lenet5(%image: tensor<?x1x28x28xf32>,
                      %c1_w: tensor<6x1x5x5xf32>, %c1_b: tensor<6xf32>,
                      %c3_w: tensor<16x6x5x5xf32>, %c3_b: tensor<16xf32>,
                      %c5_w: tensor<120x16x5x5xf32>, %c5_b: tensor<120xf32>,
                      %f6_w: tensor<84x120xf32>, %f6_b: tensor<84xf32>,
                      %out_w: tensor<10x84xf32>, %labels: tensor<?xi32>)
        -> (tensor<?x10xf32>, tensor<f32>) {
      %c1 = cnn.conv2d %image, %c1_w, %c1_b padding [2, 2]
          : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
          -> tensor<?x6x28x28xf32>
      %a1 = cnn.tanh %c1 : tensor<?x6x28x28xf32>
      %s2 = cnn.avg_pool2d %a1 kernel [2, 2] stride [2, 2]
          : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
      %c3 = cnn.conv2d %s2, %c3_w, %c3_b
          : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>)
          -> tensor<?x16x10x10xf32>
      %a3 = cnn.tanh %c3 : tensor<?x16x10x10xf32>
      %s4 = cnn.avg_pool2d %a3 kernel [2, 2] stride [2, 2]
          : tensor<?x16x10x10xf32> -> tensor<?x16x5x5xf32>
      %c5 = cnn.conv2d %s4, %c5_w, %c5_b
          : (tensor<?x16x5x5xf32>, tensor<120x16x5x5xf32>, tensor<120xf32>)
          -> tensor<?x120x1x1xf32>
      %a5 = cnn.tanh %c5 : tensor<?x120x1x1xf32>
      %flat = cnn.flatten %a5 : tensor<?x120x1x1xf32> -> tensor<?x120xf32>
      %f6 = cnn.dense %flat, %f6_w, %f6_b
          : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>)
          -> tensor<?x84xf32>
      %a6 = cnn.tanh %f6 : tensor<?x84xf32>
      %logits = cnn.dense %a6, %out_w
          : (tensor<?x84xf32>, tensor<10x84xf32>) -> tensor<?x10xf32>
      %loss = cnn.cross_entropy %logits, %labels
          : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
      return %logits, %loss : tensor<?x10xf32>, tensor<f32>
    }
  )mlir");
  EXPECT_TRUE(diagnostics.empty()) << diagnostics.front();
  ASSERT_TRUE(module);
  EXPECT_EQ(count("cnn.conv2d"), 3);
  EXPECT_EQ(count("cnn.dense"), 2);
}

TEST_F(ParseTest, LeNet5From1998) {
  // Scaled tanh, trainable subsampling, C3's connection table (here every
  // entry true) and a sigmoid output.
  auto diagnostics = parse(R"mlir(
    func.func @lenet1998(%x: tensor<?x1x32x32xf32>,
                         %c1_w: tensor<6x1x5x5xf32>, %c1_b: tensor<6xf32>,
                         %s2_c: tensor<6xf32>, %s2_b: tensor<6xf32>,
                         %c3_w: tensor<16x6x5x5xf32>, %c3_b: tensor<16xf32>,
                         %s4_c: tensor<16xf32>, %s4_b: tensor<16xf32>)
        -> tensor<?x16x5x5xf32> {
      %c1 = cnn.conv2d %x, %c1_w, %c1_b
          : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
          -> tensor<?x6x28x28xf32>
      %a1 = cnn.scaled_tanh %c1 : tensor<?x6x28x28xf32>
      %s2 = cnn.subsample2d %a1, %s2_c, %s2_b kernel [2, 2] stride [2, 2]
          : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>)
          -> tensor<?x6x14x14xf32>
      %a2 = cnn.sigmoid %s2 : tensor<?x6x14x14xf32>
      %c3 = cnn.conv2d %a2, %c3_w, %c3_b
          connections dense<true> : tensor<16x6xi1>
          : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>)
          -> tensor<?x16x10x10xf32>
      %s4 = cnn.subsample2d %c3, %s4_c, %s4_b kernel [2, 2] stride [2, 2]
          : (tensor<?x16x10x10xf32>, tensor<16xf32>, tensor<16xf32>)
          -> tensor<?x16x5x5xf32>
      return %s4 : tensor<?x16x5x5xf32>
    }
  )mlir");
  EXPECT_TRUE(diagnostics.empty()) << diagnostics.front();
  ASSERT_TRUE(module);
  EXPECT_EQ(count("cnn.subsample2d"), 2);
}

TEST_F(ParseTest, AlexNetLayers) {
  auto diagnostics = parse(R"mlir(
    func.func @alexnet(%x: tensor<?x3x227x227xf32>,
                       %w1: tensor<96x3x11x11xf32>, %b1: tensor<96xf32>,
                       %w2: tensor<256x48x5x5xf32>, %b2: tensor<256xf32>,
                       %w6: tensor<4096x9216xf32>, %seed: i64,
                       %target: tensor<?x4096xf32>)
        -> (tensor<?x96x27x27xf32>, tensor<?x256x13x13xf32>,
            tensor<?x4096xf32>, tensor<?x4096xf32>, tensor<f32>) {
      %c1 = cnn.conv2d %x, %w1, %b1 stride [4, 4]
          : (tensor<?x3x227x227xf32>, tensor<96x3x11x11xf32>, tensor<96xf32>)
          -> tensor<?x96x55x55xf32>
      %r1 = cnn.relu %c1 : tensor<?x96x55x55xf32>
      %n1 = cnn.local_response_norm %r1 size 5 alpha 1.0e-4 beta 7.5e-01 k 2.0
          : tensor<?x96x55x55xf32>
      %p1 = cnn.max_pool2d %n1 kernel [3, 3] stride [2, 2]
          : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
      %f2 = cnn.fused_conv_act_pool %p1, %w2, %b2 padding [2, 2] groups 2
          act relu pool max kernel [3, 3] stride [2, 2]
          : (tensor<?x96x27x27xf32>, tensor<256x48x5x5xf32>, tensor<256xf32>)
          -> tensor<?x256x13x13xf32>
      %pooled = cnn.max_pool2d %f2 kernel [3, 3] stride [2, 2]
          : tensor<?x256x13x13xf32> -> tensor<?x256x6x6xf32>
      %flat = cnn.flatten %pooled : tensor<?x256x6x6xf32> -> tensor<?x9216xf32>
      %fc6 = cnn.dense %flat, %w6
          : (tensor<?x9216xf32>, tensor<4096x9216xf32>) -> tensor<?x4096xf32>
      %d6 = cnn.dropout %fc6, %seed rate 5.0e-01 : tensor<?x4096xf32>
      %sm = cnn.softmax %d6 : tensor<?x4096xf32>
      %lsm = cnn.log_softmax %d6 axis 0 : tensor<?x4096xf32>
      %mse = cnn.mse %sm, %target
          : (tensor<?x4096xf32>, tensor<?x4096xf32>) -> tensor<f32>
      return %p1, %f2, %sm, %lsm, %mse
          : tensor<?x96x27x27xf32>, tensor<?x256x13x13xf32>,
            tensor<?x4096xf32>, tensor<?x4096xf32>, tensor<f32>
    }
  )mlir");
  EXPECT_TRUE(diagnostics.empty()) << diagnostics.front();
  ASSERT_TRUE(module);
  EXPECT_EQ(count("cnn.max_pool2d"), 2);
}

TEST_F(ParseTest, JoiningBranches) {
  auto diagnostics = parse(R"mlir(
    func.func @branches(%a: tensor<?x6x14x14xf32>, %b: tensor<?x10x14x14xf32>,
                        %skip: tensor<?x16x14x14xf32>)
        -> tensor<?x16x14x14xf32> {
      %cat = cnn.concat %a, %b
          : (tensor<?x6x14x14xf32>, tensor<?x10x14x14xf32>)
          -> tensor<?x16x14x14xf32>
      %sum = cnn.add %cat, %skip : tensor<?x16x14x14xf32>
      return %sum : tensor<?x16x14x14xf32>
    }
  )mlir");
  EXPECT_TRUE(diagnostics.empty()) << diagnostics.front();
  ASSERT_TRUE(module);
  module->walk([](ConcatOp concat) { EXPECT_EQ(concat.getAxis(), 1u); });
}

TEST_F(ParseTest, GenericFormWithDefaultAttributesLeftOut) {
  auto diagnostics = parse(R"mlir(
    func.func @f(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>,
                 %logits: tensor<?x10xf32>) {
      %0 = "cnn.conv2d"(%x, %w)
          : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>)
          -> tensor<?x6x28x28xf32>
      %1 = "cnn.softmax"(%logits) : (tensor<?x10xf32>) -> tensor<?x10xf32>
      return
    }
  )mlir");
  EXPECT_TRUE(diagnostics.empty()) << diagnostics.front();
  ASSERT_TRUE(module);
  module->walk([](Conv2DOp conv) {
    EXPECT_EQ(conv.getStride(), ArrayRef<int64_t>({1, 1}));
    EXPECT_EQ(conv.getGroups(), 1u);
  });
  module->walk([](SoftmaxOp softmax) { EXPECT_EQ(softmax.getAxis(), 1u); });
}

//===----------------------------------------------------------------------===//
// Invalid IR: exactly one error each
//===----------------------------------------------------------------------===//

struct InvalidCase {
  const char *name;
  const char *ir;
  const char *error;
};

void PrintTo(const InvalidCase &c, std::ostream *os) { *os << c.name; }

const InvalidCase kInvalid[] = {
    // Convolution.
    {"Conv2DWrongResultType", R"mlir(
      func.func @f(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
        %0 = cnn.conv2d %x, %w
            : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>)
            -> tensor<?x6x27x27xf32>
        return
      })mlir",
     "'cnn.conv2d' op result type 'tensor<?x6x27x27xf32>' does not match the "
     "inferred 'tensor<?x6x28x28xf32>'"},
    {"Conv2DChannelMismatch", R"mlir(
      func.func @f(%x: tensor<?x3x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
        %0 = cnn.conv2d %x, %w
            : (tensor<?x3x32x32xf32>, tensor<6x1x5x5xf32>)
            -> tensor<?x6x28x28xf32>
        return
      })mlir",
     "'cnn.conv2d' op input has 3 channels but weight expects 1"},
    {"Conv2DGroupsZero", R"mlir(
      func.func @f(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
        %0 = cnn.conv2d %x, %w groups 0
            : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>)
            -> tensor<?x6x28x28xf32>
        return
      })mlir",
     "'cnn.conv2d' op groups must be at least 1, got 0"},
    {"Conv2DTableRowReadsNothing", R"mlir(
      func.func @f(%x: tensor<?x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) {
        %0 = cnn.conv2d %x, %w
            connections dense<[[true, false], [false, false]]>
                : tensor<2x2xi1>
            : (tensor<?x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<?x2x4x4xf32>
        return
      })mlir",
     "'cnn.conv2d' op connection table: output map 1 reads no input map"},
    {"Conv2DBiasLength", R"mlir(
      func.func @f(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>,
                   %b: tensor<5xf32>) {
        %0 = cnn.conv2d %x, %w, %b
            : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<5xf32>)
            -> tensor<?x6x28x28xf32>
        return
      })mlir",
     "'cnn.conv2d' op bias has 5 elements but weight has 6 output channels"},
    // I64Attr values reach the rules signed.
    {"Conv2DGroupsNegative", R"mlir(
      func.func @f(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
        %0 = cnn.conv2d %x, %w groups -1
            : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>)
            -> tensor<?x6x28x28xf32>
        return
      })mlir",
     "'cnn.conv2d' op groups must be at least 1, got -1"},
    // Pooling.
    {"MaxPoolWrongResultType", R"mlir(
      func.func @f(%x: tensor<?x96x55x55xf32>) {
        %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2]
            : tensor<?x96x55x55xf32> -> tensor<?x96x28x28xf32>
        return
      })mlir",
     "'cnn.max_pool2d' op result type 'tensor<?x96x28x28xf32>' does not match "
     "the inferred 'tensor<?x96x27x27xf32>'"},
    {"AvgPoolPaddingPastHalfKernel", R"mlir(
      func.func @f(%x: tensor<?x6x28x28xf32>) {
        %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [2, 2]
            : tensor<?x6x28x28xf32> -> tensor<?x6x16x16xf32>
        return
      })mlir",
     "'cnn.avg_pool2d' op padding height 2 must be at most half of kernel "
     "height 2"},
    {"MaxPoolMissingStride", R"mlir(
      func.func @f(%x: tensor<?x6x28x28xf32>) {
        %0 = "cnn.max_pool2d"(%x) <{kernel = array<i64: 2, 2>}>
            : (tensor<?x6x28x28xf32>) -> tensor<?x6x14x14xf32>
        return
      })mlir",
     "'cnn.max_pool2d' op requires attribute 'stride'"},
    {"Subsample2DCoefficientLength", R"mlir(
      func.func @f(%x: tensor<?x6x28x28xf32>, %c: tensor<16xf32>,
                   %b: tensor<6xf32>) {
        %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2]
            : (tensor<?x6x28x28xf32>, tensor<16xf32>, tensor<6xf32>)
            -> tensor<?x6x14x14xf32>
        return
      })mlir",
     "'cnn.subsample2d' op coefficient has 16 elements but input has "
     "6 channels"},
    // Activations (their result type is inferred when parsing, so the
    // generic form is the only way to write a wrong one).
    {"ActivationWrongResultType", R"mlir(
      func.func @f(%x: tensor<4xf32>) {
        %0 = "cnn.relu"(%x) : (tensor<4xf32>) -> tensor<5xf32>
        return
      })mlir",
     "'cnn.relu' op result type 'tensor<5xf32>' does not match the inferred "
     "'tensor<4xf32>'"},
    {"ActivationF64Operand", R"mlir(
      func.func @f(%x: tensor<4xf64>) {
        %0 = cnn.tanh %x : tensor<4xf64>
        return
      })mlir",
     "'cnn.tanh' op operand #0 must be ranked tensor of 32-bit float values, "
     "but got 'tensor<4xf64>'"},
    {"UnrankedOperand", R"mlir(
      func.func @f(%x: tensor<*xf32>) {
        %0 = "cnn.flatten"(%x) : (tensor<*xf32>) -> tensor<?x?xf32>
        return
      })mlir",
     "'cnn.flatten' op operand #0 must be ranked tensor of 32-bit float "
     "values, but got 'tensor<*xf32>'"},
    // Dense and flatten.
    {"DenseFeatureMismatch", R"mlir(
      func.func @f(%x: tensor<?x256xf32>, %w: tensor<120x400xf32>) {
        %0 = cnn.dense %x, %w
            : (tensor<?x256xf32>, tensor<120x400xf32>) -> tensor<?x120xf32>
        return
      })mlir",
     "'cnn.dense' op input has 256 features but weight expects 400"},
    {"FlattenWrongResultType", R"mlir(
      func.func @f(%x: tensor<?x16x5x5xf32>) {
        %0 = cnn.flatten %x : tensor<?x16x5x5xf32> -> tensor<?x401xf32>
        return
      })mlir",
     "'cnn.flatten' op result type 'tensor<?x401xf32>' does not match the "
     "inferred 'tensor<?x400xf32>'"},
    // Joining branches.
    {"AddTypesDiffer", R"mlir(
      func.func @f(%a: tensor<?x16x10x10xf32>, %b: tensor<?x16x5x5xf32>) {
        %0 = "cnn.add"(%a, %b)
            : (tensor<?x16x10x10xf32>, tensor<?x16x5x5xf32>)
            -> tensor<?x16x10x10xf32>
        return
      })mlir",
     "'cnn.add' op failed to verify that all of {lhs, rhs} have same type"},
    {"AddWrongResultType", R"mlir(
      func.func @f(%a: tensor<4xf32>) {
        %0 = "cnn.add"(%a, %a) : (tensor<4xf32>, tensor<4xf32>) -> tensor<?xf32>
        return
      })mlir",
     "'cnn.add' op result type 'tensor<?xf32>' does not match the inferred "
     "'tensor<4xf32>'"},
    {"ConcatOneInput", R"mlir(
      func.func @f(%a: tensor<?x6x14x14xf32>) {
        %0 = cnn.concat %a : (tensor<?x6x14x14xf32>) -> tensor<?x6x14x14xf32>
        return
      })mlir",
     "'cnn.concat' op concat needs at least 2 inputs, got 1"},
    {"ConcatSpatialMismatch", R"mlir(
      func.func @f(%a: tensor<?x6x14x14xf32>, %b: tensor<?x6x10x10xf32>) {
        %0 = cnn.concat %a, %b
            : (tensor<?x6x14x14xf32>, tensor<?x6x10x10xf32>)
            -> tensor<?x12x14x14xf32>
        return
      })mlir",
     "'cnn.concat' op input 1 has shape [?, 6, 10, 10], which differs from "
     "input 0's [?, 6, 14, 14] outside axis 1"},
    {"ConcatWrongResultType", R"mlir(
      func.func @f(%a: tensor<?x6xf32>, %b: tensor<?x6xf32>) {
        %0 = cnn.concat %a, %b axis 1
            : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x6xf32>
        return
      })mlir",
     "'cnn.concat' op result type 'tensor<?x6xf32>' does not match the "
     "inferred 'tensor<?x12xf32>'"},
    // Ops whose result type is inferred while parsing report the rule there.
    {"LocalResponseNormNaNAlpha", R"mlir(
      func.func @f(%x: tensor<?x96x55x55xf32>) {
        %0 = cnn.local_response_norm %x size 5 alpha 0x7FC00000 beta 7.5e-01
            k 2.0 : tensor<?x96x55x55xf32>
        return
      })mlir",
     "'cnn.local_response_norm' op alpha must be finite and non-negative, "
     "got nan"},
    {"LocalResponseNormSizeZero", R"mlir(
      func.func @f(%x: tensor<?x96x55x55xf32>) {
        %0 = cnn.local_response_norm %x size 0 alpha 1.0e-4 beta 7.5e-01 k 2.0
            : tensor<?x96x55x55xf32>
        return
      })mlir",
     "'cnn.local_response_norm' op size must be at least 1, got 0"},
    {"LocalResponseNormSizeNegative", R"mlir(
      func.func @f(%x: tensor<?x96x55x55xf32>) {
        %0 = cnn.local_response_norm %x size -5 alpha 1.0e-4 beta 7.5e-01
            k 2.0 : tensor<?x96x55x55xf32>
        return
      })mlir",
     "'cnn.local_response_norm' op size must be at least 1, got -5"},
    {"DropoutRateOne", R"mlir(
      func.func @f(%x: tensor<?x4096xf32>, %seed: i64) {
        %0 = cnn.dropout %x, %seed rate 1.0 : tensor<?x4096xf32>
        return
      })mlir",
     "'cnn.dropout' op rate must be in [0, 1), got 1"},
    {"DropoutNaNRate", R"mlir(
      func.func @f(%x: tensor<?x4096xf32>, %seed: i64) {
        %0 = cnn.dropout %x, %seed rate 0x7FC00000 : tensor<?x4096xf32>
        return
      })mlir",
     "'cnn.dropout' op rate must be in [0, 1), got nan"},
    {"SoftmaxAxisOutOfRange", R"mlir(
      func.func @f(%x: tensor<?x10xf32>) {
        %0 = cnn.softmax %x axis 2 : tensor<?x10xf32>
        return
      })mlir",
     "'cnn.softmax' op axis 2 is out of range for input of rank 2"},
    {"SoftmaxNegativeAxis", R"mlir(
      func.func @f(%x: tensor<?x10xf32>) {
        %0 = cnn.softmax %x axis -1 : tensor<?x10xf32>
        return
      })mlir",
     "'cnn.softmax' op axis -1 is out of range for input of rank 2"},
    {"LogSoftmaxOfScalar", R"mlir(
      func.func @f(%x: tensor<f32>) {
        %0 = cnn.log_softmax %x axis 0 : tensor<f32>
        return
      })mlir",
     "'cnn.log_softmax' op input must have rank 1 or more, got rank 0"},
    // Losses.
    {"CrossEntropyBatchMismatch", R"mlir(
      func.func @f(%logits: tensor<64x10xf32>, %labels: tensor<32xi32>) {
        %0 = cnn.cross_entropy %logits, %labels
            : (tensor<64x10xf32>, tensor<32xi32>) -> tensor<f32>
        return
      })mlir",
     "'cnn.cross_entropy' op labels has 32 entries but logits has 64 rows"},
    {"CrossEntropyFloatLabels", R"mlir(
      func.func @f(%logits: tensor<?x10xf32>, %labels: tensor<?xf32>) {
        %0 = cnn.cross_entropy %logits, %labels
            : (tensor<?x10xf32>, tensor<?xf32>) -> tensor<f32>
        return
      })mlir",
     "'cnn.cross_entropy' op operand #1 must be ranked tensor of 32-bit "
     "signless integer values, but got 'tensor<?xf32>'"},
    {"MSEShapeMismatch", R"mlir(
      func.func @f(%y: tensor<?x10xf32>, %t: tensor<?x5xf32>) {
        %0 = cnn.mse %y, %t : (tensor<?x10xf32>, tensor<?x5xf32>) -> tensor<f32>
        return
      })mlir",
     "'cnn.mse' op prediction has shape [?, 10] but target has shape [?, 5]"},
    {"MSEWrongResultType", R"mlir(
      func.func @f(%y: tensor<?x10xf32>, %t: tensor<?x10xf32>) {
        %0 = cnn.mse %y, %t
            : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<1xf32>
        return
      })mlir",
     "'cnn.mse' op result type 'tensor<1xf32>' does not match the inferred "
     "'tensor<f32>'"},
    // The fused op.
    {"FusedPoolDoesNotFit", R"mlir(
      func.func @f(%x: tensor<?x1x6x6xf32>, %w: tensor<1x1x5x5xf32>) {
        %0 = cnn.fused_conv_act_pool %x, %w act tanh
            pool max kernel [3, 3] stride [1, 1]
            : (tensor<?x1x6x6xf32>, tensor<1x1x5x5xf32>) -> tensor<?x1x1x1xf32>
        return
      })mlir",
     "'cnn.fused_conv_act_pool' op pool: pooling kernel height 3 does not fit "
     "input height 2 (padding 0)"},
    {"FusedPoolWindowWithoutPool", R"mlir(
      func.func @f(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
        %0 = "cnn.fused_conv_act_pool"(%x, %w)
            <{act = 1 : i32, pool_kernel = array<i64: 2, 2>}>
            : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>)
            -> tensor<?x6x28x28xf32>
        return
      })mlir",
     "'cnn.fused_conv_act_pool' op pool_kernel, pool_stride and pool_padding "
     "are only meaningful with pool"},
    {"FusedPoolWithoutStride", R"mlir(
      func.func @f(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
        %0 = "cnn.fused_conv_act_pool"(%x, %w)
            <{act = 1 : i32, pool = 0 : i32, pool_kernel = array<i64: 2, 2>}>
            : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>)
            -> tensor<?x6x14x14xf32>
        return
      })mlir",
     "'cnn.fused_conv_act_pool' op pool requires both pool_kernel and "
     "pool_stride"},
};

class InvalidIRTest : public ParseTest,
                      public testing::WithParamInterface<InvalidCase> {};

TEST_P(InvalidIRTest, EmitsExactlyOneError) {
  EXPECT_EQ(
      parse(GetParam().ir),
      std::vector<std::string>{std::string("error: ") + GetParam().error});
  EXPECT_FALSE(module);
}

INSTANTIATE_TEST_SUITE_P(Cases, InvalidIRTest, testing::ValuesIn(kInvalid),
                         [](const auto &info) { return info.param.name; });

} // namespace
