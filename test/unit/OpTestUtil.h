//===- OpTestUtil.h - a cnn context for op-level tests ----------*- C++ -*-===//
//-*-===//
//
// The fixture the op-level tests share: an MLIRContext with the cnn and func
// dialects loaded, and a way to collect the diagnostics that building,
// parsing or verifying emits, so a test can check both their text and their
// number.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_UNIT_OPTESTUTIL_H
#define CNNC_TEST_UNIT_OPTESTUTIL_H

#include "dialects/cnn/CNNDialect.h"
#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cnnc::test {

/// Renders a type as the IR writes it ("tensor<?x6x28x28xf32>"), so that
/// gtest shows readable values when a comparison fails.
inline std::string str(mlir::Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

class CNNContextTest : public testing::Test {
protected:
  CNNContextTest() {
    context.loadDialect<mlir::cnn::CNNDialect, mlir::func::FuncDialect>();
  }

  /// Runs `action` and returns every diagnostic it emitted, as
  /// "error: <message>" (or "warning: ", "remark: "), in order.
  template <typename Action>
  std::vector<std::string> diagnosticsOf(Action &&action) {
    std::vector<std::string> diagnostics;
    mlir::ScopedDiagnosticHandler handler(
        &context, [&](mlir::Diagnostic &diag) {
          diagnostics.push_back(severityName(diag.getSeverity()) + diag.str());
          return mlir::success();
        });
    action();
    return diagnostics;
  }

  mlir::MLIRContext context;

private:
  static std::string severityName(mlir::DiagnosticSeverity severity) {
    switch (severity) {
    case mlir::DiagnosticSeverity::Error:
      return "error: ";
    case mlir::DiagnosticSeverity::Warning:
      return "warning: ";
    case mlir::DiagnosticSeverity::Remark:
      return "remark: ";
    case mlir::DiagnosticSeverity::Note:
      return "note: ";
    }
    return "";
  }
};

} // namespace cnnc::test

#endif // CNNC_TEST_UNIT_OPTESTUTIL_H
