//===- DropoutToLinalg.cpp - dropout's training mask to linalg ------------===//
//
// cnn-to-linalg always lowers cnn.dropout to its seeded training mask; the
// inference and evaluation programs never reach it, because
// cnn-remove-dropout makes dropout the identity in every function not
// marked cnn.training. The mask is a pure function of the seed and the
// element's index, specified bit for bit in docs/dialect.md so that any
// implementation (the reference, a GPU kernel) drops the same units.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <cstdint>

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

/// Dropout's training mask, bit for bit as docs/dialect.md specifies it:
/// element i (row-major over the whole tensor) is kept when the top 24 bits
/// of splitmix64's finaliser applied to seed + (i + 1)·golden are at least
/// rate·2^24, and kept elements are scaled by 1/(1 - rate). Both thresholds
/// are compile-time constants, so rate 0 is the identity without a mask.
struct DropoutLowering : OpRewritePattern<DropoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DropoutOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    double rate = op.getRate().convertToDouble();
    if (rate == 0.0) {
      rewriter.replaceOp(op, x);
      return success();
    }
    auto threshold = static_cast<uint64_t>(rate * 16777216.0);
    auto scale = static_cast<float>(1.0 / (1.0 - rate));
    auto type = cast<RankedTensorType>(x.getType());
    // The linear index needs every size but the outermost.
    SmallVector<Value> sizes = {Value()};
    for (int64_t d = 1, e = type.getRank(); d < e; ++d)
      sizes.push_back(getValueOrCreateConstantIndexOp(
          rewriter, loc, tensor::getMixedSize(rewriter, loc, x, d)));
    Value seed = op.getSeed();
    Value result = mapElements(
        rewriter, loc, x, [&](OpBuilder &nb, Location l, Value element) {
          auto i64 = [&](uint64_t v) -> Value {
            return nb.create<arith::ConstantOp>(
                l, nb.getI64IntegerAttr(static_cast<int64_t>(v)));
          };
          // Row-major linear index from the per-dimension indices.
          int64_t rank = type.getRank();
          Value linear = rank == 0
                             ? Value(nb.create<arith::ConstantIndexOp>(l, 0))
                             : Value(nb.create<linalg::IndexOp>(l, 0));
          for (int64_t d = 1; d < rank; ++d) {
            Value scaled = nb.create<arith::MulIOp>(l, linear, sizes[d]);
            linear = nb.create<arith::AddIOp>(l, scaled,
                                              nb.create<linalg::IndexOp>(l, d));
          }
          Value i = nb.create<arith::IndexCastUIOp>(l, nb.getI64Type(), linear);
          // All arithmetic wraps modulo 2^64 (no overflow flags).
          Value z = nb.create<arith::AddIOp>(
              l, seed,
              nb.create<arith::MulIOp>(l,
                                       nb.create<arith::AddIOp>(l, i, i64(1)),
                                       i64(0x9E3779B97F4A7C15ULL)));
          auto xorShift = [&](Value v, uint64_t shift) -> Value {
            return nb.create<arith::XOrIOp>(
                l, v, nb.create<arith::ShRUIOp>(l, v, i64(shift)));
          };
          z = nb.create<arith::MulIOp>(l, xorShift(z, 30),
                                       i64(0xBF58476D1CE4E5B9ULL));
          z = nb.create<arith::MulIOp>(l, xorShift(z, 27),
                                       i64(0x94D049BB133111EBULL));
          z = xorShift(z, 31);
          Value u = nb.create<arith::ShRUIOp>(l, z, i64(40));
          Value keep = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::uge, u,
                                                i64(threshold));
          Value kept =
              nb.create<arith::MulFOp>(l, element, f32Const(nb, l, scale));
          return nb.create<arith::SelectOp>(l, keep, kept, f32Const(nb, l, 0.0))
              .getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::cnn::populateDropoutToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<DropoutLowering>(patterns.getContext());
}
