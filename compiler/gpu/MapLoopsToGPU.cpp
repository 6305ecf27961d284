//===- MapLoopsToGPU.cpp - one grid of blocks per loop nest ---------------===//
//
// After convert-linalg-to-parallel-loops every linalg op is an scf.parallel
// over its parallel dimensions with scf.for reductions inside. This pass
// makes each of them a 1-D loop tiled into blocks, and moves the little code
// that touches memory outside a parallel loop into one (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/LoopUtils.h"
#include "compiler/gpu/Passes.h"
#include "compiler/gpu/TiledLoop.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/RegionUtils.h"

#include <numeric>

namespace mlir::cnn {
#define GEN_PASS_DEF_MAPLOOPSTOGPU
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// Whether `op`, or code nested in it, may write or free memory. An op
/// that does not declare its effects is taken to write.
bool mayWrite(Operation *op) {
  WalkResult result = op->walk([](Operation *nested) {
    if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance(); // its nested ops are visited
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    bool writes = !effects || effects.hasEffect<MemoryEffects::Write>() ||
                  effects.hasEffect<MemoryEffects::Free>();
    return writes ? WalkResult::interrupt() : WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Whether `op`, or code nested in it, reads or writes memory through a
/// memref (allocation and freeing are host operations and do not count).
bool touchesMemory(Operation *op) {
  if (isa<memref::LoadOp, memref::StoreOp>(op))
    return true;
  bool touches = false;
  for (Region &region : op->getRegions())
    region.walk([&](Operation *nested) {
      if (isa<memref::LoadOp, memref::StoreOp>(nested))
        touches = true;
    });
  return touches;
}

/// Whether `op` allocates or frees memory, which stays on the host.
bool allocatesOrFrees(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  return effects && (effects.hasEffect<MemoryEffects::Allocate>() ||
                     effects.hasEffect<MemoryEffects::Free>());
}

class HostCodeMover {
public:
  HostCodeMover(Block &body, RewriterBase &rewriter)
      : body(body), rewriter(rewriter) {
    for (Operation &op : body)
      if (isa<memref::LoadOp>(op) ||
          (isMemoryEffectFree(&op) && op.getNumRegions() == 0 &&
           llvm::any_of(op.getOperands(),
                        [&](Value v) { return deviceValues.contains(v); })))
        for (Value result : op.getResults())
          deviceValues.insert(result);
  }

  /// Wraps every top-level op that touches memory (outside scf.parallel)
  /// into a one-iteration scf.parallel.
  LogicalResult wrapHostAccesses() {
    SmallVector<Operation *> toWrap;
    for (Operation &op : body)
      if (!isa<scf::ParallelOp, memref::LoadOp>(op) && touchesMemory(&op))
        toWrap.push_back(&op);
    for (Operation *op : toWrap) {
      if (op->getBlock() != &body)
        continue; // moved already, with the op whose result it uses
      Operation *last = lastUser(op);
      if (!last)
        return op->emitOpError("has results and touches memory outside a "
                               "parallel loop: it cannot become a kernel");
      rewriter.setInsertionPoint(op);
      Location loc = op->getLoc();
      Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
      Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
      auto wrapper = rewriter.create<scf::ParallelOp>(loc, zero, one, one);
      // The op and the ops up to its results' last user (a scalar sum and
      // the store of it) move together, in their order.
      SmallVector<Operation *> range;
      for (Operation *it = op; it != last->getNextNode();
           it = it->getNextNode())
        range.push_back(it);
      for (Operation *moved : range)
        rewriter.moveOpBefore(moved, wrapper.getBody()->getTerminator());
    }
    return success();
  }

  /// The last op of the smallest range from `op` whose results are used
  /// only inside it (a scalar sum, the arithmetic on it and its store), or
  /// null when such a range would take in a parallel loop or a use outside
  /// this block.
  Operation *lastUser(Operation *op) {
    Operation *last = op;
    for (Operation *it = op; it != last->getNextNode();
         it = it->getNextNode()) {
      if (it != op && (isa<scf::ParallelOp>(it) || allocatesOrFrees(it)))
        return nullptr;
      for (Operation *user : it->getUsers()) {
        Operation *top = body.findAncestorOpInBlock(*user);
        if (!top)
          return nullptr;
        if (last->isBeforeInBlock(top))
          last = top;
      }
    }
    return last;
  }

  /// Clones into every top-level scf.parallel the scalar loads (and the
  /// arithmetic on them) whose values it uses, so no load runs on the host.
  LogicalResult sinkDeviceValues() {
    SmallVector<scf::ParallelOp> loops(body.getOps<scf::ParallelOp>());
    for (scf::ParallelOp loop : loops) {
      SetVector<Value> used;
      getUsedValuesDefinedAbove(loop.getRegion(), used);
      SetVector<Operation *> chain;
      for (Value value : used)
        collectChain(value, chain);
      if (chain.empty())
        continue;
      SmallVector<Operation *> ordered(chain.begin(), chain.end());
      llvm::sort(ordered, [](Operation *a, Operation *b) {
        return a->isBeforeInBlock(b);
      });
      for (Operation *op : ordered)
        if (auto load = dyn_cast<memref::LoadOp>(op))
          if (failed(checkNoWriteBetween(load, loop)))
            return failure();
      IRMapping mapping;
      rewriter.setInsertionPointToStart(loop.getBody());
      for (Operation *op : ordered)
        rewriter.clone(*op, mapping);
      for (Value value : used)
        if (Value clone = mapping.lookupOrNull(value))
          replaceAllUsesInRegionWith(value, clone, loop.getRegion());
    }
    // The host copies are dead now; walking backwards erases each user
    // before its operands.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (op.getNumResults() == 1 && deviceValues.contains(op.getResult(0)) &&
          op.use_empty())
        rewriter.eraseOp(&op);
    return success();
  }

private:
  void collectChain(Value value, SetVector<Operation *> &chain) {
    if (!deviceValues.contains(value))
      return;
    Operation *def = value.getDefiningOp();
    if (!chain.insert(def))
      return;
    for (Value operand : def->getOperands())
      collectChain(operand, chain);
  }

  /// A load moved into `user` reads its buffer later than it did. That is
  /// the same value only if nothing in between writes that buffer.
  LogicalResult checkNoWriteBetween(memref::LoadOp load, Operation *user) {
    Value root = cnn::rootBuffer(load.getMemRef());
    for (Operation *op = load->getNextNode(); op && op != user;
         op = op->getNextNode()) {
      if (!mayWrite(op))
        continue;
      bool aliases = false;
      op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands())
          if (isa<MemRefType>(operand.getType()) &&
              cnn::rootBuffer(operand) == root)
            aliases = true;
      });
      if (aliases)
        return load.emitOpError("is read on the host before a kernel writes "
                                "its buffer; it cannot be moved into a later "
                                "kernel");
    }
    return success();
  }

  Block &body;
  RewriterBase &rewriter;
  /// Values computed from memory on the host: they must move into kernels.
  DenseSet<Value> deviceValues;
};

/// Collapses `loop` to one dimension and tiles it into blocks of
/// `blockSize` iterations, guarded for the last partial block. A loop of
/// fewer iterations (a known count) is left whole: gpu-map-parallel-loops
/// makes each of its iterations a block of one thread, so the long sums
/// such loops hold (a bias gradient's second stage) spread over several
/// multiprocessors.
void collapseAndTile(RewriterBase &rewriter, scf::ParallelOp loop,
                     int64_t blockSize) {
  if (loop.getNumLoops() > 1) {
    std::vector<unsigned> all(loop.getNumLoops());
    std::iota(all.begin(), all.end(), 0);
    Operation *next = loop->getNextNode();
    collapseParallelLoops(rewriter, loop, {all});
    loop = cast<scf::ParallelOp>(next->getPrevNode());
  }
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound()[0]);
  std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound()[0]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[0]);
  if (lower && upper && step && *step == 1 && *upper - *lower <= blockSize)
    return; // gpu-map-parallel-loops makes it one block
  scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
}

struct MapLoopsToGPUPass : cnn::impl::MapLoopsToGPUBase<MapLoopsToGPUPass> {
  using MapLoopsToGPUBase::MapLoopsToGPUBase;

  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    if (!function.getBody().hasOneBlock()) {
      function.emitOpError("has control flow between kernels; cnnc maps only "
                           "straight-line host code to the GPU");
      return signalPassFailure();
    }
    Block &body = function.getBody().front();
    IRRewriter rewriter(&getContext());
    {
      HostCodeMover mover(body, rewriter);
      if (failed(mover.wrapHostAccesses()) || failed(mover.sinkDeviceValues()))
        return signalPassFailure();
    }
    for (Operation &op : body)
      if (!isa<scf::ParallelOp>(op) && touchesMemory(&op)) {
        op.emitOpError("still reads or writes memory on the host");
        return signalPassFailure();
      }
    SmallVector<scf::ParallelOp> loops(body.getOps<scf::ParallelOp>());
    for (scf::ParallelOp loop : loops)
      if (!cnn::isTiledLoop(loop)) // tiled already
        collapseAndTile(rewriter, loop, blockSize);
  }
};

} // namespace
