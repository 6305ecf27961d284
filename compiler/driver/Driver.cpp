//===- Driver.cpp - the pipeline cnnc runs --------------------------------===//

#include "compiler/driver/Driver.h"

#include "compiler/codegen/ModelDescription.h"
#include "compiler/driver/DriverOutput.h"

#include "compiler/driver/Pipelines.h"
#include "compiler/driver/Registration.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Sema.h"
#include "compiler/frontend/Summary.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace cnnc;

int cnnc::writeOutput(const std::string &path,
                      llvm::function_ref<bool(llvm::raw_fd_ostream &)> write) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file =
      mlir::openOutputFile(path, &error);
  if (!file) {
    llvm::errs() << "cnnc: error: " << error << "\n";
    return 1;
  }
  if (!write(file->os()))
    return 1;
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

/// The default output of a stage: binaries next to the working directory,
/// named after the model file; text on stdout.
static std::string defaultOutputPath(const DriverOptions &options) {
  if (!options.outputPath.empty())
    return options.outputPath;
  if (options.summary ||
      (options.emit != EmitStage::So && options.emit != EmitStage::Obj))
    return "-";
  llvm::StringRef stem = llvm::sys::path::stem(options.inputPath);
  if (stem.empty() || stem == "-")
    stem = "model";
  return (stem + (options.emit == EmitStage::So ? ".so" : ".o")).str();
}

/// Keeps the forward function only, marked for the C interface the model
/// record calls. The loss function joins the .so with the training step.
static void keepForwardEntry(mlir::ModuleOp module,
                             mlir::func::FuncOp forward) {
  for (auto func :
       llvm::make_early_inc_range(module.getOps<mlir::func::FuncOp>()))
    if (func != forward)
      func.erase();
  forward->setAttr(mlir::LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                   mlir::UnitAttr::get(module.getContext()));
}

static int writeModule(mlir::ModuleOp module, const std::string &path) {
  return writeOutput(path, [&](llvm::raw_ostream &os) {
    module->print(os, mlir::OpPrintingFlags().enableDebugInfo(
                          /*enable=*/false));
    os << "\n";
    return true;
  });
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
  DriverOptions resolved = options;
  resolved.outputPath = defaultOutputPath(options);
  if (!options.summary && options.emit == EmitStage::Ast)
    return writeOutput(resolved.outputPath, [&](llvm::raw_ostream &os) {
      ast::print(*model, os);
      return true;
    });

  std::unique_ptr<CheckedModel> checked = analyze(*model, diags);
  if (!checked)
    return 1;
  if (options.summary)
    return writeOutput(resolved.outputPath, [&](llvm::raw_ostream &os) {
      printSummary(*checked, os);
      return true;
    });

  mlir::DialectRegistry registry;
  registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      generateIR(*checked, context, diags);
  if (!module)
    return 1;

  if (options.emit == EmitStage::Cnn)
    return writeModule(*module, resolved.outputPath);

  mlir::FailureOr<ModelDescription> description = describeModel(*module);
  if (mlir::failed(description))
    return 1;
  keepForwardEntry(*module, findForwardFunction(*module));
  static const bool registered = (registerPasses(), true);
  (void)registered;
  mlir::PassManager pm(&context);
  buildModelEntryPipeline(pm);
  buildCnnToLinalgPipeline(pm);
  if (options.emit != EmitStage::Linalg)
    buildLinalgToLLVMPipeline(pm);
  // Lowering a verified module cannot fail on user input; if it does, the
  // pass has already reported where.
  if (mlir::failed(pm.run(*module)))
    return 1;
  if (options.emit == EmitStage::Linalg ||
      options.emit == EmitStage::LLVMDialect)
    return writeModule(*module, resolved.outputPath);
  return emitNativeOutput(*module, *description, resolved);
}
