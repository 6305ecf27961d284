//===- ReferenceOps.h - the cnn ops as plain C++ loops ----------*- C++ -*-===//
//
// One function per `cnn` op, written from docs/dialect.md, CNNOps.td and
// PyTorch's definitions, never from compiler/lowering: the references the
// numeric lowering tests and the end-to-end tests compare compiled code with.
// Straight loop nests over HostTensor with double accumulation; inputs and
// results are f32 (labels i32).
//
// Each function expects operands the op's shape rules accept (ranks, matching
// sizes, windows that fit); the interpreter (Interpreter.h) checks runtime
// shapes before it calls them. Window sizes, strides, paddings and dilations
// are [height, width] pairs.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_REFERENCE_REFERENCEOPS_H
#define CNNC_TEST_REFERENCE_REFERENCEOPS_H

#include "test/reference/HostTensor.h"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace cnnc::test::ref {

using Pair = std::array<int64_t, 2>;

/// Attributes of cnn.conv2d (and the convolution of fused_conv_act_pool).
struct Conv2DParams {
  Pair stride{1, 1};
  Pair padding{0, 0};
  Pair dilation{1, 1};
  int64_t groups = 1;
  /// The [F][C] connection table: output map f reads input map c only where
  /// connections[f][c] holds. Empty: no table (every map of the group).
  std::vector<std::vector<bool>> connections;
};

/// Attributes of cnn.avg_pool2d / cnn.max_pool2d.
struct Pool2DParams {
  Pair kernel{1, 1};
  Pair stride{1, 1};
  Pair padding{0, 0};
};

/// Size of a sliding-window output along one axis, rounded down (PyTorch's
/// floor mode): (in + 2·padding − dilation·(kernel − 1) − 1) / stride + 1.
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padding, int64_t dilation = 1);

/// PyTorch's Conv2d (cross-correlation): input [N,C,H,W], weight
/// [F,C/groups,KH,KW], optional bias [F] → [N,F,OH,OW]. Zero padding. With a
/// connection table, groups is 1 and unconnected kernels count as zero.
HostTensor conv2d(const HostTensor &x, const HostTensor &w,
                  const HostTensor *bias, const Conv2DParams &p);

/// Average of each window, dividing by kernel height × width: padded cells
/// are zeros that count (PyTorch's default count_include_pad=True). Output
/// sizes round down (no ceil mode).
HostTensor avgPool2d(const HostTensor &x, const Pool2DParams &p);

/// Maximum of each window; padded cells are −∞, so they never win. Output
/// sizes round down.
HostTensor maxPool2d(const HostTensor &x, const Pool2DParams &p);

/// LeNet-5's trainable subsampling: the average of each window of channel c
/// (no padding) times coefficient[c], plus bias[c].
HostTensor subsample2d(const HostTensor &x, const HostTensor &coefficient,
                       const HostTensor &bias, Pair kernel, Pair stride);

/// The sum, in double, of the unpadded `kernel` window at output position
/// (i, j) of one map `width` wide: what subsample2d averages (and its
/// coefficient gradient weighs).
double windowSum(const float *map, int64_t width, int64_t i, int64_t j,
                 Pair kernel, Pair stride);

/// Element-wise activations, computed in double and rounded to f32.
HostTensor tanh(const HostTensor &x);
/// LeCun's 1.7159 · tanh(2x/3).
HostTensor scaledTanh(const HostTensor &x);
HostTensor relu(const HostTensor &x);
/// 1 / (1 + exp(−x)).
HostTensor sigmoid(const HostTensor &x);

/// The activations of cnn.fused_conv_act_pool (mlir::cnn::Activation).
enum class Activation { None, Tanh, ScaledTanh, Relu, Sigmoid };
HostTensor activate(const HostTensor &x, Activation act);

/// x [N,K] · wᵀ (w [M,K], PyTorch's Linear layout) + optional bias [M].
HostTensor dense(const HostTensor &x, const HostTensor &w,
                 const HostTensor *bias);

/// [N, d1, ..., dk] → [N, d1·...·dk], row-major order (the data unchanged).
HostTensor flatten(const HostTensor &x);

/// Element-wise sum of two tensors of one shape.
HostTensor add(const HostTensor &a, const HostTensor &b);

/// Joins tensors of one rank whose sizes agree everywhere but along `axis`.
HostTensor concat(const std::vector<const HostTensor *> &inputs, int64_t axis);

/// PyTorch's LocalResponseNorm over dimension 1 of [N, C, ...]:
/// b[c] = a[c] / (k + alpha / size · Σ a[c']²)^beta, c' from c − size/2 to
/// c + (size − 1)/2, clipped to the channels (alpha divided by size).
HostTensor localResponseNorm(const HostTensor &x, int64_t size, double alpha,
                             double beta, double k);

/// Inference semantics: the identity (a copy of `x`), whatever the rate and
/// seed. Training-mode masks are the compiled code's business; a reference
/// for them would have to copy its random number generator.
HostTensor dropout(const HostTensor &x, double rate);

/// exp(x) / Σ exp(x) along `axis` (max-subtracted, in double).
HostTensor softmax(const HostTensor &x, int64_t axis);
/// x − log Σ exp(x) along `axis`.
HostTensor logSoftmax(const HostTensor &x, int64_t axis);

/// −mean_n log_softmax(logits[n])[labels[n]] over logits [N,C] and i32
/// labels [N] in [0, C); a 0-d tensor (NaN for N = 0, as PyTorch).
HostTensor crossEntropy(const HostTensor &logits, const HostTensor &labels);

/// mean((prediction − target)²) over every element; a 0-d tensor.
HostTensor mse(const HostTensor &prediction, const HostTensor &target);

enum class PoolKind { Avg, Max };
struct FusedPool {
  PoolKind kind = PoolKind::Avg;
  Pool2DParams params;
};

/// cnn.fused_conv_act_pool: conv2d (bias included), then `act`, then the
/// pool when given; composed from the functions above.
HostTensor fusedConvActPool(const HostTensor &x, const HostTensor &w,
                            const HostTensor *bias, const Conv2DParams &conv,
                            Activation act,
                            const std::optional<FusedPool> &pool);

} // namespace cnnc::test::ref

#endif // CNNC_TEST_REFERENCE_REFERENCEOPS_H
