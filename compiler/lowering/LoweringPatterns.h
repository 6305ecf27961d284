//===- LoweringPatterns.h - pieces of the cnn-to-linalg pass ----*- C++ -*-===//
//
// Internal to compiler/lowering. cnn-to-linalg is split by pipeline piece:
// ConvPoolToLinalg.cpp lowers the spatial ops (conv2d, pooling, subsample2d,
// fused_conv_act_pool) and owns the tensor-building helpers they share with
// the rest; CNNToLinalg.cpp lowers the remaining ops and defines the pass.
// The training program's ops have their own files: SpatialGradientsToLinalg
// (conv, avg-pool and subsample backward, with the helpers below it
// defines), MaxPoolGradientToLinalg, GradientsToLinalg (the other backward
// ops), DropoutToLinalg (the mask) and OptimizersToLinalg (SGD, Adam).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_LOWERING_LOWERINGPATTERNS_H
#define CNNC_COMPILER_LOWERING_LOWERINGPATTERNS_H

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::cnn {

/// Adds the patterns for conv2d, avg/max_pool2d, subsample2d and
/// fused_conv_act_pool.
void populateConvPoolToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns for conv2d_backward_input/weight, avg_pool2d_backward
/// and subsample2d_backward_input/coefficient.
void populateSpatialGradientsToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the pattern for max_pool2d_backward.
void populateMaxPoolGradientToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns for the non-spatial backward ops (activations, bias,
/// dense, unflatten, LRN, softmax, losses).
void populateGradientsToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the pattern lowering cnn.dropout to its training mask.
void populateDropoutToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns for sgd_update, sgd_momentum_update and adam_update.
void populateOptimizersToLinalgPatterns(RewritePatternSet &patterns);

namespace lowering {

/// The sizes of `value`, as constants where static and tensor.dim where not.
SmallVector<OpFoldResult> getSizes(OpBuilder &b, Location loc, Value value);

/// A tensor.empty of `type` whose dynamic sizes are read from `like` at the
/// same positions.
Value emptyLike(OpBuilder &b, Location loc, RankedTensorType type, Value like);

Value f32Const(OpBuilder &b, Location loc, double value);
Value negInf(OpBuilder &b, Location loc);
Value fill(OpBuilder &b, Location loc, Value scalar, Value init);
SmallVector<utils::IteratorType> parallel(unsigned n);

/// Pads `input` by `low`/`high` elements per dimension with `padValue`.
Value padWith(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
              ArrayRef<int64_t> high, Value padValue);

/// Pads dimensions 2 and 3 of an NCHW tensor symmetrically with `padValue`.
Value padHW(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> padding,
            Value padValue);

/// Applies `body(x)` to every element of `input`.
Value mapElements(OpBuilder &b, Location loc, Value input,
                  function_ref<Value(OpBuilder &, Location, Value)> body);

/// A tensor of `type` holding `vec[d]` wherever the index along `dim` is d.
Value broadcastAlong(OpBuilder &b, Location loc, Value vec,
                     RankedTensorType type, unsigned dim, Value like);

/// `act` applied element-wise to `input` (the input itself for None).
Value applyActivation(OpBuilder &b, Location loc, Activation act, Value input);

/// Whether every dimension of `v` but the batch (0) is static: what the
/// spatial backward ops need to lay out their index arithmetic.
bool staticButBatch(Value v);

/// A zero-filled tensor.empty of `type`, dynamic sizes read from `like`.
Value zerosLike(OpBuilder &b, Location loc, RankedTensorType type, Value like);

} // namespace lowering
} // namespace mlir::cnn

#endif // CNNC_COMPILER_LOWERING_LOWERINGPATTERNS_H
