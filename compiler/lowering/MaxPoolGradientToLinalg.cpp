//===- MaxPoolGradientToLinalg.cpp - max_pool2d_backward to linalg --------===//
//
// The gradient of max pooling routes each grad_output element to its
// window's winner. A scatter (gx[winner] += gy) would be a read-modify-write
// that bufferization and later parallel schedules cannot handle, so it is
// written as a gather in two linalg.generic ops: every window's winner,
// then every input element summing the grad_output of the windows it won.
// Channel and spatial sizes must be static; the batch may be dynamic.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/LoweringPatterns.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstdint>
#include <limits>

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

/// Two passes. (1) Each window's winner as its row-major tap index
/// kh·KW + kw, over the -inf-padded input; a strictly greater value or an
/// equal one at a smaller tap wins, so the first maximum wins whatever order
/// a later schedule reduces in. (2) Input element h gathers over the windows
/// that may hold it, oh = (h + p) floordiv s - j for j < ceil(K/s) (tap
/// kh = (h + p) mod s + j·s), the grad_output of those whose winner is kh;
/// grad_output and winners are padded (winner -1) so every such oh is in
/// bounds.
struct MaxPool2DBackwardLowering : OpRewritePattern<MaxPool2DBackwardOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxPool2DBackwardOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value gy = op.getGradOutput(), x = op.getInput();
    if (!staticButBatch({gy, x}))
      return rewriter.notifyMatchFailure(op, "needs static C, H, W");
    ArrayRef<int64_t> k = op.getKernel(), s = op.getStride(),
                      p = op.getPadding();
    MLIRContext *ctx = rewriter.getContext();
    Type i32 = rewriter.getI32Type();
    auto i32Const = [&](OpBuilder &b, Location l, int64_t v) -> Value {
      return b.create<arith::ConstantOp>(l, b.getI32IntegerAttr(v));
    };
    auto gyType = cast<RankedTensorType>(gy.getType());
    AffineExpr d0 = rewriter.getAffineDimExpr(0),
               d1 = rewriter.getAffineDimExpr(1),
               d2 = rewriter.getAffineDimExpr(2),
               d3 = rewriter.getAffineDimExpr(3),
               d4 = rewriter.getAffineDimExpr(4),
               d5 = rewriter.getAffineDimExpr(5);
    SmallVector<utils::IteratorType> it = parallel(6);
    it[4] = it[5] = utils::IteratorType::reduction;

    // (1) Iteration (n, c, oh, ow, kh, kw).
    Value minusInf = negInf(rewriter, loc);
    Value padded = padHW(rewriter, loc, x, p, minusInf);
    auto winnerType = RankedTensorType::get(gyType.getShape(), i32);
    Value maxInit =
        fill(rewriter, loc, minusInf, emptyLike(rewriter, loc, gyType, gy));
    Value winnerInit =
        fill(rewriter, loc,
             i32Const(rewriter, loc, std::numeric_limits<int32_t>::max()),
             emptyLike(rewriter, loc, winnerType, gy));
    AffineMap out = AffineMap::get(6, 0, {d0, d1, d2, d3}, ctx);
    auto argmax = rewriter.create<linalg::GenericOp>(
        loc, TypeRange{gyType, winnerType},
        ValueRange{padded, rewriter.create<tensor::EmptyOp>(
                               loc, k, rewriter.getF32Type())},
        ValueRange{maxInit, winnerInit},
        ArrayRef<AffineMap>{
            AffineMap::get(6, 0, {d0, d1, d2 * s[0] + d4, d3 * s[1] + d5}, ctx),
            AffineMap::get(6, 0, {d4, d5}, ctx), out, out},
        it, [&](OpBuilder &nb, Location l, ValueRange args) {
          Value v = args[0], best = args[2], winner = args[3];
          Value tap = nb.create<arith::AddIOp>(
              l,
              nb.create<arith::MulIOp>(
                  l, nb.create<linalg::IndexOp>(l, 4),
                  nb.create<arith::ConstantIndexOp>(l, k[1])),
              nb.create<linalg::IndexOp>(l, 5));
          tap = nb.create<arith::IndexCastOp>(l, i32, tap);
          Value greater =
              nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, v, best);
          Value equal =
              nb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OEQ, v, best);
          Value earlier = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt,
                                                   tap, winner);
          Value wins = nb.create<arith::OrIOp>(
              l, greater, nb.create<arith::AndIOp>(l, equal, earlier));
          nb.create<linalg::YieldOp>(
              l, ValueRange{nb.create<arith::SelectOp>(l, wins, v, best),
                            nb.create<arith::SelectOp>(l, wins, tap, winner)});
        });

    // (2) Iteration (n, c, h, w, jh, jw).
    SmallVector<int64_t> reach, low = {0, 0}, high = {0, 0};
    for (int i = 0; i < 2; ++i) {
      reach.push_back(llvm::divideCeil(k[i], s[i]));
      int64_t lastWindow = (dimOf(x, 2 + i) - 1 + p[i]) / s[i];
      low.push_back(reach[i] - 1);
      high.push_back(
          std::max<int64_t>(0, lastWindow - (gyType.getDimSize(2 + i) - 1)));
    }
    Value gyPadded =
        padWith(rewriter, loc, gy, low, high, f32Const(rewriter, loc, 0.0));
    Value winners = padWith(rewriter, loc, argmax.getResult(1), low, high,
                            i32Const(rewriter, loc, -1));
    AffineMap window =
        AffineMap::get(6, 0,
                       {d0, d1, (d2 + p[0]).floorDiv(s[0]) - d4 + low[2],
                        (d3 + p[1]).floorDiv(s[1]) - d5 + low[3]},
                       ctx);
    auto type = cast<RankedTensorType>(op.getType());
    Value grad =
        rewriter
            .create<linalg::GenericOp>(
                loc, type,
                ValueRange{gyPadded, winners,
                           rewriter.create<tensor::EmptyOp>(
                               loc, reach, rewriter.getF32Type())},
                zerosLike(rewriter, loc, type, x),
                ArrayRef<AffineMap>{window, window,
                                    AffineMap::get(6, 0, {d4, d5}, ctx), out},
                it,
                [&](OpBuilder &nb, Location l, ValueRange args) {
                  // The tap of (h, w) in the candidate window, if inside it.
                  Value inside;
                  Value tap;
                  for (int i = 0; i < 2; ++i) {
                    auto index = [&](int64_t v) -> Value {
                      return nb.create<arith::ConstantIndexOp>(l, v);
                    };
                    Value pos = nb.create<arith::AddIOp>(
                        l, nb.create<linalg::IndexOp>(l, 2 + i), index(p[i]));
                    Value t = nb.create<arith::AddIOp>(
                        l, nb.create<arith::RemUIOp>(l, pos, index(s[i])),
                        nb.create<arith::MulIOp>(
                            l, nb.create<linalg::IndexOp>(l, 4 + i),
                            index(s[i])));
                    Value ok = nb.create<arith::CmpIOp>(
                        l, arith::CmpIPredicate::ult, t, index(k[i]));
                    inside =
                        inside ? nb.create<arith::AndIOp>(l, inside, ok) : ok;
                    tap =
                        tap ? nb.create<arith::AddIOp>(
                                  l,
                                  nb.create<arith::MulIOp>(l, tap, index(k[1])),
                                  t)
                            : t;
                  }
                  Value won = nb.create<arith::CmpIOp>(
                      l, arith::CmpIPredicate::eq, args[1],
                      nb.create<arith::IndexCastOp>(l, i32, tap));
                  Value take = nb.create<arith::AndIOp>(l, inside, won);
                  Value add = nb.create<arith::SelectOp>(l, take, args[0],
                                                         f32Const(nb, l, 0.0));
                  nb.create<linalg::YieldOp>(
                      l, nb.create<arith::AddFOp>(l, args[3], add).getResult());
                })
            .getResult(0);
    rewriter.replaceOp(op, grad);
    return success();
  }
};

} // namespace

void mlir::cnn::populateMaxPoolGradientToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<MaxPool2DBackwardLowering>(patterns.getContext());
}
