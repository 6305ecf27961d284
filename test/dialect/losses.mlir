// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests cross-entropy of [N, 10] logits against [N] i32 labels: a 0-d loss.
// CHECK-LABEL: func @cross_entropy
// CHECK:         cnn.cross_entropy %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
func.func @cross_entropy(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>) -> tensor<f32> {
  %0 = cnn.cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests cross-entropy on a static batch of AlexNet's 1000 classes, and with one
// side's batch dynamic.
// CHECK-LABEL: func @cross_entropy_static
// CHECK:         cnn.cross_entropy %{{[^ ]*}}, %{{[^ ]*}} : (tensor<128x1000xf32>, tensor<128xi32>) -> tensor<f32>
// CHECK:         cnn.cross_entropy %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x1000xf32>, tensor<128xi32>) -> tensor<f32>
func.func @cross_entropy_static(%logits: tensor<128x1000xf32>, %dyn: tensor<?x1000xf32>, %labels: tensor<128xi32>) -> (tensor<f32>, tensor<f32>) {
  %0 = cnn.cross_entropy %logits, %labels : (tensor<128x1000xf32>, tensor<128xi32>) -> tensor<f32>
  %1 = cnn.cross_entropy %dyn, %labels : (tensor<?x1000xf32>, tensor<128xi32>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}

// -----

// Tests mean squared error of two [N, 10] tensors (LeNet-5's RBF targets): a 0-d loss.
// CHECK-LABEL: func @mse
// CHECK:         cnn.mse %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
func.func @mse(%prediction: tensor<?x10xf32>, %target: tensor<?x10xf32>) -> tensor<f32> {
  %0 = cnn.mse %prediction, %target : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests that MSE accepts a dynamic dimension against a static one, and rank-4
// and rank-0 operands.
// CHECK-LABEL: func @mse_shapes
// CHECK:         cnn.mse %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x10xf32>, tensor<4x10xf32>) -> tensor<f32>
// CHECK:         cnn.mse %{{[^ ]*}}, %{{[^ ]*}} : (tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>) -> tensor<f32>
// CHECK:         cnn.mse %{{[^ ]*}}, %{{[^ ]*}} : (tensor<f32>, tensor<f32>) -> tensor<f32>
func.func @mse_shapes(%a: tensor<?x10xf32>, %b: tensor<4x10xf32>, %c: tensor<2x3x4x5xf32>, %d: tensor<f32>) -> (tensor<f32>, tensor<f32>, tensor<f32>) {
  %0 = cnn.mse %a, %b : (tensor<?x10xf32>, tensor<4x10xf32>) -> tensor<f32>
  %1 = cnn.mse %c, %c : (tensor<2x3x4x5xf32>, tensor<2x3x4x5xf32>) -> tensor<f32>
  %2 = cnn.mse %d, %d : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0, %1, %2 : tensor<f32>, tensor<f32>, tensor<f32>
}
