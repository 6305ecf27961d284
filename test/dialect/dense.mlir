// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests LeNet-5's F6 with a bias and a dynamic batch: [N, 120] x [84, 120]^T gives [N, 84].
// CHECK-LABEL: func @lenet_f6
// CHECK:         cnn.dense %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
func.func @lenet_f6(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>, %b: tensor<84xf32>) -> tensor<?x84xf32> {
  %0 = cnn.dense %x, %w, %b : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}

// -----

// Tests a dense layer without a bias on a static batch.
// CHECK-LABEL: func @no_bias_static_batch
// CHECK:         cnn.dense %{{[^ ]*}}, %{{[^ ]*}} : (tensor<64x400xf32>, tensor<120x400xf32>) -> tensor<64x120xf32>
func.func @no_bias_static_batch(%x: tensor<64x400xf32>, %w: tensor<120x400xf32>) -> tensor<64x120xf32> {
  %0 = cnn.dense %x, %w : (tensor<64x400xf32>, tensor<120x400xf32>) -> tensor<64x120xf32>
  return %0 : tensor<64x120xf32>
}

// -----

// Tests AlexNet's fc6: 256 * 6 * 6 = 9216 features in, 4096 out.
// CHECK-LABEL: func @alexnet_fc6
// CHECK:         cnn.dense %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x9216xf32>, tensor<4096x9216xf32>, tensor<4096xf32>) -> tensor<?x4096xf32>
func.func @alexnet_fc6(%x: tensor<?x9216xf32>, %w: tensor<4096x9216xf32>, %b: tensor<4096xf32>) -> tensor<?x4096xf32> {
  %0 = cnn.dense %x, %w, %b : (tensor<?x9216xf32>, tensor<4096x9216xf32>, tensor<4096xf32>) -> tensor<?x4096xf32>
  return %0 : tensor<?x4096xf32>
}

// -----

// Tests that an input with a dynamic feature count is accepted and the output
// takes its size from the weight.
// CHECK-LABEL: func @dynamic_features
// CHECK:         cnn.dense %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x?xf32>, tensor<10x84xf32>, tensor<?xf32>) -> tensor<?x10xf32>
func.func @dynamic_features(%x: tensor<?x?xf32>, %w: tensor<10x84xf32>, %b: tensor<?xf32>) -> tensor<?x10xf32> {
  %0 = cnn.dense %x, %w, %b : (tensor<?x?xf32>, tensor<10x84xf32>, tensor<?xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func @fused_dense_act
// CHECK:         cnn.fused_dense_act %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} act tanh : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
// CHECK:         cnn.fused_dense_act %{{[^ ]*}}, %{{[^ ]*}} act relu : (tensor<?x84xf32>, tensor<10x84xf32>) -> tensor<?x10xf32>
func.func @fused_dense_act(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>, %b: tensor<84xf32>, %v: tensor<10x84xf32>) -> tensor<?x10xf32> {
  %0 = cnn.fused_dense_act %x, %w, %b act tanh : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
  %1 = cnn.fused_dense_act %0, %v act relu : (tensor<?x84xf32>, tensor<10x84xf32>) -> tensor<?x10xf32>
  return %1 : tensor<?x10xf32>
}
