// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests LeNet-5's C1 + tanh + 2x2 average pool as one op: 32x32 -> 28x28 -> 14x14,
// and that conv attributes and pool_padding written with their default values
// are not printed.
// CHECK-LABEL: func @lenet_c1_tanh_avg
// CHECK:         cnn.fused_conv_act_pool %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}
// CHECK-NOT:     {{stride|padding|dilation|groups}}
// CHECK-SAME:    act tanh pool avg kernel [2, 2] stride [2, 2]
// CHECK-NOT:     pool_padding
// CHECK-SAME:    : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
func.func @lenet_c1_tanh_avg(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>) -> tensor<?x6x14x14xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b stride [1, 1] padding [0, 0] dilation [1, 1] groups 1
         act tanh pool avg kernel [2, 2] stride [2, 2] pool_padding [0, 0]
         : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests a fused conv + relu without a pool and without a bias, on a static batch:
// the result is the convolution's size and nothing about pooling is printed.
// CHECK-LABEL: func @conv_relu_no_pool
// CHECK:         cnn.fused_conv_act_pool %{{[^ ]*}}, %{{[^ ]*}} act relu
// CHECK-NOT:     pool
// CHECK-SAME:    : (tensor<4x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<4x6x28x28xf32>
func.func @conv_relu_no_pool(%x: tensor<4x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<4x6x28x28xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w act relu : (tensor<4x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<4x6x28x28xf32>
  return %0 : tensor<4x6x28x28xf32>
}

// -----

// Tests AlexNet's conv1 + relu + overlapping max pool: 227 -> 55 -> 27.
// CHECK-LABEL: func @alexnet_conv1_relu_max
// CHECK:         cnn.fused_conv_act_pool %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} stride [4, 4] act relu pool max kernel [3, 3] stride [2, 2] : (tensor<?x3x227x227xf32>, tensor<96x3x11x11xf32>, tensor<96xf32>) -> tensor<?x96x27x27xf32>
func.func @alexnet_conv1_relu_max(%x: tensor<?x3x227x227xf32>, %w: tensor<96x3x11x11xf32>, %b: tensor<96xf32>) -> tensor<?x96x27x27xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b stride [4, 4] act relu pool max kernel [3, 3] stride [2, 2]
         : (tensor<?x3x227x227xf32>, tensor<96x3x11x11xf32>, tensor<96xf32>) -> tensor<?x96x27x27xf32>
  return %0 : tensor<?x96x27x27xf32>
}

// -----

// Tests AlexNet's grouped conv2 + relu + max pool: 27 -> 27 -> 13.
// CHECK-LABEL: func @alexnet_conv2_groups
// CHECK:         cnn.fused_conv_act_pool %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} padding [2, 2] groups 2 act relu pool max kernel [3, 3] stride [2, 2] : (tensor<?x96x27x27xf32>, tensor<256x48x5x5xf32>, tensor<256xf32>) -> tensor<?x256x13x13xf32>
func.func @alexnet_conv2_groups(%x: tensor<?x96x27x27xf32>, %w: tensor<256x48x5x5xf32>, %b: tensor<256xf32>) -> tensor<?x256x13x13xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b padding [2, 2] groups 2 act relu pool max kernel [3, 3] stride [2, 2]
         : (tensor<?x96x27x27xf32>, tensor<256x48x5x5xf32>, tensor<256xf32>) -> tensor<?x256x13x13xf32>
  return %0 : tensor<?x256x13x13xf32>
}

// -----

// Tests a padded pool: the convolution gives 55, then (55 + 2 - 3) / 2 + 1 = 28.
// CHECK-LABEL: func @pool_padding
// CHECK:         cnn.fused_conv_act_pool %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} stride [4, 4] act relu pool max kernel [3, 3] stride [2, 2] pool_padding [1, 1] : (tensor<2x3x227x227xf32>, tensor<96x3x11x11xf32>, tensor<96xf32>) -> tensor<2x96x28x28xf32>
func.func @pool_padding(%x: tensor<2x3x227x227xf32>, %w: tensor<96x3x11x11xf32>, %b: tensor<96xf32>) -> tensor<2x96x28x28xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b stride [4, 4] act relu pool max kernel [3, 3] stride [2, 2] pool_padding [1, 1]
         : (tensor<2x3x227x227xf32>, tensor<96x3x11x11xf32>, tensor<96xf32>) -> tensor<2x96x28x28xf32>
  return %0 : tensor<2x96x28x28xf32>
}

// -----

// Tests LeNet-5's C3 with its connection table + scaled tanh + average pool:
// 14 -> 10 -> 5.
// CHECK-LABEL: func @lenet_c3_table
// CHECK:         cnn.fused_conv_act_pool %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} connections dense<{{\[}}[true, true, true, false, false, false], {{.*}}, [true, true, true, true, true, true]]> : tensor<16x6xi1> act scaled_tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) -> tensor<?x16x5x5xf32>
func.func @lenet_c3_table(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %b: tensor<16xf32>) -> tensor<?x16x5x5xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b connections dense<[
      [true,  true,  true,  false, false, false],
      [false, true,  true,  true,  false, false],
      [false, false, true,  true,  true,  false],
      [false, false, false, true,  true,  true ],
      [true,  false, false, false, true,  true ],
      [true,  true,  false, false, false, true ],
      [true,  true,  true,  true,  false, false],
      [false, true,  true,  true,  true,  false],
      [false, false, true,  true,  true,  true ],
      [true,  false, false, true,  true,  true ],
      [true,  true,  false, false, true,  true ],
      [true,  true,  true,  false, false, true ],
      [true,  true,  false, true,  true,  false],
      [false, true,  true,  false, true,  true ],
      [true,  false, true,  true,  false, true ],
      [true,  true,  true,  true,  true,  true ]]> : tensor<16x6xi1>
    act scaled_tanh pool avg kernel [2, 2] stride [2, 2]
    : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) -> tensor<?x16x5x5xf32>
  return %0 : tensor<?x16x5x5xf32>
}

// -----

// Tests the remaining activations with stride, padding and dilation:
// (17 + 2 - 5) / 2 + 1 = 8 after the convolution, then 4 after the pool.
// CHECK-LABEL: func @other_activations
// CHECK:         cnn.fused_conv_act_pool %{{[^ ]*}}, %{{[^ ]*}} stride [2, 2] padding [1, 1] dilation [2, 2] act none : (tensor<?x8x17x17xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x8x8xf32>
// CHECK:         cnn.fused_conv_act_pool %{{[^ ]*}}, %{{[^ ]*}} stride [2, 2] padding [1, 1] dilation [2, 2] act sigmoid pool avg kernel [2, 2] stride [2, 2] : (tensor<?x8x17x17xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x4x4xf32>
func.func @other_activations(%x: tensor<?x8x17x17xf32>, %w: tensor<8x8x3x3xf32>) -> (tensor<?x8x8x8xf32>, tensor<?x8x4x4xf32>) {
  %0 = cnn.fused_conv_act_pool %x, %w stride [2, 2] padding [1, 1] dilation [2, 2] act none
         : (tensor<?x8x17x17xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x8x8xf32>
  %1 = cnn.fused_conv_act_pool %x, %w stride [2, 2] padding [1, 1] dilation [2, 2] act sigmoid pool avg kernel [2, 2] stride [2, 2]
         : (tensor<?x8x17x17xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x4x4xf32>
  return %0, %1 : tensor<?x8x8x8xf32>, tensor<?x8x4x4xf32>
}
