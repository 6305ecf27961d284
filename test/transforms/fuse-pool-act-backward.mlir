// RUN: cnnc-opt %s -split-input-file -cnn-fuse-pool-act-backward | FileCheck %s

// cnn-fuse-pool-act-backward (FusePoolActBackward.cpp). Numbers: the op's
// lowerings against plain C++ loops (LoweringGradientNumericsTest.cpp,
// FusedPoolActBackward) and fused against --no-fuse training steps of every
// model (ModelsEndToEndTest.cpp, FusedMatchesUnfused).

// Tests LeNet-5's c1 backward: the average pool's backward, tanh's and the
// bias's become one op; the weight gradient reads its first result.
// CHECK-LABEL: func @avg_tanh_bias
// CHECK:         %[[Y:.*]] = cnn.fused_conv_act_pool
// CHECK-NEXT:    %[[GZ:.*]], %[[GB:.*]] = cnn.fused_pool_act_backward %arg3, %[[Y]] act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
// CHECK-NEXT:    %[[GW:.*]] = cnn.conv2d_backward_weight %arg0, %[[GZ]]
// CHECK-NEXT:    return %[[GW]], %[[GB]]
func.func @avg_tanh_bias(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>, %gy: tensor<?x6x14x14xf32>) -> (tensor<6x1x5x5xf32>, tensor<6xf32>) {
  %y = cnn.fused_conv_act_pool %x, %w, %b padding [2, 2] act tanh : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
  %g = cnn.avg_pool2d_backward %gy kernel [2, 2] stride [2, 2] input_size [28, 28] : tensor<?x6x14x14xf32> -> tensor<?x6x28x28xf32>
  %gz = cnn.activation_backward %g, %y act tanh : tensor<?x6x28x28xf32>
  %gw = cnn.conv2d_backward_weight %x, %gz kernel [5, 5] padding [2, 2] : (tensor<?x1x28x28xf32>, tensor<?x6x28x28xf32>) -> tensor<6x1x5x5xf32>
  %gb = cnn.bias_backward %gz : tensor<?x6x28x28xf32> -> tensor<6xf32>
  return %gw, %gb : tensor<6x1x5x5xf32>, tensor<6xf32>
}

// -----

// Tests a max pool's backward over the same map, with its padding.
// CHECK-LABEL: func @max_relu
// CHECK:         %[[Y:.*]] = cnn.fused_conv_act_pool
// CHECK-NEXT:    %[[GZ:.*]], %{{.*}} = cnn.fused_pool_act_backward %arg2, %[[Y]] act relu pool max kernel [3, 3] stride [2, 2] pool_padding [1, 1] : (tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>)
// CHECK-NEXT:    return %[[GZ]]
func.func @max_relu(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>, %gy: tensor<?x4x4x4xf32>) -> tensor<?x4x8x8xf32> {
  %y = cnn.fused_conv_act_pool %x, %w act relu : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x8x8xf32>
  %g = cnn.max_pool2d_backward %gy, %y kernel [3, 3] stride [2, 2] padding [1, 1] : (tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %gz = cnn.activation_backward %g, %y act relu : tensor<?x4x8x8xf32>
  return %gz : tensor<?x4x8x8xf32>
}

// -----

// Tests a fused group without a pool (AlexNet's c3): the incoming gradient
// comes from elsewhere, and the activation's and bias's backward still fuse.
// CHECK-LABEL: func @no_pool
// CHECK:         %[[Y:.*]] = cnn.fused_conv_act_pool
// CHECK-NEXT:    %[[GZ:.*]], %[[GB:.*]] = cnn.fused_pool_act_backward %arg3, %[[Y]] act relu : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>)
// CHECK-NEXT:    return %[[GZ]], %[[GB]]
func.func @no_pool(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>, %g: tensor<?x4x8x8xf32>) -> (tensor<?x4x8x8xf32>, tensor<4xf32>) {
  %y = cnn.fused_conv_act_pool %x, %w, %b act relu : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %gz = cnn.activation_backward %g, %y act relu : tensor<?x4x8x8xf32>
  %gb = cnn.bias_backward %gz : tensor<?x4x8x8xf32> -> tensor<4xf32>
  return %gz, %gb : tensor<?x4x8x8xf32>, tensor<4xf32>
}

// -----

// Tests that a pool backward whose result has another use stays: the fused
// op then takes its result as the incoming gradient.
// CHECK-LABEL: func @pool_gradient_used_twice
// CHECK:         %[[G:.*]] = cnn.avg_pool2d_backward
// CHECK-NEXT:    %[[GZ:.*]], %{{.*}} = cnn.fused_pool_act_backward %[[G]], %{{.*}} act sigmoid : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>)
// CHECK-NEXT:    return %[[GZ]], %[[G]]
func.func @pool_gradient_used_twice(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>, %gy: tensor<?x4x4x4xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %y = cnn.fused_conv_act_pool %x, %w act sigmoid : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x8x8xf32>
  %g = cnn.avg_pool2d_backward %gy kernel [2, 2] stride [2, 2] input_size [8, 8] : tensor<?x4x4x4xf32> -> tensor<?x4x8x8xf32>
  %gz = cnn.activation_backward %g, %y act sigmoid : tensor<?x4x8x8xf32>
  return %gz, %g : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// -----

// Tests that a max pool backward over another map is not the group's.
// CHECK-LABEL: func @max_pool_over_another_map
// CHECK:         %[[G:.*]] = cnn.max_pool2d_backward %arg2, %arg3
// CHECK-NEXT:    cnn.fused_pool_act_backward %[[G]], %{{.*}} act relu :
func.func @max_pool_over_another_map(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>, %gy: tensor<?x4x4x4xf32>, %other: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %y = cnn.fused_conv_act_pool %x, %w act relu : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x8x8xf32>
  %g = cnn.max_pool2d_backward %gy, %other kernel [2, 2] stride [2, 2] : (tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %gz = cnn.activation_backward %g, %y act relu : tensor<?x4x8x8xf32>
  return %gz : tensor<?x4x8x8xf32>
}

// -----

// Tests that an activation the forward fusion did not make (the unfused
// build's, or a dense layer's) is left alone.
// CHECK-LABEL: func @unfused_activation
// CHECK-NOT:     cnn.fused_pool_act_backward
// CHECK:         cnn.avg_pool2d_backward
// CHECK-NEXT:    cnn.activation_backward
// CHECK-NEXT:    cnn.bias_backward
func.func @unfused_activation(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>, %b: tensor<4xf32>, %gy: tensor<?x4x4x4xf32>) -> tensor<4xf32> {
  %c = cnn.conv2d %x, %w, %b : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %y = cnn.tanh %c : tensor<?x4x8x8xf32>
  %g = cnn.avg_pool2d_backward %gy kernel [2, 2] stride [2, 2] input_size [8, 8] : tensor<?x4x4x4xf32> -> tensor<?x4x8x8xf32>
  %gz = cnn.activation_backward %g, %y act tanh : tensor<?x4x8x8xf32>
  %gb = cnn.bias_backward %gz : tensor<?x4x8x8xf32> -> tensor<4xf32>
  return %gb : tensor<4xf32>
}

// -----

// Tests that a fused op with its pool inside (inference) is no group to
// fuse the backward of: its result is the pooled map, not the activation.
// CHECK-LABEL: func @fused_op_with_pool
// CHECK-NOT:     cnn.fused_pool_act_backward
// CHECK:         cnn.activation_backward
func.func @fused_op_with_pool(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>, %g: tensor<?x4x4x4xf32>) -> tensor<?x4x4x4xf32> {
  %y = cnn.fused_conv_act_pool %x, %w act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x4x4xf32>
  %gz = cnn.activation_backward %g, %y act tanh : tensor<?x4x4x4xf32>
  return %gz : tensor<?x4x4x4xf32>
}
