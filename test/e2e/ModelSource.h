//===- ModelSource.h - a .mdl file as a cnn-level module --------*- C++ -*-===//
//
// The front end run in process on a model file, for tests that hand its
// functions to the reference interpreter. Errors land in `messages`.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_E2E_MODELSOURCE_H
#define CNNC_TEST_E2E_MODELSOURCE_H

#include "compiler/codegen/ModelDescription.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Sema.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace cnnc::test {

class ModelSource {
public:
  /// Reads and compiles the model file at `path` to the cnn dialect.
  explicit ModelSource(const std::string &path) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer) {
      messages = "cannot read " + path;
      return;
    }
    load(std::move(*buffer));
  }

  /// Compiles model source text; `name` labels its diagnostics.
  ModelSource(llvm::StringRef text, llvm::StringRef name) {
    load(llvm::MemoryBuffer::getMemBufferCopy(text, name));
  }

  /// The model's forward function, or null if the model did not compile.
  mlir::func::FuncOp forward() {
    return module ? findForwardFunction(*module) : mlir::func::FuncOp();
  }

  /// The module, or null if the model did not compile.
  mlir::ModuleOp get() { return module ? *module : mlir::ModuleOp(); }
  mlir::MLIRContext &getContext() { return context; }

  std::string messages;

private:
  void load(std::unique_ptr<llvm::MemoryBuffer> buffer) {
    sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    llvm::raw_string_ostream os(messages);
    Diagnostics diags(sourceMgr, os);
    std::optional<ast::Model> syntax = parseModel(sourceMgr, diags);
    if (!syntax)
      return;
    checked = analyze(*syntax, diags);
    if (checked)
      module = generateIR(*checked, context, diags);
  }

  llvm::SourceMgr sourceMgr;
  std::unique_ptr<CheckedModel> checked;
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

} // namespace cnnc::test

#endif // CNNC_TEST_E2E_MODELSOURCE_H
