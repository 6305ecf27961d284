//===- AlignSharedMemory.cpp - shared memory declared as LLVM assumes -----===//
//
// Gives each workgroup attribution of the kernels a 16-byte alignment, the
// one LLVM assumes for the global it becomes when it vectorizes the reads
// of a tile, so that the PTX declares it too (Passes.td has the why).
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_ALIGNSHAREDMEMORY
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// The widest load of shared memory (ld.shared.v4.f32), in bytes.
constexpr int64_t kVectorLoadBytes = 16;

struct AlignSharedMemoryPass
    : cnn::impl::AlignSharedMemoryBase<AlignSharedMemoryPass> {
  void runOnOperation() override {
    Builder builder(&getContext());
    getOperation().walk([&](gpu::GPUFuncOp function) {
      for (unsigned i = 0, e = function.getNumWorkgroupAttributions(); i < e;
           ++i)
        function.setWorkgroupAttributionAttr(
            i, LLVM::LLVMDialect::getAlignAttrName(),
            builder.getI64IntegerAttr(kVectorLoadBytes));
    });
  }
};

} // namespace
