// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests LeNet-5's flatten before F5 with a dynamic batch: 16 * 5 * 5 = 400.
// CHECK-LABEL: func @lenet
// CHECK:         cnn.flatten %{{[^ ]*}} : tensor<?x16x5x5xf32> -> tensor<?x400xf32>
func.func @lenet(%x: tensor<?x16x5x5xf32>) -> tensor<?x400xf32> {
  %0 = cnn.flatten %x : tensor<?x16x5x5xf32> -> tensor<?x400xf32>
  return %0 : tensor<?x400xf32>
}

// -----

// Tests AlexNet's flatten before fc6 with a static batch: 256 * 6 * 6 = 9216.
// CHECK-LABEL: func @alexnet
// CHECK:         cnn.flatten %{{[^ ]*}} : tensor<2x256x6x6xf32> -> tensor<2x9216xf32>
func.func @alexnet(%x: tensor<2x256x6x6xf32>) -> tensor<2x9216xf32> {
  %0 = cnn.flatten %x : tensor<2x256x6x6xf32> -> tensor<2x9216xf32>
  return %0 : tensor<2x9216xf32>
}

// -----

// Tests that one dynamic feature dimension makes the feature count dynamic.
// CHECK-LABEL: func @dynamic_features
// CHECK:         cnn.flatten %{{[^ ]*}} : tensor<4x16x?x5xf32> -> tensor<4x?xf32>
func.func @dynamic_features(%x: tensor<4x16x?x5xf32>) -> tensor<4x?xf32> {
  %0 = cnn.flatten %x : tensor<4x16x?x5xf32> -> tensor<4x?xf32>
  return %0 : tensor<4x?xf32>
}

// -----

// Tests that a rank-2 input is unchanged and a rank-3 input is flattened too.
// CHECK-LABEL: func @low_ranks
// CHECK:         cnn.flatten %{{[^ ]*}} : tensor<?x10xf32> -> tensor<?x10xf32>
// CHECK:         cnn.flatten %{{[^ ]*}} : tensor<?x3x7xf32> -> tensor<?x21xf32>
func.func @low_ranks(%x: tensor<?x10xf32>, %y: tensor<?x3x7xf32>) -> (tensor<?x10xf32>, tensor<?x21xf32>) {
  %0 = cnn.flatten %x : tensor<?x10xf32> -> tensor<?x10xf32>
  %1 = cnn.flatten %y : tensor<?x3x7xf32> -> tensor<?x21xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x21xf32>
}

// -----

// Tests that a static zero empties the flattened size even next to unknown
// sizes (regression: the result was dynamic).
// CHECK-LABEL: func @flatten_zero
// CHECK:         cnn.flatten %{{.*}} : tensor<?x0x?xf32> -> tensor<?x0xf32>
func.func @flatten_zero(%x: tensor<?x0x?xf32>) -> tensor<?x0xf32> {
  %0 = cnn.flatten %x : tensor<?x0x?xf32> -> tensor<?x0xf32>
  return %0 : tensor<?x0xf32>
}
