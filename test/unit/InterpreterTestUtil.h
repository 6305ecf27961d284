//===- InterpreterTestUtil.h - fixtures for the interpreter tests -*- C++
//-*-===//
//
// The reference interpreter's tests (ReferenceInterpreterTest.cpp,
// ReferenceInterpreterGradientTest.cpp) write each case as a cnn-dialect
// function @f, parse it, interpret it and look at its results or its error.
// This is the context, parsing and error plumbing they share.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_UNIT_INTERPRETERTESTUTIL_H
#define CNNC_TEST_UNIT_INTERPRETERTESTUTIL_H

#include "test/reference/HostTensor.h"
#include "test/reference/Interpreter.h"

#include "dialects/cnn/CNNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cnnc::test {

/// A fixture (on `Base`, testing::Test or a TestWithParam) whose context has
/// the dialects interpreted functions use, and which runs sources' @f.
template <typename Base = testing::Test>
class InterpreterFixture : public Base {
protected:
  InterpreterFixture() {
    context.loadDialect<mlir::cnn::CNNDialect, mlir::func::FuncDialect,
                        mlir::arith::ArithDialect>();
  }

  /// Parses `source` (as "test.mlir") and interprets its @f.
  llvm::Expected<std::vector<HostTensor>>
  tryRun(const std::string &source, const std::vector<HostTensor> &args,
         int64_t seed = 0, const InterpretOptions &options = {}) {
    module = mlir::parseSourceString<mlir::ModuleOp>(
        source, mlir::ParserConfig(&context), "test.mlir");
    if (!module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "could not parse:\n" + source);
    auto fn = module->template lookupSymbol<mlir::func::FuncOp>("f");
    if (!fn)
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "no @f");
    return interpret(fn, args, seed, options);
  }

  /// As tryRun with seed 0; fails the test on an error.
  std::vector<HostTensor> runAll(const std::string &source,
                                 const std::vector<HostTensor> &args,
                                 const InterpretOptions &options = {}) {
    auto results = tryRun(source, args, /*seed=*/0, options);
    if (!results) {
      ADD_FAILURE() << llvm::toString(results.takeError());
      return {};
    }
    return *results;
  }

  /// The message of the error interpreting `source` must report.
  std::string errorOf(const std::string &source,
                      const std::vector<HostTensor> &args) {
    auto results = tryRun(source, args);
    if (results) {
      ADD_FAILURE() << "expected an error";
      return {};
    }
    return llvm::toString(results.takeError());
  }

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

} // namespace cnnc::test

#endif // CNNC_TEST_UNIT_INTERPRETERTESTUTIL_H
