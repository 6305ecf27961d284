//===- Passes.h - mapping the model onto CUDA kernels -----------*- C++ -*-===//
//
// Declarations generated from Passes.td: the pass classes' options, their
// create functions, and registerCNNGPUPasses() for cnnc-opt.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_GPU_PASSES_H
#define CNNC_COMPILER_GPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::cnn {

#define GEN_PASS_DECL
#include "compiler/gpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/gpu/Passes.h.inc"

} // namespace mlir::cnn

#endif // CNNC_COMPILER_GPU_PASSES_H
