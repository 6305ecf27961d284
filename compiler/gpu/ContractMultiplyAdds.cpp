//===- ContractMultiplyAdds.cpp - fma in the kernels ----------------------===//
//
// Marks the kernels' floating-point multiplies, adds and subtractions
// `contract`, so that the NVPTX backend fuses each multiply into the add
// that takes it (one fma.rn.f32), as nvcc does by default.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_CONTRACTMULTIPLYADDS
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

struct ContractMultiplyAddsPass
    : cnn::impl::ContractMultiplyAddsBase<ContractMultiplyAddsPass> {
  void runOnOperation() override {
    getOperation().walk([](Operation *op) {
      if (!isa<arith::MulFOp, arith::AddFOp, arith::SubFOp>(op))
        return;
      auto fastMath = cast<arith::ArithFastMathInterface>(op);
      arith::FastMathFlags flags = arith::FastMathFlags::contract;
      if (arith::FastMathFlagsAttr old = fastMath.getFastMathFlagsAttr())
        flags = flags | old.getValue();
      op->setAttr(fastMath.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(op->getContext(), flags));
    });
  }
};

} // namespace
