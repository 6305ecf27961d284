//===- Interpreter.h - evaluate a cnn-dialect function on the host -*- C++ -*-//
//
// The reference the end-to-end tests compare compiled models with: walks a
// `func.func` made of `cnn` ops in order and evaluates each with the plain
// loops of ReferenceOps.h. It shares no code with compiler/lowering; it reads
// the ops only through their ODS accessors.
//
// Backward and optimizer ops evaluate with ReferenceGradients.h, so the
// functions `cnn-differentiate` and `cnn-build-train-step` produce (several
// results per op, f32 and integer scalar operands) run like any other; their
// runtime operand shapes are checked with the dialect's forward shape rules
// (dialects/cnn/ShapeInference.h), as the backward ops' verifiers do.
//
// Semantics where the dialect leaves a choice:
//   - cnn.dropout is the identity (inference), whatever its rate and seed,
//     unless InterpretOptions::training asks for the training mask.
//   - cnn.avg_pool2d counts zero padding in the average (count_include_pad);
//     cnn.max_pool2d pads with −∞; output sizes round down (the dialect has
//     no ceil mode).
//   - besides cnn ops and func.return, it evaluates the integer scalar
//     arithmetic the front end emits for dropout seeds (arith.constant,
//     arith.addi), f32 scalar constants and f32 tensor constants.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_REFERENCE_INTERPRETER_H
#define CNNC_TEST_REFERENCE_INTERPRETER_H

#include "test/reference/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace cnnc::test {

/// How `interpret` evaluates the ops whose meaning depends on the mode.
struct InterpretOptions {
  /// cnn.dropout in training mode: ref::dropoutTraining (ReferenceGradients.h)
  /// with the runtime value of its seed operand and the f32 rate attribute
  /// widened to double. Off (the default): the identity, as in inference.
  bool training = false;
};

/// Evaluates `fn` on `args` and returns the operands of its func.return.
///
/// `args` binds the block arguments in order: f32 tensors as f32 HostTensors,
/// i32 tensors (labels) as int HostTensors, each matching the argument's
/// rank and static sizes (a dynamic size, such as the batch, takes the
/// tensor's). f32 scalar arguments (a learning rate) are one-element f32
/// HostTensors (`scalar(0.01)`). Integer scalar arguments (the i64 `cnn.seed`
/// of models with dropout, an optimizer's step) are either given like the
/// others, as a one-element HostTensor (`intTensor({}, {7})`), or all left
/// out of `args`, and then take `seed`.
///
/// Fails, with a message naming the op and its source location, on an op it
/// does not know, on operands whose runtime shapes break the op's rules (a
/// label out of range and an optimizer step below 1 included), or on a
/// result whose runtime shape differs from a static size of its type. A
/// returned integer scalar comes back as a 0-d int HostTensor, a returned f32
/// scalar as a 0-d f32 one.
llvm::Expected<std::vector<HostTensor>>
interpret(mlir::func::FuncOp fn, llvm::ArrayRef<HostTensor> args,
          int64_t seed = 0, const InterpretOptions &options = {});

} // namespace cnnc::test

#endif // CNNC_TEST_REFERENCE_INTERPRETER_H
