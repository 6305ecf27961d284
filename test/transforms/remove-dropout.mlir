// RUN: cnnc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(cnn-remove-dropout))' | FileCheck %s

// Tests that inference sees every unit, and that a training step keeps its
// dropout.
// CHECK-LABEL: func.func @infer
// CHECK-NOT:     cnn.dropout
// CHECK:         %[[R:.*]] = cnn.relu %arg0
// CHECK:         return %[[R]]
func.func @infer(%x: tensor<?x8xf32>, %seed: i64) -> tensor<?x8xf32> {
  %r = cnn.relu %x : tensor<?x8xf32>
  %d = cnn.dropout %r, %seed rate 0.5 : tensor<?x8xf32>
  return %d : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @step
// CHECK:         cnn.dropout %arg0, %arg1 rate 5.000000e-01
func.func @step(%x: tensor<?x8xf32>, %seed: i64) -> tensor<?x8xf32> attributes {cnn.training} {
  %d = cnn.dropout %x, %seed rate 0.5 : tensor<?x8xf32>
  return %d : tensor<?x8xf32>
}
