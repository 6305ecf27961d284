//===- ScalarsInDeviceMemory.cpp - a step's scalars read by its kernels ---===//
//
// Each scalar argument of a step becomes a rank-0 memref in device memory,
// loaded once by every kernel that reads it. The runtime writes the values
// there before each call (runtime/model/TrainAbi.cpp), so a step replayed
// from a CUDA graph reads the current learning rate, step and seed.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/LoopUtils.h"
#include "compiler/gpu/Passes.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_SCALARSINDEVICEMEMORY
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// Makes `scalar` a rank-0 memref that each launch using it loads; fails,
/// with an error at the use, when something outside a kernel reads it.
LogicalResult moveToDeviceMemory(BlockArgument scalar) {
  SetVector<gpu::LaunchOp> launches;
  for (OpOperand &use : scalar.getUses()) {
    auto launch = use.getOwner()->getParentOfType<gpu::LaunchOp>();
    if (!launch)
      return use.getOwner()->emitError()
             << "reads the step's scalar argument " << scalar.getArgNumber()
             << " outside a kernel, where its value is not at hand once the "
                "scalars are in device memory";
    launches.insert(launch);
  }
  scalar.setType(MemRefType::get({}, scalar.getType()));
  for (gpu::LaunchOp launch : launches) {
    auto builder = OpBuilder::atBlockBegin(&launch.getBody().front());
    Value loaded = builder.create<memref::LoadOp>(scalar.getLoc(), scalar);
    scalar.replaceUsesWithIf(loaded, [&](OpOperand &use) {
      return use.getOwner() != loaded.getDefiningOp() &&
             launch->isProperAncestor(use.getOwner());
    });
  }
  return success();
}

struct ScalarsInDeviceMemoryPass
    : cnn::impl::ScalarsInDeviceMemoryBase<ScalarsInDeviceMemoryPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    for (BlockArgument arg : function.getArguments())
      if (cnn::isStepScalar(function, arg) && !isa<MemRefType>(arg.getType()) &&
          failed(moveToDeviceMemory(arg)))
        return signalPassFailure();
    function.setType(FunctionType::get(&getContext(),
                                       function.getBody().getArgumentTypes(),
                                       function.getResultTypes()));
  }
};

} // namespace
