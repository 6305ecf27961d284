//===- Passes.h - passes on the cnn dialect ---------------------*- C++ -*-===//
//
// Declarations generated from Passes.td: create functions and
// registerCNNTransformsPasses() for cnnc-opt.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_TRANSFORMS_PASSES_H
#define CNNC_COMPILER_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::cnn {

#define GEN_PASS_DECL
#include "compiler/transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/transforms/Passes.h.inc"

} // namespace mlir::cnn

#endif // CNNC_COMPILER_TRANSFORMS_PASSES_H
