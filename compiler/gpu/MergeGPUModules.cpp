//===- MergeGPUModules.cpp - all kernels in one gpu.module ----------------===//
//
// One module means one ptxas run at compile time and one CUDA module to load
// at run time (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_MERGEGPUMODULES
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kMergedName = "cnnc_kernels";

struct MergeGPUModulesPass
    : cnn::impl::MergeGPUModulesBase<MergeGPUModulesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> sources(module.getOps<gpu::GPUModuleOp>());
    if (sources.size() < 2)
      return;
    if (SymbolTable::lookupSymbolIn(module, kMergedName)) {
      module.emitOpError() << "already has a symbol named '" << kMergedName
                           << "'";
      return signalPassFailure();
    }
    OpBuilder builder(sources.front());
    auto merged =
        builder.create<gpu::GPUModuleOp>(module.getLoc(), kMergedName);
    SymbolTable mergedSymbols(merged);

    // Where each kernel was (module, function) and where it is now.
    llvm::DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> moved;
    for (gpu::GPUModuleOp source : sources) {
      if (source.getTargetsAttr() || source.getOffloadingHandlerAttr()) {
        source.emitOpError("has a target already; merge before attaching one");
        return signalPassFailure();
      }
      StringAttr sourceName = source.getSymNameAttr();
      for (gpu::GPUFuncOp kernel :
           llvm::make_early_inc_range(source.getOps<gpu::GPUFuncOp>())) {
        if (!kernel.isKernel()) {
          kernel.emitOpError("is not a kernel; only kernels can be merged");
          return signalPassFailure();
        }
        StringAttr kernelName = kernel.getNameAttr();
        kernel->remove();
        kernel.setName(sourceName);
        mergedSymbols.insert(kernel);
        moved[{sourceName, kernelName}] = kernel.getNameAttr();
      }
      if (!source.getBody()->without_terminator().empty()) {
        source.emitOpError("holds more than kernels");
        return signalPassFailure();
      }
      source.erase();
    }

    WalkResult result = module.walk([&](gpu::LaunchFuncOp launch) {
      auto it =
          moved.find({launch.getKernelModuleName(), launch.getKernelName()});
      if (it == moved.end()) {
        launch.emitOpError("launches a kernel that was not outlined");
        return WalkResult::interrupt();
      }
      launch.setKernelAttr(SymbolRefAttr::get(
          merged.getSymNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
