//===- OpInferenceTest.cpp - result types inferred by cnn op builders -----===//
//
// Builds every cnn op with the ODS builders that take no result type, so the
// op's inferReturnTypes (and through it the shape rules) must compute it.
// Default-valued attributes are left out on purpose: the builders infer types
// before the operation exists to fill them in. Parsing and verifying IR text
// is tested in OpVerifierTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "OpTestUtil.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::cnn;
using namespace cnnc::test;

namespace {

constexpr int64_t kDyn = ShapedType::kDynamic;

/// Ops are built at the end of a free-standing block whose arguments stand
/// for the values they read (function arguments, in a real model).
class OpBuilderTest : public CNNContextTest {
protected:
  OpBuilderTest() : builder(&context), loc(builder.getUnknownLoc()) {
    builder.setInsertionPointToEnd(&block);
  }

  RankedTensorType f32Tensor(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }

  Value tensor(ArrayRef<int64_t> shape) {
    return block.addArgument(f32Tensor(shape), loc);
  }

  Value value(Type type) { return block.addArgument(type, loc); }

  /// Verifies `op` and returns its diagnostics; none means it verified.
  std::vector<std::string> verifyDiagnostics(Operation *op) {
    return diagnosticsOf([&] { (void)mlir::verify(op); });
  }

  OpBuilder builder;
  Location loc;
  Block block;
};

//===----------------------------------------------------------------------===//
// Conv2D
//===----------------------------------------------------------------------===//

TEST_F(OpBuilderTest, Conv2DWithDefaultAttributesLeftOut) {
  auto conv = builder.create<Conv2DOp>(
      loc, tensor({kDyn, 1, 32, 32}), tensor({6, 1, 5, 5}), tensor({6}),
      DenseI64ArrayAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr(),
      IntegerAttr(), DenseIntElementsAttr());
  EXPECT_EQ(str(conv.getType()), "tensor<?x6x28x28xf32>");
  // The op holds the defaults the inference assumed.
  EXPECT_EQ(conv.getStride(), ArrayRef<int64_t>({1, 1}));
  EXPECT_EQ(conv.getPadding(), ArrayRef<int64_t>({0, 0}));
  EXPECT_EQ(conv.getDilation(), ArrayRef<int64_t>({1, 1}));
  EXPECT_EQ(conv.getGroups(), 1u);
  EXPECT_FALSE(conv.getConnections());
  EXPECT_TRUE(verifyDiagnostics(conv).empty());
}

TEST_F(OpBuilderTest, Conv2DAlexNetConv2WithGroups) {
  auto conv = builder.create<Conv2DOp>(
      loc, tensor({kDyn, 96, 27, 27}), tensor({256, 48, 5, 5}), tensor({256}),
      /*stride=*/ArrayRef<int64_t>{1, 1}, /*padding=*/ArrayRef<int64_t>{2, 2},
      /*dilation=*/ArrayRef<int64_t>{1, 1}, /*groups=*/2,
      DenseIntElementsAttr());
  EXPECT_EQ(str(conv.getType()), "tensor<?x256x27x27xf32>");
  EXPECT_TRUE(verifyDiagnostics(conv).empty());
}

TEST_F(OpBuilderTest, Conv2DOnlyStrideGiven) {
  // AlexNet conv1, no bias: the padding and dilation defaults must apply.
  auto conv = builder.create<Conv2DOp>(
      loc, tensor({kDyn, 3, 227, 227}), tensor({96, 3, 11, 11}), Value(),
      builder.getDenseI64ArrayAttr({4, 4}), DenseI64ArrayAttr(),
      DenseI64ArrayAttr(), IntegerAttr(), DenseIntElementsAttr());
  EXPECT_EQ(str(conv.getType()), "tensor<?x96x55x55xf32>");
  EXPECT_FALSE(conv.getBias());
}

TEST_F(OpBuilderTest, Conv2DWithConnectionTable) {
  // A 4-map variant of LeNet-5's C3: each output map reads two of three maps.
  const bool table[] = {true,  true,  false, //
                        false, true,  true,  //
                        true,  false, true,  //
                        true,  true,  true};
  auto tableType = RankedTensorType::get({4, 3}, builder.getI1Type());
  auto conv = builder.create<Conv2DOp>(
      loc, tensor({kDyn, 3, 14, 14}), tensor({4, 3, 5, 5}), tensor({4}),
      DenseI64ArrayAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr(),
      IntegerAttr(),
      llvm::cast<DenseIntElementsAttr>(
          DenseElementsAttr::get(tableType, ArrayRef<bool>(table))));
  EXPECT_EQ(str(conv.getType()), "tensor<?x4x10x10xf32>");
  EXPECT_TRUE(verifyDiagnostics(conv).empty());
}

TEST_F(OpBuilderTest, Conv2DGenericBuilderWithoutAttributes) {
  Value x = tensor({2, 1, 32, 32}), w = tensor({6, 1, 5, 5});
  auto conv = builder.create<Conv2DOp>(loc, ValueRange{x, w},
                                       ArrayRef<NamedAttribute>{});
  EXPECT_EQ(str(conv.getType()), "tensor<2x6x28x28xf32>");
  EXPECT_TRUE(verifyDiagnostics(conv).empty());
}

TEST_F(OpBuilderTest, Conv2DGenericBuilderReadsNamedAttributes) {
  Value x = tensor({2, 1, 32, 32}), w = tensor({6, 1, 5, 5});
  NamedAttribute padding =
      builder.getNamedAttr("padding", builder.getDenseI64ArrayAttr({2, 2}));
  NamedAttribute dilation =
      builder.getNamedAttr("dilation", builder.getDenseI64ArrayAttr({2, 2}));
  auto conv = builder.create<Conv2DOp>(
      loc, ValueRange{x, w}, ArrayRef<NamedAttribute>{padding, dilation});
  // Kernel span 2 * (5 - 1) + 1 = 9 over 32 + 4: 28.
  EXPECT_EQ(str(conv.getType()), "tensor<2x6x28x28xf32>");
  EXPECT_EQ(conv.getStride(), ArrayRef<int64_t>({1, 1}));
  EXPECT_TRUE(verifyDiagnostics(conv).empty());
}

//===----------------------------------------------------------------------===//
// Pooling and subsampling
//===----------------------------------------------------------------------===//

TEST_F(OpBuilderTest, AvgPool2DLeNetS2PaddingLeftOut) {
  auto pool = builder.create<AvgPool2DOp>(loc, tensor({kDyn, 6, 28, 28}),
                                          ArrayRef<int64_t>{2, 2},
                                          ArrayRef<int64_t>{2, 2});
  EXPECT_EQ(str(pool.getType()), "tensor<?x6x14x14xf32>");
  EXPECT_EQ(pool.getPadding(), ArrayRef<int64_t>({0, 0}));
  EXPECT_TRUE(verifyDiagnostics(pool).empty());
}

TEST_F(OpBuilderTest, AvgPool2DNullPaddingAttribute) {
  auto pool = builder.create<AvgPool2DOp>(
      loc, tensor({kDyn, 16, 10, 10}), builder.getDenseI64ArrayAttr({2, 2}),
      builder.getDenseI64ArrayAttr({2, 2}), DenseI64ArrayAttr());
  EXPECT_EQ(str(pool.getType()), "tensor<?x16x5x5xf32>");
  EXPECT_EQ(pool.getPadding(), ArrayRef<int64_t>({0, 0}));
}

TEST_F(OpBuilderTest, MaxPool2DAlexNetOverlapping) {
  auto pool = builder.create<MaxPool2DOp>(loc, tensor({kDyn, 96, 55, 55}),
                                          ArrayRef<int64_t>{3, 3},
                                          ArrayRef<int64_t>{2, 2});
  EXPECT_EQ(str(pool.getType()), "tensor<?x96x27x27xf32>");
  EXPECT_TRUE(verifyDiagnostics(pool).empty());
}

TEST_F(OpBuilderTest, MaxPool2DWithPadding) {
  // (55 + 2 - 3) / 2 + 1 = 28.
  auto pool = builder.create<MaxPool2DOp>(
      loc, tensor({kDyn, 96, 55, 55}), ArrayRef<int64_t>{3, 3},
      ArrayRef<int64_t>{2, 2}, ArrayRef<int64_t>{1, 1});
  EXPECT_EQ(str(pool.getType()), "tensor<?x96x28x28xf32>");
}

TEST_F(OpBuilderTest, Subsample2DLeNetS2) {
  auto pool = builder.create<Subsample2DOp>(
      loc, tensor({kDyn, 6, 28, 28}), tensor({6}), tensor({6}),
      ArrayRef<int64_t>{2, 2}, ArrayRef<int64_t>{2, 2});
  EXPECT_EQ(str(pool.getType()), "tensor<?x6x14x14xf32>");
  EXPECT_TRUE(verifyDiagnostics(pool).empty());
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

template <typename OpTy> class ActivationBuilderTest : public OpBuilderTest {};

using ActivationOps = testing::Types<TanhOp, ScaledTanhOp, ReluOp, SigmoidOp>;
TYPED_TEST_SUITE(ActivationBuilderTest, ActivationOps);

TYPED_TEST(ActivationBuilderTest, KeepsTheOperandType) {
  for (const std::vector<int64_t> &shape :
       {std::vector<int64_t>{kDyn, 6, 28, 28}, std::vector<int64_t>{4, 120},
        std::vector<int64_t>{}}) {
    Value input = this->tensor(shape);
    auto op = this->builder.template create<TypeParam>(this->loc, input);
    EXPECT_EQ(str(op.getType()), str(input.getType()));
    EXPECT_TRUE(this->verifyDiagnostics(op).empty());
  }
}

//===----------------------------------------------------------------------===//
// Dense and flatten
//===----------------------------------------------------------------------===//

TEST_F(OpBuilderTest, DenseWithAndWithoutBias) {
  auto f5 = builder.create<DenseOp>(loc, tensor({kDyn, 400}),
                                    tensor({120, 400}), tensor({120}));
  EXPECT_EQ(str(f5.getType()), "tensor<?x120xf32>");
  auto out =
      builder.create<DenseOp>(loc, tensor({32, 84}), tensor({10, 84}), Value());
  EXPECT_EQ(str(out.getType()), "tensor<32x10xf32>");
  EXPECT_TRUE(verifyDiagnostics(f5).empty());
  EXPECT_TRUE(verifyDiagnostics(out).empty());
}

TEST_F(OpBuilderTest, Flatten) {
  auto lenet = builder.create<FlattenOp>(loc, tensor({kDyn, 16, 5, 5}));
  EXPECT_EQ(str(lenet.getType()), "tensor<?x400xf32>");
  auto dynamic = builder.create<FlattenOp>(loc, tensor({8, 16, kDyn, 5}));
  EXPECT_EQ(str(dynamic.getType()), "tensor<8x?xf32>");
}

//===----------------------------------------------------------------------===//
// Joining branches
//===----------------------------------------------------------------------===//

TEST_F(OpBuilderTest, AddKeepsTheOperandType) {
  auto add = builder.create<AddOp>(loc, tensor({kDyn, 16, 10, 10}),
                                   tensor({kDyn, 16, 10, 10}));
  EXPECT_EQ(str(add.getType()), "tensor<?x16x10x10xf32>");
  EXPECT_TRUE(verifyDiagnostics(add).empty());
}

TEST_F(OpBuilderTest, ConcatNullAxisMeansChannels) {
  Value a = tensor({kDyn, 6, 14, 14}), b = tensor({kDyn, 10, 14, 14});
  auto concat = builder.create<ConcatOp>(loc, ValueRange{a, b}, IntegerAttr());
  EXPECT_EQ(str(concat.getType()), "tensor<?x16x14x14xf32>");
  EXPECT_EQ(concat.getAxis(), 1u);
  EXPECT_TRUE(verifyDiagnostics(concat).empty());
}

TEST_F(OpBuilderTest, ConcatAlongTheBatch) {
  Value a = tensor({2, 10}), b = tensor({3, 10}), c = tensor({kDyn, 10});
  auto batch =
      builder.create<ConcatOp>(loc, ValueRange{a, b}, /*axis=*/uint64_t{0});
  EXPECT_EQ(str(batch.getType()), "tensor<5x10xf32>");
  auto dynamic = builder.create<ConcatOp>(loc, ValueRange{a, b, c},
                                          /*axis=*/uint64_t{0});
  EXPECT_EQ(str(dynamic.getType()), "tensor<?x10xf32>");
}

//===----------------------------------------------------------------------===//
// Normalisation, regularisation, softmax
//===----------------------------------------------------------------------===//

TEST_F(OpBuilderTest, LocalResponseNormAlexNet) {
  auto lrn = builder.create<LocalResponseNormOp>(
      loc, tensor({kDyn, 96, 55, 55}), /*size=*/5, llvm::APFloat(1e-4f),
      llvm::APFloat(0.75f), llvm::APFloat(2.0f));
  EXPECT_EQ(str(lrn.getType()), "tensor<?x96x55x55xf32>");
  EXPECT_TRUE(verifyDiagnostics(lrn).empty());
}

TEST_F(OpBuilderTest, DropoutWithSeed) {
  auto dropout = builder.create<DropoutOp>(loc, tensor({kDyn, 4096}),
                                           value(builder.getI64Type()),
                                           llvm::APFloat(0.5f));
  EXPECT_EQ(str(dropout.getType()), "tensor<?x4096xf32>");
  EXPECT_TRUE(verifyDiagnostics(dropout).empty());
}

TEST_F(OpBuilderTest, SoftmaxDefaultAxis) {
  auto softmax = builder.create<SoftmaxOp>(loc, tensor({kDyn, 10}));
  EXPECT_EQ(str(softmax.getType()), "tensor<?x10xf32>");
  EXPECT_EQ(softmax.getAxis(), 1u);
  EXPECT_TRUE(verifyDiagnostics(softmax).empty());
}

TEST_F(OpBuilderTest, SoftmaxNullAxisAttribute) {
  auto softmax =
      builder.create<SoftmaxOp>(loc, tensor({kDyn, 10}), IntegerAttr());
  EXPECT_EQ(softmax.getAxis(), 1u);
  EXPECT_TRUE(verifyDiagnostics(softmax).empty());
}

TEST_F(OpBuilderTest, LogSoftmaxAxis0) {
  auto logSoftmax = builder.create<LogSoftmaxOp>(loc, tensor({10}), /*axis=*/0);
  EXPECT_EQ(str(logSoftmax.getType()), "tensor<10xf32>");
  EXPECT_TRUE(verifyDiagnostics(logSoftmax).empty());
}

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

TEST_F(OpBuilderTest, CrossEntropyIsAScalar) {
  Value labels = value(RankedTensorType::get({kDyn}, builder.getI32Type()));
  auto loss = builder.create<CrossEntropyOp>(loc, tensor({kDyn, 10}), labels);
  EXPECT_EQ(str(loss.getType()), "tensor<f32>");
  EXPECT_TRUE(verifyDiagnostics(loss).empty());
}

TEST_F(OpBuilderTest, MSEIsAScalar) {
  auto loss = builder.create<MSEOp>(loc, tensor({kDyn, 10}), tensor({64, 10}));
  EXPECT_EQ(str(loss.getType()), "tensor<f32>");
  EXPECT_TRUE(verifyDiagnostics(loss).empty());
}

//===----------------------------------------------------------------------===//
// FusedConvActPool
//===----------------------------------------------------------------------===//

TEST_F(OpBuilderTest, FusedLeNetC1S2WithConvDefaultsLeftOut) {
  auto fused = builder.create<FusedConvActPoolOp>(
      loc, tensor({kDyn, 1, 32, 32}), tensor({6, 1, 5, 5}), tensor({6}),
      DenseI64ArrayAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr(),
      IntegerAttr(), DenseIntElementsAttr(),
      ActivationAttr::get(&context, Activation::Tanh),
      PoolKindAttr::get(&context, PoolKind::Avg),
      builder.getDenseI64ArrayAttr({2, 2}),
      builder.getDenseI64ArrayAttr({2, 2}), DenseI64ArrayAttr());
  EXPECT_EQ(str(fused.getType()), "tensor<?x6x14x14xf32>");
  EXPECT_EQ(fused.getPoolPadding(), ArrayRef<int64_t>({0, 0}));
  EXPECT_TRUE(verifyDiagnostics(fused).empty());
}

TEST_F(OpBuilderTest, FusedWithoutPoolIsTheConvShape) {
  auto fused = builder.create<FusedConvActPoolOp>(
      loc, tensor({kDyn, 3, 227, 227}), tensor({96, 3, 11, 11}), Value(),
      ArrayRef<int64_t>{4, 4}, ArrayRef<int64_t>{0, 0}, ArrayRef<int64_t>{1, 1},
      /*groups=*/1, DenseIntElementsAttr(), Activation::Relu, PoolKindAttr(),
      DenseI64ArrayAttr(), DenseI64ArrayAttr());
  EXPECT_EQ(str(fused.getType()), "tensor<?x96x55x55xf32>");
  EXPECT_TRUE(verifyDiagnostics(fused).empty());
}

//===----------------------------------------------------------------------===//
// Inference failures, and a written result type that disagrees
//===----------------------------------------------------------------------===//

TEST_F(OpBuilderTest, InferReturnTypesReportsTheRuleAtTheLocation) {
  Value x = tensor({kDyn, 3, 32, 32}), w = tensor({6, 1, 5, 5});
  SmallVector<Type> types;
  LogicalResult result = success();
  auto diagnostics = diagnosticsOf([&] {
    result = Conv2DOp::inferReturnTypes(
        &context, loc, ValueRange{x, w}, DictionaryAttr::get(&context),
        OpaqueProperties(nullptr), RegionRange(), types);
  });
  EXPECT_TRUE(failed(result));
  EXPECT_TRUE(types.empty());
  EXPECT_EQ(diagnostics,
            std::vector<std::string>{"error: 'cnn.conv2d' op input has 3 "
                                     "channels but weight expects 1"});
}

TEST_F(OpBuilderTest, InferReturnTypesWithoutLocationIsSilent) {
  Value scalar = tensor({});
  SmallVector<Type> types;
  LogicalResult result = success();
  auto diagnostics = diagnosticsOf([&] {
    result = SoftmaxOp::inferReturnTypes(
        &context, std::nullopt, ValueRange{scalar},
        DictionaryAttr::get(&context), OpaqueProperties(nullptr), RegionRange(),
        types);
  });
  EXPECT_TRUE(failed(result));
  EXPECT_TRUE(diagnostics.empty());
}

TEST_F(OpBuilderTest, WrongExplicitResultTypeIsOneError) {
  auto flatten = builder.create<FlattenOp>(loc, f32Tensor({kDyn, 401}),
                                           tensor({kDyn, 16, 5, 5}));
  EXPECT_EQ(verifyDiagnostics(flatten),
            std::vector<std::string>{
                "error: 'cnn.flatten' op result type 'tensor<?x401xf32>' does "
                "not match the inferred 'tensor<?x400xf32>'"});
}

TEST_F(OpBuilderTest, BadOperandWithExplicitResultTypeIsOneError) {
  auto dense =
      builder.create<DenseOp>(loc, f32Tensor({kDyn, 120}), tensor({kDyn, 256}),
                              tensor({120, 400}), Value());
  EXPECT_EQ(verifyDiagnostics(dense),
            std::vector<std::string>{"error: 'cnn.dense' op input has 256 "
                                     "features but weight expects 400"});
}

} // namespace
