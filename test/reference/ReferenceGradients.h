//===- ReferenceGradients.h - cnn backward ops as plain loops ---*- C++ -*-===//
//
// One function per backward and optimizer op of CNNGradientOps.td, written
// from the ops' descriptions and PyTorch's definitions, never from
// compiler/lowering: the references the compiled gradients and updates are
// compared with. Loops over HostTensor with double accumulation; results f32.
//
// Like ReferenceOps.h, each function expects operands the op's rules accept;
// the interpreter checks runtime shapes first. `gy` is the gradient of the
// forward op's result (the ops' `grad_output`); attribute arguments are the
// forward op's.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_REFERENCE_REFERENCEGRADIENTS_H
#define CNNC_TEST_REFERENCE_REFERENCEGRADIENTS_H

#include "test/reference/HostTensor.h"
#include "test/reference/ReferenceOps.h"

#include <cstdint>
#include <vector>

namespace cnnc::test::ref {

//===----------------------------------------------------------------------===//
// Convolution, pooling, subsampling
//===----------------------------------------------------------------------===//

/// Gradient of conv2d w.r.t. its input [N, C, inputSize]: the transposed
/// convolution of gy [N, F, OH, OW] with w [F, C/groups, KH, KW]. The input's
/// channel count is (C/groups)·groups; unconnected kernels contribute nothing.
HostTensor conv2dBackwardInput(const HostTensor &gy, const HostTensor &w,
                               Pair inputSize, const Conv2DParams &p);

/// Gradient of conv2d w.r.t. its weight [F, C/groups, kernel], summed over
/// the batch; the entries of unconnected kernels are zero.
HostTensor conv2dBackwardWeight(const HostTensor &x, const HostTensor &gy,
                                Pair kernel, const Conv2DParams &p);

/// Gradient of a bias added along dimension 1: gy summed over every other
/// dimension ([N, F, ...] → [F]).
HostTensor biasBackward(const HostTensor &gy);

/// Gradient of avgPool2d: each gy element spread evenly over the KH·KW cells
/// of its window (padded cells count, and receive nothing).
HostTensor avgPool2dBackward(const HostTensor &gy, Pair inputSize,
                             const Pool2DParams &p);

/// Gradient of maxPool2d: each gy element goes to the input element that won
/// its window; on ties the first in row-major window order wins (PyTorch).
HostTensor maxPool2dBackward(const HostTensor &gy, const HostTensor &x,
                             const Pool2DParams &p);

/// Gradient of subsample2d w.r.t. its input: avgPool2dBackward (no padding)
/// scaled by coefficient[c].
HostTensor subsample2dBackwardInput(const HostTensor &gy,
                                    const HostTensor &coefficient, Pair kernel,
                                    Pair stride, Pair inputSize);

/// Gradient of subsample2d w.r.t. its coefficient [C]: Σ gy · window average.
/// (Its bias gradient is biasBackward.)
HostTensor subsample2dBackwardCoefficient(const HostTensor &gy,
                                          const HostTensor &x, Pair kernel,
                                          Pair stride);

//===----------------------------------------------------------------------===//
// Element-wise, dense, reshaping
//===----------------------------------------------------------------------===//

/// gy · act'(x), the derivative written from the forward OUTPUT y = act(x):
/// tanh 1 − y², scaled tanh (2/3)(1.7159 − y²/1.7159), relu [y > 0],
/// sigmoid y(1 − y), none 1.
HostTensor activationBackward(const HostTensor &gy, const HostTensor &y,
                              Activation act);

/// gy [N, M] · w [M, K] → [N, K].
HostTensor denseBackwardInput(const HostTensor &gy, const HostTensor &w);

/// gyᵀ [M, N] · x [N, K] → [M, K].
HostTensor denseBackwardWeight(const HostTensor &gy, const HostTensor &x);

/// [N, d1·...·dk] → [N, d1, ..., dk] (`sizes` = d1..dk), row-major; the
/// gradient of flatten.
HostTensor unflatten(const HostTensor &x, const std::vector<int64_t> &sizes);

/// Elements [offset, offset + size) of gy along `axis`: the gradient of the
/// concat input that filled them.
HostTensor concatBackward(const HostTensor &gy, int64_t axis, int64_t offset,
                          int64_t size);

//===----------------------------------------------------------------------===//
// Normalisation, softmax, losses, dropout
//===----------------------------------------------------------------------===//

/// Gradient of localResponseNorm w.r.t. its input x (same attributes).
HostTensor localResponseNormBackward(const HostTensor &gy, const HostTensor &x,
                                     int64_t size, double alpha, double beta,
                                     double k);

/// From the forward output y = softmax(x): y · (gy − Σ gy·y) along `axis`.
HostTensor softmaxBackward(const HostTensor &gy, const HostTensor &y,
                           int64_t axis);

/// From the forward output y = log_softmax(x): gy − exp(y) · Σ gy along
/// `axis`.
HostTensor logSoftmaxBackward(const HostTensor &gy, const HostTensor &y,
                              int64_t axis);

/// Gradient of the mean cross-entropy w.r.t. logits [N, C]:
/// (softmax(logits) − onehot(labels)) / N; labels i32 [N].
HostTensor crossEntropyBackward(const HostTensor &logits,
                                const HostTensor &labels);

/// Gradient of the mean squared error w.r.t. the prediction:
/// 2 · (prediction − target) / number of elements.
HostTensor mseBackward(const HostTensor &prediction, const HostTensor &target);

/// cnn.dropout in training mode, exactly this spec (all uint64, wrapping):
///   mix(z): z = (z ^ (z >> 30)) · 0xBF58476D1CE4E5B9;
///           z = (z ^ (z >> 27)) · 0x94D049BB133111EB; return z ^ (z >> 31)
///   i    = the element's row-major index in the whole tensor
///   u    = mix(seed + (i + 1) · 0x9E3779B97F4A7C15) >> 40   (24 bits)
///   keep = u >= (uint64)(rate · 16777216.0)
///   y    = keep ? x · (float)(1.0 / (1.0 − rate)) : 0
/// The product x · scale is one f32 multiplication. Its gradient is the same
/// function applied to gy with the same seed (the mask is fixed).
HostTensor dropoutTraining(const HostTensor &x, double rate, uint64_t seed);

//===----------------------------------------------------------------------===//
// Optimizer updates (in place), element-wise in f32 like PyTorch's CPU
// single-tensor (foreach=False) path
//===----------------------------------------------------------------------===//

/// torch.optim.SGD without momentum: param −= lr · (grad + weightDecay·param).
void sgdUpdate(HostTensor &param, const HostTensor &grad, float lr,
               float weightDecay);

/// torch.optim.SGD with momentum: g = grad + weightDecay·param; buffer = g at
/// step 1, else momentum·buffer + (1 − dampening)·g; g = nesterov ?
/// g + momentum·buffer : buffer; param −= lr·g. `step` counts from 1.
void sgdMomentumUpdate(HostTensor &param, const HostTensor &grad,
                       HostTensor &buffer, float lr, int64_t step,
                       float momentum, float dampening, bool nesterov,
                       float weightDecay);

/// torch.optim.Adam (L2 weight decay, not AdamW): g = grad + weightDecay·param;
/// m = beta1·m + (1 − beta1)·g; v = beta2·v + (1 − beta2)·g²;
/// param −= lr/(1 − beta1^step) · m / (sqrt(v)/sqrt(1 − beta2^step) + eps).
/// The bias corrections are computed in double, as PyTorch does.
void adamUpdate(HostTensor &param, const HostTensor &grad, HostTensor &expAvg,
                HostTensor &expAvgSq, float lr, int64_t step, float beta1,
                float beta2, float eps, float weightDecay);

} // namespace cnnc::test::ref

#endif // CNNC_TEST_REFERENCE_REFERENCEGRADIENTS_H
