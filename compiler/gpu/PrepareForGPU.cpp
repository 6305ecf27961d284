//===- PrepareForGPU.cpp - linalg in the shape kernels need ---------------===//
//
// Two rewrites on linalg on tensors before bufferization (Passes.td has the
// why): generics iterate parallel dimensions first, and splat constants are
// fills, so no constant lands in host memory.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_PREPAREFORGPU
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// The loop order with every parallel iterator before every reduction,
/// each group in its original order; empty when that is the order already.
SmallVector<unsigned> parallelFirstOrder(linalg::GenericOp generic) {
  SmallVector<unsigned> parallel, reduction;
  for (auto [i, type] : llvm::enumerate(generic.getIteratorTypesArray()))
    (type == utils::IteratorType::parallel ? parallel : reduction).push_back(i);
  SmallVector<unsigned> order = parallel;
  order.append(reduction);
  for (auto [position, loop] : llvm::enumerate(order))
    if (position != loop)
      return order;
  return {};
}

struct PrepareForGPUPass : cnn::impl::PrepareForGPUBase<PrepareForGPUPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp generic : generics) {
      SmallVector<unsigned> order = parallelFirstOrder(generic);
      if (order.empty())
        continue;
      rewriter.setInsertionPoint(generic);
      if (failed(linalg::interchangeGenericOp(rewriter, generic, order))) {
        generic.emitOpError("cannot be interchanged parallel-first");
        return signalPassFailure();
      }
    }

    SmallVector<arith::ConstantOp> splats;
    getOperation().walk([&](arith::ConstantOp constant) {
      auto value = dyn_cast<SplatElementsAttr>(constant.getValue());
      if (value && isa<RankedTensorType>(constant.getType()))
        splats.push_back(constant);
    });
    for (arith::ConstantOp constant : splats) {
      auto value = cast<SplatElementsAttr>(constant.getValue());
      auto type = cast<RankedTensorType>(constant.getType());
      rewriter.setInsertionPoint(constant);
      Location loc = constant.getLoc();
      Value empty = rewriter.create<tensor::EmptyOp>(loc, type.getShape(),
                                                     type.getElementType());
      Value scalar = rewriter.create<arith::ConstantOp>(
          loc, value.getSplatValue<TypedAttr>());
      rewriter.replaceOpWithNewOp<linalg::FillOp>(constant, scalar, empty);
    }
  }
};

} // namespace
