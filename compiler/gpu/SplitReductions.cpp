//===- SplitReductions.cpp - partial sums for sums with few outputs -------===//
//
// Passes.td says when and why. The first generic keeps the original body
// (it accumulates onto zeros now, with some reduction dimensions made
// parallel and indexing the partial sums); the second adds the partial
// sums onto the original output.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_SPLITREDUCTIONS
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// Whether `generic`'s one output is updated as `out + x` and read nowhere
/// else: a sum, whose partial sums can be added up in any grouping.
bool accumulatesWithAdd(linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1 || generic.getNumResults() != 1)
    return false;
  Block &body = generic.getRegion().front();
  BlockArgument out = body.getArguments().back();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  return add && add->getBlock() == &body && out.hasOneUse() &&
         (add.getLhs() == out || add.getRhs() == out);
}

/// The reduction dimensions to make parallel, innermost first, or none.
SmallVector<unsigned> dimensionsToSplit(linalg::GenericOp generic,
                                        int64_t minThreads) {
  SmallVector<int64_t> ranges = generic.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = generic.getIteratorTypesArray();
  int64_t threads = 1;
  SmallVector<unsigned> reductions;
  for (auto [dim, type] : llvm::enumerate(iterators)) {
    if (type == utils::IteratorType::reduction) {
      reductions.push_back(dim);
      continue;
    }
    if (ShapedType::isDynamic(ranges[dim]))
      return {}; // a dynamic batch of outputs has threads enough
    threads *= ranges[dim];
  }
  SmallVector<unsigned> split;
  for (unsigned dim : llvm::reverse(reductions)) {
    if (threads >= minThreads || split.size() + 1 == reductions.size())
      break;
    if (ShapedType::isDynamic(ranges[dim]) || ranges[dim] < 2)
      continue;
    split.push_back(dim);
    threads *= ranges[dim];
  }
  return split;
}

/// Rewrites `generic` into partial sums over `split` and their sum.
void splitSum(RewriterBase &rewriter, linalg::GenericOp generic,
              ArrayRef<unsigned> split) {
  MLIRContext *ctx = generic.getContext();
  Location loc = generic.getLoc();
  SmallVector<int64_t> ranges = generic.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = generic.getIteratorTypesArray();
  unsigned numLoops = generic.getNumLoops();

  // The partial sums are indexed by the parallel dimensions, then the split
  // ones (in loop order).
  SmallVector<unsigned> partialDims;
  for (unsigned dim = 0; dim < numLoops; ++dim)
    if (iterators[dim] == utils::IteratorType::parallel)
      partialDims.push_back(dim);
  unsigned numParallel = partialDims.size();
  SmallVector<unsigned> sortedSplit(split.begin(), split.end());
  llvm::sort(sortedSplit);
  partialDims.append(sortedSplit.begin(), sortedSplit.end());

  SmallVector<int64_t> partialShape;
  SmallVector<AffineExpr> partialExprs;
  for (unsigned dim : partialDims) {
    partialShape.push_back(ranges[dim]);
    partialExprs.push_back(getAffineDimExpr(dim, ctx));
  }
  Type element = getElementTypeOrSelf(generic.getResult(0).getType());
  auto partialType = RankedTensorType::get(partialShape, element);
  rewriter.setInsertionPoint(generic);
  Value zero = rewriter.create<arith::ConstantOp>(
      loc, element, rewriter.getZeroAttr(element));
  Value empty =
      rewriter.create<tensor::EmptyOp>(loc, partialShape, element).getResult();
  Value zeros = rewriter.create<linalg::FillOp>(loc, zero, empty).getResult(0);

  // 1. The original body over the original inputs, into the partial sums.
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  maps.back() = AffineMap::get(numLoops, 0, partialExprs, ctx);
  SmallVector<utils::IteratorType> partialIterators = iterators;
  for (unsigned dim : split)
    partialIterators[dim] = utils::IteratorType::parallel;
  auto partial = rewriter.create<linalg::GenericOp>(
      loc, TypeRange{partialType}, generic.getDpsInputs(), ValueRange{zeros},
      maps, partialIterators);
  rewriter.cloneRegionBefore(generic.getRegion(), partial.getRegion(),
                             partial.getRegion().end());

  // 2. The partial sums added onto the original output. Loop i of this
  // generic is dimension partialDims[i] of the original.
  unsigned numPartial = partialDims.size();
  SmallVector<AffineExpr> renamed(numLoops, getAffineConstantExpr(0, ctx));
  for (unsigned i = 0; i < numParallel; ++i)
    renamed[partialDims[i]] = getAffineDimExpr(i, ctx);
  AffineMap outMap = generic.getIndexingMapsArray().back();
  AffineMap sumOutMap =
      outMap.replaceDimsAndSymbols(renamed, {}, numPartial, 0);
  SmallVector<utils::IteratorType> sumIterators(numParallel,
                                                utils::IteratorType::parallel);
  sumIterators.append(numPartial - numParallel, utils::IteratorType::reduction);
  auto sum = rewriter.create<linalg::GenericOp>(
      loc, TypeRange{generic.getResult(0).getType()},
      ValueRange{partial.getResult(0)}, generic.getDpsInits(),
      ArrayRef<AffineMap>{AffineMap::getMultiDimIdentityMap(numPartial, ctx),
                          sumOutMap},
      sumIterators, [](OpBuilder &b, Location loc, ValueRange args) {
        Value added = b.create<arith::AddFOp>(loc, args[1], args[0]);
        b.create<linalg::YieldOp>(loc, added);
      });
  rewriter.replaceOp(generic, sum.getResults());
}

struct SplitReductionsPass
    : cnn::impl::SplitReductionsBase<SplitReductionsPass> {
  using SplitReductionsBase::SplitReductionsBase;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp generic : generics) {
      if (!generic.hasPureTensorSemantics() || !accumulatesWithAdd(generic))
        continue;
      SmallVector<unsigned> split = dimensionsToSplit(generic, minThreads);
      if (!split.empty())
        splitSum(rewriter, generic, split);
    }
  }
};

} // namespace
