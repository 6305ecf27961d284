//===- TrainingDescription.h - the training entries of a model --*- C++ -*-===//
//
// Read from the module after cnn-build-train-step: which function trains and
// which evaluates, what each of their arguments is, the optimizer's state
// buffers and the `train` section's settings, for the model record.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_CODEGEN_TRAININGDESCRIPTION_H
#define CNNC_COMPILER_CODEGEN_TRAININGDESCRIPTION_H

#include "compiler/codegen/ModelDescription.h"

namespace cnnc {

/// Fills `model.training` from the `@<model>_train_step` and
/// `@<model>_evaluate` functions of `module`, when the module has a `train`
/// section; leaves it empty otherwise. Fails with an error at the function
/// whose arguments the ABI cannot describe.
mlir::LogicalResult describeTraining(mlir::ModuleOp module,
                                     ModelDescription &model);

} // namespace cnnc

#endif // CNNC_COMPILER_CODEGEN_TRAININGDESCRIPTION_H
