//===- CopyToLinalg.cpp - buffer copies as loops the compiler can see -----===//
//
// Bufferization turns tensor.insert_slice (the zero padding of a
// convolution's input, the spreading of a gradient) into memref.copy into a
// strided view. memref-to-LLVM lowers a copy between non-contiguous views to
// a call of the generic `memrefCopy` runtime function, which walks every
// element through its descriptor: 8 % of a LeNet-5 inference. As
// linalg.copy the same copy becomes loops whose innermost dimension is
// contiguous, which LLVM turns into vector moves.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_COPYTOLINALG
#include "compiler/lowering/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

struct CopyToLinalgPass : cnn::impl::CopyToLinalgBase<CopyToLinalgPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](memref::CopyOp copy) {
      auto source = cast<MemRefType>(copy.getSource().getType());
      // Identity layouts on both sides lower to one memcpy already.
      if (source.getLayout().isIdentity() &&
          cast<MemRefType>(copy.getTarget().getType()).getLayout().isIdentity())
        return;
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    });
  }
};

} // namespace
