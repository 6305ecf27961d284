//===- MergeGPUModules.cpp - all kernels in one gpu.module ----------------===//
//
// One module means one ptxas run at compile time and one CUDA module to load
// at run time (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_MERGEGPUMODULES
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kMergedName = "cnnc_kernels";

/// Layers named in a kernel's name at most; more are left out.
constexpr size_t kMaxLayersInName = 3;

/// The statement a layer's location names: the front end names a layer's
/// ops `<statement>` or, for a call inside its statement, `<statement>.
/// <callee>`, and cnn-differentiate appends `.grad` to the gradient's.
std::string statementOf(StringRef layer) {
  bool gradient = layer.ends_with(".grad");
  std::string statement =
      layer.take_until([](char c) { return c == '.'; }).str();
  return gradient && statement != layer ? statement + ".grad" : statement;
}

/// The statements `kernel` computes for, in source order, from the names
/// of its ops' locations. Constants are left out: canonicalization shares
/// them between layers.
SmallVector<std::string> layersOf(gpu::GPUFuncOp kernel) {
  // Each statement with the first place in the source it was seen at.
  SmallVector<std::pair<std::string, std::pair<unsigned, unsigned>>> layers;
  kernel.walk([&](Operation *op) {
    if (op->hasTrait<OpTrait::ConstantLike>())
      return;
    op->getLoc()->walk([&](Location loc) {
      auto name = dyn_cast<NameLoc>(loc);
      if (!name)
        return WalkResult::advance();
      std::string layer = statementOf(name.getName().getValue());
      auto at = dyn_cast<FileLineColLoc>(name.getChildLoc());
      std::pair<unsigned, unsigned> place{at ? at.getLine() : 0,
                                          at ? at.getColumn() : 0};
      auto *seen = llvm::find_if(
          layers, [&](const auto &entry) { return entry.first == layer; });
      if (seen == layers.end())
        layers.emplace_back(std::move(layer), place);
      else
        seen->second = std::min(seen->second, place);
      return WalkResult::advance();
    });
  });
  llvm::stable_sort(
      layers, [](const auto &a, const auto &b) { return a.second < b.second; });
  return llvm::to_vector(llvm::make_first_range(layers));
}

/// `<function>_k<n>_<layers>`, the n-th kernel `function` launches: a
/// profiler then lists the layers each kernel computes for. Characters a
/// PTX name cannot hold become `_`.
std::string kernelName(StringRef function, ArrayRef<std::string> layers,
                       unsigned ordinal) {
  std::string name = (function + "_k" + Twine(ordinal)).str();
  for (StringRef layer : layers.take_front(kMaxLayersInName)) {
    name += '_';
    for (char c : layer)
      name += llvm::isAlnum(c) ? c : '_';
  }
  if (layers.size() > kMaxLayersInName)
    name += "_etc";
  return name;
}

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

    // Each outlined module's name in the merged one, from the function that
    // launches it and the order it does.
    llvm::DenseMap<StringAttr, std::string> names;
    llvm::StringMap<unsigned> launchesIn;
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto function = launch->getParentOfType<FunctionOpInterface>();
      auto kernel = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
          launch, launch.getKernel());
      if (!function || !kernel || names.count(launch.getKernelModuleName()))
        return;
      names[launch.getKernelModuleName()] =
          kernelName(function.getName(), layersOf(kernel),
                     launchesIn[function.getName()]++);
    });

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
        auto named = names.find(sourceName);
        kernel.setName(named != names.end() ? StringRef(named->second)
                                            : sourceName.getValue());
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
