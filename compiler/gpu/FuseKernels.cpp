//===- FuseKernels.cpp - element-wise fusion of kernels -------------------===//
//
// Upstream's element-wise fusion, with a control that keeps it from
// computing anything twice (Passes.td): a producer is fused only into its one
// user, and a producer that loops (a sum) only where its user reads each of
// its elements once. A fill, which computes nothing, is first copied for
// each user it can fuse into.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/ElementAt.h"
#include "compiler/gpu/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_FUSEKERNELS
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// Whether the body of `op` holds a loop, whose work fusion must not repeat.
bool bodyLoops(linalg::LinalgOp op) {
  return op.getBlock()
      ->walk([](LoopLikeOpInterface) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

bool fusesOnce(OpOperand *operand) {
  Operation *producer = operand->get().getDefiningOp();
  if (!producer || !producer->hasOneUse())
    return false;
  auto producerOp = dyn_cast<linalg::LinalgOp>(producer);
  auto consumer = dyn_cast<linalg::LinalgOp>(operand->getOwner());
  if (!producerOp || !consumer)
    return false;
  if (!bodyLoops(producerOp))
    return true;
  return consumer.getMatchingIndexingMap(operand).isPermutation() &&
         consumer.getNumReductionLoops() == 0;
}

/// The pad value of a tensor that is a fill: the scalar of a linalg.fill, or
/// of a generic without inputs that yields a value from outside its body
/// (a fill after linalg-generalize-named-ops).
Value fillValue(Value tensor) {
  if (auto fill = tensor.getDefiningOp<linalg::FillOp>())
    return fill.value();
  auto generic = tensor.getDefiningOp<linalg::GenericOp>();
  if (!generic || generic.getNumDpsInputs() != 0 ||
      generic.getNumResults() != 1)
    return {};
  Value yielded = generic.getBlock()->getTerminator()->getOperand(0);
  bool fromOutside = !generic.getRegion().isAncestor(yielded.getParentRegion());
  return fromOutside ? yielded : Value();
}

/// Whether `size` is the extent of `tensor` along `dim`: equal constants, or
/// the dynamic size the tensor.empty under the fill was made with.
bool coversDim(OpFoldResult size, Value tensor, int64_t dim) {
  auto type = cast<RankedTensorType>(tensor.getType());
  if (!type.isDynamicDim(dim))
    return getConstantIntValue(size) == type.getDimSize(dim);
  while (auto dps = tensor.getDefiningOp<DestinationStyleOpInterface>()) {
    if (dps.getNumDpsInits() != 1)
      return false;
    tensor = dps.getDpsInits()[0];
  }
  auto empty = tensor.getDefiningOp<tensor::EmptyOp>();
  return empty && isEqualConstantIntOrValue(size, empty.getDynamicSize(dim));
}

/// Where `index` falls along one dimension of a slice inserted at `offset`
/// with `size` elements `stride` apart: whether it is on one of them, and
/// the position in the slice (meaningless when it is not). One unsigned
/// comparison bounds the position on both sides: an index before the
/// offset gives a negative one, which wraps around.
std::pair<Value, Value> positionInSlice(OpBuilder &b, Location loc, Value index,
                                        OpFoldResult offset, OpFoldResult size,
                                        int64_t stride) {
  Value at = b.create<arith::SubIOp>(
      loc, index, getValueOrCreateConstantIndexOp(b, loc, offset));
  Value onStride;
  if (stride != 1) {
    Value step = b.create<arith::ConstantIndexOp>(loc, stride);
    Value rest = b.create<arith::RemSIOp>(loc, at, step);
    onStride =
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rest,
                                b.create<arith::ConstantIndexOp>(loc, 0));
    at = b.create<arith::DivSIOp>(loc, at, step);
  }
  Value inside =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ult, at,
                              getValueOrCreateConstantIndexOp(b, loc, size));
  if (onStride)
    inside = b.create<arith::AndIOp>(loc, onStride, inside);
  return {inside, at};
}

/// tensor.extract from a padded tensor (tensor.insert_slice of the data
/// into a fill, with static strides: a convolution's zero padding, or a
/// gradient spread out by a stride) reads the data where the index falls on
/// an inserted element and the pad value elsewhere, so the padded copy (two
/// kernels) is never made.
struct ExtractFromPadding : OpRewritePattern<tensor::ExtractOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractOp op,
                                PatternRewriter &rewriter) const override {
    auto insert = op.getTensor().getDefiningOp<tensor::InsertSliceOp>();
    if (!insert)
      return rewriter.notifyMatchFailure(op, "not from an inserted slice");
    std::optional<SmallVector<int64_t>> strides =
        getConstantIntValues(insert.getMixedStrides());
    if (!strides)
      return rewriter.notifyMatchFailure(op, "dynamic strides");
    Value pad = fillValue(insert.getDest());
    if (!pad)
      return rewriter.notifyMatchFailure(op, "not inserted into a fill");
    if (insert.getSourceType().getRank() != insert.getType().getRank())
      return rewriter.notifyMatchFailure(op, "a rank-reducing slice");

    Location loc = op.getLoc();
    Value inside;
    SmallVector<Value> indices;
    for (auto [dim, index] : llvm::enumerate(op.getIndices())) {
      OpFoldResult offset = insert.getMixedOffsets()[dim];
      OpFoldResult size = insert.getMixedSizes()[dim];
      int64_t stride = (*strides)[dim];
      if (stride == 1 && getConstantIntValue(offset) == 0 &&
          coversDim(size, insert.getDest(), dim)) {
        indices.push_back(index);
        continue;
      }
      auto [in, at] =
          positionInSlice(rewriter, loc, index, offset, size, stride);
      inside = inside ? rewriter.create<arith::AndIOp>(loc, inside, in) : in;
      // Outside, any index in the data will do: its value is not used.
      Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
      indices.push_back(rewriter.create<arith::SelectOp>(loc, in, at, zero));
    }
    Value value =
        rewriter.create<tensor::ExtractOp>(loc, insert.getSource(), indices);
    if (inside)
      value = rewriter.create<arith::SelectOp>(loc, inside, value, pad);
    rewriter.replaceOp(op, value);
    return success();
  }
};

/// A chain of tensor.insert_slice of 1-D slices into a 1-D fill (the
/// gradients packed into the parameters' layout) becomes one generic whose
/// threads each read their element from the slice that holds it, or take
/// the fill's value in the gaps: one kernel, which fuses into the optimizer
/// update that reads it, instead of a fill and a copy per slice.
struct InsertChainToGeneric : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::InsertSliceOp last,
                                PatternRewriter &rewriter) const override {
    for (Operation *user : last->getUsers())
      if (auto next = dyn_cast<tensor::InsertSliceOp>(user))
        if (next.getDest() == last.getResult())
          return rewriter.notifyMatchFailure(last, "not the chain's end");
    auto type = last.getType();
    if (type.getRank() != 1 || !type.hasStaticShape())
      return rewriter.notifyMatchFailure(last, "not a static 1-D tensor");

    // The chain, last insert first: later inserts win where slices overlap.
    SmallVector<tensor::InsertSliceOp> chain;
    for (auto insert = last; insert;) {
      std::optional<int64_t> offset =
          getConstantIntValue(insert.getMixedOffsets()[0]);
      std::optional<int64_t> size =
          getConstantIntValue(insert.getMixedSizes()[0]);
      if (!insert.hasUnitStride() || !offset || !size ||
          insert.getSourceType().getRank() != 1)
        return rewriter.notifyMatchFailure(insert, "not a static 1-D slice");
      chain.push_back(insert);
      auto previous = insert.getDest().getDefiningOp<tensor::InsertSliceOp>();
      insert = previous && previous->hasOneUse() ? previous : nullptr;
    }
    Value pad = fillValue(chain.back().getDest());
    if (!pad)
      return rewriter.notifyMatchFailure(last, "not inserted into a fill");

    Location loc = last.getLoc();
    Type element = type.getElementType();
    Value empty =
        rewriter.create<tensor::EmptyOp>(loc, type.getShape(), element);
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, type, ValueRange{}, empty,
        ArrayRef<AffineMap>{rewriter.getMultiDimIdentityMap(1)},
        SmallVector<utils::IteratorType>{utils::IteratorType::parallel},
        [&](OpBuilder &b, Location l, ValueRange) {
          Value index = b.create<linalg::IndexOp>(l, 0);
          b.create<linalg::YieldOp>(l, readSlice(b, l, chain, index, pad));
        });
    rewriter.replaceOp(last, generic.getResult(0));
    return success();
  }

  /// The element at `index` of the chain from `chain.front()` down: the
  /// slice of the first insert that holds it, else `pad`, as nested scf.if
  /// so each thread loads from one slice only.
  static Value readSlice(OpBuilder &b, Location loc,
                         ArrayRef<tensor::InsertSliceOp> chain, Value index,
                         Value pad) {
    if (chain.empty())
      return pad;
    tensor::InsertSliceOp insert = chain.front();
    auto [inside, at] =
        positionInSlice(b, loc, index, insert.getMixedOffsets()[0],
                        insert.getMixedSizes()[0], /*stride=*/1);
    auto branch = b.create<scf::IfOp>(
        loc, inside,
        [&](OpBuilder &tb, Location tl) {
          tb.create<scf::YieldOp>(
              tl, tb.create<tensor::ExtractOp>(tl, insert.getSource(), at)
                      .getResult());
        },
        [&](OpBuilder &eb, Location el) {
          eb.create<scf::YieldOp>(
              el, readSlice(eb, el, chain.drop_front(), index, pad));
        });
    return branch.getResult(0);
  }
};

/// A kernel that reads a padded tensor as an input (the data inserted into a
/// fill, possibly through a tensor.expand_shape: AlexNet's conv1 input and
/// filters, padded to a multiple of its stride and split into its phases)
/// reads it with tensor.extract instead, at the indices its indexing map
/// gives; ExtractThroughExpandShape and ExtractFromPadding then read the
/// data in place, so the fill and the copy into it (two kernels) are never
/// made. The map must be a projected permutation, and each expanded group
/// static past its first dimension.
struct InputFromPadding : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    for (OpOperand *input : op.getDpsInputOperands())
      if (succeeded(readInBody(op, *input, rewriter)))
        return success();
    return rewriter.notifyMatchFailure(op, "no padded input to read in place");
  }

private:
  /// Whether `value` is a padded tensor, or one expanded from it so that
  /// ExtractThroughExpandShape reads through.
  static bool isPadded(Value value) {
    if (auto expand = value.getDefiningOp<tensor::ExpandShapeOp>()) {
      if (!cnn::staticPastFirst(expand.getReassociationIndices(),
                                expand.getResultType().getShape()))
        return false;
      value = expand.getSrc();
    }
    auto insert = value.getDefiningOp<tensor::InsertSliceOp>();
    return insert && fillValue(insert.getDest());
  }

  static LogicalResult readInBody(linalg::GenericOp op, OpOperand &input,
                                  PatternRewriter &rewriter) {
    AffineMap map = op.getMatchingIndexingMap(&input);
    if (!isPadded(input.get()) || !map.isProjectedPermutation())
      return failure();

    Location loc = op.getLoc();
    unsigned position = input.getOperandNumber();
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (OpOperand &operand : op->getOpOperands()) {
      if (operand.getOperandNumber() == position)
        continue;
      if (op.isDpsInput(&operand))
        inputs.push_back(operand.get());
      maps.push_back(op.getMatchingIndexingMap(&operand));
    }
    auto replacement = rewriter.create<linalg::GenericOp>(
        loc, op.getResultTypes(), inputs, op.getDpsInits(), maps,
        op.getIteratorTypesArray());
    Block *body = op.getBody();
    SmallVector<Type> argTypes;
    SmallVector<Location> argLocs;
    for (BlockArgument arg : body->getArguments())
      if (arg.getArgNumber() != position) {
        argTypes.push_back(arg.getType());
        argLocs.push_back(arg.getLoc());
      }
    Block *newBody =
        rewriter.createBlock(&replacement.getRegion(), {}, argTypes, argLocs);
    rewriter.setInsertionPointToStart(newBody);
    SmallVector<Value> indices;
    for (AffineExpr result : map.getResults())
      indices.push_back(rewriter.create<linalg::IndexOp>(
          loc, cast<AffineDimExpr>(result).getPosition()));
    Value element =
        rewriter.create<tensor::ExtractOp>(loc, input.get(), indices);
    SmallVector<Value> args(newBody->getArguments());
    args.insert(args.begin() + position, element);
    rewriter.mergeBlocks(body, newBody, args);
    rewriter.replaceOp(op, replacement->getResults());
    return success();
  }
};

/// A tensor.extract from a tensor.expand_shape reads the source at the
/// linearized indices, so that what the source is (a padded tensor, an
/// element computed cheaply) can be read in place too. Each expanded group
/// must be static past its first dimension.
struct ExtractThroughExpandShape : OpRewritePattern<tensor::ExtractOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractOp op,
                                PatternRewriter &rewriter) const override {
    auto expand = op.getTensor().getDefiningOp<tensor::ExpandShapeOp>();
    if (!expand)
      return rewriter.notifyMatchFailure(op, "not from an expand_shape");
    ArrayRef<int64_t> sizes = expand.getResultType().getShape();
    SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
    if (!cnn::staticPastFirst(groups, sizes))
      return rewriter.notifyMatchFailure(op, "dynamic expanded size");
    SmallVector<Value> indices =
        cnn::linearize(rewriter, op.getLoc(), op.getIndices(), groups, sizes);
    rewriter.replaceOpWithNewOp<tensor::ExtractOp>(op, expand.getSrc(),
                                                   indices);
    return success();
  }
};

/// Whether `generic`'s body computes its element with a few cheap operations
/// from its inputs' elements and indices (a copy into another layout, a
/// square), without loops or its output's old value: worth computing again
/// wherever the element is read, rather than writing it to memory.
bool computesCheaply(linalg::GenericOp generic) {
  if (!cnn::computableAnywhere(generic))
    return false;
  // A kernel only this one reads fuses into it (an average pool's sum into
  // its scaling): then there is nothing to compute again.
  for (OpOperand *input : generic.getDpsInputOperands())
    if (input->get().getDefiningOp<linalg::LinalgOp>() &&
        input->get().hasOneUse())
      return false;
  int floatOps = 0;
  for (Operation &op : generic.getBody()->without_terminator()) {
    if (isa<linalg::IndexOp, tensor::ExtractOp, arith::ConstantOp,
            arith::SelectOp, arith::CmpIOp, arith::AddIOp, arith::SubIOp,
            arith::MulIOp, arith::AndIOp>(op))
      continue;
    if (!isa<arith::MulFOp, arith::AddFOp, arith::SubFOp, arith::NegFOp>(op) ||
        ++floatOps > 2)
      return false;
  }
  return true;
}

/// Whether every use of `tensor` reads one element of it, directly or
/// through a tensor.collapse_shape: then, all computed where they are read,
/// it is not needed at all.
bool onlyExtracted(Value tensor) {
  return llvm::all_of(tensor.getUsers(), [](Operation *user) {
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(user))
      return llvm::all_of(collapse->getUsers(), [](Operation *inner) {
        return isa<tensor::ExtractOp>(inner);
      });
    return isa<tensor::ExtractOp>(user);
  });
}

/// A tensor.extract (possibly through a tensor.collapse_shape) of an element
/// that a generic computes cheaply (computesCheaply), and whose result is
/// only read so, computes it in place from the generic's inputs, so the
/// generic's result is never written, a kernel less: AlexNet's local response
/// normalization squares each of the 5 channels it sums where it reads
/// them, and its conv1 reads its input's phases from the input itself.
struct RecomputeAtExtract : OpRewritePattern<tensor::ExtractOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractOp op,
                                PatternRewriter &rewriter) const override {
    tensor::CollapseShapeOp collapse;
    linalg::GenericOp generic = cnn::extractedGeneric(op, collapse);
    // Where something else needs the result whole, computing elements
    // again would only add work.
    if (!generic || !computesCheaply(generic) ||
        !onlyExtracted(generic.getResult(0)))
      return rewriter.notifyMatchFailure(op, "not a cheap element");
    SmallVector<Value> indices = cnn::indicesInGeneric(rewriter, op, collapse);
    rewriter.replaceOp(
        op, cnn::computeElementAt(rewriter, op.getLoc(), generic, indices));
    return success();
  }
};

/// A fill read by several kernels: the one use of it that can fuse it
/// (after the first) gets a copy of its own, so that every copy has one user
/// and fuses into it. The fill is one kernel of stores less, and each user
/// reads its value instead of loading it.
struct CopyFillPerUser : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp fill,
                                PatternRewriter &rewriter) const override {
    if (fill->getNumResults() != 1 || !fillValue(fill->getResult(0)) ||
        fill->getResult(0).hasOneUse())
      return rewriter.notifyMatchFailure(fill, "not a fill of several users");
    auto uses = llvm::drop_begin(fill->getResult(0).getUses());
    auto fusable = llvm::find_if(uses, [](OpOperand &use) {
      return isa<linalg::GenericOp>(use.getOwner()) &&
             linalg::areElementwiseOpsFusable(&use);
    });
    if (fusable == uses.end())
      return rewriter.notifyMatchFailure(fill, "no other user fuses it");
    OpOperand &use = *fusable;
    rewriter.setInsertionPoint(fill);
    Operation *copy = rewriter.clone(*fill.getOperation());
    rewriter.modifyOpInPlace(use.getOwner(),
                             [&] { use.set(copy->getResult(0)); });
    return success();
  }
};

struct FuseKernelsPass : cnn::impl::FuseKernelsBase<FuseKernelsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, fusesOnce);
    // A size read off a producer's result (tensor.dim) is a use that would
    // keep it from fusing; it is read off the producer's init instead.
    tensor::DimOp::getCanonicalizationPatterns(patterns, &getContext());
    patterns
        .add<ExtractFromPadding, InputFromPadding, ExtractThroughExpandShape,
             RecomputeAtExtract, InsertChainToGeneric, CopyFillPerUser>(
            &getContext());
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
