//===- ShapeTestUtil.h - helpers for testing the shape rules ----*- C++ -*-===//
//
// Turns a shape rule's llvm::Expected<Shape> into something gtest can compare
// and print: the shape when a rule must succeed, the message when it must
// fail. Both consume the Expected, so no test leaves an error unchecked.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_UNIT_SHAPETESTUTIL_H
#define CNNC_TEST_UNIT_SHAPETESTUTIL_H

#include "dialects/cnn/ShapeInference.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace cnnc::test {

/// An unknown dimension, as the rules take and return it.
inline constexpr int64_t kDyn = mlir::ShapedType::kDynamic;
/// The largest dimension or attribute value a user can write.
inline constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

/// Succeeds when `result` holds exactly `expected`; otherwise the failure
/// says what the rule returned instead (its shape or its error message).
inline testing::AssertionResult
hasShape(llvm::Expected<mlir::cnn::Shape> result,
         llvm::ArrayRef<int64_t> expected) {
  if (!result)
    return testing::AssertionFailure()
           << "rule failed: " << llvm::toString(result.takeError());
  if (llvm::ArrayRef<int64_t>(*result) != expected)
    return testing::AssertionFailure()
           << "got " << mlir::cnn::formatShape(*result) << ", expected "
           << mlir::cnn::formatShape(expected);
  return testing::AssertionSuccess();
}

/// Succeeds when the rule failed, whatever its message; for known bugs, whose
/// fix will choose the words.
inline testing::AssertionResult fails(llvm::Expected<mlir::cnn::Shape> result) {
  if (result)
    return testing::AssertionFailure()
           << "rule succeeded with " << mlir::cnn::formatShape(*result);
  llvm::consumeError(result.takeError());
  return testing::AssertionSuccess();
}

/// The error message of a rule that must fail. A rule that succeeds is a
/// test failure here, and the returned text names the shape it gave, so an
/// EXPECT_EQ against the expected message fails as well and shows it.
inline std::string errorOf(llvm::Expected<mlir::cnn::Shape> result) {
  if (result) {
    std::string got = "no error; shape " + mlir::cnn::formatShape(*result);
    ADD_FAILURE() << "expected the rule to fail, but it gave "
                  << mlir::cnn::formatShape(*result);
    return got;
  }
  return llvm::toString(result.takeError());
}

} // namespace cnnc::test

#endif // CNNC_TEST_UNIT_SHAPETESTUTIL_H
