//===- LoweringPatterns.h - pieces of the cnn-to-linalg pass ----*- C++ -*-===//
//
// Internal to compiler/lowering. cnn-to-linalg is split by pipeline piece:
// ConvPoolToLinalg.cpp lowers the spatial ops (conv2d, pooling, subsample2d,
// fused_conv_act_pool) and owns the tensor-building helpers they share with
// the rest; CNNToLinalg.cpp lowers the remaining ops and defines the pass.
// The training program's ops have their own files: SpatialGradientsToLinalg
// (conv, avg-pool and subsample backward), MaxPoolGradientToLinalg,
// GradientsToLinalg (the other backward ops), DropoutToLinalg (the mask) and
// OptimizersToLinalg (SGD, Adam). LoweringPatterns.cpp has the reductions,
// generics and shape checks that several of them share.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_LOWERING_LOWERINGPATTERNS_H
#define CNNC_COMPILER_LOWERING_LOWERINGPATTERNS_H

#include "dialects/cnn/CNNOps.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

#include <cstdint>
#include <utility>

namespace mlir::cnn {

/// Adds the patterns for conv2d, avg/max_pool2d, subsample2d and
/// fused_conv_act_pool.
void populateConvPoolToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns that lower conv2d and its gradients as dense products
/// when the kernel covers the whole unpadded input (benefit 2, before the
/// general ones).
void populateWholeInputConvToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns for conv2d_backward_input/weight, avg_pool2d_backward
/// and subsample2d_backward_input/coefficient.
void populateSpatialGradientsToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the pattern for max_pool2d_backward.
void populateMaxPoolGradientToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns for the non-spatial backward ops (activations, bias,
/// fused_pool_act_backward as the chain it fuses,
/// dense, unflatten, concat, LRN, softmax, losses).
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

/// `act` of one f32 value, scalar or vector (`x` itself for None).
Value activate(OpBuilder &b, Location loc, Activation act, Value x);

/// gy · act'(x), the derivative written in the forward output y = act(x)
/// as cnn.activation_backward defines it; scalars or vectors.
Value activationGradient(OpBuilder &b, Location loc, Activation act, Value gy,
                         Value y);

//===----------------------------------------------------------------------===//
// Defined in LoweringPatterns.cpp
//===----------------------------------------------------------------------===//

/// The body of a linalg.generic: the block arguments in, the yielded value
/// out.
using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// One linalg.generic yielding `body(args)` at every element of a tensor of
/// `type` (dynamic sizes read from `like`); input i is read through
/// `maps[i]`, the result through the identity.
Value generic(OpBuilder &b, Location loc, RankedTensorType type,
              ValueRange inputs, ArrayRef<AffineMap> maps, Value like,
              BodyFn body);

/// `generic` over inputs that all have the result's shape.
Value elementwise(OpBuilder &b, Location loc, ValueRange inputs, BodyFn body);

/// The identity map of `rank` dims with `axis` dropped.
AffineMap dropDim(OpBuilder &b, unsigned rank, int64_t axis);

/// Folds `combine(inputs..., acc)` along `axis`, starting from `init`, into
/// a tensor without that dimension. `inputs[0]` has the full shape; an input
/// of one rank less is a row value (like the result) read at every element
/// of its row.
Value reduceAxis(OpBuilder &b, Location loc, ValueRange inputs, int64_t axis,
                 Value init, BodyFn combine);

/// Σ `term(inputs...)` along `axis`, as `reduceAxis` from zero.
Value sumAxis(OpBuilder &b, Location loc, ValueRange inputs, int64_t axis,
              BodyFn term);

/// Row maximum and sum of exp(x - max) along `axis`: the two reductions that
/// softmax, log_softmax and cross-entropy (and its gradient) share.
/// Subtracting the maximum keeps exp from overflowing for large logits.
std::pair<Value, Value> maxAndSumExp(OpBuilder &b, Location loc, Value input,
                                     int64_t axis);

/// The number of elements of `value` as an f32 scalar (dynamic sizes read
/// at run time): the divisor of the mean losses and their gradients.
Value elementCount(OpBuilder &b, Location loc, Value value);

/// out[n, c, h, w] = Σ_j in[n, c - low + j, h, w] over a window of `size`
/// channels, channels outside [0, C) reading zero: the channel sums of LRN.
Value channelWindowSum(OpBuilder &b, Location loc, Value input, int64_t size,
                       int64_t low);

/// The static size of dimension `i` of the ranked tensor `v`.
int64_t dimOf(Value v, int64_t i);

/// Whether every dimension but the batch (0) of each of `values` is static:
/// what the spatial backward ops need to lay out their index arithmetic.
bool staticButBatch(ValueRange values);

/// A zero-filled tensor.empty of `type`, dynamic sizes read from `like`.
Value zerosLike(OpBuilder &b, Location loc, RankedTensorType type, Value like);

//===----------------------------------------------------------------------===//
// Defined in StridedConvPhases.cpp
//===----------------------------------------------------------------------===//

/// Whether a convolution with these attributes is computed at unit stride
/// over its input's stride phases (ungrouped, undilated, strided, at most
/// twice the multiply-adds).
bool phasesMakeUnitStride(ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                          ArrayRef<int64_t> dilation, int64_t groups);

/// The (padded) input [N, C, H, W] of a convolution with `kernel` and
/// `stride` as x' [N, C·s_h·s_w, OH + Qh - 1, OW + Qw - 1] (Q = ⌈K/s⌉),
/// x'[n, (c, py, px), qy, qx] = x[n, c, s_h·qy + py, s_w·qx + px], zero
/// beyond x: the input of the unit-stride convolution over phases.
Value splitInputPhases(OpBuilder &b, Location loc, Value padded,
                       ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
                       ArrayRef<int64_t> outputSize);

/// The convolution of the (padded) `input` with `weight` at `stride`, added
/// to `init`, as a unit-stride convolution over their phases.
Value convByPhases(OpBuilder &b, Location loc, Value padded, Value weight,
                   Value init, ArrayRef<int64_t> stride);

/// The inverse of splitPhases for a weight: [F, C·s_h·s_w, Qh, Qw] ->
/// [F, C, kernel[0], kernel[1]], the zero padding cut off.
Value joinKernelPhases(OpBuilder &b, Location loc, Value phased,
                       ArrayRef<int64_t> stride, ArrayRef<int64_t> kernel);

} // namespace lowering
} // namespace mlir::cnn

#endif // CNNC_COMPILER_LOWERING_LOWERINGPATTERNS_H
