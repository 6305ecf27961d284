//===- Passes.h - lowering passes from cnn to upstream MLIR -----*- C++ -*-===//
//
// Declarations generated from Passes.td: the pass classes' options, their
// create functions, and registerCNNLoweringPasses() for cnnc-opt.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_LOWERING_PASSES_H
#define CNNC_COMPILER_LOWERING_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::cnn {

#define GEN_PASS_DECL
#include "compiler/lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/lowering/Passes.h.inc"

} // namespace mlir::cnn

#endif // CNNC_COMPILER_LOWERING_PASSES_H
