//===- ReferenceOptimizers.cpp - cnn optimizer updates as plain loops -----===//
//
// The optimizer updates of ReferenceGradients.h. Unlike the gradients, they
// repeat PyTorch's f32 element-wise operations one by one (each product and
// sum rounded to f32; this file is compiled with -ffp-contract=off so none is
// fused).
//
//===----------------------------------------------------------------------===//

#include "test/reference/ReferenceGradients.h"

#include <cmath>

namespace cnnc::test::ref {

// torch.optim's _single_tensor_sgd / _single_tensor_adam on f32 tensors, one
// rounded f32 operation per tensor op: `a.add(b, alpha=s)` is a + s·b,
// `lerp_(b, w)` (w < 0.5) is a + w·(b − a), `addcmul_(b, c, value=s)` is
// a + s·b·c and `addcdiv_(b, c, value=s)` is a + s·b / c, evaluated left to
// right. Python-float scalars (lr, 1 − dampening, step size) reach the
// kernels as f32.

namespace {

/// `grad.add(param, alpha=weight_decay)`, skipped at weight decay 0.
float decayed(float grad, float param, float weightDecay) {
  return weightDecay != 0.0f ? grad + weightDecay * param : grad;
}

} // namespace

void sgdUpdate(HostTensor &param, const HostTensor &grad, float lr,
               float weightDecay) {
  for (size_t i = 0; i < param.data.size(); ++i) {
    float g = decayed(grad.data[i], param.data[i], weightDecay);
    param.data[i] = param.data[i] + (-lr) * g;
  }
}

void sgdMomentumUpdate(HostTensor &param, const HostTensor &grad,
                       HostTensor &buffer, float lr, int64_t step,
                       float momentum, float dampening, bool nesterov,
                       float weightDecay) {
  float keep = static_cast<float>(1.0 - static_cast<double>(dampening));
  for (size_t i = 0; i < param.data.size(); ++i) {
    float g = decayed(grad.data[i], param.data[i], weightDecay);
    float &buf = buffer.data[i];
    buf = step <= 1 ? g : buf * momentum + keep * g;
    g = nesterov ? g + momentum * buf : buf;
    param.data[i] = param.data[i] + (-lr) * g;
  }
}

void adamUpdate(HostTensor &param, const HostTensor &grad, HostTensor &expAvg,
                HostTensor &expAvgSq, float lr, int64_t step, float beta1,
                float beta2, float eps, float weightDecay) {
  double b1 = beta1, b2 = beta2, t = static_cast<double>(step);
  double biasCorrection1 = 1.0 - std::pow(b1, t);
  double biasCorrection2Sqrt = std::sqrt(1.0 - std::pow(b2, t));
  float stepSize = static_cast<float>(
      -(static_cast<double>(lr) / biasCorrection1)); // value=-step_size
  float correction2 = static_cast<float>(biasCorrection2Sqrt);
  float weight1 = static_cast<float>(1.0 - b1);
  float weight2 = static_cast<float>(1.0 - b2);
  for (size_t i = 0; i < param.data.size(); ++i) {
    float g = decayed(grad.data[i], param.data[i], weightDecay);
    float &m = expAvg.data[i], &v = expAvgSq.data[i];
    // lerp_ with weight 1 − beta1; PyTorch switches formula at weight 0.5.
    m = weight1 < 0.5f ? m + weight1 * (g - m) : g - (g - m) * (1.0f - weight1);
    v = v * beta2;
    v = v + weight2 * g * g;
    float denom = std::sqrt(v) / correction2 + eps;
    param.data[i] = param.data[i] + stepSize * m / denom;
  }
}

} // namespace cnnc::test::ref
