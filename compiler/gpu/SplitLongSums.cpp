//===- SplitLongSums.cpp - partial sums over chunks of a long loop --------===//
//
// Passes.td says when and why. A kernel-shaped generic whose one long loop
// (over the batch, or a static one) sums onto too few outputs becomes two:
// the first sums each chunk of the loop into a partial sum (a new leading
// dimension, one thread per chunk and output), the second adds the chunks'
// partial sums onto the loop's old starting value and does what the old
// body did after the loop.
//
//===----------------------------------------------------------------------===//

#include "compiler/gpu/LoopUtils.h"
#include "compiler/gpu/Passes.h"
#include "compiler/transforms/TrainSection.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_SPLITLONGSUMS
#include "compiler/gpu/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// The batch assumed where neither the option nor the model gives one
/// (AlexNet's).
constexpr int64_t kDefaultBatch = 128;

/// Whether `loop` adds a term onto its one carried value at each iteration
/// and does nothing else with it, directly or through a nested loop of the
/// same kind that starts from it: then its iterations can be summed in
/// chunks, and the chunks' sums added in any grouping.
bool onlyAdds(scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() != 1)
    return false;
  BlockArgument sum = loop.getRegionIterArgs()[0];
  if (!sum.hasOneUse())
    return false;
  Operation *user = *sum.user_begin();
  Value next = loop.getBody()->getTerminator()->getOperand(0);
  if (user->getBlock() != loop.getBody() || next.getDefiningOp() != user)
    return false;
  if (isa<arith::AddFOp, arith::AddIOp>(user))
    return true;
  auto nested = dyn_cast<scf::ForOp>(user);
  return nested && nested.getInitArgs()[0] == sum && onlyAdds(nested);
}

/// The product the innermost of `loop`'s nested loops (which only add)
/// adds at each iteration, or null if it adds something else.
arith::MulFOp innermostProduct(scf::ForOp loop) {
  Operation *user = *loop.getRegionIterArgs()[0].user_begin();
  if (auto nested = dyn_cast<scf::ForOp>(user))
    return innermostProduct(nested);
  auto add = dyn_cast<arith::AddFOp>(user);
  if (!add)
    return {};
  Value sum = loop.getRegionIterArgs()[0];
  Value term = add.getLhs() == sum ? add.getRhs() : add.getLhs();
  auto mul = term.getDefiningOp<arith::MulFOp>();
  return mul && mul->getBlock() == loop.getBody() && mul->hasOneUse()
             ? mul
             : arith::MulFOp();
}

/// The trip count of `loop` if its bounds and step are constants; none if
/// they are known only at run time (the batch).
std::optional<int64_t> staticTripCount(scf::ForOp loop) {
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound()),
                         upper = getConstantIntValue(loop.getUpperBound()),
                         step = getConstantIntValue(loop.getStep());
  if (!lower || !upper || !step || *step <= 0)
    return std::nullopt;
  return std::max<int64_t>(0, llvm::divideCeil(*upper - *lower, *step));
}

/// The terms one iteration of `loop` (which only adds) adds: the product
/// of the trip counts of the loops nested in it, 1 if none; none if one
/// of them is known only at run time.
std::optional<int64_t> termsPerIteration(scf::ForOp loop) {
  Operation *user = *loop.getRegionIterArgs()[0].user_begin();
  auto nested = dyn_cast<scf::ForOp>(user);
  if (!nested)
    return 1;
  std::optional<int64_t> trips = staticTripCount(nested);
  std::optional<int64_t> inner = termsPerIteration(nested);
  if (!trips || !inner)
    return std::nullopt;
  return *trips * *inner;
}

/// A loop to split and how many of its iterations each chunk takes.
struct LongSum {
  scf::ForOp loop;
  int64_t iterationsPerChunk;
};

/// The one loop at the top of `generic`'s body that runs from 0, one step
/// at a time, only adds, and adds the batch's terms or more than four
/// chunks' (its nested loops' terms included); none if there is not
/// exactly one such loop.
std::optional<LongSum> longSum(linalg::GenericOp generic, int64_t chunkSize) {
  std::optional<LongSum> found;
  for (auto loop : generic.getBody()->getOps<scf::ForOp>()) {
    if (!matchPattern(loop.getLowerBound(), m_Zero()) ||
        !matchPattern(loop.getStep(), m_One()) || !onlyAdds(loop))
      continue;
    std::optional<int64_t> inner = termsPerIteration(loop);
    std::optional<int64_t> trips = staticTripCount(loop);
    if (!inner || *inner == 0 ||
        (trips && (*trips < 2 || *trips * *inner <= 4 * chunkSize)))
      continue;
    if (found)
      return std::nullopt;
    found = LongSum{loop, std::max<int64_t>(1, chunkSize / *inner)};
  }
  if (!found)
    return std::nullopt;
  // The bound sizes the partial sums, outside the generic.
  scf::ForOp loop = found->loop;
  Region *boundRegion = loop.getUpperBound().getParentRegion();
  if (!boundRegion->isProperAncestor(&generic.getRegion()))
    return std::nullopt;
  // The partial sums start from zero; the old output element may only
  // start the loop or be used after it.
  Block *body = generic.getBody();
  for (Operation *user : body->getArguments().back().getUsers()) {
    Operation *top = body->findAncestorOpInBlock(*user);
    if (user != loop.getOperation() && !loop->isBeforeInBlock(top))
      return std::nullopt;
  }
  return found;
}

/// The number of outputs, or 0 if any dimension is dynamic (a batch of
/// outputs has threads enough).
int64_t staticOutputs(linalg::GenericOp generic) {
  int64_t outputs = 1;
  for (int64_t range : generic.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(range))
      return 0;
    outputs *= range;
  }
  return outputs;
}

/// The outputs for each image of a generic with one dynamic dimension (the
/// batch); none with another number of them.
std::optional<int64_t> outputsPerImage(linalg::GenericOp generic) {
  int64_t outputs = 1, dynamic = 0;
  for (int64_t range : generic.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(range))
      ++dynamic;
    else
      outputs *= range;
  }
  return dynamic == 1 ? std::optional<int64_t>(outputs) : std::nullopt;
}

/// The partial sums: a generic with a new leading dimension over the
/// chunks (`numChunks` of them), whose body is `generic`'s up to `loop`,
/// then a copy of `loop` from zero that `shapeChunk` makes sum one chunk,
/// given the chunk's first iteration.
Value buildPartials(RewriterBase &rewriter, linalg::GenericOp generic,
                    scf::ForOp loop, Value chunk, Value numChunks,
                    function_ref<void(scf::ForOp, Value)> shapeChunk) {
  Location loc = generic.getLoc();
  MLIRContext *ctx = generic.getContext();
  unsigned numLoops = generic.getNumLoops();
  Type element = loop.getResult(0).getType();

  std::optional<int64_t> chunks = getConstantIntValue(numChunks);
  SmallVector<int64_t> shape{chunks.value_or(ShapedType::kDynamic)};
  llvm::append_range(shape, generic.getStaticLoopRanges());
  SmallVector<Value> dynamicSizes;
  if (!chunks)
    dynamicSizes.push_back(numChunks);
  for (auto [range, staticSize] : llvm::zip(
           cast<linalg::LinalgOp>(*generic).createLoopRanges(rewriter, loc),
           generic.getStaticLoopRanges()))
    if (ShapedType::isDynamic(staticSize))
      dynamicSizes.push_back(
          getValueOrCreateConstantIndexOp(rewriter, loc, range.size));
  Value empty =
      rewriter.create<tensor::EmptyOp>(loc, shape, element, dynamicSizes);

  SmallVector<AffineMap> maps;
  for (OpOperand *input : generic.getDpsInputOperands())
    maps.push_back(generic.getMatchingIndexingMap(input).shiftDims(1));
  maps.push_back(AffineMap::getMultiDimIdentityMap(numLoops + 1, ctx));
  SmallVector<utils::IteratorType> iterators(numLoops + 1,
                                             utils::IteratorType::parallel);

  Block *oldBody = generic.getBody();
  auto partial = rewriter.create<linalg::GenericOp>(
      loc, empty.getType(), generic.getDpsInputs(), ValueRange{empty}, maps,
      iterators, [&](OpBuilder &b, Location l, ValueRange args) {
        IRMapping mapping;
        for (auto [oldArg, newArg] :
             llvm::zip(oldBody->getArguments().drop_back(), args))
          mapping.map(oldArg, newArg);
        for (Operation &op : *oldBody) {
          if (&op == loop.getOperation())
            break;
          if (auto index = dyn_cast<linalg::IndexOp>(op)) {
            mapping.map(index.getResult(),
                        b.create<linalg::IndexOp>(l, index.getDim() + 1));
            continue;
          }
          b.clone(op, mapping);
        }
        Value first =
            b.create<arith::MulIOp>(l, b.create<linalg::IndexOp>(l, 0), chunk);
        Value zero =
            b.create<arith::ConstantOp>(l, element, b.getZeroAttr(element));
        auto sum = cast<scf::ForOp>(b.clone(*loop, mapping));
        sum.getInitArgsMutable()[0].assign(zero);
        shapeChunk(sum, first);
        b.create<linalg::YieldOp>(l, sum.getResult(0));
      });
  return partial.getResult(0);
}

/// Chunks of `chunk` iterations: from the chunk's first iteration to the
/// next chunk's or the end.
Value buildPartialSums(RewriterBase &rewriter, linalg::GenericOp generic,
                       scf::ForOp loop, Value chunk, Value numChunks) {
  return buildPartials(rewriter, generic, loop, chunk, numChunks,
                       [&](scf::ForOp sum, Value first) {
                         Location l = sum.getLoc();
                         OpBuilder b(sum);
                         Value end = b.create<arith::MinUIOp>(
                             l, b.create<arith::AddIOp>(l, first, chunk),
                             loop.getUpperBound());
                         sum.getLowerBoundMutable().assign(first);
                         sum.getUpperBoundMutable().assign(end);
                       });
}

/// A product in `numChunks` chunks of `chunk` iterations of `loop` (the
/// batch's images, or a static loop's terms): each chunk's loop runs from
/// 0 to `chunk`, the same for every thread. Where the chunks may run past
/// the loop's end (`guarded`), an iteration past it (the last chunk's)
/// reads iteration 0 and adds zero, its left factor made 0. So the loop is
/// still a sum of products from zero to a bound fixed for the kernel,
/// which cnn-tile-contractions tiles, the chunks a dimension of its grid.
Value buildPartialProducts(RewriterBase &rewriter, linalg::GenericOp generic,
                           scf::ForOp loop, Value chunk, Value numChunks,
                           bool guarded) {
  return buildPartials(
      rewriter, generic, loop, chunk, numChunks,
      [&](scf::ForOp sum, Value first) {
        Location l = sum.getLoc();
        sum.getUpperBoundMutable().assign(chunk);
        OpBuilder inner = OpBuilder::atBlockBegin(sum.getBody());
        Value iv = sum.getInductionVar();
        Value iteration = inner.create<arith::AddIOp>(l, first, iv);
        if (!guarded) {
          iv.replaceAllUsesExcept(iteration, iteration.getDefiningOp());
          return;
        }
        // The iteration this one adds, or iteration 0 past the end.
        Value inside = inner.create<arith::CmpIOp>(
            l, arith::CmpIPredicate::ult, iteration, loop.getUpperBound());
        Value read = inner.create<arith::SelectOp>(
            l, inside, iteration, inner.create<arith::ConstantIndexOp>(l, 0));
        iv.replaceAllUsesExcept(read, iteration.getDefiningOp());

        arith::MulFOp mul = innermostProduct(sum);
        OpBuilder atMul(mul);
        Type element = mul.getType();
        Value factor = atMul.create<arith::SelectOp>(
            l, inside, mul.getLhs(),
            atMul.create<arith::ConstantOp>(l, element,
                                            atMul.getZeroAttr(element)));
        mul->setOperand(0, factor);
      });
}

/// Replaces `loop` in `generic` by a loop that adds the partial sums of
/// each chunk onto the value `loop` started from.
void sumPartialSums(RewriterBase &rewriter, linalg::GenericOp generic,
                    scf::ForOp loop, Value partial, Value numChunks) {
  Location loc = loop.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(loop);
  // The body's own indices where it reads them before the loop.
  SmallVector<Value> indices(generic.getNumLoops() + 1);
  for (auto index : generic.getBody()->getOps<linalg::IndexOp>())
    if (index->isBeforeInBlock(loop) && !indices[index.getDim() + 1])
      indices[index.getDim() + 1] = index;
  for (unsigned dim = 0; dim < generic.getNumLoops(); ++dim)
    if (!indices[dim + 1])
      indices[dim + 1] = rewriter.create<linalg::IndexOp>(loc, dim);
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
  bool isFloat = isa<FloatType>(loop.getResult(0).getType());
  auto sum = rewriter.create<scf::ForOp>(
      loc, zero, numChunks, one, loop.getInitArgs(),
      [&](OpBuilder &b, Location l, Value chunkIndex, ValueRange sums) {
        indices[0] = chunkIndex;
        Value term = b.create<tensor::ExtractOp>(l, partial, indices);
        Value added =
            isFloat ? b.create<arith::AddFOp>(l, sums[0], term).getResult()
                    : b.create<arith::AddIOp>(l, sums[0], term).getResult();
        b.create<scf::YieldOp>(l, added);
      });
  rewriter.replaceOp(loop, sum.getResults());
}

struct SplitLongSumsPass : cnn::impl::SplitLongSumsBase<SplitLongSumsPass> {
  using SplitLongSumsBase::SplitLongSumsBase;

  /// A product summed over the batch (a weight gradient, whole or split
  /// over its pixels): summed in as many chunks of the batch as keep the
  /// partial sums within productOutputs, at most `maxChunks`, which
  /// cnn-tile-contractions tiles with the chunks as one more dimension of
  /// its grid. Whether it was split.
  bool splitProduct(RewriterBase &rewriter, linalg::GenericOp generic,
                    int64_t outputs, int64_t maxChunks) {
    int64_t numChunks = std::min<int64_t>(maxChunks, productOutputs / outputs);
    if (numChunks < 2)
      return false;
    std::optional<LongSum> sum = longSum(generic, chunkSize);
    if (!sum || staticTripCount(sum->loop) || !innermostProduct(sum->loop))
      return false;
    scf::ForOp loop = sum->loop;
    rewriter.setInsertionPoint(generic);
    Location loc = generic.getLoc();
    Value chunks = rewriter.create<arith::ConstantIndexOp>(loc, numChunks);
    Value chunk =
        cnn::ceilDivIndex(rewriter, loc, loop.getUpperBound(), numChunks);
    Value partial = buildPartialProducts(rewriter, generic, loop, chunk, chunks,
                                         /*guarded=*/true);
    sumPartialSums(rewriter, generic, loop, partial, chunks);
    return true;
  }

  /// A product over a long static loop onto the batch's outputs (a dense
  /// layer's forward or input gradient): at `batch` images, summed in as
  /// many chunks of the loop as keep the partial sums within
  /// productOutputs and each chunk at least minChunkTerms terms, at most
  /// productChunks.
  void splitStaticProduct(RewriterBase &rewriter, linalg::GenericOp generic,
                          int64_t outputsPerImage, int64_t batch) {
    std::optional<LongSum> sum = longSum(generic, chunkSize);
    if (!sum || !innermostProduct(sum->loop))
      return;
    scf::ForOp loop = sum->loop;
    std::optional<int64_t> trips = staticTripCount(loop);
    std::optional<int64_t> inner = termsPerIteration(loop);
    if (!trips || !inner)
      return;
    int64_t numChunks = std::min<int64_t>(
        {productChunks, productOutputs / (batch * outputsPerImage),
         *trips * *inner / minChunkTerms});
    if (numChunks < 2)
      return;
    int64_t iterations = llvm::divideCeil(*trips, numChunks);
    numChunks = llvm::divideCeil(*trips, iterations);
    rewriter.setInsertionPoint(generic);
    Location loc = generic.getLoc();
    Value chunks = rewriter.create<arith::ConstantIndexOp>(loc, numChunks);
    Value chunk = rewriter.create<arith::ConstantIndexOp>(loc, iterations);
    Value partial = buildPartialProducts(rewriter, generic, loop, chunk, chunks,
                                         /*guarded=*/*trips % iterations != 0);
    sumPartialSums(rewriter, generic, loop, partial, chunks);
  }

  /// The batch the batch's outputs are counted at: batchHint, else the
  /// model's training batch, else 128.
  int64_t assumedBatch() {
    if (batchHint > 0)
      return batchHint;
    auto module = getOperation()->getParentOfType<ModuleOp>();
    auto train =
        module ? module->getAttrOfType<DictionaryAttr>("cnn.train") : nullptr;
    int64_t batch = train ? cnnc::readTrainSection(train).batch : 0;
    return batch > 0 ? batch : kDefaultBatch;
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    int64_t batch = assumedBatch();
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    for (linalg::GenericOp generic : generics) {
      if (!generic.hasPureTensorSemantics() || generic.getNumResults() != 1 ||
          generic.getNumReductionLoops() != 0)
        continue;
      int64_t outputs = staticOutputs(generic);
      if (outputs == 0) {
        if (std::optional<int64_t> perImage = outputsPerImage(generic))
          splitStaticProduct(rewriter, generic, *perImage, batch);
        continue;
      }
      if (outputs >= minThreads) {
        splitProduct(rewriter, generic, outputs, productChunks);
        continue;
      }
      // A product onto few outputs (a dense layer's weight gradient) is
      // split the same way, in more chunks, rather than in chunks of
      // chunkSize images whose number the batch sets: so it can be tiled.
      if (splitProduct(rewriter, generic, outputs, batchChunks))
        continue;
      std::optional<LongSum> sum = longSum(generic, chunkSize);
      if (!sum)
        continue;
      scf::ForOp loop = sum->loop;
      rewriter.setInsertionPoint(generic);
      Location loc = generic.getLoc();
      Value chunk =
          rewriter.create<arith::ConstantIndexOp>(loc, sum->iterationsPerChunk);
      std::optional<int64_t> trips = staticTripCount(loop);
      Value numChunks =
          trips
              ? rewriter
                    .create<arith::ConstantIndexOp>(
                        loc, llvm::divideCeil(*trips, sum->iterationsPerChunk))
                    .getResult()
              : cnn::ceilDivIndex(rewriter, loc, loop.getUpperBound(),
                                  sum->iterationsPerChunk);
      Value partial =
          buildPartialSums(rewriter, generic, loop, chunk, numChunks);
      sumPartialSums(rewriter, generic, loop, partial, numChunks);
    }
  }
};

} // namespace
