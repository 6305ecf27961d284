//===- NativeOutput.cpp - LLVM IR, assembly, objects and the .so ----------===//

#include "compiler/codegen/Linker.h"
#include "compiler/codegen/ModelRecordEmitter.h"
#include "compiler/codegen/NativeCode.h"
#include "compiler/driver/DriverOutput.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Target/TargetMachine.h"

using namespace cnnc;

static bool reportError(llvm::Error error) {
  llvm::errs() << "cnnc: error: " << llvm::toString(std::move(error)) << "\n";
  return false;
}

/// Emits the object to a temporary file (removed afterwards), then links
/// the .so, itself written through a temporary file.
static int linkModel(llvm::Module &module, llvm::TargetMachine &machine,
                     const DriverOptions &options) {
  if (options.outputPath == "-") {
    llvm::errs() << "cnnc: error: a shared library cannot be written to "
                    "stdout; give a file with -o\n";
    return 1;
  }
  llvm::SmallString<128> objectPath;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("cnnc-model", "o",
                                                              fd, objectPath)) {
    llvm::errs() << "cnnc: error: cannot create a temporary object file: "
                 << ec.message() << "\n";
    return 1;
  }
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (llvm::Error error = emitMachineCode(
            module, machine, llvm::CodeGenFileType::ObjectFile, os))
      return reportError(std::move(error)), 1;
    os.flush();
    if (os.has_error()) {
      llvm::errs() << "cnnc: error: cannot write '" << objectPath
                   << "': " << os.error().message() << "\n";
      os.clear_error();
      return 1;
    }
  }
  if (llvm::Error error =
          linkSharedLibrary(std::string(objectPath),
                            options.modelRuntimeArchive, options.outputPath))
    return reportError(std::move(error)), 1;
  return 0;
}

/// Links the CUDA half into `module`. Everything it defines gets the suffix
/// `_gpu`, so its entries (`_mlir_ciface_lenet5_gpu`) sit beside the CPU
/// ones; what it only declares (the runtime's `mgpu*` functions) is left to
/// the link.
static bool linkGpuModule(llvm::Module &module,
                          std::unique_ptr<llvm::Module> gpu) {
  for (llvm::GlobalValue &value : gpu->global_values())
    if (!value.isDeclaration())
      value.setName(value.getName() + "_gpu");
  if (llvm::Linker::linkModules(module, std::move(gpu))) {
    llvm::errs() << "cnnc: internal error: linking the CUDA code into the "
                    "model failed\n";
    return false;
  }
  return true;
}

/// Drops the front end's marks on entry arguments and results (cnn.input,
/// cnn.output, cnn.params): the model description has read them, and LLVM
/// IR has no place for them (translation warns about each).
static void dropModelMarks(mlir::ModuleOp module) {
  auto isMark = [](mlir::NamedAttribute attr) {
    return attr.getName().strref().starts_with("cnn.");
  };
  module.walk([&](mlir::LLVM::LLVMFuncOp llvmFunc) {
    auto func = mlir::cast<mlir::FunctionOpInterface>(llvmFunc.getOperation());
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
      for (mlir::NamedAttribute attr : llvm::to_vector(func.getArgAttrs(i)))
        if (isMark(attr))
          func.removeArgAttr(i, attr.getName());
    for (unsigned i = 0, e = func.getNumResults(); i < e; ++i)
      for (mlir::NamedAttribute attr : llvm::to_vector(func.getResultAttrs(i)))
        if (isMark(attr))
          func.removeResultAttr(i, attr.getName());
  });
}

int cnnc::emitNativeOutput(mlir::ModuleOp module, mlir::ModuleOp gpuModule,
                           const ModelDescription &model,
                           const DriverOptions &options) {
  dropModelMarks(module);
  if (gpuModule)
    dropModelMarks(gpuModule);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, llvmContext, model.name);
  if (!llvmModule) {
    llvm::errs() << "cnnc: internal error: translating '" << model.name
                 << "' to LLVM IR failed\n";
    return 1;
  }
  if (gpuModule) {
    std::unique_ptr<llvm::Module> gpu =
        mlir::translateModuleToLLVMIR(gpuModule, llvmContext, model.name);
    if (!gpu) {
      llvm::errs() << "cnnc: internal error: translating the CUDA code of '"
                   << model.name << "' to LLVM IR failed\n";
      return 1;
    }
    if (!linkGpuModule(*llvmModule, std::move(gpu)))
      return 1;
  }
  if (llvm::Error error = emitModelRecord(*llvmModule, model,
                                          gpuModule ? options.cudaArch : ""))
    return reportError(std::move(error)), 1;
  hideGeneratedSymbols(*llvmModule);

  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(options.cpu);
  if (!machine)
    return reportError(machine.takeError()), 1;
  optimizeModule(*llvmModule, **machine);

  switch (options.emit) {
  case EmitStage::LLVM:
    return writeOutput(options.outputPath, [&](llvm::raw_fd_ostream &os) {
      llvmModule->print(os, nullptr);
      return true;
    });
  case EmitStage::Asm:
  case EmitStage::Obj: {
    auto type = options.emit == EmitStage::Asm
                    ? llvm::CodeGenFileType::AssemblyFile
                    : llvm::CodeGenFileType::ObjectFile;
    if (options.emit == EmitStage::Obj && options.outputPath == "-") {
      llvm::errs() << "cnnc: error: an object file cannot be written to "
                      "stdout; give a file with -o\n";
      return 1;
    }
    return writeOutput(options.outputPath, [&](llvm::raw_fd_ostream &os) {
      if (llvm::Error error = emitMachineCode(*llvmModule, **machine, type, os))
        return reportError(std::move(error));
      return true;
    });
  }
  default:
    return linkModel(*llvmModule, **machine, options);
  }
}
