// RUN: cnnc-opt %s -split-input-file -cnn-fuse-conv-act-pool | FileCheck %s
// RUN: cnnc-opt %s -split-input-file \
// RUN:   -pass-pipeline='builtin.module(func.func(cnn-fuse-conv-act-pool{fuse-pool=false}))' \
// RUN:   | FileCheck %s --check-prefix=NOPOOL

// cnn-fuse-conv-act-pool (FuseConvActPool.cpp). Numbers: fused and --no-fuse
// builds of every model agree (ModelsEndToEndTest.cpp, FusedMatchesUnfused).

// Tests LeNet-5's c1 block: conv (padding 2) + tanh + 2x2/2 average pool
// become one op carrying the conv's padding and the pool's window.
// CHECK-LABEL: func @conv_tanh_avg
// CHECK-NEXT:    %[[Y:.*]] = cnn.fused_conv_act_pool %arg0, %arg1, %arg2 padding [2, 2] act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
// CHECK-NEXT:    return %[[Y]]
// NOPOOL-LABEL: func @conv_tanh_avg
// NOPOOL:         cnn.fused_conv_act_pool {{.*}} act tanh : {{.*}} -> tensor<?x6x28x28xf32>
// NOPOOL-NEXT:    cnn.avg_pool2d
func.func @conv_tanh_avg(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>) -> tensor<?x6x14x14xf32> {
  %0 = cnn.conv2d %x, %w, %b padding [2, 2] : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
  %1 = cnn.tanh %0 : tensor<?x6x28x28xf32>
  %2 = cnn.avg_pool2d %1 kernel [2, 2] stride [2, 2] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return %2 : tensor<?x6x14x14xf32>
}

// -----

// Tests AlexNet's block: relu + overlapping 3x3/2 max pool fuse too (the
// CPU code then lowers that fused op as its parts).
// CHECK-LABEL: func @conv_relu_max
// CHECK:         cnn.fused_conv_act_pool %arg0, %arg1, %arg2 stride [4, 4] act relu pool max kernel [3, 3] stride [2, 2]
// CHECK-NOT:     cnn.relu
func.func @conv_relu_max(%x: tensor<?x3x227x227xf32>, %w: tensor<96x3x11x11xf32>, %b: tensor<96xf32>) -> tensor<?x96x27x27xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [4, 4] : (tensor<?x3x227x227xf32>, tensor<96x3x11x11xf32>, tensor<96xf32>) -> tensor<?x96x55x55xf32>
  %1 = cnn.relu %0 : tensor<?x96x55x55xf32>
  %2 = cnn.max_pool2d %1 kernel [3, 3] stride [2, 2] : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
  return %2 : tensor<?x96x27x27xf32>
}

// -----

// Tests that an activation with another use keeps the conv and activation
// fused but the pool apart, and that the activation map is still returned.
// CHECK-LABEL: func @activation_used_twice
// CHECK:         %[[A:.*]] = cnn.fused_conv_act_pool {{.*}} act sigmoid : {{.*}} -> tensor<?x4x8x8xf32>
// CHECK:         %[[P:.*]] = cnn.max_pool2d %[[A]]
// CHECK:         return %[[P]], %[[A]]
func.func @activation_used_twice(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>) -> (tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>) {
  %0 = cnn.conv2d %x, %w : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = cnn.sigmoid %0 : tensor<?x4x8x8xf32>
  %2 = cnn.max_pool2d %1 kernel [2, 2] stride [2, 2] : tensor<?x4x8x8xf32> -> tensor<?x4x4x4xf32>
  return %2, %1 : tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>
}

// -----

// Tests that a conv whose output is also used elsewhere is not fused.
// CHECK-LABEL: func @conv_used_twice
// CHECK:         cnn.conv2d
// CHECK:         cnn.relu
// CHECK-NOT:     cnn.fused_conv_act_pool
func.func @conv_used_twice(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>) -> (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) {
  %0 = cnn.conv2d %x, %w : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = cnn.relu %0 : tensor<?x4x8x8xf32>
  return %1, %0 : tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>
}

// -----

// Tests that a conv covering its whole input (LeNet-5's c5, a dense layer)
// is not fused.
// CHECK-LABEL: func @dense_like
// CHECK:         cnn.conv2d
// CHECK-NOT:     cnn.fused_conv_act_pool
func.func @dense_like(%x: tensor<?x16x5x5xf32>, %w: tensor<120x16x5x5xf32>) -> tensor<?x120x1x1xf32> {
  %0 = cnn.conv2d %x, %w : (tensor<?x16x5x5xf32>, tensor<120x16x5x5xf32>) -> tensor<?x120x1x1xf32>
  %1 = cnn.tanh %0 : tensor<?x120x1x1xf32>
  return %1 : tensor<?x120x1x1xf32>
}

// -----

// Tests the training step's shape: the backward pass reads the activation
// map, so conv and tanh fuse, the fused op's result is that map, and the
// pool stays a separate op reading it.
// CHECK-LABEL: func @training
// CHECK:         %[[Y:.*]] = cnn.fused_conv_act_pool %arg0, %arg1 act tanh : {{.*}} -> tensor<?x4x8x8xf32>
// CHECK-NOT:     pool avg
// CHECK:         %[[P:.*]] = cnn.avg_pool2d %[[Y]]
// CHECK:         %[[G:.*]] = cnn.activation_backward %arg2, %[[Y]] act tanh
// CHECK:         return %[[P]], %[[G]]
func.func @training(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>, %gy: tensor<?x4x8x8xf32>) -> (tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>) attributes {cnn.training} {
  %0 = cnn.conv2d %x, %w : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = cnn.tanh %0 : tensor<?x4x8x8xf32>
  %2 = cnn.avg_pool2d %1 kernel [2, 2] stride [2, 2] : tensor<?x4x8x8xf32> -> tensor<?x4x4x4xf32>
  %3 = cnn.activation_backward %gy, %1 act tanh : tensor<?x4x8x8xf32>
  return %2, %3 : tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>
}
