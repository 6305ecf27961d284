//===- IRGen.h - checked model to cnn dialect IR ----------------*- C++ -*-===//
//
// Builds the cnn dialect module of a CheckedModel: the inference function,
// the loss function when the model has a loss, and the train settings as a
// module attribute. Every op carries the file:line:col of the call it came
// from, so later passes point at the model source.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_FRONTEND_IRGEN_H
#define CNNC_COMPILER_FRONTEND_IRGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace cnnc {

class Diagnostics;
struct CheckedModel;

/// Generates, for a model named `m`:
///
///   - `func.func @m(inputs..., params..., [seed])` returning the outputs.
///     Inputs are the ones a layer reads or `output` names, each with the
///     argument attribute `cnn.input = "<name>"`; parameters follow in layer
///     order with `cnn.param = "<layer>.weight"` (and `cnn.init` where the
///     layer chose its initialiser); models with dropout end with an i64
///     argument marked `cnn.seed`.
///   - with a loss, `func.func @m_loss` taking the same arguments followed by
///     the inputs only the loss reads (the labels), returning the 0-d loss.
///   - the module attribute `cnn.train`, a dictionary of the train settings
///     with defaults applied (optimizer, lr, ..., schedule, batch, epochs,
///     seed, init, loss).
///
/// The module is verified; null (after an error through `diags`) only if it
/// does not verify, which would be a bug of the front end.
mlir::OwningOpRef<mlir::ModuleOp> generateIR(const CheckedModel &model,
                                             mlir::MLIRContext &context,
                                             Diagnostics &diags);

} // namespace cnnc

#endif // CNNC_COMPILER_FRONTEND_IRGEN_H
