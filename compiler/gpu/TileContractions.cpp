//===- TileContractions.cpp - sums of products through shared memory ------===//
//
// A kernel-shaped loop whose threads each sum products of two factors (a
// convolution, a matrix product, a weight gradient) becomes a loop over
// blocks of output tiles: its factors are staged, a slice of the sum at a
// time, in buffers every thread of the block reads, and each thread sums
// several outputs from them (Passes.td has the shape and the why).
// Contraction.h recognizes such a loop; this file chooses its tile and
// writes the tiled loop.
//
// The rewrite is written in scf on memrefs so that it runs on the CPU as
// it stands: the thread loops of one block run one after another, which is
// what the barriers between them give on the GPU (cnn-launch-tiled-loops).
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Contraction.h"
#include "compiler/gpu/LoopUtils.h"
#include "compiler/gpu/Passes.h"
#include "compiler/gpu/TiledLoop.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_TILECONTRACTIONS
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

constexpr int64_t kBlockThreads = 256;
/// Below this many threads a block is mostly idle: the loop stays as it is.
constexpr int64_t kMinBlockThreads = 64;
/// Fewer tiles than this leave most of a large GPU idle (an H100 has 132
/// multiprocessors), where one thread per output would not.
constexpr int64_t kMinBlocks = 128;
/// The most blocks a grid's y and z dimensions take.
constexpr int64_t kMaxGridYZ = 65535;
/// The reduction is staged this many terms at a time, unless its inner
/// loops make a slice (chooseSlice, with align-slices).
constexpr int64_t kTileK = 8;
/// The fewest and most terms of a slice that spans the sum's inner loops.
constexpr int64_t kMinAlignedTileK = 4;
constexpr int64_t kMaxAlignedTileK = 32;
/// The shared memory a kernel may declare statically.
constexpr int64_t kMaxSharedBytes = 48 * 1024;
/// The budget of outputs per thread when one side is small and taken
/// whole; a large side's outputs per thread are the pass's option.
constexpr int64_t kSmallSide = 8;
/// The most outputs along one side of a tile.
constexpr int64_t kMaxTileSide = 512;

/// One side of the output tile: `threads` threads along it, each summing
/// `perThread` outputs `threads` apart, so neighbouring threads touch
/// neighbouring elements.
struct Side {
  int64_t threads = 1;
  int64_t perThread = 1;
  int64_t block() const { return threads * perThread; }
};

/// The shape of a side's tiles: two slices of tileK terms, each term's row
/// the perThread factors of each thread side by side, and one spare group.
/// The spare group shifts each row's banks of shared memory from the row
/// before (a side's outputs are mostly a multiple of 32 floats, all banks
/// once), so that threads storing several terms of the same few outputs (a
/// factor contiguous along the sum) store into different banks.
SmallVector<int64_t> tileShape(const Side &side, int64_t tileK) {
  return {2, tileK, side.threads + 1, side.perThread};
}

/// Threads and outputs per thread along the two sides of a tile, for sides
/// of `m` and `n` outputs (nullopt: known only at run time, taken large),
/// `perThreadLarge` per thread along a large side.
/// A small side (a layer's 6 filters) is taken whole by each thread; the
/// other then gets more threads and fewer outputs per thread, so the tile
/// stays within a block and its sums within registers. Where both sides
/// are bounded and that leaves too few threads, outputs are shared out.
std::optional<std::pair<Side, Side>> chooseTile(std::optional<int64_t> m,
                                                std::optional<int64_t> n,
                                                int64_t perThreadLarge) {
  auto isSmall = [](std::optional<int64_t> extent) {
    return extent && *extent <= kSmallSide;
  };
  if (isSmall(m) && isSmall(n))
    return std::nullopt;
  Side sm, sn;
  sm.perThread = isSmall(m) ? *m : perThreadLarge;
  sn.perThread = isSmall(n) ? *n : perThreadLarge;
  if (isSmall(m))
    sn.perThread = std::max<int64_t>(1, kSmallSide / sm.perThread);
  if (isSmall(n))
    sm.perThread = std::max<int64_t>(1, kSmallSide / sn.perThread);
  sm.perThread = std::min(sm.perThread, isSmall(m) ? *m : perThreadLarge);
  sn.perThread = std::min(sn.perThread, isSmall(n) ? *n : perThreadLarge);
  // Sides of at most 512 outputs keep a block's four tiles (two of each
  // factor, each with a spare group of at most 8) within 2 x (520 + 520) x
  // 8 floats of shared memory: 33 KiB, under the 48 KiB a kernel may
  // declare.
  auto canGrow = [](const Side &side, std::optional<int64_t> extent) {
    return (!extent || side.block() < *extent) &&
           2 * side.block() <= kMaxTileSide;
  };
  while (sm.threads * sn.threads < kBlockThreads) {
    bool growM = canGrow(sm, m), growN = canGrow(sn, n);
    if (growM && (!growN || sm.block() <= sn.block()))
      sm.threads *= 2;
    else if (growN)
      sn.threads *= 2;
    else
      break;
  }
  // Two bounded sides can leave the block too few threads (a 5 x 5 window
  // by 6 filters taken whole: 32). Their outputs are then shared out among
  // more threads, fewer each, rather than the loop left one output per
  // thread with no reuse at all.
  for (Side *side : {&sm, &sn}) {
    while (side->perThread > 1 && sm.threads * sn.threads < kMinBlockThreads) {
      side->perThread = llvm::divideCeil(side->perThread, 2);
      side->threads *= 2;
    }
  }
  if (sm.threads * sn.threads < kMinBlockThreads)
    return std::nullopt;
  return std::make_pair(sm, sn);
}

/// The product of `values` (1 for none).
Value product(OpBuilder &b, Location loc, ArrayRef<Value> values) {
  Value result = b.create<arith::ConstantIndexOp>(loc, 1);
  for (Value value : values)
    result = b.create<arith::MulIOp>(loc, result, value);
  return result;
}

/// The indices of `flat` in a row-major space of `extents`.
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value flat,
                               ArrayRef<Value> extents) {
  SmallVector<Value> indices(extents.size());
  for (int i = static_cast<int>(extents.size()) - 1; i >= 0; --i) {
    if (i == 0) {
      indices[i] = flat;
      break;
    }
    indices[i] = b.create<arith::RemUIOp>(loc, flat, extents[i]);
    flat = b.create<arith::DivUIOp>(loc, flat, extents[i]);
  }
  return indices;
}

Value constantIndex(OpBuilder &b, Location loc, int64_t value) {
  return b.create<arith::ConstantIndexOp>(loc, value);
}

/// An scf.parallel of `threads` iterations at `b`'s point, one block's
/// threads; `body` fills it given the thread's index.
void threadLoop(OpBuilder &b, Location loc, int64_t threads,
                function_ref<void(OpBuilder &, Value)> body) {
  auto parallel = b.create<scf::ParallelOp>(loc, constantIndex(b, loc, 0),
                                            constantIndex(b, loc, threads),
                                            constantIndex(b, loc, 1));
  OpBuilder inner = OpBuilder::atBlockTerminator(parallel.getBody());
  body(inner, parallel.getInductionVars()[0]);
}

/// `scf.if %condition` yielding `then()`'s value, else `otherwise`.
Value ifElse(OpBuilder &b, Location loc, Value condition, Value otherwise,
             function_ref<Value(OpBuilder &)> then) {
  auto ifOp = b.create<scf::IfOp>(loc, TypeRange{otherwise.getType()},
                                  condition, /*withElseRegion=*/true);
  OpBuilder thenBuilder = OpBuilder::atBlockEnd(ifOp.thenBlock());
  thenBuilder.create<scf::YieldOp>(loc, then(thenBuilder));
  OpBuilder::atBlockEnd(ifOp.elseBlock()).create<scf::YieldOp>(loc, otherwise);
  return ifOp.getResult(0);
}

Value both(OpBuilder &b, Location loc, Value first, Value second) {
  return b.create<arith::AndIOp>(loc, first, second);
}

Value less(OpBuilder &b, Location loc, Value lhs, Value rhs) {
  return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, lhs, rhs);
}

/// How a contraction is tiled: its sides' threads and outputs per thread,
/// and the terms of a slice.
struct TilePlan {
  Side m, n;
  int64_t tileK;
  size_t innerLevels;
};

/// The extents of `dims` of `loop`.
SmallVector<Value> extentsOf(scf::ParallelOp loop, ArrayRef<unsigned> dims) {
  SmallVector<Value> extents;
  for (unsigned d : dims)
    extents.push_back(loop.getUpperBound()[d]);
  return extents;
}

/// The product of `extents` where all are constants.
std::optional<int64_t> staticProduct(ArrayRef<Value> extents) {
  int64_t result = 1;
  for (Value extent : extents) {
    std::optional<int64_t> constant = getConstantIntValue(extent);
    if (!constant)
      return std::nullopt;
    result *= *constant;
  }
  return result;
}

/// The trip counts of the sum's loops, outermost first.
SmallVector<Value> reductionExtents(const cnn::Contraction &c) {
  SmallVector<Value> extents;
  for (scf::ForOp level : c.nest())
    extents.push_back(level.getUpperBound());
  return extents;
}

/// Bytes of shared memory the tiles of both factors take, with slices of
/// `tileK` terms.
int64_t tileBytes(const Side &sm, const Side &sn, int64_t tileK) {
  int64_t floats = 0;
  for (const Side *side : {&sm, &sn}) {
    int64_t size = 1;
    for (int64_t extent : tileShape(*side, tileK))
      size *= extent;
    floats += size;
  }
  return floats * static_cast<int64_t>(sizeof(float));
}

/// The terms of a slice, and how many of the sum's loops (of `kExtents`),
/// innermost first, it spans whole. With `align`, where the innermost loops
/// (not all of them) make 4 to 32 terms together (a convolution's window:
/// 3 x 3, 5 x 5 or its row), the largest such product whose tiles fit in
/// shared memory: a term's indices in those loops are then the same at
/// every slice, so a thread divides its place in the slice into them once,
/// and only the slice's number into the outer loops' indices, the same for
/// all threads. Else slices of 8 terms (or the whole of a shorter sum)
/// across the loops.
std::pair<int64_t, size_t> chooseSlice(ArrayRef<Value> kExtents, const Side &sm,
                                       const Side &sn, bool align) {
  std::pair<int64_t, size_t> best{0, 0};
  int64_t terms = 1;
  for (size_t inner = 1; align && inner < kExtents.size(); ++inner) {
    std::optional<int64_t> extent =
        getConstantIntValue(kExtents[kExtents.size() - inner]);
    if (!extent || terms * *extent > kMaxAlignedTileK)
      break;
    terms *= *extent;
    if (terms >= kMinAlignedTileK &&
        tileBytes(sm, sn, terms) <= kMaxSharedBytes)
      best = {terms, inner};
  }
  if (best.second > 0)
    return best;
  std::optional<int64_t> total = staticProduct(kExtents);
  return {total ? std::min(kTileK, *total) : kTileK, 0};
}

/// The tile of `c`, each thread summing up to `perThreadLarge` outputs
/// along a large side, or nullopt where a tile would be too small to pay or
/// its grid would not fit.
std::optional<TilePlan> planTile(const cnn::Contraction &c,
                                 int64_t perThreadLarge, bool alignSlices) {
  scf::ParallelOp loop = c.loop();
  std::optional<int64_t> mStatic = staticProduct(extentsOf(loop, c.mDims())),
                         nStatic = staticProduct(extentsOf(loop, c.nDims())),
                         batchStatic =
                             staticProduct(extentsOf(loop, c.batchDims()));
  std::optional<std::pair<Side, Side>> tile =
      chooseTile(mStatic, nStatic, perThreadLarge);
  if (!tile)
    return std::nullopt;
  auto [sm, sn] = *tile;
  // The grid's second and third dimensions (n tiles, the batch) hold at
  // most 65535 blocks, so they must be known; the first holds 2^31 - 1.
  if (!nStatic || !batchStatic ||
      llvm::divideCeil(*nStatic, sn.block()) > kMaxGridYZ ||
      *batchStatic > kMaxGridYZ)
    return std::nullopt;
  if (mStatic && nStatic && batchStatic &&
      llvm::divideCeil(*mStatic, sm.block()) *
              llvm::divideCeil(*nStatic, sn.block()) * *batchStatic <
          kMinBlocks)
    return std::nullopt;
  auto [tileK, innerLevels] =
      chooseSlice(reductionExtents(c), sm, sn, alignSlices);
  return TilePlan{sm, sn, tileK, innerLevels};
}

/// `load`'s buffer with the dimensions the sum's loops (of `kExtents`) index
/// collapsed into one, made at `b`, if the loops run through it contiguously
/// (the inner loops as long as their dimensions) and it is defined outside
/// `loop`; else null.
Value collapseAlongSum(OpBuilder &b, scf::ParallelOp loop, memref::LoadOp load,
                       ArrayRef<Value> kExtents) {
  Value buffer = load.getMemRef();
  auto type = dyn_cast<MemRefType>(buffer.getType());
  int64_t sumRank = static_cast<int64_t>(kExtents.size());
  if (!type || sumRank < 2 ||
      loop.getRegion().isAncestor(buffer.getParentRegion()))
    return nullptr;
  int64_t leading = type.getRank() - sumRank;
  for (int64_t i = 1; i < sumRank; ++i) {
    std::optional<int64_t> extent = getConstantIntValue(kExtents[i]);
    if (!extent || type.isDynamicDim(leading + i) ||
        type.getDimSize(leading + i) != *extent)
      return nullptr;
  }
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < leading; ++d)
    groups.push_back({d});
  groups.emplace_back();
  for (int64_t d = leading; d < type.getRank(); ++d)
    groups.back().push_back(d);
  if (!memref::CollapseShapeOp::isGuaranteedCollapsible(type, groups))
    return nullptr;
  return b.create<memref::CollapseShapeOp>(load.getLoc(), buffer, groups);
}

/// Writes the tiled form of a contraction in place of its loop: a loop over
/// blocks of tiles whose body is one block's thread loops, with the
/// block's buffers. Each method writes one part (Passes.td has the shape).
class TiledContractionBuilder {
public:
  TiledContractionBuilder(cnn::Contraction &c, const TilePlan &plan)
      : c(c), loop(c.loop()), loc(c.loop().getLoc()), sm(plan.m), sn(plan.n),
        tileK(plan.tileK), innerLevels(plan.innerLevels),
        threads(plan.m.threads * plan.n.threads), f32(c.mul().getType()),
        mExtents(extentsOf(loop, c.mDims())),
        nExtents(extentsOf(loop, c.nDims())),
        batchExtents(extentsOf(loop, c.batchDims())),
        kExtents(reductionExtents(c)) {}

  void build(OpBuilder &builder);

private:
  /// The loop over blocks, in place of the contraction's loop; then, in its
  /// body, the block's indices and buffers.
  scf::ParallelOp createBlocks(OpBuilder &builder);
  void createBlockBuffers(OpBuilder &b);
  /// Each output's sum starts where the loop's did.
  void initSums(OpBuilder &b);
  /// The reduction, `tileK` terms at a time (sumSlices' comment).
  void sumSlices(OpBuilder &b);
  /// The terms of the slice in tiles `current` added to thread `t`'s sums.
  void addSlice(OpBuilder &tb, Value t, Value current);
  /// Each output then goes through what followed the sum in the loop.
  void finishOutputs(OpBuilder &b);

  /// The thread's place in the tile: neighbouring threads along the side
  /// the output is contiguous in, so their stores coalesce.
  std::pair<Value, Value> threadPlace(OpBuilder &tb, Value t);
  /// The loop's indices for output (i, j) of thread (tm, tn), and whether
  /// it lies inside the output.
  Value outputAt(OpBuilder &tb, Value tm, Value tn, int64_t i, int64_t j,
                 Value &m, Value &n);
  /// Maps the loop's parallel indices to output `m` of the left side and
  /// `n` of the right (either null: not mapped) in this block's batch.
  void mapParallel(OpBuilder &tb, IRMapping &mapping, Value m, Value n);
  /// The indices of thread `t`'s sum (i, j) in `sums`.
  SmallVector<Value> sumIndices(OpBuilder &tb, Value t, int64_t i, int64_t j);
  /// A loop over the block's threads that runs `body` for each output
  /// (i, j) of each, given the output's indices and whether it is inside
  /// the result.
  using OutputBody =
      function_ref<void(OpBuilder &, Value t, int64_t i, int64_t j,
                        Value inside, Value m, Value n)>;
  void forEachOutput(OpBuilder &at, OutputBody body);

  /// A factor read straight from memory along the sum, and the buffer a
  /// slice's term reads it from (collapsed along the sum for a trailing
  /// read): the term then indexes it by its place in the sum, instead of
  /// dividing that place into the loops' indices only to multiply them
  /// back into an address.
  struct SumRead {
    cnn::Contraction::ReadAlongSum read;
    Value buffer;
  };
  std::optional<SumRead> sumRead(OpBuilder &builder, Value factor);
  /// The sum's loop indices at its place k0 + kk, k0 a slice's first.
  SmallVector<Value> termIndices(OpBuilder &b, Value k0, Value kk);
  /// The factor of `read` at place `k` of the sum, the loop's parallel
  /// indices as `mapping` has them.
  Value readAt(OpBuilder &ib, const SumRead &read, IRMapping &mapping, Value k);

  /// An element of a factor's slice that a thread has read, and where in
  /// the tile it goes.
  struct Staged {
    Value value, kk, group, place; // the thread's group, the place in it
    Value valid; // null, or whether the element is part of the slice
  };
  /// Thread `t`'s elements of the slice of terms from `k0` of the left
  /// (`isLhs`) or right factor.
  SmallVector<Staged> fetch(OpBuilder &tb, Value t, Value k0, bool isLhs);
  /// Stores what fetch read into tile `which` of `tiles`.
  void put(OpBuilder &tb, ArrayRef<Staged> staged, Value tiles, Value which);

  cnn::Contraction &c;
  scf::ParallelOp loop;
  Location loc;
  Side sm, sn;
  int64_t tileK;
  size_t innerLevels;
  int64_t threads;
  Type f32;
  SmallVector<Value> mExtents, nExtents, batchExtents, kExtents;
  /// Before the loop over blocks: the sides' and the sum's extents, and
  /// index constants.
  Value mTotal, nTotal, kTotal, zero, one;
  /// In the block: its first output along each side, its batch indices,
  /// the factors' tiles, each thread's sums, and a float zero.
  Value mBase, nBase;
  SmallVector<Value> batchIndices;
  Value lhsTiles, rhsTiles, sums, fzero;
  /// How each factor read straight from memory along the sum is read (else
  /// nullopt).
  std::optional<SumRead> lhsRead, rhsRead;
  /// Whether the output is contiguous along the left side (m), and each
  /// factor along the sum (its slices are then copied term by term,
  /// neighbouring threads taking neighbouring terms).
  bool mFast = true, lhsKFast = false, rhsKFast = false;
};

void TiledContractionBuilder::build(OpBuilder &builder) {
  scf::ParallelOp blocks = createBlocks(builder);
  OpBuilder b = OpBuilder::atBlockTerminator(blocks.getBody());
  createBlockBuffers(b);
  initSums(b);
  sumSlices(b);
  b.setInsertionPoint(blocks.getBody()->getTerminator());
  finishOutputs(b);
  for (Value buffer : {lhsTiles, rhsTiles, sums})
    b.create<memref::DeallocOp>(loc, buffer);
  loop->erase();
}

scf::ParallelOp TiledContractionBuilder::createBlocks(OpBuilder &builder) {
  builder.setInsertionPoint(loop);
  mTotal = product(builder, loc, mExtents);
  nTotal = product(builder, loc, nExtents);
  kTotal = product(builder, loc, kExtents);
  zero = constantIndex(builder, loc, 0);
  one = constantIndex(builder, loc, 1);
  lhsRead = sumRead(builder, c.mul().getLhs());
  rhsRead = sumRead(builder, c.mul().getRhs());
  auto blocksAlong = [&](Value total, int64_t block) {
    return cnn::ceilDivIndex(builder, loc, total, block);
  };
  return builder.create<scf::ParallelOp>(
      loc, ValueRange{zero, zero, zero},
      ValueRange{blocksAlong(mTotal, sm.block()),
                 blocksAlong(nTotal, sn.block()),
                 product(builder, loc, batchExtents)},
      ValueRange{one, one, one});
}

void TiledContractionBuilder::createBlockBuffers(OpBuilder &b) {
  auto blocks = cast<scf::ParallelOp>(b.getBlock()->getParentOp());
  mBase = b.create<arith::MulIOp>(loc, blocks.getInductionVars()[0],
                                  constantIndex(b, loc, sm.block()));
  nBase = b.create<arith::MulIOp>(loc, blocks.getInductionVars()[1],
                                  constantIndex(b, loc, sn.block()));
  batchIndices =
      delinearize(b, loc, blocks.getInductionVars()[2], batchExtents);
  // The block's buffers live for one block. On the CPU they are heap
  // buffers (the workspace cache serves them), as an alloca in the loop
  // would grow the stack at every block; cnn-launch-tiled-loops makes them
  // shared memory and registers.
  auto allocate = [&](ArrayRef<int64_t> shape, StringRef memory) {
    auto alloc = b.create<memref::AllocOp>(loc, MemRefType::get(shape, f32));
    alloc->setAttr(cnn::kBlockMemoryAttr, b.getStringAttr(memory));
    return alloc.getResult();
  };
  // A tile holds a slice of a side's outputs thread by thread: the
  // perThread factors of one thread, `threads` apart in the output, lie
  // side by side (at thread x perThread + i), so the thread reads them with
  // vector loads (ld.shared.v4) instead of one load each. Each factor has
  // two tiles: the threads read one slice from one while they fill the
  // other with the next.
  lhsTiles = allocate(tileShape(sm, tileK), "workgroup");
  rhsTiles = allocate(tileShape(sn, tileK), "workgroup");
  sums = allocate({threads, sm.perThread, sn.perThread}, "private");

  loop.getBody()->walk([&](memref::StoreOp store) {
    if (store.getIndices().empty())
      return;
    auto last = dyn_cast<BlockArgument>(store.getIndices().back());
    if (last && last.getOwner() == loop.getBody())
      mFast = llvm::is_contained(c.mDims(), last.getArgNumber());
  });
  lhsKFast = c.contiguousAlongReduction(c.mul().getLhs());
  rhsKFast = c.contiguousAlongReduction(c.mul().getRhs());
  fzero = b.create<arith::ConstantOp>(loc, b.getZeroAttr(f32));
}

std::pair<Value, Value> TiledContractionBuilder::threadPlace(OpBuilder &tb,
                                                             Value t) {
  Value fastThreads = constantIndex(tb, loc, mFast ? sm.threads : sn.threads);
  Value fast = tb.create<arith::RemUIOp>(loc, t, fastThreads);
  Value slow = tb.create<arith::DivUIOp>(loc, t, fastThreads);
  return mFast ? std::make_pair(fast, slow) : std::make_pair(slow, fast);
}

Value TiledContractionBuilder::outputAt(OpBuilder &tb, Value tm, Value tn,
                                        int64_t i, int64_t j, Value &m,
                                        Value &n) {
  m = tb.create<arith::AddIOp>(
      loc, mBase,
      tb.create<arith::AddIOp>(loc, tm,
                               constantIndex(tb, loc, i * sm.threads)));
  n = tb.create<arith::AddIOp>(
      loc, nBase,
      tb.create<arith::AddIOp>(loc, tn,
                               constantIndex(tb, loc, j * sn.threads)));
  return both(tb, loc, less(tb, loc, m, mTotal), less(tb, loc, n, nTotal));
}

void TiledContractionBuilder::mapParallel(OpBuilder &tb, IRMapping &mapping,
                                          Value m, Value n) {
  SmallVector<Value> ivs = loop.getInductionVars();
  if (m)
    for (auto [d, index] :
         llvm::zip(c.mDims(), delinearize(tb, loc, m, mExtents)))
      mapping.map(ivs[d], index);
  if (n)
    for (auto [d, index] :
         llvm::zip(c.nDims(), delinearize(tb, loc, n, nExtents)))
      mapping.map(ivs[d], index);
  for (auto [d, index] : llvm::zip(c.batchDims(), batchIndices))
    mapping.map(ivs[d], index);
}

SmallVector<Value> TiledContractionBuilder::sumIndices(OpBuilder &tb, Value t,
                                                       int64_t i, int64_t j) {
  return SmallVector<Value>{t, constantIndex(tb, loc, i),
                            constantIndex(tb, loc, j)};
}

void TiledContractionBuilder::forEachOutput(OpBuilder &at, OutputBody body) {
  threadLoop(at, loc, threads, [&](OpBuilder &tb, Value t) {
    auto [tm, tn] = threadPlace(tb, t);
    for (int64_t i = 0; i < sm.perThread; ++i)
      for (int64_t j = 0; j < sn.perThread; ++j) {
        Value m, n;
        Value inside = outputAt(tb, tm, tn, i, j, m, n);
        body(tb, t, i, j, inside, m, n);
      }
  });
}

void TiledContractionBuilder::initSums(OpBuilder &b) {
  Value init = c.outermost().getInitArgs()[0];
  forEachOutput(b, [&](OpBuilder &tb, Value t, int64_t i, int64_t j,
                       Value inside, Value m, Value n) {
    Value start = ifElse(tb, loc, inside, fzero, [&](OpBuilder &ib) {
      IRMapping mapping;
      mapParallel(ib, mapping, m, n);
      return c.materialize(init, mapping, ib);
    });
    tb.create<memref::StoreOp>(loc, start, sums, sumIndices(tb, t, i, j));
  });
}

SmallVector<Value> TiledContractionBuilder::termIndices(OpBuilder &b, Value k0,
                                                        Value kk) {
  if (innerLevels == 0)
    return delinearize(b, loc, b.create<arith::AddIOp>(loc, k0, kk), kExtents);
  size_t outerLevels = kExtents.size() - innerLevels;
  Value slice = b.create<arith::DivUIOp>(loc, k0, constantIndex(b, loc, tileK));
  SmallVector<Value> indices;
  if (outerLevels > 0)
    indices = delinearize(b, loc, slice,
                          ArrayRef<Value>(kExtents).take_front(outerLevels));
  llvm::append_range(
      indices, delinearize(b, loc, kk,
                           ArrayRef<Value>(kExtents).drop_front(outerLevels)));
  return indices;
}

std::optional<TiledContractionBuilder::SumRead>
TiledContractionBuilder::sumRead(OpBuilder &builder, Value factor) {
  // Over one loop, its index is the place in the sum already.
  if (kExtents.size() < 2)
    return std::nullopt;
  std::optional<cnn::Contraction::ReadAlongSum> read =
      c.readAlongReduction(factor);
  if (!read)
    return std::nullopt;
  if (!read->trailing)
    return SumRead{*read, read->load.getMemRef()};
  if (Value collapsed = collapseAlongSum(builder, loop, read->load, kExtents))
    return SumRead{*read, collapsed};
  return std::nullopt;
}

Value TiledContractionBuilder::readAt(OpBuilder &ib, const SumRead &read,
                                      IRMapping &mapping, Value k) {
  memref::LoadOp load = read.read.load;
  ValueRange indices = load.getIndices();
  SmallVector<Value> at;
  for (Value index :
       indices.drop_back(read.read.trailing ? kExtents.size() : 1))
    at.push_back(c.materialize(index, mapping, ib));
  Value buffer = read.buffer, place = k;
  if (!read.read.trailing) {
    buffer = c.materialize(buffer, mapping, ib);
    // The last index where the sum starts, then stride x k on from there.
    for (scf::ForOp level : c.nest())
      mapping.map(level.getInductionVar(), zero);
    Value start = c.materialize(indices.back(), mapping, ib);
    Value step = read.read.stride == 1
                     ? k
                     : ib.create<arith::MulIOp>(
                           loc, k, constantIndex(ib, loc, read.read.stride));
    place = ib.create<arith::AddIOp>(loc, start, step);
  }
  at.push_back(place);
  return ib.create<memref::LoadOp>(loc, buffer, at);
}

// A thread copies the elements of a slice whose places in the tile
// follow its index, so that neighbouring threads store into neighbouring
// words (different banks of shared memory): along the tile's row, or
// along the slice's terms where the factor is contiguous along them.
// That place decides which output of the side the element is for.
SmallVector<TiledContractionBuilder::Staged>
TiledContractionBuilder::fetch(OpBuilder &tb, Value t, Value k0, bool isLhs) {
  Value factor = isLhs ? c.mul().getLhs() : c.mul().getRhs();
  const Side &side = isLhs ? sm : sn;
  Value base = isLhs ? mBase : nBase, total = isLhs ? mTotal : nTotal;
  bool kFast = isLhs ? lhsKFast : rhsKFast;
  const std::optional<SumRead> &read = isLhs ? lhsRead : rhsRead;
  SmallVector<Staged> staged;
  int64_t elements = tileK * side.block();
  for (int64_t first = 0; first < elements; first += threads) {
    Value e = tb.create<arith::AddIOp>(loc, t, constantIndex(tb, loc, first));
    Value fastExtent = constantIndex(tb, loc, kFast ? tileK : side.block());
    Value fast = tb.create<arith::RemUIOp>(loc, e, fastExtent);
    Value slow = tb.create<arith::DivUIOp>(loc, e, fastExtent);
    Value kk = kFast ? fast : slow, position = kFast ? slow : fast;
    Value perThread = constantIndex(tb, loc, side.perThread);
    Value group = tb.create<arith::DivUIOp>(loc, position, perThread);
    Value place = tb.create<arith::RemUIOp>(loc, position, perThread);
    Value along = tb.create<arith::AddIOp>(
        loc,
        tb.create<arith::MulIOp>(loc, place,
                                 constantIndex(tb, loc, side.threads)),
        group);
    Value outer = tb.create<arith::AddIOp>(loc, base, along);
    Value k = tb.create<arith::AddIOp>(loc, k0, kk);
    // A slice that spans inner loops divides the sum: it is inside where
    // its first term is.
    Value inside = both(tb, loc, less(tb, loc, outer, total),
                        less(tb, loc, innerLevels ? k0 : k, kTotal));
    // Inside the factor even where the slice ends (the last round of a
    // slice that does not fill it); only the store is then skipped.
    Value value = ifElse(tb, loc, inside, fzero, [&](OpBuilder &ib) {
      IRMapping mapping;
      mapParallel(ib, mapping, isLhs ? outer : Value(),
                  isLhs ? Value() : outer);
      if (read)
        return readAt(ib, *read, mapping, k);
      for (auto [level, index] : llvm::zip(c.nest(), termIndices(ib, k0, kk)))
        mapping.map(scf::ForOp(level).getInductionVar(), index);
      return c.materialize(factor, mapping, ib);
    });
    Value valid = first + threads <= elements
                      ? Value()
                      : less(tb, loc, e, constantIndex(tb, loc, elements));
    staged.push_back({value, kk, group, place, valid});
  }
  return staged;
}

void TiledContractionBuilder::put(OpBuilder &tb, ArrayRef<Staged> staged,
                                  Value tiles, Value which) {
  for (const Staged &element : staged) {
    OpBuilder sb = tb;
    if (element.valid)
      sb = tb.create<scf::IfOp>(loc, element.valid, false).getThenBodyBuilder();
    sb.create<memref::StoreOp>(
        loc, element.value, tiles,
        ValueRange{which, element.kk, element.group, element.place});
  }
}

// Each thread reads its elements of the factors' next slice from memory
// (zeros past the sum's end or the result's), adds its outputs' terms of
// this slice from the tiles, then stores what it read into the other
// tiles: the loads are on their way while it adds, and one barrier a slice
// separates both uses of a tile.
void TiledContractionBuilder::sumSlices(OpBuilder &b) {
  threadLoop(b, loc, threads, [&](OpBuilder &tb, Value t) {
    SmallVector<Staged> lhs = fetch(tb, t, zero, /*isLhs=*/true);
    SmallVector<Staged> rhs = fetch(tb, t, zero, /*isLhs=*/false);
    put(tb, lhs, lhsTiles, zero);
    put(tb, rhs, rhsTiles, zero);
  });
  auto kLoop =
      b.create<scf::ForOp>(loc, zero, kTotal, constantIndex(b, loc, tileK));
  OpBuilder kb = OpBuilder::atBlockTerminator(kLoop.getBody());
  Value k0 = kLoop.getInductionVar();
  Value two = constantIndex(kb, loc, 2);
  Value current = kb.create<arith::RemUIOp>(
      loc, kb.create<arith::DivUIOp>(loc, k0, constantIndex(kb, loc, tileK)),
      two);
  Value other = kb.create<arith::SubIOp>(loc, one, current);
  Value nextK0 =
      kb.create<arith::AddIOp>(loc, k0, constantIndex(kb, loc, tileK));
  threadLoop(kb, loc, threads, [&](OpBuilder &tb, Value t) {
    SmallVector<Staged> lhsNext = fetch(tb, t, nextK0, /*isLhs=*/true);
    SmallVector<Staged> rhsNext = fetch(tb, t, nextK0, /*isLhs=*/false);
    addSlice(tb, t, current);
    put(tb, lhsNext, lhsTiles, other);
    put(tb, rhsNext, rhsTiles, other);
  });
}

void TiledContractionBuilder::addSlice(OpBuilder &tb, Value t, Value current) {
  auto [tm, tn] = threadPlace(tb, t);
  SmallVector<Value> partial;
  for (int64_t i = 0; i < sm.perThread; ++i)
    for (int64_t j = 0; j < sn.perThread; ++j)
      partial.push_back(
          tb.create<memref::LoadOp>(loc, sums, sumIndices(tb, t, i, j)));
  bool sumFirst = c.add().getLhs() != c.mul().getResult();
  // The tile's last slice may be short; its missing terms are zeros.
  auto terms = tb.create<scf::ForOp>(
      loc, constantIndex(tb, loc, 0), constantIndex(tb, loc, tileK),
      constantIndex(tb, loc, 1), partial,
      [&](OpBuilder &lb, Location l, Value kk, ValueRange acc) {
        // The thread's factors for this term, each read once.
        auto readTile = [&](Value tiles, Value thread, const Side &side) {
          SmallVector<Value> values;
          for (int64_t i = 0; i < side.perThread; ++i)
            values.push_back(lb.create<memref::LoadOp>(
                l, tiles,
                ValueRange{current, kk, thread, constantIndex(lb, l, i)}));
          return values;
        };
        SmallVector<Value> lhs = readTile(lhsTiles, tm, sm);
        SmallVector<Value> rhs = readTile(rhsTiles, tn, sn);
        SmallVector<Value> next;
        for (int64_t i = 0; i < sm.perThread; ++i)
          for (int64_t j = 0; j < sn.perThread; ++j) {
            Value sum = acc[i * sn.perThread + j];
            Value term = lb.create<arith::MulFOp>(l, lhs[i], rhs[j]);
            next.push_back(sumFirst ? lb.create<arith::AddFOp>(l, sum, term)
                                    : lb.create<arith::AddFOp>(l, term, sum));
          }
        lb.create<scf::YieldOp>(l, next);
      });
  for (int64_t i = 0; i < sm.perThread; ++i)
    for (int64_t j = 0; j < sn.perThread; ++j)
      tb.create<memref::StoreOp>(loc, terms.getResult(i * sn.perThread + j),
                                 sums, sumIndices(tb, t, i, j));
  // Its tileK iterations unrolled; were that to fail, the loop would
  // stay, as correct.
  (void)loopUnrollByFactor(terms, tileK);
}

void TiledContractionBuilder::finishOutputs(OpBuilder &b) {
  forEachOutput(b, [&](OpBuilder &tb, Value t, int64_t i, int64_t j,
                       Value inside, Value m, Value n) {
    auto ifOp = tb.create<scf::IfOp>(loc, inside, false);
    OpBuilder ib = ifOp.getThenBodyBuilder();
    IRMapping mapping;
    mapParallel(ib, mapping, m, n);
    mapping.map(c.outermost().getResult(0),
                ib.create<memref::LoadOp>(loc, sums, sumIndices(ib, t, i, j)));
    for (Operation &op :
         llvm::make_range(std::next(c.outermost()->getIterator()),
                          loop.getBody()->without_terminator().end()))
      c.cloneWithOperands(&op, mapping, ib);
  });
}

struct TileContractionsPass
    : cnn::impl::TileContractionsBase<TileContractionsPass> {
  using TileContractionsBase::TileContractionsBase;

  void runOnOperation() override {
    if (outputsPerThread < 1 || outputsPerThread > kSmallSide) {
      getOperation().emitError()
          << "cnn-tile-contractions: outputs-per-thread must be 1 to "
          << kSmallSide << ", got " << static_cast<int64_t>(outputsPerThread);
      return signalPassFailure();
    }
    std::vector<cnn::Contraction> contractions;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>())
        return;
      if (std::optional<cnn::Contraction> c = cnn::Contraction::match(loop))
        contractions.push_back(*c);
    });
    OpBuilder builder(&getContext());
    for (cnn::Contraction &c : contractions)
      if (std::optional<TilePlan> plan =
              planTile(c, outputsPerThread, alignSlices))
        TiledContractionBuilder(c, *plan).build(builder);
  }
};

} // namespace
