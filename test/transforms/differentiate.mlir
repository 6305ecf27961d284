// RUN: cnnc-opt %s -split-input-file -cnn-differentiate -verify-diagnostics | FileCheck %s

// Tests the chain rule through dense + tanh + dense + cross-entropy: the
// loss gradient starts the walk, each layer hands its input's gradient on,
// and the first layer's input (the image, not a parameter) gets none.
// CHECK-LABEL: func.func @mlp_grad(
// CHECK-SAME:      -> (tensor<f32> {cnn.loss}, tensor<?x3xf32> {cnn.prediction}, tensor<5x4xf32> {cnn.grad = "h.weight"}, tensor<5xf32> {cnn.grad = "h.bias"}, tensor<3x5xf32> {cnn.grad = "out.weight"})
// CHECK:         %[[H:.*]] = cnn.dense %arg0, %arg1, %arg2
// CHECK:         %[[A:.*]] = cnn.tanh %[[H]]
// CHECK:         %[[Y:.*]] = cnn.dense %[[A]], %arg3
// CHECK:         %[[L:.*]] = cnn.cross_entropy %[[Y]], %arg4
// CHECK:         %[[GY:.*]] = cnn.cross_entropy_backward %[[Y]], %arg4
// CHECK:         %[[GA:.*]] = cnn.dense_backward_input %[[GY]], %arg3
// CHECK:         %[[GW2:.*]] = cnn.dense_backward_weight %[[GY]], %[[A]]
// CHECK:         %[[GH:.*]] = cnn.activation_backward %[[GA]], %[[A]] act tanh
// CHECK-NOT:     cnn.dense_backward_input %[[GH]]
// CHECK:         %[[GW1:.*]] = cnn.dense_backward_weight %[[GH]], %arg0
// CHECK:         %[[GB1:.*]] = cnn.bias_backward %[[GH]]
// CHECK:         return %[[L]], %[[Y]], %[[GW1]], %[[GB1]], %[[GW2]]
func.func @mlp_loss(%x: tensor<?x4xf32> {cnn.input = "x"},
                    %w1: tensor<5x4xf32> {cnn.param = "h.weight"},
                    %b1: tensor<5xf32> {cnn.param = "h.bias"},
                    %w2: tensor<3x5xf32> {cnn.param = "out.weight"},
                    %t: tensor<?xi32> {cnn.input = "label"}) -> (tensor<f32> {cnn.loss}) {
  %h = cnn.dense %x, %w1, %b1 : (tensor<?x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<?x5xf32>
  %a = cnn.tanh %h : tensor<?x5xf32>
  %y = cnn.dense %a, %w2 : (tensor<?x5xf32>, tensor<3x5xf32>) -> tensor<?x3xf32>
  %l = cnn.cross_entropy %y, %t : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Tests the spatial rules: conv (with its attributes and input size), avg
// pool, flatten, and a value used twice (the skip) summing its gradients.
// CHECK-LABEL: func.func @conv_grad(
// CHECK:         %[[GY:.*]] = cnn.mse_backward
// CHECK:         %[[GF:.*]] = cnn.unflatten %[[GY]] sizes [2, 3, 3]
// CHECK:         %[[GP:.*]] = cnn.avg_pool2d_backward %[[GF]] kernel [2, 2] stride [2, 2] input_size [6, 6]
// CHECK:         %[[GS:.*]] = cnn.add %[[GP]], %[[GP]]
// CHECK:         cnn.activation_backward %[[GS]], %{{.*}} act relu
// CHECK:         cnn.conv2d_backward_weight %arg0, %{{.*}} kernel [3, 3] stride [2, 2] padding [1, 1]
// CHECK:         cnn.bias_backward
func.func @conv_loss(%x: tensor<?x1x12x12xf32> {cnn.input = "image"},
                     %w: tensor<2x1x3x3xf32> {cnn.param = "c.weight"},
                     %b: tensor<2xf32> {cnn.param = "c.bias"},
                     %t: tensor<?x18xf32> {cnn.input = "target"}) -> (tensor<f32> {cnn.loss}) {
  %c = cnn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] : (tensor<?x1x12x12xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<?x2x6x6xf32>
  %r = cnn.relu %c : tensor<?x2x6x6xf32>
  %s = cnn.add %r, %r : tensor<?x2x6x6xf32>
  %p = cnn.avg_pool2d %s kernel [2, 2] stride [2, 2] : tensor<?x2x6x6xf32> -> tensor<?x2x3x3xf32>
  %f = cnn.flatten %p : tensor<?x2x3x3xf32> -> tensor<?x18xf32>
  %l = cnn.mse %f, %t : (tensor<?x18xf32>, tensor<?x18xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Tests that dropout's gradient is dropout with the same seed and rate (the
// same mask), and the subsampling, max pool and LRN rules; the image needs
// no gradient, so the first convolution gets only its weight's.
// CHECK-LABEL: func.func @alex_grad(
// CHECK:         %[[GD:.*]] = cnn.dropout %{{.*}}, %arg2 rate 5.000000e-01
// CHECK:         cnn.subsample2d_backward_input %{{.*}}, %arg3 kernel [2, 2] stride [2, 2] input_size [4, 4]
// CHECK:         cnn.subsample2d_backward_coefficient %{{.*}}, %{{.*}} kernel [2, 2] stride [2, 2]
// CHECK:         cnn.bias_backward
// CHECK:         cnn.max_pool2d_backward %{{.*}}, %{{.*}} kernel [3, 3] stride [2, 2]
// CHECK:         cnn.local_response_norm_backward %{{.*}}, %{{.*}} size 5
// CHECK-NOT:     cnn.conv2d_backward_input
// CHECK:         cnn.conv2d_backward_weight %arg0
func.func @alex_loss(%x: tensor<?x4x9x9xf32> {cnn.input = "image"},
                     %w: tensor<4x4x1x1xf32> {cnn.param = "c.weight"},
                     %seed: i64 {cnn.seed},
                     %c: tensor<4xf32> {cnn.param = "s.coefficient"},
                     %b: tensor<4xf32> {cnn.param = "s.bias"},
                     %t: tensor<?xi32> {cnn.input = "label"}) -> (tensor<f32> {cnn.loss}) {
  %y = cnn.conv2d %x, %w : (tensor<?x4x9x9xf32>, tensor<4x4x1x1xf32>) -> tensor<?x4x9x9xf32>
  %n = cnn.local_response_norm %y size 5 alpha 1.0e-4 beta 0.75 k 2.0 : tensor<?x4x9x9xf32>
  %m = cnn.max_pool2d %n kernel [3, 3] stride [2, 2] : tensor<?x4x9x9xf32> -> tensor<?x4x4x4xf32>
  %s = cnn.subsample2d %m, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x2x2xf32>
  %f = cnn.flatten %s : tensor<?x4x2x2xf32> -> tensor<?x16xf32>
  %d = cnn.dropout %f, %seed rate 0.5 : tensor<?x16xf32>
  %l = cnn.cross_entropy %d, %t : (tensor<?x16xf32>, tensor<?xi32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Tests concat: each input's gradient is its slice of the joined gradient,
// at the channels it filled; the image's slice is not needed.
// CHECK-LABEL: func.func @branch_grad(
// CHECK:         %[[GY:.*]] = cnn.unflatten
// CHECK-NOT:     offset 0
// CHECK:         %[[GA:.*]] = cnn.concat_backward %[[GY]] axis 1 offset 1 size 2 : tensor<?x5x3x3xf32> -> tensor<?x2x3x3xf32>
// CHECK:         %[[GB:.*]] = cnn.concat_backward %[[GY]] axis 1 offset 3 size 2 : tensor<?x5x3x3xf32> -> tensor<?x2x3x3xf32>
// CHECK:         %[[GT:.*]] = cnn.activation_backward %[[GB]], %{{.*}} act tanh
// CHECK:         %[[GWB:.*]] = cnn.conv2d_backward_weight %arg0, %[[GT]]
// CHECK:         %[[GWA:.*]] = cnn.conv2d_backward_weight %arg0, %[[GA]]
// CHECK:         return {{.*}}, %[[GWA]], %[[GWB]]
func.func @branch_loss(%x: tensor<?x1x3x3xf32> {cnn.input = "image"},
                       %wa: tensor<2x1x1x1xf32> {cnn.param = "a.weight"},
                       %wb: tensor<2x1x1x1xf32> {cnn.param = "b.weight"},
                       %t: tensor<?x45xf32> {cnn.input = "target"}) -> (tensor<f32> {cnn.loss}) {
  %a = cnn.conv2d %x, %wa : (tensor<?x1x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x3x3xf32>
  %c = cnn.conv2d %x, %wb : (tensor<?x1x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<?x2x3x3xf32>
  %b = cnn.tanh %c : tensor<?x2x3x3xf32>
  %j = cnn.concat %x, %a, %b : (tensor<?x1x3x3xf32>, tensor<?x2x3x3xf32>, tensor<?x2x3x3xf32>) -> tensor<?x5x3x3xf32>
  %f = cnn.flatten %j : tensor<?x5x3x3xf32> -> tensor<?x45xf32>
  %l = cnn.mse %f, %t : (tensor<?x45xf32>, tensor<?x45xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Tests that a concat along a dimension of unknown size has no rule.
func.func @batch_concat_loss(%x: tensor<?x4xf32> {cnn.input = "x"},
                             %w: tensor<3x4xf32> {cnn.param = "d.weight"},
                             %t: tensor<?x3xf32> {cnn.input = "target"}) -> (tensor<f32> {cnn.loss}) {
  %y = cnn.dense %x, %w : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
  // expected-error @+1 {{'cnn.concat' op joins along axis 0, whose size is unknown: it has no gradient rule}}
  %j = cnn.concat %y, %y axis 0 : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %l = cnn.mse %j, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// Tests that an op without a rule is an error naming it.
func.func @fused_loss(%x: tensor<?x1x4x4xf32> {cnn.input = "image"},
                      %w: tensor<2x1x3x3xf32> {cnn.param = "c.weight"},
                      %t: tensor<?x8xf32> {cnn.input = "target"}) -> (tensor<f32> {cnn.loss}) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op has no gradient rule: differentiate the program before fusion}}
  %c = cnn.fused_conv_act_pool %x, %w act relu : (tensor<?x1x4x4xf32>, tensor<2x1x3x3xf32>) -> tensor<?x2x2x2xf32>
  %f = cnn.flatten %c : tensor<?x2x2x2xf32> -> tensor<?x8xf32>
  %l = cnn.mse %f, %t : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
