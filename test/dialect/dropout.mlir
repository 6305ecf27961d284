// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests AlexNet's dropout (rate 0.5) on fc6's output with a seed argument; the
// inferred result type is the operand's.
// CHECK-LABEL: func @alexnet
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4096xf32>, %[[SEED:.*]]: i64)
// CHECK:         %[[Y:.*]] = cnn.dropout %[[X]], %[[SEED]] rate 5.000000e-01 : tensor<?x4096xf32>
// CHECK:         return %[[Y]] : tensor<?x4096xf32>
func.func @alexnet(%x: tensor<?x4096xf32>, %seed: i64) -> tensor<?x4096xf32> {
  %0 = cnn.dropout %x, %seed rate 0.5 : tensor<?x4096xf32>
  return %0 : tensor<?x4096xf32>
}

// -----

// Tests a rate of 0 (the lower bound is allowed) on a static rank-4 tensor with
// a constant seed.
// CHECK-LABEL: func @rate_zero
// CHECK:         %[[SEED:.*]] = arith.constant 42 : i64
// CHECK:         cnn.dropout %{{[^ ]*}}, %[[SEED]] rate 0.000000e+00 : tensor<8x6x28x28xf32>
func.func @rate_zero(%x: tensor<8x6x28x28xf32>) -> tensor<8x6x28x28xf32> {
  %seed = arith.constant 42 : i64
  %0 = cnn.dropout %x, %seed rate 0.0 : tensor<8x6x28x28xf32>
  return %0 : tensor<8x6x28x28xf32>
}

// -----

// Tests a rate just below 1, the largest allowed.
// CHECK-LABEL: func @rate_high
// CHECK:         cnn.dropout %{{[^ ]*}}, %{{[^ ]*}} rate 9.900000e-01 : tensor<?x10xf32>
func.func @rate_high(%x: tensor<?x10xf32>, %seed: i64) -> tensor<?x10xf32> {
  %0 = cnn.dropout %x, %seed rate 0.99 : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}
