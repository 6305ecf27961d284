// RUN: cnnc-opt %s -split-input-file -cnn-to-linalg | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -cnnc-cpu-to-llvm \
// RUN:   | FileCheck %s --check-prefix=LLVM

// StridedConvPhases.cpp: a strided convolution is computed at unit stride
// over its input's stride phases (space to depth), so the CPU's vector loops
// take it. Numbers: LoweringNumericsTest.cpp (forward) and
// LoweringGradientNumericsTest.cpp (weight gradient).

// Tests AlexNet's 11x11/4 shape on a 31x31 input (6x6 outputs): the weight
// is padded to 12x12 and split into 4x4 phases of 3x3 (48 channels); the
// input is padded to 8·4 = 32 rows and columns and split the same way; one
// unit-stride conv adds onto the broadcast bias.
// CHECK-LABEL: func @conv
// CHECK:         %[[BIAS:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<8xf32>)
// CHECK:         %[[WP:.*]] = tensor.insert_slice %arg1 into %{{.*}}[0, 0, 0, 0] [8, 3, 11, 11] [1, 1, 1, 1] : tensor<8x3x11x11xf32> into tensor<8x3x12x12xf32>
// CHECK:         %[[WE:.*]] = tensor.expand_shape %[[WP]] {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [8, 3, 3, 4, 3, 4]
// CHECK:         %[[WT:.*]] = linalg.transpose ins(%[[WE]] : tensor<8x3x3x4x3x4xf32>) outs(%{{.*}} : tensor<8x3x4x4x3x3xf32>) permutation = [0, 1, 3, 5, 2, 4]
// CHECK:         %[[W:.*]] = tensor.collapse_shape %[[WT]] {{\[}}[0], [1, 2, 3], [4], [5]] : tensor<8x3x4x4x3x3xf32> into tensor<8x48x3x3xf32>
// CHECK:         %[[XP:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 0, 0] [%{{.*}}, 3, 31, 31] [1, 1, 1, 1] : tensor<?x3x31x31xf32> into tensor<?x3x32x32xf32>
// CHECK:         %[[XE:.*]] = tensor.expand_shape %[[XP]] {{\[}}[0], [1], [2, 3], [4, 5]] output_shape [%{{.*}}, 3, 8, 4, 8, 4]
// CHECK:         %[[XT:.*]] = linalg.transpose ins(%[[XE]] : tensor<?x3x8x4x8x4xf32>) outs(%{{.*}} : tensor<?x3x4x4x8x8xf32>) permutation = [0, 1, 3, 5, 2, 4]
// CHECK:         %[[X:.*]] = tensor.collapse_shape %[[XT]] {{\[}}[0], [1, 2, 3], [4], [5]] : tensor<?x3x4x4x8x8xf32> into tensor<?x48x8x8xf32>
// CHECK:         %[[Y:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[X]], %[[W]] : tensor<?x48x8x8xf32>, tensor<8x48x3x3xf32>) outs(%[[BIAS]] : tensor<?x8x6x6xf32>)
// CHECK:         return %[[Y]]
// LLVM-LABEL:  llvm.func @conv
func.func @conv(%x: tensor<?x3x31x31xf32>, %w: tensor<8x3x11x11xf32>, %b: tensor<8xf32>) -> tensor<?x8x6x6xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [4, 4] : (tensor<?x3x31x31xf32>, tensor<8x3x11x11xf32>, tensor<8xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}

// -----

// Tests the weight gradient of 11x11/4 with padding 1 on 59x59 (13x13
// outputs): the padded 61x61 input is cut to the 15·4 = 60 rows and columns
// any output reads, split into phases, reduced at unit stride into
// [8, 48, 3, 3], and the phases are put back in place and cut to 11x11.
// CHECK-LABEL: func @weight_gradient
// CHECK:         %[[XP:.*]] = tensor.insert_slice %arg1 into %{{.*}}[0, 0, 1, 1] [%{{.*}}, 3, 59, 59] [1, 1, 1, 1] : tensor<?x3x59x59xf32> into tensor<?x3x61x61xf32>
// CHECK:         %[[XC:.*]] = tensor.extract_slice %[[XP]][0, 0, 0, 0] [%{{.*}}, 3, 60, 60] [1, 1, 1, 1] : tensor<?x3x61x61xf32> to tensor<?x3x60x60xf32>
// CHECK:         %[[XE:.*]] = tensor.expand_shape %[[XC]]
// CHECK:         %[[XT:.*]] = linalg.transpose ins(%[[XE]] : tensor<?x3x15x4x15x4xf32>) outs(%{{.*}} : tensor<?x3x4x4x15x15xf32>) permutation = [0, 1, 3, 5, 2, 4]
// CHECK:         %[[X:.*]] = tensor.collapse_shape %[[XT]] {{.*}} into tensor<?x48x15x15xf32>
// CHECK:         %[[G:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[X]], %arg0 : tensor<?x48x15x15xf32>, tensor<?x8x13x13xf32>) outs(%{{.*}} : tensor<8x48x3x3xf32>)
// CHECK:         %[[GE:.*]] = tensor.expand_shape %[[G]] {{\[}}[0], [1, 2, 3], [4], [5]] output_shape [8, 3, 4, 4, 3, 3]
// CHECK:         %[[GT:.*]] = linalg.transpose ins(%[[GE]] : tensor<8x3x4x4x3x3xf32>) outs(%{{.*}} : tensor<8x3x3x4x3x4xf32>) permutation = [0, 1, 4, 2, 5, 3]
// CHECK:         %[[GF:.*]] = tensor.collapse_shape %[[GT]] {{\[}}[0], [1], [2, 3], [4, 5]] : tensor<8x3x3x4x3x4xf32> into tensor<8x3x12x12xf32>
// CHECK:         %[[GW:.*]] = tensor.extract_slice %[[GF]][0, 0, 0, 0] [8, 3, 11, 11] [1, 1, 1, 1] : tensor<8x3x12x12xf32> to tensor<8x3x11x11xf32>
// CHECK:         return %[[GW]]
// LLVM-LABEL:  llvm.func @weight_gradient
func.func @weight_gradient(%gy: tensor<?x8x13x13xf32>, %x: tensor<?x3x59x59xf32>) -> tensor<8x3x11x11xf32> {
  %0 = cnn.conv2d_backward_weight %x, %gy kernel [11, 11] stride [4, 4] padding [1, 1] : (tensor<?x3x59x59xf32>, tensor<?x8x13x13xf32>) -> tensor<8x3x11x11xf32>
  return %0 : tensor<8x3x11x11xf32>
}

// -----

// Tests the limit: a 1x1 kernel at stride 2 would do four times the work
// over phases, so it stays a strided conv.
// CHECK-LABEL: func @pointwise_stride2
// CHECK-NOT:     linalg.transpose
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
func.func @pointwise_stride2(%x: tensor<?x4x8x8xf32>, %w: tensor<6x4x1x1xf32>, %b: tensor<6xf32>) -> tensor<?x6x4x4xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [2, 2] : (tensor<?x4x8x8xf32>, tensor<6x4x1x1xf32>, tensor<6xf32>) -> tensor<?x6x4x4xf32>
  return %0 : tensor<?x6x4x4xf32>
}
