// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests LeNet-5's S2: 6 maps, 2x2 windows with stride 2, 28x28 gives 14x14.
// CHECK-LABEL: func @lenet_s2
// CHECK:         cnn.subsample2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} kernel [2, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
func.func @lenet_s2(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<6xf32>) -> tensor<?x6x14x14xf32> {
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests LeNet-5's S4 on a static batch: 16 maps, 10x10 gives 5x5.
// CHECK-LABEL: func @lenet_s4
// CHECK:         cnn.subsample2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} kernel [2, 2] stride [2, 2] : (tensor<32x16x10x10xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<32x16x5x5xf32>
func.func @lenet_s4(%x: tensor<32x16x10x10xf32>, %c: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<32x16x5x5xf32> {
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<32x16x10x10xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<32x16x5x5xf32>
  return %0 : tensor<32x16x5x5xf32>
}

// -----

// Tests overlapping, non-square windows: height (9 - 3) / 1 + 1 = 7, width
// (8 - 2) / 2 + 1 = 4.
// CHECK-LABEL: func @overlapping
// CHECK:         cnn.subsample2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} kernel [3, 2] stride [1, 2] : (tensor<?x4x9x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x7x4xf32>
func.func @overlapping(%x: tensor<?x4x9x8xf32>, %c: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<?x4x7x4xf32> {
  %0 = cnn.subsample2d %x, %c, %b kernel [3, 2] stride [1, 2] : (tensor<?x4x9x8xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x7x4xf32>
  return %0 : tensor<?x4x7x4xf32>
}

// -----

// Tests that dynamic channels and a dynamic coefficient length are accepted.
// CHECK-LABEL: func @dynamic_channels
// CHECK:         cnn.subsample2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} kernel [2, 2] stride [2, 2] : (tensor<?x?x28x28xf32>, tensor<?xf32>, tensor<6xf32>) -> tensor<?x?x14x14xf32>
func.func @dynamic_channels(%x: tensor<?x?x28x28xf32>, %c: tensor<?xf32>, %b: tensor<6xf32>) -> tensor<?x?x14x14xf32> {
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x?x28x28xf32>, tensor<?xf32>, tensor<6xf32>) -> tensor<?x?x14x14xf32>
  return %0 : tensor<?x?x14x14xf32>
}
