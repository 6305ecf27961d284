// RUN: cnnc-opt %s -split-input-file -verify-diagnostics

func.func @conv_input_size_mismatch(%gy: tensor<?x16x10x10xf32>, %w: tensor<16x6x5x5xf32>) -> tensor<?x6x12x12xf32> {
  // expected-error @+1 {{grad_output has shape [?, 16, 10, 10] but the forward layer's result has shape [?, 16, 8, 8]}}
  %0 = cnn.conv2d_backward_input %gy, %w input_size [12, 12] : (tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>) -> tensor<?x6x12x12xf32>
  return %0 : tensor<?x6x12x12xf32>
}

// -----

func.func @activation_none(%gy: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{act must be an activation, not none}}
  %0 = cnn.activation_backward %gy, %gy act none : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @unflatten_count(%x: tensor<?x84xf32>) -> tensor<?x20x2x2xf32> {
  // expected-error @+1 {{grad_output has shape [?, 84] but the forward layer's result has shape [?, 80]}}
  %0 = cnn.unflatten %x sizes [20, 2, 2] : tensor<?x84xf32> -> tensor<?x20x2x2xf32>
  return %0 : tensor<?x20x2x2xf32>
}

// -----

func.func @concat_backward_past_end(%gy: tensor<?x16x2x2xf32>) -> tensor<?x6x2x2xf32> {
  // expected-error @+1 {{offset 12 and size 6 along axis 1 reach past grad_output [?, 16, 2, 2]}}
  %0 = cnn.concat_backward %gy axis 1 offset 12 size 6 : tensor<?x16x2x2xf32> -> tensor<?x6x2x2xf32>
  return %0 : tensor<?x6x2x2xf32>
}

// -----

func.func @concat_backward_axis(%gy: tensor<?x16x2x2xf32>) -> tensor<?x16x2x2xf32> {
  // expected-error @+1 {{axis 4 is out of range for grad_output of rank 4}}
  %0 = cnn.concat_backward %gy axis 4 offset 0 size 2 : tensor<?x16x2x2xf32> -> tensor<?x16x2x2xf32>
  return %0 : tensor<?x16x2x2xf32>
}

// -----

func.func @concat_backward_empty(%gy: tensor<?x16x2x2xf32>) -> tensor<?x0x2x2xf32> {
  // expected-error @+1 {{offset must be at least 0 and size at least 1, got offset 3 and size 0}}
  %0 = cnn.concat_backward %gy axis 1 offset 3 size 0 : tensor<?x16x2x2xf32> -> tensor<?x0x2x2xf32>
  return %0 : tensor<?x0x2x2xf32>
}

// -----

func.func @pool_grad_mismatch(%gy: tensor<?x6x13x13xf32>) -> tensor<?x6x28x28xf32> {
  // expected-error @+1 {{grad_output has shape [?, 6, 13, 13] but the forward layer's result has shape [?, 6, 14, 14]}}
  %0 = cnn.avg_pool2d_backward %gy kernel [2, 2] stride [2, 2] input_size [28, 28] : tensor<?x6x13x13xf32> -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

func.func @adam_types(%p: tensor<64xf32>, %g: tensor<32xf32>, %lr: f32, %step: i64) -> tensor<64xf32> {
  // expected-error @+1 {{all of {param, grad, exp_avg, exp_avg_sq, new_param, new_exp_avg, new_exp_avg_sq} have same type}}
  %0:3 = "cnn.adam_update"(%p, %g, %p, %p, %lr, %step) {beta1 = 0.9 : f32, beta2 = 0.999 : f32, eps = 1.0e-8 : f32} : (tensor<64xf32>, tensor<32xf32>, tensor<64xf32>, tensor<64xf32>, f32, i64) -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
  return %0#0 : tensor<64xf32>
}

// -----

func.func @fused_backward_pool_mismatch(%gy: tensor<?x6x13x13xf32>, %y: tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  // expected-error @+1 {{grad_output has shape [?, 6, 13, 13] but the forward layer's result has shape [?, 6, 14, 14]}}
  %0:2 = cnn.fused_pool_act_backward %gy, %y act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x6x13x13xf32>, tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
  return %0#0 : tensor<?x6x28x28xf32>
}

// -----

func.func @fused_backward_window_without_pool(%g: tensor<?x6x28x28xf32>, %y: tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  // expected-error @+1 {{pool_kernel, pool_stride and pool_padding are only meaningful with pool}}
  %0:2 = cnn.fused_pool_act_backward %g, %y act tanh pool_padding [1, 1] : (tensor<?x6x28x28xf32>, tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
  return %0#0 : tensor<?x6x28x28xf32>
}

// -----

func.func @fused_backward_no_activation(%g: tensor<?x6x28x28xf32>, %y: tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  // expected-error @+1 {{act must be an activation, not none}}
  %0:2 = cnn.fused_pool_act_backward %g, %y act none : (tensor<?x6x28x28xf32>, tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
  return %0#0 : tensor<?x6x28x28xf32>
}

// -----

func.func @fused_backward_bias_type(%g: tensor<?x6x28x28xf32>, %y: tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  // expected-error @+1 {{result type 'tensor<16xf32>' does not match the inferred 'tensor<6xf32>'}}
  %0:2 = cnn.fused_pool_act_backward %g, %y act tanh : (tensor<?x6x28x28xf32>, tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<16xf32>)
  return %0#0 : tensor<?x6x28x28xf32>
}

// -----

func.func @fused_backward_rank(%g: tensor<?x6xf32>, %y: tensor<?x6xf32>) -> tensor<?x6xf32> {
  // expected-error @+1 {{output must be [N, C, H, W] with static C, got [?, 6]}}
  %0:2 = cnn.fused_pool_act_backward %g, %y act tanh : (tensor<?x6xf32>, tensor<?x6xf32>) -> (tensor<?x6xf32>, tensor<6xf32>)
  return %0#0 : tensor<?x6xf32>
}
