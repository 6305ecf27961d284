//===- ParserFuzzer.cpp - libFuzzer target for the .mdl front end ---------===//
//
// Feeds arbitrary bytes through the lexer, the parser, semantic analysis and
// cnn IR generation.
// Any crash, sanitizer report or unbounded recursion is a bug: the front end
// must answer every input with diagnostics. Built and run by
// scripts/fuzz-frontend.sh; crashes found become tests in test/frontend.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Sema.h"
#include "dialects/cnn/CNNDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.mdl"),
      llvm::SMLoc());
  llvm::raw_null_ostream sink;
  cnnc::Diagnostics diags(sourceMgr, sink);
  std::optional<cnnc::ast::Model> model = cnnc::parseModel(sourceMgr, diags);
  if (!model)
    return 0;
  std::unique_ptr<cnnc::CheckedModel> checked = cnnc::analyze(*model, diags);
  if (!checked)
    return 0;
  // A model that passed semantic analysis must build verified IR.
  static mlir::MLIRContext *context = [] {
    auto *context = new mlir::MLIRContext;
    context->loadDialect<mlir::cnn::CNNDialect, mlir::func::FuncDialect>();
    return context;
  }();
  if (!cnnc::generateIR(*checked, *context, diags))
    __builtin_trap();
  return 0;
}
