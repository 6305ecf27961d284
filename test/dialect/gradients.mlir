// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests that the backward ops of a LeNet-5 layer stack round-trip with their
// inferred shapes.
// CHECK-LABEL: func @conv_pool_backward
// CHECK:         cnn.avg_pool2d_backward %{{.*}} kernel [2, 2] stride [2, 2] input_size [10, 10] : tensor<?x16x5x5xf32> -> tensor<?x16x10x10xf32>
// CHECK:         cnn.activation_backward %{{.*}}, %{{.*}} act tanh : tensor<?x16x10x10xf32>
// CHECK:         cnn.conv2d_backward_input %{{.*}}, %{{.*}} input_size [14, 14] : (tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>) -> tensor<?x6x14x14xf32>
// CHECK:         cnn.conv2d_backward_weight %{{.*}}, %{{.*}} kernel [5, 5] : (tensor<?x6x14x14xf32>, tensor<?x16x10x10xf32>) -> tensor<16x6x5x5xf32>
// CHECK:         cnn.bias_backward %{{.*}} : tensor<?x16x10x10xf32> -> tensor<16xf32>
func.func @conv_pool_backward(%gy: tensor<?x16x5x5xf32>, %y: tensor<?x16x10x10xf32>,
                              %x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>)
    -> (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) {
  %0 = cnn.avg_pool2d_backward %gy kernel [2, 2] stride [2, 2] input_size [10, 10] : tensor<?x16x5x5xf32> -> tensor<?x16x10x10xf32>
  %1 = cnn.activation_backward %0, %y act tanh : tensor<?x16x10x10xf32>
  %2 = cnn.conv2d_backward_input %1, %w input_size [14, 14] : (tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>) -> tensor<?x6x14x14xf32>
  %3 = cnn.conv2d_backward_weight %x, %1 kernel [5, 5] : (tensor<?x6x14x14xf32>, tensor<?x16x10x10xf32>) -> tensor<16x6x5x5xf32>
  %4 = cnn.bias_backward %1 : tensor<?x16x10x10xf32> -> tensor<16xf32>
  return %2, %3, %4 : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>
}

// -----

// Tests that a strided, padded convolution's input gradient takes its size
// from input_size (58, 59 and 60 all give 13 outputs at stride 4).
// CHECK-LABEL: func @strided_conv_backward
// CHECK:         cnn.conv2d_backward_input {{.*}} input_size [59, 59] stride [4, 4] padding [1, 1] : (tensor<2x8x13x13xf32>, tensor<8x3x11x11xf32>) -> tensor<2x3x59x59xf32>
func.func @strided_conv_backward(%gy: tensor<2x8x13x13xf32>, %w: tensor<8x3x11x11xf32>) -> tensor<2x3x59x59xf32> {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [59, 59] stride [4, 4] padding [1, 1] : (tensor<2x8x13x13xf32>, tensor<8x3x11x11xf32>) -> tensor<2x3x59x59xf32>
  return %0 : tensor<2x3x59x59xf32>
}

// -----

// CHECK-LABEL: func @max_pool_lrn_backward
// CHECK:         cnn.max_pool2d_backward {{.*}} kernel [3, 3] stride [2, 2] : (tensor<?x96x27x27xf32>, tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32>
// CHECK:         cnn.local_response_norm_backward {{.*}} size 5 {{.*}} : tensor<?x96x55x55xf32>
func.func @max_pool_lrn_backward(%gy: tensor<?x96x27x27xf32>, %x: tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32> {
  %0 = cnn.max_pool2d_backward %gy, %x kernel [3, 3] stride [2, 2] : (tensor<?x96x27x27xf32>, tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32>
  %1 = cnn.local_response_norm_backward %0, %x size 5 alpha 1.0e-4 beta 7.5e-01 k 2.0 : tensor<?x96x55x55xf32>
  return %1 : tensor<?x96x55x55xf32>
}

// -----

// CHECK-LABEL: func @subsample_backward
// CHECK:         cnn.subsample2d_backward_input {{.*}} : (tensor<?x6x14x14xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
// CHECK:         cnn.subsample2d_backward_coefficient {{.*}} : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> tensor<6xf32>
func.func @subsample_backward(%gy: tensor<?x6x14x14xf32>, %c: tensor<6xf32>, %x: tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>) {
  %0 = cnn.subsample2d_backward_input %gy, %c kernel [2, 2] stride [2, 2] input_size [28, 28] : (tensor<?x6x14x14xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
  %1 = cnn.subsample2d_backward_coefficient %gy, %x kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> tensor<6xf32>
  return %0, %1 : tensor<?x6x28x28xf32>, tensor<6xf32>
}

// -----

// CHECK-LABEL: func @dense_loss_backward
// CHECK:         cnn.cross_entropy_backward {{.*}} : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
// CHECK:         cnn.dense_backward_input {{.*}} : (tensor<?x10xf32>, tensor<10x84xf32>) -> tensor<?x84xf32>
// CHECK:         cnn.dense_backward_weight {{.*}} : (tensor<?x10xf32>, tensor<?x84xf32>) -> tensor<10x84xf32>
// CHECK:         cnn.unflatten {{.*}} sizes [21, 2, 2] : tensor<?x84xf32> -> tensor<?x21x2x2xf32>
// CHECK:         cnn.concat_backward {{.*}} axis 1 offset 5 size 16 : tensor<?x21x2x2xf32> -> tensor<?x16x2x2xf32>
// CHECK:         cnn.mse_backward
// CHECK:         cnn.softmax_backward {{.*}} : tensor<?x10xf32>
// CHECK:         cnn.log_softmax_backward {{.*}} : tensor<?x10xf32>
func.func @dense_loss_backward(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>, %w: tensor<10x84xf32>, %x: tensor<?x84xf32>)
    -> (tensor<?x16x2x2xf32>, tensor<10x84xf32>, tensor<?x10xf32>) {
  %g = cnn.cross_entropy_backward %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
  %gx = cnn.dense_backward_input %g, %w : (tensor<?x10xf32>, tensor<10x84xf32>) -> tensor<?x84xf32>
  %gw = cnn.dense_backward_weight %g, %x : (tensor<?x10xf32>, tensor<?x84xf32>) -> tensor<10x84xf32>
  %u = cnn.unflatten %gx sizes [21, 2, 2] : tensor<?x84xf32> -> tensor<?x21x2x2xf32>
  %c = cnn.concat_backward %u axis 1 offset 5 size 16 : tensor<?x21x2x2xf32> -> tensor<?x16x2x2xf32>
  %m = cnn.mse_backward %logits, %g : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32>
  %s = cnn.softmax_backward %m, %logits : tensor<?x10xf32>
  %l = cnn.log_softmax_backward %s, %logits : tensor<?x10xf32>
  return %c, %gw, %l : tensor<?x16x2x2xf32>, tensor<10x84xf32>, tensor<?x10xf32>
}

// -----

// CHECK-LABEL: func @optimizers
// CHECK:         cnn.sgd_update %{{.*}}, %{{.*}}, %{{.*}} weight_decay 5.000000e-04 : tensor<64xf32>
// CHECK:         cnn.sgd_momentum_update {{.*}} momentum 0.899999976 nesterov : tensor<64xf32>
// CHECK:         cnn.adam_update {{.*}} beta1 0.899999976 beta2 9.990000e-01 eps 9.99999993E-9 : tensor<64xf32>
func.func @optimizers(%p: tensor<64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>, %lr: f32, %step: i64)
    -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %0 = cnn.sgd_update %p, %g, %lr weight_decay 5.0e-4 : tensor<64xf32>
  %1:2 = cnn.sgd_momentum_update %p, %g, %b, %lr, %step momentum 0.9 nesterov : tensor<64xf32>
  %2:3 = cnn.adam_update %p, %g, %m, %v, %lr, %step beta1 0.9 beta2 0.999 eps 1.0e-8 : tensor<64xf32>
  return %0, %1#0, %1#1, %2#0, %2#1, %2#2 : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// -----

// CHECK-LABEL: func @fused_pool_act_backward
// CHECK:         cnn.fused_pool_act_backward %arg0, %arg1 act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
// CHECK:         cnn.fused_pool_act_backward %arg2, %arg3 act relu pool max kernel [3, 3] stride [2, 2] pool_padding [1, 1] : (tensor<2x4x4x4xf32>, tensor<2x4x8x8xf32>) -> (tensor<2x4x8x8xf32>, tensor<4xf32>)
// CHECK:         cnn.fused_pool_act_backward %arg3, %arg3 act sigmoid : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> (tensor<2x4x8x8xf32>, tensor<4xf32>)
func.func @fused_pool_act_backward(%gy: tensor<?x6x14x14xf32>, %y: tensor<?x6x28x28xf32>, %gm: tensor<2x4x4x4xf32>, %m: tensor<2x4x8x8xf32>)
    -> (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) {
  %0:2 = cnn.fused_pool_act_backward %gy, %y act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
  %1:2 = cnn.fused_pool_act_backward %gm, %m act relu pool max kernel [3, 3] stride [2, 2] pool_padding [1, 1] : (tensor<2x4x4x4xf32>, tensor<2x4x8x8xf32>) -> (tensor<2x4x8x8xf32>, tensor<4xf32>)
  %2:2 = cnn.fused_pool_act_backward %m, %m act sigmoid : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> (tensor<2x4x8x8xf32>, tensor<4xf32>)
  return %0#0, %0#1, %1#0, %2#0 : tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>
}
