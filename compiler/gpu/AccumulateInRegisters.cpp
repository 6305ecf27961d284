//===- AccumulateInRegisters.cpp - reductions as loops inside a thread ----===//
//
// A linalg.generic with reduction iterators becomes an all-parallel generic
// whose body loops over the reduction dimensions, carrying the sums in
// registers and reading its operands with tensor.extract (Passes.td has the
// why). The loops visit the reduction dimensions in their order, innermost
// last, as convert-linalg-to-parallel-loops does, so each sum adds the same
// terms in the same order as before.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_ACCUMULATEINREGISTERS
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// The index of one operand element: each result of `map` applied to the
/// values of the original loop dimensions.
SmallVector<Value> indicesOf(OpBuilder &b, Location loc, AffineMap map,
                             ValueRange dims) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(dims[dim.getPosition()]);
      continue;
    }
    AffineMap single = AffineMap::get(map.getNumDims(), 0, expr);
    indices.push_back(b.create<affine::AffineApplyOp>(loc, single, dims));
  }
  return indices;
}

struct ReductionToLoops : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    SmallVector<unsigned> parallelDims, reductionDims;
    for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
      (type == utils::IteratorType::parallel ? parallelDims : reductionDims)
          .push_back(i);
    if (reductionDims.empty())
      return rewriter.notifyMatchFailure(op, "no reduction");
    for (unsigned i = 0; i < parallelDims.size(); ++i)
      if (parallelDims[i] != i)
        return rewriter.notifyMatchFailure(op, "parallel iterators not first");
    // An index read in a nested region would not be remapped to the loops.
    Block &oldBody = *op.getBlock();
    WalkResult nestedIndex = op.getRegion().walk([&](linalg::IndexOp index) {
      return index->getBlock() == &oldBody ? WalkResult::advance()
                                           : WalkResult::interrupt();
    });
    if (nestedIndex.wasInterrupted())
      return rewriter.notifyMatchFailure(op, "linalg.index in a nested region");

    Location loc = op.getLoc();
    unsigned numLoops = op.getNumLoops();
    unsigned numParallel = parallelDims.size();
    SmallVector<Range> ranges = cast<linalg::LinalgOp>(op.getOperation())
                                    .createLoopRanges(rewriter, loc);

    // The outputs' maps use parallel dimensions only, which keep their
    // positions; the old outputs are read as inputs through the same maps.
    SmallVector<Value> inits, empties;
    SmallVector<AffineMap> maps;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      AffineMap map = op.getMatchingIndexingMap(&init);
      maps.push_back(AffineMap::get(numParallel, 0, map.getResults(),
                                    rewriter.getContext()));
      inits.push_back(init.get());
      empties.push_back(rewriter.create<tensor::EmptyOp>(
          loc, tensor::getMixedSizes(rewriter, loc, init.get()),
          getElementTypeOrSelf(init.get().getType())));
    }
    maps.append(maps.begin(), maps.end());

    auto generic = rewriter.create<linalg::GenericOp>(
        loc, op.getResultTypes(), inits, empties, maps,
        SmallVector<utils::IteratorType>(numParallel,
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> dims(numLoops);
          for (unsigned d = 0; d < numParallel; ++d)
            dims[d] = b.create<linalg::IndexOp>(l, d);
          SmallVector<Value> lbs, ubs, steps;
          for (unsigned d : reductionDims) {
            lbs.push_back(
                getValueOrCreateConstantIndexOp(b, l, ranges[d].offset));
            ubs.push_back(
                getValueOrCreateConstantIndexOp(b, l, ranges[d].size));
            steps.push_back(
                getValueOrCreateConstantIndexOp(b, l, ranges[d].stride));
          }
          ValueRange initValues = args.take_front(inits.size());
          scf::LoopNest nest = scf::buildLoopNest(
              b, l, lbs, ubs, steps, initValues,
              [&](OpBuilder &nb, Location nl, ValueRange ivs,
                  ValueRange sums) -> scf::ValueVector {
                for (auto [d, iv] : llvm::zip(reductionDims, ivs))
                  dims[d] = iv;
                IRMapping mapping;
                for (OpOperand *input : op.getDpsInputOperands()) {
                  Value arg = oldBody.getArgument(input->getOperandNumber());
                  Value value = input->get();
                  if (!isa<RankedTensorType>(value.getType())) {
                    mapping.map(arg, value); // a scalar operand
                    continue;
                  }
                  mapping.map(
                      arg,
                      nb.create<tensor::ExtractOp>(
                          nl, value,
                          indicesOf(nb, nl, op.getMatchingIndexingMap(input),
                                    dims)));
                }
                for (auto [init, sum] :
                     llvm::zip(op.getDpsInitsMutable(), sums))
                  mapping.map(oldBody.getArgument(init.getOperandNumber()),
                              sum);
                scf::ValueVector results;
                for (Operation &nested : oldBody.without_terminator()) {
                  if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
                    mapping.map(index.getResult(), dims[index.getDim()]);
                    continue;
                  }
                  nb.clone(nested, mapping);
                }
                for (Value yielded : oldBody.getTerminator()->getOperands())
                  results.push_back(mapping.lookupOrDefault(yielded));
                return results;
              });
          b.create<linalg::YieldOp>(l, nest.results);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct AccumulateInRegistersPass
    : cnn::impl::AccumulateInRegistersBase<AccumulateInRegistersPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ReductionToLoops>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
