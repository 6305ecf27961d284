//===- LaunchTiledLoops.cpp - tiled loops as kernels with barriers --------===//
//
// cnn-tile-contractions writes a tiled kernel as a loop over blocks whose
// body runs loops over the block's threads one after another. Upstream's
// convert-parallel-loops-to-gpu takes one thread loop per kernel, so this
// pass builds the gpu.launch itself: the thread loops become the kernel's
// code in order, separated by barriers, and the block's buffers become
// shared memory and per-thread registers (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/LoopUtils.h"
#include "compiler/gpu/Passes.h"
#include "compiler/gpu/TiledLoop.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_LAUNCHTILEDLOOPS
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

bool startsAtZeroByOne(scf::ParallelOp loop) {
  return llvm::all_of(loop.getLowerBound(),
                      [](Value v) { return cnn::isConstantIndex(v, 0); }) &&
         llvm::all_of(loop.getStep(),
                      [](Value v) { return cnn::isConstantIndex(v, 1); });
}

class KernelBuilder {
public:
  KernelBuilder(gpu::LaunchOp launch, int64_t threads)
      : launch(launch), threads(threads) {}

  /// Clones `block`'s ops into the kernel at `b`'s point.
  LogicalResult cloneBlock(Block &block, OpBuilder &b) {
    for (Operation &op : block.without_terminator()) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op);
          alloc && alloc->hasAttr(cnn::kBlockMemoryAttr))
        continue; // an attribution of the launch
      if (auto dealloc = dyn_cast<memref::DeallocOp>(op);
          dealloc && isBlockBuffer(dealloc.getMemref()))
        continue;
      if (auto threadLoop = dyn_cast<scf::ParallelOp>(op)) {
        if (failed(cloneThreadLoop(threadLoop, b)))
          return failure();
        continue;
      }
      if (auto forOp = dyn_cast<scf::ForOp>(op);
          forOp && containsThreadLoop(forOp)) {
        // Every thread runs the same iterations (its bounds are the
        // block's), so the barriers inside are reached by all.
        if (forOp.getNumResults() != 0)
          return forOp.emitOpError("carries values across barriers");
        auto clone = b.create<scf::ForOp>(
            forOp.getLoc(), mapping.lookupOrDefault(forOp.getLowerBound()),
            mapping.lookupOrDefault(forOp.getUpperBound()),
            mapping.lookupOrDefault(forOp.getStep()));
        mapping.map(forOp.getInductionVar(), clone.getInductionVar());
        OpBuilder inner = OpBuilder::atBlockTerminator(clone.getBody());
        if (failed(cloneBlock(*forOp.getBody(), inner)))
          return failure();
        continue;
      }
      b.clone(op, mapping);
    }
    return success();
  }

  IRMapping mapping;

private:
  static bool isBlockBuffer(Value buffer) {
    Operation *def = buffer.getDefiningOp();
    return def && def->hasAttr(cnn::kBlockMemoryAttr);
  }

  static bool containsThreadLoop(Operation *op) {
    return op->walk([](scf::ParallelOp) { return WalkResult::interrupt(); })
        .wasInterrupted();
  }

  /// The loop's body as every thread's code, then a barrier: the next
  /// loop may read what any thread of this one wrote.
  LogicalResult cloneThreadLoop(scf::ParallelOp loop, OpBuilder &b) {
    if (loop.getNumLoops() != 1 || loop.getNumResults() != 0 ||
        !startsAtZeroByOne(loop) ||
        !cnn::isConstantIndex(loop.getUpperBound()[0], threads))
      return loop.emitOpError("is not a loop over the block's ")
             << threads << " threads";
    mapping.map(loop.getInductionVars()[0], launch.getThreadIds().x);
    for (Operation &op : loop.getBody()->without_terminator())
      b.clone(op, mapping);
    b.create<gpu::BarrierOp>(loop.getLoc());
    return success();
  }

  gpu::LaunchOp launch;
  int64_t threads;
};

/// Whether `alloc` is one row per thread (else shared by the block).
bool isPrivateBuffer(memref::AllocOp alloc) {
  return alloc->getAttrOfType<StringAttr>(cnn::kBlockMemoryAttr).getValue() ==
         "private";
}

/// The type of `alloc`'s buffer in the kernel: shared by the block, or
/// one thread's (the thread's own row of it).
MemRefType attributionType(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  bool isPrivate = isPrivateBuffer(alloc);
  auto space = gpu::AddressSpaceAttr::get(
      alloc.getContext(),
      isPrivate ? gpu::AddressSpace::Private : gpu::AddressSpace::Workgroup);
  ArrayRef<int64_t> shape = type.getShape();
  if (isPrivate)
    shape = shape.drop_front();
  return MemRefType::get(shape, type.getElementType(),
                         MemRefLayoutAttrInterface(), space);
}

LogicalResult launchTiledLoop(scf::ParallelOp loop) {
  // The block's threads: the extent of its loops over them.
  int64_t threads = 0;
  loop.getBody()->walk([&](scf::ParallelOp threadLoop) {
    if (std::optional<int64_t> extent =
            getConstantIntValue(threadLoop.getUpperBound()[0]))
      threads = *extent;
    return WalkResult::interrupt();
  });
  if (threads <= 0)
    return loop.emitOpError("has no loop over a block's threads");
  if (loop.getNumLoops() > 3 || !startsAtZeroByOne(loop))
    return loop.emitOpError("is not a grid of tiles of at most 3 dimensions");
  SmallVector<memref::AllocOp> workgroup, privates;
  loop.getBody()->walk([&](memref::AllocOp alloc) {
    if (!alloc->hasAttr(cnn::kBlockMemoryAttr))
      return;
    (isPrivateBuffer(alloc) ? privates : workgroup).push_back(alloc);
  });
  SmallVector<Type> workgroupTypes, privateTypes;
  for (memref::AllocOp alloc : workgroup)
    workgroupTypes.push_back(attributionType(alloc));
  for (memref::AllocOp alloc : privates)
    privateTypes.push_back(attributionType(alloc));

  OpBuilder b(loop);
  Location loc = loop.getLoc();
  Value one = b.create<arith::ConstantIndexOp>(loc, 1);
  Value blockSize = b.create<arith::ConstantIndexOp>(loc, threads);
  // Canonicalization drops a grid's dimensions of one block.
  SmallVector<Value> grid(loop.getUpperBound());
  grid.resize(3, one);
  auto launch = b.create<gpu::LaunchOp>(
      loc, grid[0], grid[1], grid[2], blockSize, one, one,
      /*dynamicSharedMemorySize=*/nullptr, /*asyncTokenType=*/nullptr,
      ValueRange{}, workgroupTypes, privateTypes);
  Block &body = launch.getBody().front();
  OpBuilder kb = OpBuilder::atBlockEnd(&body);
  kb.create<gpu::TerminatorOp>(loc);
  kb.setInsertionPointToStart(&body);

  KernelBuilder kernel(launch, threads);
  gpu::KernelDim3 blockIds = launch.getBlockIds();
  SmallVector<Value> ivs = loop.getInductionVars();
  Value blockId[] = {blockIds.x, blockIds.y, blockIds.z};
  for (auto [iv, id] : llvm::zip(ivs, blockId))
    kernel.mapping.map(iv, id);
  for (auto [alloc, attribution] :
       llvm::zip(workgroup, launch.getWorkgroupAttributions()))
    kernel.mapping.map(alloc.getResult(), attribution);
  for (auto [alloc, attribution] :
       llvm::zip(privates, launch.getPrivateAttributions()))
    kernel.mapping.map(alloc.getResult(), attribution);
  if (failed(kernel.cloneBlock(*loop.getBody(), kb)))
    return failure();

  // A thread's own buffer has lost the thread index its accesses began
  // with.
  DenseSet<Value> privateBuffers(launch.getPrivateAttributions().begin(),
                                 launch.getPrivateAttributions().end());
  SmallVector<Operation *> accesses;
  launch.walk([&](Operation *op) {
    if (auto load = dyn_cast<memref::LoadOp>(op);
        load && privateBuffers.contains(load.getMemRef()))
      accesses.push_back(op);
    if (auto store = dyn_cast<memref::StoreOp>(op);
        store && privateBuffers.contains(store.getMemRef()))
      accesses.push_back(op);
  });
  for (Operation *op : accesses) {
    OpBuilder ab(op);
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      auto replacement = ab.create<memref::LoadOp>(
          load.getLoc(), load.getMemRef(), load.getIndices().drop_front());
      load.replaceAllUsesWith(replacement.getResult());
    } else {
      auto store = cast<memref::StoreOp>(op);
      ab.create<memref::StoreOp>(store.getLoc(), store.getValueToStore(),
                                 store.getMemRef(),
                                 store.getIndices().drop_front());
    }
    op->erase();
  }
  loop->erase();
  return success();
}

struct LaunchTiledLoopsPass
    : cnn::impl::LaunchTiledLoopsBase<LaunchTiledLoopsPass> {
  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() && cnn::isTiledLoop(loop))
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      if (failed(launchTiledLoop(loop)))
        return signalPassFailure();
  }
};

} // namespace
