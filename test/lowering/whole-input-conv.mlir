// RUN: cnnc-opt %s -split-input-file -cnn-to-linalg | FileCheck %s

// WholeInputConvToLinalg.cpp: a convolution whose kernel covers its whole
// unpadded input (LeNet-5's c5) lowers, with its gradients, as the dense
// layer's matrix products on collapsed shapes. Numbers:
// LoweringNumericsTest.cpp, LoweringGradientNumericsTest.cpp and the
// model-level GradientCheckTest.cpp.

// Tests the forward pass: [N, 400] · [120, 400]ᵀ onto the broadcast bias,
// expanded back to [N, 120, 1, 1].
// CHECK-LABEL: func @conv
// CHECK:         %[[X:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<?x16x5x5xf32> into tensor<?x400xf32>
// CHECK:         %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<120x16x5x5xf32> into tensor<120x400xf32>
// CHECK:         %[[Y:.*]] = linalg.matmul_transpose_b ins(%[[X]], %[[W]] : tensor<?x400xf32>, tensor<120x400xf32>) outs(%{{.*}} : tensor<?x120xf32>)
// CHECK:         tensor.expand_shape %[[Y]] {{\[}}[0], [1, 2, 3]] output_shape [%{{.*}}, 120, 1, 1] : tensor<?x120xf32> into tensor<?x120x1x1xf32>
// CHECK-NOT:     linalg.conv_2d_nchw_fchw
func.func @conv(%x: tensor<?x16x5x5xf32>, %w: tensor<120x16x5x5xf32>, %b: tensor<120xf32>) -> tensor<?x120x1x1xf32> {
  %0 = cnn.conv2d %x, %w, %b : (tensor<?x16x5x5xf32>, tensor<120x16x5x5xf32>, tensor<120xf32>) -> tensor<?x120x1x1xf32>
  return %0 : tensor<?x120x1x1xf32>
}

// -----

// Tests the input gradient: [N, 120] · [120, 400], no zero grid.
// CHECK-LABEL: func @input_gradient
// CHECK:         linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x120xf32>, tensor<120x400xf32>) outs(%{{.*}} : tensor<?x400xf32>)
// CHECK:         tensor.expand_shape {{.*}} : tensor<?x400xf32> into tensor<?x16x5x5xf32>
// CHECK-NOT:     linalg.conv_2d_nchw_fchw
func.func @input_gradient(%gy: tensor<?x120x1x1xf32>, %w: tensor<120x16x5x5xf32>) -> tensor<?x16x5x5xf32> {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [5, 5] : (tensor<?x120x1x1xf32>, tensor<120x16x5x5xf32>) -> tensor<?x16x5x5xf32>
  return %0 : tensor<?x16x5x5xf32>
}

// -----

// Tests the weight gradient: [N, 120]ᵀ · [N, 400], summed over the batch.
// CHECK-LABEL: func @weight_gradient
// CHECK:         linalg.matmul_transpose_a ins(%{{.*}}, %{{.*}} : tensor<?x120xf32>, tensor<?x400xf32>) outs(%{{.*}} : tensor<120x400xf32>)
// CHECK:         tensor.expand_shape {{.*}} : tensor<120x400xf32> into tensor<120x16x5x5xf32>
func.func @weight_gradient(%x: tensor<?x16x5x5xf32>, %gy: tensor<?x120x1x1xf32>) -> tensor<120x16x5x5xf32> {
  %0 = cnn.conv2d_backward_weight %x, %gy kernel [5, 5] : (tensor<?x16x5x5xf32>, tensor<?x120x1x1xf32>) -> tensor<120x16x5x5xf32>
  return %0 : tensor<120x16x5x5xf32>
}

// -----

// Tests that padding keeps the general lowering: the output is no longer
// one pixel.
// CHECK-LABEL: func @padded
// CHECK:         linalg.conv_2d_nchw_fchw
func.func @padded(%x: tensor<?x16x5x5xf32>, %w: tensor<8x16x5x5xf32>) -> tensor<?x8x3x3xf32> {
  %0 = cnn.conv2d %x, %w padding [1, 1] : (tensor<?x16x5x5xf32>, tensor<8x16x5x5xf32>) -> tensor<?x8x3x3xf32>
  return %0 : tensor<?x8x3x3xf32>
}
