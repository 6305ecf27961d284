//===- GpuOutput.cpp - the CUDA half of a compiled model ------------------===//

#include "compiler/driver/GpuOutput.h"
#include "compiler/driver/DriverOutput.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace cnnc;

std::optional<std::string> cnnc::findCudaToolkit(const DriverOptions &options,
                                                 std::string &why) {
  std::string root = options.cudaPath;
  if (root.empty())
    root = llvm::sys::Process::GetEnv("CUDA_PATH").value_or("/usr/local/cuda");
  for (const char *part :
       {"bin/ptxas", "bin/fatbinary", "nvvm/libdevice/libdevice.10.bc"}) {
    llvm::SmallString<128> path(root);
    llvm::sys::path::append(path, part);
    if (!llvm::sys::fs::exists(path)) {
      why = "no CUDA toolkit in '" + root + "': '" + std::string(path) +
            "' does not exist";
      return std::nullopt;
    }
  }
  return root;
}

bool cnnc::isSupportedCudaArch(llvm::StringRef arch) {
  return llvm::StringSwitch<bool>(arch)
      .Cases("sm_75", "sm_80", "sm_86", "sm_87", "sm_89", "sm_90", "sm_90a",
             true)
      .Default(false);
}

mlir::OwningOpRef<mlir::ModuleOp>
cnnc::buildGpuModule(mlir::ModuleOp module, const ModelDescription &model,
                     const CudaOptions &cuda) {
  mlir::OwningOpRef<mlir::ModuleOp> gpuModule = module.clone();
  // The GPU runs whole batches: the halves of the step that split a batch
  // across CPU threads are not needed there.
  if (model.training)
    for (auto func :
         llvm::make_early_inc_range(gpuModule->getOps<mlir::func::FuncOp>()))
      if (func.getName() == model.training->gradFunction ||
          func.getName() == model.training->applyUpdateFunction)
        func.erase();
  mlir::PassManager pm(module.getContext());
  buildCnnToGPUPipeline(pm, cuda);
  if (mlir::failed(pm.run(*gpuModule)))
    return nullptr;
  return gpuModule;
}

int cnnc::writePtx(mlir::ModuleOp gpuModule, const std::string &path) {
  return writeOutput(path, [&](llvm::raw_ostream &os) {
    for (auto binary : gpuModule.getOps<mlir::gpu::BinaryOp>())
      for (auto object :
           binary.getObjects().getAsRange<mlir::gpu::ObjectAttr>()) {
        // The PTX ends in the NUL cuModuleLoadData wants (MLIR19-NOTES.md).
        llvm::StringRef ptx = object.getObject().getValue();
        os << ptx.take_until([](char c) { return c == '\0'; });
      }
    return true;
  });
}
