// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests LeNet-style 2x2 average pooling with stride 2 (28x28 gives 14x14), and
// that a padding written with its default value [0, 0] is not printed.
// CHECK-LABEL: func @avg_2x2
// CHECK:         cnn.avg_pool2d %{{[^ ]*}} kernel [2, 2] stride [2, 2]
// CHECK-NOT:     padding
// CHECK-SAME:    : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
func.func @avg_2x2(%x: tensor<?x6x28x28xf32>) -> tensor<?x6x14x14xf32> {
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [0, 0] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests AlexNet's overlapping max pooling: 3x3 with stride 2 on 55x55 gives 27x27.
// CHECK-LABEL: func @alexnet_overlapping_max
// CHECK:         cnn.max_pool2d %{{[^ ]*}} kernel [3, 3] stride [2, 2] : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
func.func @alexnet_overlapping_max(%x: tensor<?x96x55x55xf32>) -> tensor<?x96x27x27xf32> {
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
  return %0 : tensor<?x96x27x27xf32>
}

// -----

// Tests AlexNet's last pool on 13x13 (gives 6x6) with a static batch.
// CHECK-LABEL: func @alexnet_pool5
// CHECK:         cnn.max_pool2d %{{[^ ]*}} kernel [3, 3] stride [2, 2] : tensor<1x256x13x13xf32> -> tensor<1x256x6x6xf32>
func.func @alexnet_pool5(%x: tensor<1x256x13x13xf32>) -> tensor<1x256x6x6xf32> {
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] : tensor<1x256x13x13xf32> -> tensor<1x256x6x6xf32>
  return %0 : tensor<1x256x6x6xf32>
}

// -----

// Tests max pooling with padding: (112 + 2 - 3) / 2 + 1 = 56.
// CHECK-LABEL: func @max_padded
// CHECK:         cnn.max_pool2d %{{[^ ]*}} kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<8x64x112x112xf32> -> tensor<8x64x56x56xf32>
func.func @max_padded(%x: tensor<8x64x112x112xf32>) -> tensor<8x64x56x56xf32> {
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<8x64x112x112xf32> -> tensor<8x64x56x56xf32>
  return %0 : tensor<8x64x56x56xf32>
}

// -----

// Tests average pooling with a different kernel, stride and padding per axis:
// height (28 + 2 - 3) / 1 + 1 = 28, width (28 - 2) / 2 + 1 = 14.
// CHECK-LABEL: func @avg_asymmetric
// CHECK:         cnn.avg_pool2d %{{[^ ]*}} kernel [3, 2] stride [1, 2] padding [1, 0] : tensor<?x6x28x28xf32> -> tensor<?x6x28x14xf32>
func.func @avg_asymmetric(%x: tensor<?x6x28x28xf32>) -> tensor<?x6x28x14xf32> {
  %0 = cnn.avg_pool2d %x kernel [3, 2] stride [1, 2] padding [1, 0] : tensor<?x6x28x28xf32> -> tensor<?x6x28x14xf32>
  return %0 : tensor<?x6x28x14xf32>
}

// -----

// Tests that the output size rounds down: 2x2 stride 2 on 5x5 gives 2x2.
// CHECK-LABEL: func @round_down
// CHECK:         cnn.max_pool2d %{{[^ ]*}} kernel [2, 2] stride [2, 2] : tensor<?x16x5x5xf32> -> tensor<?x16x2x2xf32>
func.func @round_down(%x: tensor<?x16x5x5xf32>) -> tensor<?x16x2x2xf32> {
  %0 = cnn.max_pool2d %x kernel [2, 2] stride [2, 2] : tensor<?x16x5x5xf32> -> tensor<?x16x2x2xf32>
  return %0 : tensor<?x16x2x2xf32>
}

// -----

// Tests global average pooling: the kernel covers the whole input.
// CHECK-LABEL: func @global_avg
// CHECK:         cnn.avg_pool2d %{{[^ ]*}} kernel [6, 6] stride [1, 1] : tensor<?x256x6x6xf32> -> tensor<?x256x1x1xf32>
func.func @global_avg(%x: tensor<?x256x6x6xf32>) -> tensor<?x256x1x1xf32> {
  %0 = cnn.avg_pool2d %x kernel [6, 6] stride [1, 1] : tensor<?x256x6x6xf32> -> tensor<?x256x1x1xf32>
  return %0 : tensor<?x256x1x1xf32>
}

// -----

// Tests that dynamic channels and spatial sizes flow through pooling.
// CHECK-LABEL: func @dynamic_dims
// CHECK:         cnn.avg_pool2d %{{[^ ]*}} kernel [2, 2] stride [2, 2] : tensor<?x?x?x28xf32> -> tensor<?x?x?x14xf32>
// CHECK:         cnn.max_pool2d %{{[^ ]*}} kernel [2, 2] stride [2, 2] : tensor<?x?x?x28xf32> -> tensor<?x?x?x14xf32>
func.func @dynamic_dims(%x: tensor<?x?x?x28xf32>) -> (tensor<?x?x?x14xf32>, tensor<?x?x?x14xf32>) {
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2] : tensor<?x?x?x28xf32> -> tensor<?x?x?x14xf32>
  %1 = cnn.max_pool2d %x kernel [2, 2] stride [2, 2] : tensor<?x?x?x28xf32> -> tensor<?x?x?x14xf32>
  return %0, %1 : tensor<?x?x?x14xf32>, tensor<?x?x?x14xf32>
}
