//===- RemoveDropout.cpp - dropout is the identity outside training -------===//

#include "compiler/transforms/Passes.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_REMOVEDROPOUT
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

struct RemoveDropoutPass
    : mlir::cnn::impl::RemoveDropoutBase<RemoveDropoutPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func->hasAttr("cnn.training"))
      return;
    func.walk([](cnn::DropoutOp dropout) {
      dropout.replaceAllUsesWith(dropout.getInput());
      dropout.erase();
    });
  }
};

} // namespace
