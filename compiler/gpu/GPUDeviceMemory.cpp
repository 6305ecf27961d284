//===- GPUDeviceMemory.cpp - the host side's buffers on the device --------===//
//
// Host functions only allocate, copy and free once their loops are kernels;
// this pass makes those operations the gpu dialect's, which gpu-to-llvm
// lowers to the runtime's mgpuMemAlloc / mgpuMemcpy / mgpuMemFree.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_GPUDEVICEMEMORY
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

bool isIdentity(Value memref) {
  return cast<MemRefType>(memref.getType()).getLayout().isIdentity();
}

struct GPUDeviceMemoryPass
    : cnn::impl::GPUDeviceMemoryBase<GPUDeviceMemoryPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> hostOps;
    // Only the function's own ops: code inside gpu.launch is the kernels'.
    function.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (isa<memref::AllocOp, memref::DeallocOp, memref::CopyOp,
              memref::GetGlobalOp>(op))
        hostOps.push_back(op);
      return WalkResult::advance();
    });

    SmallVector<Value> constantCopies;
    for (Operation *op : hostOps) {
      rewriter.setInsertionPoint(op);
      Location loc = op->getLoc();
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        rewriter.replaceOpWithNewOp<gpu::AllocOp>(
            alloc, alloc.getType(), /*asyncToken=*/Type(), ValueRange{},
            alloc.getDynamicSizes(), alloc.getSymbolOperands());
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        rewriter.replaceOpWithNewOp<gpu::DeallocOp>(
            dealloc, /*asyncToken=*/Type(), ValueRange{}, dealloc.getMemref());
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        if (!isIdentity(copy.getSource()) || !isIdentity(copy.getTarget())) {
          copy.emitOpError("copies a strided view on the host; "
                           "cnn-copy-to-linalg should have made it a loop");
          return signalPassFailure();
        }
        rewriter.replaceOpWithNewOp<gpu::MemcpyOp>(
            copy, /*asyncToken=*/Type(), ValueRange{}, copy.getTarget(),
            copy.getSource());
      } else if (auto global = dyn_cast<memref::GetGlobalOp>(op)) {
        auto type = global.getType();
        Value device =
            rewriter
                .create<gpu::AllocOp>(loc, type,
                                      /*asyncToken=*/Type(), ValueRange{},
                                      ValueRange{}, ValueRange{})
                .getMemref();
        rewriter.setInsertionPointAfter(global);
        auto upload = rewriter.create<gpu::MemcpyOp>(
            loc, /*asyncToken=*/Type(), ValueRange{}, device, global);
        rewriter.replaceAllUsesExcept(global, device, upload);
        constantCopies.push_back(device);
      }
    }
    if (constantCopies.empty())
      return;
    function.walk([&](func::ReturnOp ret) {
      rewriter.setInsertionPoint(ret);
      for (Value device : constantCopies)
        rewriter.create<gpu::DeallocOp>(ret.getLoc(), /*asyncToken=*/Type(),
                                        ValueRange{}, device);
    });
  }
};

} // namespace
