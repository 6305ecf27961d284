//===- ActivationOps.h - which cnn ops are activations ----------*- C++ -*-===//
//
// The fusion passes fold an activation op into the op before it, carrying it
// as an `act` attribute; this maps each activation op to that attribute.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_TRANSFORMS_ACTIVATIONOPS_H
#define CNNC_COMPILER_TRANSFORMS_ACTIVATIONOPS_H

#include "dialects/cnn/CNNOps.h"

#include <optional>

namespace mlir::cnn {

/// The activation `op` computes, or nothing when it is not one a fused op
/// can apply.
inline std::optional<Activation> activationOf(Operation *op) {
  if (isa<TanhOp>(op))
    return Activation::Tanh;
  if (isa<ScaledTanhOp>(op))
    return Activation::ScaledTanh;
  if (isa<ReluOp>(op))
    return Activation::Relu;
  if (isa<SigmoidOp>(op))
    return Activation::Sigmoid;
  return std::nullopt;
}

} // namespace mlir::cnn

#endif // CNNC_COMPILER_TRANSFORMS_ACTIVATIONOPS_H
