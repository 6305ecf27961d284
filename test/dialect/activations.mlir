// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests that each activation round-trips and keeps its operand's type.
// CHECK-LABEL: func @activations
// CHECK:         cnn.tanh %{{.*}} : tensor<?x6x28x28xf32>
// CHECK:         cnn.scaled_tanh %{{.*}} : tensor<?x6x28x28xf32>
// CHECK:         cnn.relu %{{.*}} : tensor<?x6x28x28xf32>
// CHECK:         cnn.sigmoid %{{.*}} : tensor<?x6x28x28xf32>
func.func @activations(%x: tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  %0 = cnn.tanh %x : tensor<?x6x28x28xf32>
  %1 = cnn.scaled_tanh %0 : tensor<?x6x28x28xf32>
  %2 = cnn.relu %1 : tensor<?x6x28x28xf32>
  %3 = cnn.sigmoid %2 : tensor<?x6x28x28xf32>
  return %3 : tensor<?x6x28x28xf32>
}

// -----

// Tests that activations accept any rank, e.g. a dense layer's [N, M] output.
// CHECK-LABEL: func @activation_rank2
// CHECK:         cnn.relu %{{.*}} : tensor<4x120xf32>
func.func @activation_rank2(%x: tensor<4x120xf32>) -> tensor<4x120xf32> {
  %0 = cnn.relu %x : tensor<4x120xf32>
  return %0 : tensor<4x120xf32>
}

// -----

// Tests that activations keep dynamic sizes where they are and accept a 0-d tensor.
// CHECK-LABEL: func @activation_dynamic_and_scalar
// CHECK:         cnn.sigmoid %{{[^ ]*}} : tensor<?x?x?x?xf32>
// CHECK:         cnn.tanh %{{[^ ]*}} : tensor<f32>
func.func @activation_dynamic_and_scalar(%x: tensor<?x?x?x?xf32>, %s: tensor<f32>) -> (tensor<?x?x?x?xf32>, tensor<f32>) {
  %0 = cnn.sigmoid %x : tensor<?x?x?x?xf32>
  %1 = cnn.tanh %s : tensor<f32>
  return %0, %1 : tensor<?x?x?x?xf32>, tensor<f32>
}
