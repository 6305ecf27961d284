//===- Driver.cpp - the pipeline cnnc runs --------------------------------===//

#include "compiler/driver/Driver.h"

#include "compiler/codegen/ModelDescription.h"
#include "compiler/codegen/TrainingDescription.h"
#include "compiler/driver/DriverOutput.h"
#include "compiler/driver/GpuOutput.h"

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
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringSet.h"
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

/// Keeps the functions the model record calls (inference, and with a
/// `train` section the training step and evaluation), each marked for the
/// C interface; the loss and gradient functions they were built from go.
static void keepEntries(mlir::ModuleOp module, const ModelDescription &model) {
  llvm::SmallVector<std::string> entries{model.name};
  if (model.training) {
    entries.push_back(model.training->trainStepFunction);
    entries.push_back(model.training->evaluateFunction);
    if (!model.training->gradFunction.empty()) {
      entries.push_back(model.training->gradFunction);
      entries.push_back(model.training->applyUpdateFunction);
    }
  }
  for (auto func :
       llvm::make_early_inc_range(module.getOps<mlir::func::FuncOp>())) {
    if (!llvm::is_contained(entries, func.getName())) {
      func.erase();
      continue;
    }
    func->setAttr(mlir::LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  mlir::UnitAttr::get(module.getContext()));
  }
}

/// Whether the stage asked for includes CUDA code: PTX itself, or a native
/// stage of a library built with CUDA.
static bool needsCudaCode(const DriverOptions &options) {
  switch (options.emit) {
  case EmitStage::Ptx:
    return true;
  case EmitStage::LLVM:
  case EmitStage::Asm:
  case EmitStage::Obj:
  case EmitStage::So:
    return options.cuda;
  default:
    return false;
  }
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
  if (needsCudaCode(options) && !isSupportedCudaArch(options.cudaArch)) {
    llvm::errs() << "cnnc: error: unknown CUDA architecture '"
                 << options.cudaArch
                 << "'; cnnc generates code for sm_75, sm_80, sm_86, sm_87, "
                    "sm_89, sm_90 and sm_90a (newer GPUs run the PTX of "
                    "sm_90)\n";
    return 1;
  }
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

  // A pass that rejects the model reports against its source line, as the
  // front end does, rather than printing MLIR's location raw.
  mlir::SourceMgrDiagnosticHandler passDiagnostics(sourceMgr, &context);
  context.printOpOnDiagnostic(false);
  // The entries (inference, training step, evaluation) go through the same
  // passes, so a model they reject for what they share (its parameters)
  // would be reported once per entry: a diagnostic already reported, at the
  // same place, is dropped. Handlers run under the engine's lock, newest
  // first.
  llvm::StringSet<> reported;
  mlir::ScopedDiagnosticHandler reportOnce(
      &context, [&reported](mlir::Diagnostic &diagnostic) {
        std::string key;
        llvm::raw_string_ostream os(key);
        os << static_cast<int>(diagnostic.getSeverity()) << " "
           << diagnostic.getLocation() << ": " << diagnostic;
        return mlir::success(!reported.insert(os.str()).second);
      });

  mlir::FailureOr<ModelDescription> description = describeModel(*module);
  if (mlir::failed(description))
    return 1;
  static const bool registered = (registerPasses(), true);
  (void)registered;
  // Passes on verified front-end output cannot fail on user input; if one
  // does, it has already reported where.
  mlir::PassManager entryPm(&context);
  buildModelEntryPipeline(entryPm);
  if (mlir::failed(entryPm.run(*module)))
    return 1;
  if (mlir::failed(describeTraining(*module, *description)))
    return 1;
  keepEntries(*module, *description);

  mlir::OwningOpRef<mlir::ModuleOp> gpuModule;
  if (needsCudaCode(options)) {
    std::string why;
    std::optional<std::string> toolkit = findCudaToolkit(options, why);
    if (toolkit) {
      CudaOptions cuda{options.cudaArch,
                       *toolkit,
                       options.emit == EmitStage::Ptx,
                       options.gpuTileOutputs,
                       options.gpuAlignedSlices,
                       options.gpuIndexBits};
      gpuModule = buildGpuModule(*module, *description, cuda);
      if (!gpuModule)
        return 1;
      if (options.emit == EmitStage::Ptx)
        return writePtx(*gpuModule, resolved.outputPath);
    } else if (options.emit == EmitStage::Ptx || options.cudaRequired) {
      llvm::errs() << "cnnc: error: " << why
                   << "; give the toolkit's folder with --cuda-path, or "
                      "--no-cuda for a CPU-only library\n";
      return 1;
    }
  }

  mlir::PassManager pm(&context);
  if (options.gpuLoopsOnCpu && options.emit != EmitStage::Linalg) {
    buildGPULoopsOnCPUPipeline(pm, options.gpuTileOutputs,
                               options.gpuAlignedSlices);
  } else {
    buildCnnToLinalgPipeline(pm, options.fuse);
    if (options.emit != EmitStage::Linalg)
      buildLinalgToLLVMPipeline(pm);
  }
  if (mlir::failed(pm.run(*module)))
    return 1;
  if (options.emit == EmitStage::Linalg ||
      options.emit == EmitStage::LLVMDialect)
    return writeModule(*module, resolved.outputPath);
  return emitNativeOutput(*module, gpuModule ? *gpuModule : nullptr,
                          *description, resolved);
}
