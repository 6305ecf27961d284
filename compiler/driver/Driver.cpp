//===- Driver.cpp - the pipeline cnnc runs --------------------------------===//

#include "compiler/driver/Driver.h"

#include "compiler/driver/Pipelines.h"
#include "compiler/driver/Registration.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Sema.h"
#include "compiler/frontend/Summary.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace cnnc;

/// Writes through a temporary file that replaces `path` only when kept, so a
/// failed run never leaves a truncated output behind.
static int writeOutput(const std::string &path,
                       llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file =
      mlir::openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "cnnc: error: " << error << "\n";
    return 1;
  }
  write(file->os());
  file->os().flush();
  if (file->os().has_error()) {
    llvm::errs() << "cnnc: error: cannot write '" << path
                 << "': " << file->os().error().message() << "\n";
    file->os().clear_error();
    return 1;
  }
  file->keep();
  return 0;
}

int cnnc::runDriver(const DriverOptions &options) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileOrSTDIN(options.inputPath, /*IsText=*/true);
  if (std::error_code ec = buffer.getError()) {
    llvm::errs() << "cnnc: error: cannot read '" << options.inputPath
                 << "': " << ec.message() << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  Diagnostics diags(sourceMgr, llvm::errs());

  std::optional<ast::Model> model = parseModel(sourceMgr, diags);
  if (!model)
    return 1;
  if (!options.summary && options.emit == EmitStage::Ast)
    return writeOutput(options.outputPath,
                       [&](llvm::raw_ostream &os) { ast::print(*model, os); });

  std::unique_ptr<CheckedModel> checked = analyze(*model, diags);
  if (!checked)
    return 1;
  if (options.summary)
    return writeOutput(options.outputPath, [&](llvm::raw_ostream &os) {
      printSummary(*checked, os);
    });

  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      generateIR(*checked, context, diags);
  if (!module)
    return 1;

  if (options.emit != EmitStage::Cnn) {
    static const bool registered = (registerPasses(), true);
    (void)registered;
    mlir::PassManager pm(&context);
    buildCnnToLinalgPipeline(pm);
    if (options.emit == EmitStage::LLVMDialect)
      buildLinalgToLLVMPipeline(pm);
    // Lowering a verified module cannot fail on user input; if it does, the
    // pass has already reported where.
    if (mlir::failed(pm.run(*module)))
      return 1;
  }
  return writeOutput(options.outputPath, [&](llvm::raw_ostream &os) {
    module->print(os, mlir::OpPrintingFlags().enableDebugInfo(
                          /*enable=*/false));
    os << "\n";
  });
}
