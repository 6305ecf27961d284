//===- MatmulToVector.cpp - dense layers' matrix products as vector loops -===//
//
// The three products a dense layer needs, rewritten from linalg on tensors
// into scf loops over vector rows (row-major operands, the batch dynamic):
//
//   forward         C[m, n] += sum_k A[m, k] B[n, k]  (matmul_transpose_b)
//   input gradient  C[m, k] += sum_j A[m, j] B[j, k]  (matmul)
//   weight gradient C[n, k] += sum_m A[m, n] B[m, k]  (matmul_transpose_a)
//
// The forward product runs along k, where both operands are contiguous: a
// few output columns share each row load of A and are reduced once. The
// gradients run along C's rows, which B's rows match: a row tile of C stays
// in registers while every j adds a broadcast scalar times a row of B.
// cnn.fused_dense_act is the forward product with its bias and activation
// applied on the way (cnn-fused-to-vector).
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/VectorPatterns.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace mlir::cnn;
using namespace mlir::cnn::lowering;

namespace {

/// The widest row tile kept in registers: 128 floats are 8 AVX-512 or 16
/// AVX2 registers.
constexpr int64_t kRowTile = 128;
/// The vector length of the forward product's dot products.
constexpr int64_t kDotWidth = 16;
/// Output columns that share one row load of A in the forward product.
constexpr int64_t kColumnsPerTile = 4;

bool isF32Matrix(Value v, bool dynamicRowsAllowed) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() == 2 && type.getElementType().isF32() &&
         !type.isDynamicDim(1) && (dynamicRowsAllowed || !type.isDynamicDim(0));
}

int64_t dim(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

Value dimValue(OpBuilder &b, Location loc, Value v, unsigned i) {
  return b.create<tensor::DimOp>(loc, v, i);
}

/// C[i, :] += sum over j < `reach` of scalar(i, j) * row(j, k0) for every
/// row i < `rows` of C, one static row tile [k0, k0 + len) at a time.
Value accumulateRows(
    RowBuilder &rb, Value c, Value rows, Value reach, int64_t width,
    llvm::function_ref<Value(Value i, Value j)> scalar,
    llvm::function_ref<Value(VectorType, Value j, Value k0)> row) {
  return rb.loop(0, rows, 1, c, [&](Value i, ValueRange outs) {
    Value out = outs[0];
    for (int64_t k0 = 0; k0 < width; k0 += kRowTile) {
      auto type = VectorType::get({std::min(kRowTile, width - k0)},
                                  Float32Type::get(i.getContext()));
      Value at = rb.index(k0);
      Value acc = rb.read(type, out, {i, at});
      Value sum = rb.loop(0, reach, 1, acc, [&](Value j, ValueRange acc) {
        Value s = rb.splat(type, scalar(i, j));
        return SmallVector<Value>{rb.fma(s, row(type, j, at), acc[0])};
      })[0];
      out = rb.write(sum, out, {i, at});
    }
    return SmallVector<Value>{out};
  })[0];
}

/// What the forward product stores at C[m, n] given the dot product
/// A[m, :] . B[n, :] and C as the loops carry it.
using DotEpilogue =
    llvm::function_ref<Value(Value c, Value dot, Value m, Value n)>;

/// What is done to row m of C, as the loops carry it, once it is complete.
using RowEpilogue = llvm::function_ref<Value(Value c, Value m)>;

/// C[m, n] = epilogue(A[m, :] . B[n, :]) for every row m of `a` (dynamic
/// rows allowed) and every row n of `b`, along k where both are contiguous:
/// a few columns share each row load of A and are reduced once. Each row of
/// C is then passed to `rowEpilogue`, if given, while it is in the L1
/// cache.
Value forwardProduct(OpBuilder &builder, Location loc, Value a, Value b,
                     Value c, DotEpilogue epilogue,
                     RowEpilogue rowEpilogue = nullptr) {
  int64_t n = dim(b, 0), k = dim(b, 1);
  int64_t tile = 1;
  for (int64_t t = std::min(n, kColumnsPerTile); t > 1; --t)
    if (n % t == 0) {
      tile = t;
      break;
    }
  int64_t body = k - k % kDotWidth, tail = k % kDotWidth;

  RowBuilder rb(builder, loc);
  auto wide = VectorType::get({kDotWidth}, builder.getF32Type());
  Value zero = rb.splat(wide, rb.f32(0.0));
  Value rows = dimValue(builder, loc, a, 0);
  return rb.loop(0, rows, 1, c, [&](Value m, ValueRange outs) {
    SmallVector<Value> row =
        rb.loop(0, n, tile, outs, [&](Value n0, ValueRange outs) {
          SmallVector<Value> cols(tile);
          for (int64_t t = 0; t < tile; ++t)
            cols[t] = rb.add(n0, t);
          SmallVector<Value> acc(tile, zero);
          if (body > 0)
            acc =
                rb.loop(0, body, kDotWidth, acc, [&](Value k0, ValueRange acc) {
                  Value x = rb.read(wide, a, {m, k0});
                  SmallVector<Value> next(acc);
                  for (int64_t t = 0; t < tile; ++t)
                    next[t] =
                        rb.fma(x, rb.read(wide, b, {cols[t], k0}), next[t]);
                  return next;
                });
          Value out = outs[0];
          for (int64_t t = 0; t < tile; ++t) {
            Value total = rb.sum(acc[t]);
            if (tail > 0) {
              auto rest = VectorType::get({tail}, builder.getF32Type());
              Value at = rb.index(body);
              Value x = rb.read(rest, a, {m, at});
              Value y = rb.read(rest, b, {cols[t], at});
              total = rb.addf(
                  total, rb.sum(rb.fma(x, y, rb.splat(rest, rb.f32(0.0)))));
            }
            out =
                rb.insert(epilogue(out, total, m, cols[t]), out, {m, cols[t]});
          }
          return SmallVector<Value>{out};
        });
    if (rowEpilogue)
      row[0] = rowEpilogue(row[0], m);
    return row;
  })[0];
}

/// C[m, n] += A[m, :] . B[n, :] (matmul_transpose_b).
struct ForwardProductToVector : OpRewritePattern<linalg::MatmulTransposeBOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::MatmulTransposeBOp op,
                                PatternRewriter &rewriter) const override {
    Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
    Value c = op.getDpsInits()[0];
    if (!op.hasPureTensorSemantics() || !isF32Matrix(a, true) ||
        !isF32Matrix(b, false) || !isF32Matrix(c, true))
      return rewriter.notifyMatchFailure(op, "needs f32 [?, K] x [N, K]");
    RowBuilder rb(rewriter, op.getLoc());
    rewriter.replaceOp(
        op, forwardProduct(rewriter, op.getLoc(), a, b, c,
                           [&](Value out, Value dot, Value m, Value n) {
                             return rb.addf(rb.extract(out, {m, n}), dot);
                           }));
    return success();
  }
};

/// cnn.fused_dense_act: x . weight[n, :] + bias[n] stored from the dot
/// product's register, and each row of the result activated in 16-lane
/// chunks as soon as it is complete, while it is in the L1 cache, rather
/// than in a pass over the whole result after the product. (Activating
/// each dot product as it is stored runs tanh on scalars, which measured
/// slower than the unfused ops' vector pass.)
struct FusedDenseActToVector : OpRewritePattern<FusedDenseActOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FusedDenseActOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getInput(), w = op.getWeight();
    if (!isF32Matrix(x, true) || !isF32Matrix(w, false))
      return rewriter.notifyMatchFailure(op, "needs f32 [?, K] x [N, K]");
    Location loc = op.getLoc();
    RowBuilder rb(rewriter, loc);
    Value out =
        emptyLike(rewriter, loc, cast<RankedTensorType>(op.getType()), x);
    int64_t width = dim(w, 0);
    auto chunk = VectorType::get({rowChunkLanes(width)}, rewriter.getF32Type());
    auto biased = [&](Value, Value dot, Value, Value n) {
      return op.getBias() ? rb.addf(dot, rb.extract(op.getBias(), n)) : dot;
    };
    auto activated = [&](Value c, Value m) {
      for (int64_t s : rowChunkStarts(width)) {
        bool inBounds = s + chunk.getNumElements() <= width;
        Value v = rb.read(chunk, c, {m, rb.index(s)}, inBounds);
        c = rb.write(activate(rewriter, loc, op.getAct(), v), c,
                     {m, rb.index(s)}, inBounds);
      }
      return c;
    };
    rewriter.replaceOp(
        op, forwardProduct(rewriter, loc, x, w, out, biased, activated));
    return success();
  }
};

/// C[m, :] += sum_j A[m, j] B[j, :] (linalg.matmul).
struct InputGradientProductToVector : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
    Value c = op.getDpsInits()[0];
    if (!op.hasPureTensorSemantics() || !isF32Matrix(a, true) ||
        !isF32Matrix(b, false) || !isF32Matrix(c, true))
      return rewriter.notifyMatchFailure(op, "needs f32 [?, N] x [N, K]");
    Location loc = op.getLoc();
    RowBuilder rb(rewriter, loc);
    Value result = accumulateRows(
        rb, c, dimValue(rewriter, loc, a, 0), rb.index(dim(b, 0)), dim(b, 1),
        [&](Value m, Value j) {
          return rb.extract(a, {m, j});
        },
        [&](VectorType type, Value j, Value k0) {
          return rb.read(type, b, {j, k0});
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// C[n, :] += sum_m A[m, n] B[m, :] (matmul_transpose_a), summing over the
/// batch.
struct WeightGradientProductToVector
    : OpRewritePattern<linalg::MatmulTransposeAOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::MatmulTransposeAOp op,
                                PatternRewriter &rewriter) const override {
    Value a = op.getDpsInputs()[0], b = op.getDpsInputs()[1];
    Value c = op.getDpsInits()[0];
    if (!op.hasPureTensorSemantics() || !isF32Matrix(a, true) ||
        !isF32Matrix(b, true) || !isF32Matrix(c, false))
      return rewriter.notifyMatchFailure(op, "needs f32 [?, N] x [?, K]");
    Location loc = op.getLoc();
    RowBuilder rb(rewriter, loc);
    Value result = accumulateRows(
        rb, c, rb.index(dim(c, 0)), dimValue(rewriter, loc, a, 0), dim(c, 1),
        [&](Value n, Value m) {
          return rb.extract(a, {m, n});
        },
        [&](VectorType type, Value m, Value k0) {
          return rb.read(type, b, {m, k0});
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::cnn::lowering::populateFusedDenseToVectorPatterns(
    RewritePatternSet &patterns) {
  patterns.add<FusedDenseActToVector>(patterns.getContext());
}

void mlir::cnn::lowering::populateMatmulToVectorPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ForwardProductToVector, InputGradientProductToVector,
               WeightGradientProductToVector>(patterns.getContext());
}
