//===- GradientRules.h - one backward rule per forward cnn op ---*- C++ -*-===//
//
// Internal to cnn-differentiate. A rule sees one forward op and the gradient
// of its result, and emits the backward ops that give the gradient of each
// operand that needs one. The pass does the bookkeeping: which values need
// gradients, summing the contributions of a value used twice, the walk in
// reverse order.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_TRANSFORMS_GRADIENTRULES_H
#define CNNC_COMPILER_TRANSFORMS_GRADIENTRULES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace cnnc {

/// Whether an operand of the op being differentiated needs its gradient.
using NeedsGradient = llvm::function_ref<bool(mlir::Value)>;

/// Receives the gradient of one operand.
using AddGradient =
    llvm::function_ref<void(mlir::Value operand, mlir::Value gradient)>;

/// Emits the backward ops of `op` at `builder`'s insertion point, given
/// `gradOutput`, the gradient of its (single) result, and hands the gradient
/// of each operand that `needs` to `add`. Fails with an error at `op` for an
/// op without a rule.
mlir::LogicalResult emitGradient(mlir::OpBuilder &builder, mlir::Operation *op,
                                 mlir::Value gradOutput, NeedsGradient needs,
                                 AddGradient add);

/// Emits the gradient of the mean loss computed by `lossOp` (cross_entropy
/// or mse) with respect to its prediction operand.
mlir::FailureOr<mlir::Value> emitLossGradient(mlir::OpBuilder &builder,
                                              mlir::Operation *lossOp);

} // namespace cnnc

#endif // CNNC_COMPILER_TRANSFORMS_GRADIENTRULES_H
