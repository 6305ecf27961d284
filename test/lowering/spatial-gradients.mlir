// RUN: cnnc-opt %s -split-input-file -cnn-to-linalg | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -cnnc-cpu-to-llvm \
// RUN:   | FileCheck %s --check-prefix=LLVM

// The conv, pool and subsample backward ops (SpatialGradientsToLinalg.cpp,
// MaxPoolGradientToLinalg.cpp): every result element gathers what it
// depends on, so each case is destination-style linalg that bufferizes and
// lowers to LLVM (the LLVM run). Numbers: LoweringGradientNumericsTest.cpp.

// Tests the LeNet-5 C3 shape of conv backward (stride 1, connection table):
// the input gradient correlates the grad_output, zero-padded by KH-1, with the
// flipped, transposed, masked weight; the weight gradient is one reduction
// over (n, oh, ow), then masked.
// CHECK-DAG:     #[[$FLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0 * 2 + d2, d1, -d3 + 2, -d4 + 2)>
// CHECK-DAG:     #[[$TABLE:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0 * 2 + d2, d1)>
// CHECK-DAG:     #[[$X:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d1, d5 + d2, d6 + d3)>
// CHECK-DAG:     #[[$GY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d4, d0, d5, d6)>
// CHECK-LABEL: func @conv_backward_lenet_c3
// CHECK:         %[[GRID:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 2, 2] [%{{.*}}, 2, 4, 4] [1, 1, 1, 1] : tensor<?x2x4x4xf32> into tensor<?x2x8x8xf32>
// CHECK:         %[[MASK:.*]] = arith.constant dense<{{\[}}[true, false, true], [false, true, true]]> : tensor<2x3xi1>
// CHECK:         %[[WT:.*]] = linalg.generic {indexing_maps = [#[[$FLIP]], #[[$TABLE]], #{{.*}}]{{.*}} ins(%arg1, %[[MASK]] : tensor<2x3x3x3xf32>, tensor<2x3xi1>) outs(%{{.*}} : tensor<1x3x2x3x3xf32>)
// CHECK:           arith.select
// CHECK:         %[[WT4:.*]] = tensor.collapse_shape %[[WT]] {{\[}}[0, 1], [2], [3], [4]] : tensor<1x3x2x3x3xf32> into tensor<3x2x3x3xf32>
// CHECK:         %[[GX:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[GRID]], %[[WT4]] : tensor<?x2x8x8xf32>, tensor<3x2x3x3xf32>) outs(%{{.*}} : tensor<?x3x6x6xf32>)
// CHECK:         %[[GW:.*]] = linalg.generic {indexing_maps = [#[[$X]], #[[$GY]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%arg2, %arg0 : tensor<?x3x6x6xf32>, tensor<?x2x4x4xf32>) outs(%{{.*}} : tensor<2x3x3x3xf32>)
// CHECK:           arith.mulf
// CHECK:           arith.addf
// CHECK:         %[[MASKED:.*]] = linalg.generic {{.*}} ins(%[[GW]], %{{.*}} : tensor<2x3x3x3xf32>, tensor<2x3xi1>)
// CHECK:           arith.select
// CHECK:         return %[[GX]], %[[MASKED]]
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @conv_backward_lenet_c3
func.func @conv_backward_lenet_c3(%gy: tensor<?x2x4x4xf32>, %w: tensor<2x3x3x3xf32>, %x: tensor<?x3x6x6xf32>) -> (tensor<?x3x6x6xf32>, tensor<2x3x3x3xf32>) {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [6, 6] connections dense<[[true, false, true], [false, true, true]]> : tensor<2x3xi1> : (tensor<?x2x4x4xf32>, tensor<2x3x3x3xf32>) -> tensor<?x3x6x6xf32>
  %1 = cnn.conv2d_backward_weight %x, %gy kernel [3, 3] connections dense<[[true, false, true], [false, true, true]]> : tensor<2x3xi1> : (tensor<?x3x6x6xf32>, tensor<?x2x4x4xf32>) -> tensor<2x3x3x3xf32>
  return %0, %1 : tensor<?x3x6x6xf32>, tensor<2x3x3x3xf32>
}

// -----

// Tests AlexNet's 11x11/4 conv with padding 1: grad_output is spread with
// stride 4 at offset 11 - 1 - 1 = 9 on a 59 + 10 grid, then a stride-1 conv;
// the weight gradient reads x padded by 1, over its stride phases
// (strided-conv-phases.mlir).
// CHECK-LABEL: func @conv_backward_strided
// CHECK:         %[[GRID:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 9, 9] [%{{.*}}, 8, 13, 13] [1, 1, 4, 4] : tensor<?x8x13x13xf32> into tensor<?x8x69x69xf32>
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[GRID]], %{{.*}} : tensor<?x8x69x69xf32>, tensor<3x8x11x11xf32>) outs(%{{.*}} : tensor<?x3x59x59xf32>)
// CHECK:         %[[XP:.*]] = tensor.insert_slice %arg2 into %{{.*}}[0, 0, 1, 1] [%{{.*}}, 3, 59, 59] [1, 1, 1, 1]
// CHECK:         linalg.transpose ins(%{{.*}} : tensor<?x3x15x4x15x4xf32>)
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @conv_backward_strided
func.func @conv_backward_strided(%gy: tensor<?x8x13x13xf32>, %w: tensor<8x3x11x11xf32>, %x: tensor<?x3x59x59xf32>) -> (tensor<?x3x59x59xf32>, tensor<8x3x11x11xf32>) {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [59, 59] stride [4, 4] padding [1, 1] : (tensor<?x8x13x13xf32>, tensor<8x3x11x11xf32>) -> tensor<?x3x59x59xf32>
  %1 = cnn.conv2d_backward_weight %x, %gy kernel [11, 11] stride [4, 4] padding [1, 1] : (tensor<?x3x59x59xf32>, tensor<?x8x13x13xf32>) -> tensor<8x3x11x11xf32>
  return %0, %1 : tensor<?x3x59x59xf32>, tensor<8x3x11x11xf32>
}

// -----

// Tests groups 2 with dilation 2: the input gradient runs the grouped named
// conv over split channels, dilated like the forward op; the weight gradient
// iterates (g, f, c, kh, kw, n, oh, ow), offsets x's and grad_output's
// channels by the group and merges the groups back.
// CHECK-DAG:     #[[$GFLIP:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0 * 3 + d2, d1, -d3 + 2, -d4 + 2)>
// CHECK-DAG:     #[[$GX:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d0 * 2 + d2, d6 + d3 * 2, d7 + d4 * 2)>
// CHECK-DAG:     #[[$GGY:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d5, d0 * 3 + d1, d6, d7)>
// CHECK-LABEL: func @conv_backward_groups_dilation
// CHECK:         %[[GRID:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 3, 3] [2, 6, 5, 5] [1, 1, 1, 1] : tensor<2x6x5x5xf32> into tensor<2x6x11x11xf32>
// CHECK:         %[[WT:.*]] = linalg.generic {indexing_maps = [#[[$GFLIP]], {{.*}} ins(%arg1 : tensor<6x2x3x3xf32>) outs(%{{.*}} : tensor<2x2x3x3x3xf32>)
// CHECK:         %[[SPLIT:.*]] = tensor.expand_shape %[[GRID]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 3, 11, 11]
// CHECK:         %[[CONV:.*]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[SPLIT]], %[[WT]] : tensor<2x2x3x11x11xf32>, tensor<2x2x3x3x3xf32>) outs(%{{.*}} : tensor<2x2x2x7x7xf32>)
// CHECK:         %[[GXM:.*]] = tensor.collapse_shape %[[CONV]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x2x2x7x7xf32> into tensor<2x4x7x7xf32>
// CHECK:         %[[GW:.*]] = linalg.generic {indexing_maps = [#[[$GX]], #[[$GGY]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}{{.*}} outs(%{{.*}} : tensor<2x3x2x3x3xf32>)
// CHECK:         %[[GWM:.*]] = tensor.collapse_shape %[[GW]] {{\[}}[0, 1], [2], [3], [4]] : tensor<2x3x2x3x3xf32> into tensor<6x2x3x3xf32>
// CHECK:         return %[[GXM]], %[[GWM]]
// LLVM-LABEL:  llvm.func @conv_backward_groups_dilation
func.func @conv_backward_groups_dilation(%gy: tensor<2x6x5x5xf32>, %w: tensor<6x2x3x3xf32>, %x: tensor<2x4x7x7xf32>) -> (tensor<2x4x7x7xf32>, tensor<6x2x3x3xf32>) {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [7, 7] padding [1, 1] dilation [2, 2] groups 2 : (tensor<2x6x5x5xf32>, tensor<6x2x3x3xf32>) -> tensor<2x4x7x7xf32>
  %1 = cnn.conv2d_backward_weight %x, %gy kernel [3, 3] padding [1, 1] dilation [2, 2] groups 2 : (tensor<2x4x7x7xf32>, tensor<2x6x5x5xf32>) -> tensor<6x2x3x3xf32>
  return %0, %1 : tensor<2x4x7x7xf32>, tensor<6x2x3x3xf32>
}

// -----

// Tests padding wider than the dilated kernel (3 > 3 - 1): the first and last
// outputs read only padding, so they are sliced off before the spread.
// CHECK-LABEL: func @conv_backward_input_wide_padding
// CHECK:         %[[INNER:.*]] = tensor.extract_slice %arg0[0, 0, 1, 1] [1, 2, 4, 4] [1, 1, 1, 1] : tensor<1x2x5x5xf32> to tensor<1x2x4x4xf32>
// CHECK:         tensor.insert_slice %[[INNER]] into %{{.*}}[0, 0, 1, 1] [1, 2, 4, 4] [1, 1, 2, 2] : tensor<1x2x4x4xf32> into tensor<1x2x8x8xf32>
// CHECK:         linalg.conv_2d_nchw_fchw
// LLVM-LABEL:  llvm.func @conv_backward_input_wide_padding
func.func @conv_backward_input_wide_padding(%gy: tensor<1x2x5x5xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  %0 = cnn.conv2d_backward_input %gy, %w input_size [6, 6] stride [2, 2] padding [3, 3] : (tensor<1x2x5x5xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return %0 : tensor<1x2x6x6xf32>
}

// -----

// Tests an overlapping, padded avg_pool2d_backward: the spread grid, a
// stride-1 window sum over it, then 1/9.
// CHECK-LABEL: func @avg_pool2d_backward
// CHECK:         %[[GRID:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1, 1] [%{{.*}}, 2, 3, 3] [1, 1, 2, 2] : tensor<?x2x3x3xf32> into tensor<?x2x7x7xf32>
// CHECK:         %[[SUM:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[GRID]], %{{.*}} : tensor<?x2x7x7xf32>, tensor<3x3xf32>) outs(%{{.*}} : tensor<?x2x5x5xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[SUM]] : tensor<?x2x5x5xf32>)
// CHECK:           arith.constant 0.111111112 : f32
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @avg_pool2d_backward
func.func @avg_pool2d_backward(%gy: tensor<?x2x3x3xf32>) -> tensor<?x2x5x5xf32> {
  %0 = cnn.avg_pool2d_backward %gy kernel [3, 3] stride [2, 2] padding [1, 1] input_size [5, 5] : tensor<?x2x3x3xf32> -> tensor<?x2x5x5xf32>
  return %0 : tensor<?x2x5x5xf32>
}

// -----

// Tests AlexNet's overlapping 3x3/2 max_pool2d_backward: a two-result
// reduction finds each window's first maximum and its tap (ties go to the
// smaller tap), then each input element gathers from the windows
// (h floordiv 2 - j) whose winner it is, over grad_output and winners padded
// by one window (winner -1).
// CHECK-DAG:     #[[$WIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 * 2 + d4, d3 * 2 + d5)>
// CHECK-DAG:     #[[$GATHER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 floordiv 2 - d4 + 1, d3 floordiv 2 - d5 + 1)>
// CHECK-LABEL: func @max_pool2d_backward
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[MAX0:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?x96x27x27xf32>)
// CHECK:         %[[ARG0:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<?x96x27x27xi32>)
// CHECK:         %[[ARGMAX:.*]]:2 = linalg.generic {indexing_maps = [#[[$WIN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%arg1, %{{.*}} : tensor<?x96x55x55xf32>, tensor<3x3xf32>) outs(%[[MAX0]], %[[ARG0]] : tensor<?x96x27x27xf32>, tensor<?x96x27x27xi32>)
// CHECK:           arith.cmpf ogt
// CHECK:           arith.cmpf oeq
// CHECK:           arith.cmpi slt
// CHECK:         %[[GYP:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1, 1] [%{{.*}}, 96, 27, 27] [1, 1, 1, 1] : tensor<?x96x27x27xf32> into tensor<?x96x29x29xf32>
// CHECK:         %[[NONE:.*]] = arith.constant -1 : i32
// CHECK:         linalg.fill ins(%[[NONE]] : i32)
// CHECK:         %[[WINP:.*]] = tensor.insert_slice %[[ARGMAX]]#1 into %{{.*}}[0, 0, 1, 1] [%{{.*}}, 96, 27, 27] [1, 1, 1, 1] : tensor<?x96x27x27xi32> into tensor<?x96x29x29xi32>
// CHECK:         linalg.generic {indexing_maps = [#[[$GATHER]], #[[$GATHER]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[GYP]], %[[WINP]], %{{.*}} : tensor<?x96x29x29xf32>, tensor<?x96x29x29xi32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<?x96x55x55xf32>)
// CHECK:           arith.remui
// CHECK:           arith.cmpi eq
// CHECK:           arith.select
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @max_pool2d_backward
func.func @max_pool2d_backward(%gy: tensor<?x96x27x27xf32>, %x: tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32> {
  %0 = cnn.max_pool2d_backward %gy, %x kernel [3, 3] stride [2, 2] : (tensor<?x96x27x27xf32>, tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32>
  return %0 : tensor<?x96x55x55xf32>
}

// -----

// Tests LeNet-5's trainable subsampling: the input gradient is the
// avg-pool gradient scaled by coefficient[c] / 4; the coefficient gradient
// sums grad_output times the forward window sums over (n, oh, ow).
// CHECK-DAG:     #[[$CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @subsample2d_backward
// CHECK:         %[[SUM:.*]] = linalg.pooling_nchw_sum {{.*}} outs(%{{.*}} : tensor<?x6x28x28xf32>)
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[$CH]], #{{.*}}]{{.*}} ins(%[[SUM]], %arg1 : tensor<?x6x28x28xf32>, tensor<6xf32>)
// CHECK:           arith.constant 2.500000e-01 : f32
// CHECK:         %[[WSUM:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%arg2, %{{.*}} : tensor<?x6x28x28xf32>, tensor<2x2xf32>) outs(%{{.*}} : tensor<?x6x14x14xf32>)
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[$CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%arg0, %[[WSUM]] : tensor<?x6x14x14xf32>, tensor<?x6x14x14xf32>) outs(%{{.*}} : tensor<6xf32>)
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @subsample2d_backward
func.func @subsample2d_backward(%gy: tensor<?x6x14x14xf32>, %c: tensor<6xf32>, %x: tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>) {
  %0 = cnn.subsample2d_backward_input %gy, %c kernel [2, 2] stride [2, 2] input_size [28, 28] : (tensor<?x6x14x14xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
  %1 = cnn.subsample2d_backward_coefficient %gy, %x kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> tensor<6xf32>
  return %0, %1 : tensor<?x6x28x28xf32>, tensor<6xf32>
}
