//===- ComputeWhereRead.cpp - elements read once, computed by their reader ===//
//
// A tensor.extract of an element that a generic computes, where the extract
// is the only read of that generic's result and no two threads of the
// kernel around it read the same element, nor one thread twice: the element
// is computed there instead of written by a kernel of its own (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/ElementAt.h"
#include "compiler/gpu/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_COMPUTEWHEREREAD
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// The dimension of `reader` whose linalg.index `index` is, plus or minus a
/// constant; -1 for anything else.
int64_t readerDim(Value index, linalg::GenericOp reader) {
  if (auto shift = index.getDefiningOp<arith::AddIOp>()) {
    if (matchPattern(shift.getRhs(), m_Constant()))
      index = shift.getLhs();
    else if (matchPattern(shift.getLhs(), m_Constant()))
      index = shift.getRhs();
  } else if (auto shift = index.getDefiningOp<arith::SubIOp>()) {
    if (matchPattern(shift.getRhs(), m_Constant()))
      index = shift.getLhs();
  }
  auto dim = index.getDefiningOp<linalg::IndexOp>();
  if (!dim || dim->getParentOp() != reader.getOperation())
    return -1;
  return static_cast<int64_t>(dim.getDim());
}

/// The kernel `op` reads in, when each of its threads runs `op` at most
/// once (no loop between them) and no two read the same element: each
/// index is one of the kernel's linalg.index, plus or minus a constant, and
/// every one of them appears. Null otherwise.
linalg::GenericOp injectiveReader(tensor::ExtractOp op) {
  Operation *parent = op->getParentOp();
  while (isa_and_nonnull<scf::IfOp>(parent))
    parent = parent->getParentOp();
  auto reader = dyn_cast_or_null<linalg::GenericOp>(parent);
  if (!reader || reader.getNumReductionLoops() != 0)
    return nullptr;
  llvm::SmallBitVector seen(reader.getNumLoops());
  for (Value index : op.getIndices()) {
    int64_t dim = readerDim(index, reader);
    if (dim < 0 || seen.test(dim))
      return nullptr;
    seen.set(dim);
  }
  return seen.all() ? reader : nullptr;
}

/// Whether `generic` sums products in a loop (a convolution, a matrix
/// product, a weight gradient): cnn-tile-contractions tiles that in a
/// kernel of its own, where the reader would compute it one thread at a
/// time.
bool sumsProducts(linalg::GenericOp generic) {
  return generic.getBody()
      ->walk([&](arith::MulFOp mul) {
        auto loop = mul->getParentOfType<scf::ForOp>();
        return loop && generic->isProperAncestor(loop) ? WalkResult::interrupt()
                                                       : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Whether `tensor` is read once, by one tensor.extract (possibly through a
/// tensor.collapse_shape read only so).
bool readOnce(Value tensor) {
  if (!tensor.hasOneUse())
    return false;
  Operation *user = *tensor.getUsers().begin();
  if (isa<tensor::CollapseShapeOp>(user))
    return user->getResult(0).hasOneUse() &&
           isa<tensor::ExtractOp>(*user->getResult(0).getUsers().begin());
  return isa<tensor::ExtractOp>(user);
}

struct ComputeAtTheOneRead : OpRewritePattern<tensor::ExtractOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractOp op,
                                PatternRewriter &rewriter) const override {
    tensor::CollapseShapeOp collapse;
    linalg::GenericOp generic = cnn::extractedGeneric(op, collapse);
    if (!generic || !cnn::computableAnywhere(generic) ||
        sumsProducts(generic) || !readOnce(generic.getResult(0)))
      return rewriter.notifyMatchFailure(op, "not the one read of an element");
    linalg::GenericOp reader = injectiveReader(op);
    if (!reader || reader == generic)
      return rewriter.notifyMatchFailure(op, "threads share the element");
    SmallVector<Value> indices = cnn::indicesInGeneric(rewriter, op, collapse);
    rewriter.replaceOp(
        op, cnn::computeElementAt(rewriter, op.getLoc(), generic, indices));
    return success();
  }
};

struct ComputeWhereReadPass
    : cnn::impl::ComputeWhereReadBase<ComputeWhereReadPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ComputeAtTheOneRead>(&getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
