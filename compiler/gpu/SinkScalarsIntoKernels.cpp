//===- SinkScalarsIntoKernels.cpp - a step's scalar math in its kernels ---===//
//
// The host arithmetic on a step's scalars is cloned into each kernel that
// reads it, so that a recorded step reads the scalars, not values computed
// from the step it was recorded in. Only side-effect-free ops without
// regions are moved, and only when every operand is a scalar, a constant or
// another such op: anything else stays where it is, and
// cnn-scalars-in-device-memory reports a scalar still read on the host.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/LoopUtils.h"
#include "compiler/gpu/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_SINKSCALARSINTOKERNELS
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// The ops of the function's body that compute only from its step scalars
/// and constants, in order.
SetVector<Operation *> scalarArithmetic(func::FuncOp function) {
  SetVector<Operation *> derived;
  for (Operation &op : function.getBody().front()) {
    if (op.getNumRegions() != 0 || op.getNumResults() == 0 ||
        !isMemoryEffectFree(&op) || op.hasTrait<OpTrait::ConstantLike>())
      continue;
    bool fromScalar = false, movable = true;
    for (Value operand : op.getOperands()) {
      Operation *def = operand.getDefiningOp();
      if (cnn::isStepScalar(function, operand) ||
          (def && derived.contains(def)))
        fromScalar = true;
      else if (!def || !def->hasTrait<OpTrait::ConstantLike>())
        movable = false;
    }
    if (fromScalar && movable)
      derived.insert(&op);
  }
  return derived;
}

/// Clones into `kernel` the ops of `derived` that the values it reads from
/// above need, and makes it read the clones.
void sinkInto(Operation *kernel, const SetVector<Operation *> &derived) {
  Region &body = kernel->getRegion(0);
  SetVector<Value> above;
  getUsedValuesDefinedAbove(body, above);
  // Every op a read value needs, through its operands.
  SetVector<Operation *> needed;
  SmallVector<Operation *> worklist;
  for (Value value : above)
    if (Operation *def = value.getDefiningOp(); def && derived.contains(def))
      worklist.push_back(def);
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!needed.insert(op))
      continue;
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && derived.contains(def))
        worklist.push_back(def);
  }
  if (needed.empty())
    return;
  SmallVector<Operation *> ordered(needed.begin(), needed.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  OpBuilder builder = OpBuilder::atBlockBegin(&body.front());
  IRMapping mapping;
  for (Operation *op : ordered)
    builder.clone(*op, mapping);
  for (Operation *op : ordered)
    for (Value result : op->getResults())
      replaceAllUsesInRegionWith(result, mapping.lookup(result), body);
}

struct SinkScalarsIntoKernelsPass
    : cnn::impl::SinkScalarsIntoKernelsBase<SinkScalarsIntoKernelsPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    SetVector<Operation *> derived = scalarArithmetic(function);
    if (derived.empty())
      return;
    // The outermost parallel loops and launches are the kernels.
    function.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (!isa<scf::ParallelOp, gpu::LaunchOp>(op))
        return WalkResult::advance();
      sinkInto(op, derived);
      return WalkResult::skip();
    });
    for (Operation *op : llvm::reverse(derived))
      if (op->use_empty())
        op->erase();
  }
};

} // namespace
