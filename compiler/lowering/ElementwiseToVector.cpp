//===- ElementwiseToVector.cpp - element-wise generics along image rows ---===//
//
// The element-wise work between the convolutions (activations and their
// gradients, bias broadcasts, scaling after pooling, losses, the optimizer
// updates) is linalg.generic with projected-permutation maps. Each such op
// is tiled to single rows, every loop but the innermost by one (which also
// makes the dynamic batch static inside a tile), and the linalg vectorizer
// turns each row into 1-D vector ops: the innermost dimension is the
// contiguous one in NCHW and in the flat parameter buffers. Leading unit
// dimensions are then cast away so that the rows are plain vector<W>.
//
// Ops whose body reads a tensor (gathers) or an index, whose innermost loop
// is dynamic
// or has no divisor between kMinRow and kMaxRow, or that reduce across rows
// into a row are left alone.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/VectorPatterns.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;

namespace {

/// The longest row vectorized in one piece; longer innermost loops (the
/// flat optimizer buffers) are cut into rows of a divisor of their length
/// up to this, or left scalar when none is large enough.
constexpr int64_t kMaxRow = 256;
constexpr int64_t kMinRow = 8;
/// Rows shorter than this (a [N, 120, 1, 1] map) stay scalar: one-element
/// vectors only add overhead.
constexpr int64_t kMinShortRow = 4;

int64_t rowLength(int64_t n) {
  if (n < kMinShortRow)
    return 0;
  if (n <= kMaxRow)
    return n;
  for (int64_t d = kMaxRow; d >= kMinRow; --d)
    if (n % d == 0)
      return d;
  return 0;
}

/// Whether `op` is a generic this file vectorizes: projected-permutation
/// maps, no tensor reads in its body, a static innermost loop of a usable
/// row length, and not already a single row.
bool isRowVectorizable(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      !llvm::all_of(op.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isProjectedPermutation(); }))
    return false;
  // Gathers, and index arithmetic (dropout's hash, one-hot labels): the
  // cleanup patterns of VectorizeCPU.cpp do not settle on the index vectors
  // the vectorizer makes of linalg.index.
  if (op.getBody()
          ->walk([](Operation *inner) {
            return isa<tensor::ExtractOp, linalg::IndexOp>(inner)
                       ? WalkResult::interrupt()
                       : WalkResult::advance();
          })
          .wasInterrupted())
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t inner = ranges.back();
  if (ShapedType::isDynamic(inner) || rowLength(inner) == 0)
    return false;
  // A reduction must run along the row (a row sum); one across rows with a
  // parallel row (the dense bias gradient) would vectorize as a reduction
  // of unit length, which the cleanup patterns do not settle.
  auto iterators = op.getIteratorTypesArray();
  return iterators.back() == utils::IteratorType::reduction ||
         llvm::all_of(iterators, [](utils::IteratorType t) {
           return t == utils::IteratorType::parallel;
         });
}

/// Tiles `op` to rows and vectorizes each tile; leaves it as it is when
/// tiling fails or a tile is not static.
void tileAndVectorizeRows(RewriterBase &rewriter, linalg::GenericOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t row = rowLength(ranges.back());
  SmallVector<int64_t> tiles(ranges.size(), 1);
  tiles.back() = row == ranges.back() ? 0 : row;
  for (auto [i, range] : llvm::enumerate(ranges))
    if (range == 1)
      tiles[i] = 0;

  linalg::LinalgOp tile = op;
  if (llvm::any_of(tiles, [](int64_t t) { return t != 0; })) {
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), tiles));
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      return;
    rewriter.replaceOp(op, tiled->replacements);
    tile = dyn_cast<linalg::LinalgOp>(tiled->tiledOps.front());
  }
  if (!tile || tile.hasDynamicShape() ||
      failed(linalg::vectorizeOpPrecondition(tile)))
    return;
  rewriter.setInsertionPoint(tile);
  (void)linalg::vectorize(rewriter, tile);
}

} // namespace

void mlir::cnn::lowering::vectorizeElementwiseRows(func::FuncOp func) {
  SmallVector<linalg::GenericOp> candidates;
  func.walk([&](linalg::GenericOp op) {
    if (isRowVectorizable(op))
      candidates.push_back(op);
  });
  IRRewriter rewriter(func.getContext());
  for (linalg::GenericOp op : candidates)
    tileAndVectorizeRows(rewriter, op);
}
