//===- ShapeInferenceTest.cpp - the shape rules, called directly ----------===//

#include "dialects/cnn/ShapeInference.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"

#include <gtest/gtest.h>

using namespace mlir::cnn;

TEST(Conv2DShape, LeNetC1) {
  const int64_t stride[] = {1, 1}, padding[] = {0, 0}, dilation[] = {1, 1};
  auto shape = inferConv2DShape({mlir::ShapedType::kDynamic, 1, 32, 32},
                                {6, 1, 5, 5}, llvm::ArrayRef<int64_t>{6},
                                {stride, padding, dilation, 1, std::nullopt});
  ASSERT_TRUE(static_cast<bool>(shape)) << llvm::toString(shape.takeError());
  EXPECT_EQ(*shape, (Shape{mlir::ShapedType::kDynamic, 6, 28, 28}));
}
