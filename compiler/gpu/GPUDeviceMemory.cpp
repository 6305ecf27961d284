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

#include <limits>

namespace mlir::cnn {
#define GEN_PASS_DEF_GPUDEVICEMEMORY
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

bool isIdentity(Value memref) {
  return cast<MemRefType>(memref.getType()).getLayout().isIdentity();
}

/// Whether the kernels' 32-bit indices reach every element of a buffer of
/// `type`: a static shape of fewer than 2^31 elements, or elements of 32
/// bits or more, whose buffers the runtime keeps under 2^31 elements of 4
/// bytes (a buffer of bytes could be 4 times longer).
bool isIndexable(MemRefType type) {
  if (type.hasStaticShape())
    return type.getNumElements() <= std::numeric_limits<int32_t>::max();
  return type.getElementTypeBitWidth() >= 32;
}

LogicalResult checkIndexable(Operation *op, Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || isIndexable(memref))
    return success();
  return op->emitError()
         << "a buffer of type " << type
         << " is beyond the GPU kernels' 32-bit indices (2^31 elements); "
            "compile with --no-cuda for the CPU alone";
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

    for (Type type : function.getArgumentTypes())
      if (failed(checkIndexable(function, type)))
        return signalPassFailure();
    SmallVector<Value> constantCopies;
    for (Operation *op : hostOps) {
      rewriter.setInsertionPoint(op);
      Location loc = op->getLoc();
      if (op->getNumResults() == 1 &&
          failed(checkIndexable(op, op->getResult(0).getType())))
        return signalPassFailure();
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
