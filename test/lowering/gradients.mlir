// RUN: cnnc-opt %s -split-input-file -cnn-to-linalg | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -cnnc-cpu-to-llvm \
// RUN:   | FileCheck %s --check-prefix=LLVM

// The non-spatial backward ops (GradientsToLinalg.cpp): named matmuls for
// dense, linalg.generic for the rest, each lowered all the way to LLVM (the
// LLVM run). Numbers: LoweringGradientNumericsTest.cpp.

// Tests activation_backward: grad_output times the derivative written in the
// forward output y, one element-wise generic per activation.
// CHECK-LABEL: func @activation_backward
// CHECK:         linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<?x84xf32>, tensor<?x84xf32>)
// CHECK:           %[[YY:.*]] = arith.mulf %[[Y:.*]], %[[Y]] : f32
// CHECK:           %[[S:.*]] = arith.subf %{{.*}}, %[[YY]] : f32
// CHECK:           arith.mulf %{{.*}}, %[[S]] : f32
// CHECK:         linalg.generic
// CHECK:           arith.constant 1.1439333 : f32
// CHECK:           arith.constant 0.388523042 : f32
// CHECK:         linalg.generic
// CHECK:           %[[POS:.*]] = arith.cmpf ogt
// CHECK:           arith.select %[[POS]]
// CHECK:         linalg.generic
// CHECK:           %[[ONEMY:.*]] = arith.subf %{{.*}}, %[[Y2:.*]] : f32
// CHECK:           arith.mulf %[[Y2]], %[[ONEMY]] : f32
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @activation_backward
func.func @activation_backward(%gy: tensor<?x84xf32>, %y: tensor<?x84xf32>) -> (tensor<?x84xf32>, tensor<?x84xf32>, tensor<?x84xf32>, tensor<?x84xf32>) {
  %0 = cnn.activation_backward %gy, %y act tanh : tensor<?x84xf32>
  %1 = cnn.activation_backward %gy, %y act scaled_tanh : tensor<?x84xf32>
  %2 = cnn.activation_backward %gy, %y act relu : tensor<?x84xf32>
  %3 = cnn.activation_backward %gy, %y act sigmoid : tensor<?x84xf32>
  return %0, %1, %2, %3 : tensor<?x84xf32>, tensor<?x84xf32>, tensor<?x84xf32>, tensor<?x84xf32>
}

// -----

// Tests bias_backward: one reduction over every dimension but the channel.
// CHECK-DAG:     #[[$CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @bias_backward
// CHECK:         %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<6xf32>)
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[$CH]]], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%arg0 : tensor<?x6x28x28xf32>) outs(%[[ZERO]] : tensor<6xf32>)
// CHECK:           arith.addf
// LLVM-LABEL:  llvm.func @bias_backward
func.func @bias_backward(%gy: tensor<?x6x28x28xf32>) -> tensor<6xf32> {
  %0 = cnn.bias_backward %gy : tensor<?x6x28x28xf32> -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// Tests a fused_pool_act_backward the vector code leaves (an overlapping
// pool) lowered as the chain it fuses: max_pool2d_backward's argmax and
// scatter, then the ReLU' generic over the map, whose result is returned
// and summed per channel.
// CHECK-LABEL: func @fused_pool_act_backward_as_chain
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%arg1,
// CHECK:         %[[SCATTERED:[0-9]+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
// CHECK:         %[[GZ:[0-9]+]] = linalg.generic {{.*}} ins(%[[SCATTERED]], %arg1 : tensor<?x4x13x13xf32>, tensor<?x4x13x13xf32>)
// CHECK:           arith.cmpf ogt
// CHECK:         %[[GB:[0-9]+]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%[[GZ]] : tensor<?x4x13x13xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK:         return %[[GZ]], %[[GB]]
// LLVM-LABEL:  llvm.func @fused_pool_act_backward_as_chain
func.func @fused_pool_act_backward_as_chain(%gy: tensor<?x4x6x6xf32>, %y: tensor<?x4x13x13xf32>) -> (tensor<?x4x13x13xf32>, tensor<4xf32>) {
  %0:2 = cnn.fused_pool_act_backward %gy, %y act relu pool max kernel [3, 3] stride [2, 2] : (tensor<?x4x6x6xf32>, tensor<?x4x13x13xf32>) -> (tensor<?x4x13x13xf32>, tensor<4xf32>)
  return %0#0, %0#1 : tensor<?x4x13x13xf32>, tensor<4xf32>
}

// -----

// Tests dense backward: grad_output · weight is a plain matmul, and
// grad_outputᵀ · input a matmul_transpose_a summing over the dynamic batch.
// CHECK-LABEL: func @dense_backward
// CHECK:         %[[GX:.*]] = linalg.matmul ins(%arg0, %arg1 : tensor<?x10xf32>, tensor<10x84xf32>) outs(%{{.*}} : tensor<?x84xf32>)
// CHECK:         %[[GW:.*]] = linalg.matmul_transpose_a ins(%arg0, %arg2 : tensor<?x10xf32>, tensor<?x84xf32>) outs(%{{.*}} : tensor<10x84xf32>)
// CHECK:         return %[[GX]], %[[GW]]
// LLVM-LABEL:  llvm.func @dense_backward
func.func @dense_backward(%gy: tensor<?x10xf32>, %w: tensor<10x84xf32>, %x: tensor<?x84xf32>) -> (tensor<?x84xf32>, tensor<10x84xf32>) {
  %0 = cnn.dense_backward_input %gy, %w : (tensor<?x10xf32>, tensor<10x84xf32>) -> tensor<?x84xf32>
  %1 = cnn.dense_backward_weight %gy, %x : (tensor<?x10xf32>, tensor<?x84xf32>) -> tensor<10x84xf32>
  return %0, %1 : tensor<?x84xf32>, tensor<10x84xf32>
}

// -----

// Tests unflatten: an expand_shape of dimension 1, no copy.
// CHECK-LABEL: func @unflatten
// CHECK:         %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x120xf32>
// CHECK:         %[[E:.*]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2, 3]] output_shape [%[[N]], 120, 1, 1] : tensor<?x120xf32> into tensor<?x120x1x1xf32>
// CHECK:         return %[[E]]
// LLVM-LABEL:  llvm.func @unflatten
func.func @unflatten(%g: tensor<?x120xf32>) -> tensor<?x120x1x1xf32> {
  %0 = cnn.unflatten %g sizes [120, 1, 1] : tensor<?x120xf32> -> tensor<?x120x1x1xf32>
  return %0 : tensor<?x120x1x1xf32>
}

// -----

// Tests concat_backward: a view of the joined gradient, no copy.
// CHECK-LABEL: func @concat_backward
// CHECK:         %[[N:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x16x5x5xf32>
// CHECK:         %[[S:.*]] = tensor.extract_slice %arg0[0, 6, 0, 0] [%[[N]], 10, 5, 5] [1, 1, 1, 1] : tensor<?x16x5x5xf32> to tensor<?x10x5x5xf32>
// CHECK:         return %[[S]]
// LLVM-LABEL:  llvm.func @concat_backward
func.func @concat_backward(%g: tensor<?x16x5x5xf32>) -> tensor<?x10x5x5xf32> {
  %0 = cnn.concat_backward %g axis 1 offset 6 size 10 : tensor<?x16x5x5xf32> -> tensor<?x10x5x5xf32>
  return %0 : tensor<?x10x5x5xf32>
}

// -----

// Tests AlexNet's LRN backward: the forward window sums of x² (2 channels of
// zeros before, 2 after), one generic yielding gy·s^-beta and
// gy·x·s^(-beta-1), their mirrored window sums, and the combination with
// 2·alpha·beta/size = 3e-5.
// CHECK-DAG:     #[[$SHIFT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 + d4, d2, d3)>
// CHECK-LABEL: func @local_response_norm_backward
// CHECK:         %[[SQ:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<?x96x55x55xf32>)
// CHECK:         %[[SQP:.*]] = tensor.insert_slice %[[SQ]] into %{{.*}}[0, 2, 0, 0] [%{{.*}}, 96, 55, 55] [1, 1, 1, 1] : tensor<?x96x55x55xf32> into tensor<?x100x55x55xf32>
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$SHIFT]], {{.*}} ins(%[[SQP]], %{{.*}} : tensor<?x100x55x55xf32>, tensor<5xf32>)
// CHECK:         %[[PART:.*]]:2 = linalg.generic {{.*}} ins(%arg0, %arg1, %[[SUM]] : {{.*}}) outs(%{{.*}}, %{{.*}} : tensor<?x96x55x55xf32>, tensor<?x96x55x55xf32>)
// CHECK:           arith.constant -7.500000e-01 : f32
// CHECK:           math.powf
// CHECK:           arith.divf
// CHECK:         %[[TP:.*]] = tensor.insert_slice %[[PART]]#1 into %{{.*}}[0, 2, 0, 0]
// CHECK:         %[[CROSS:.*]] = linalg.generic {indexing_maps = [#[[$SHIFT]], {{.*}} ins(%[[TP]], %{{.*}} : tensor<?x100x55x55xf32>, tensor<5xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[PART]]#0, %arg1, %[[CROSS]] :
// CHECK:           arith.constant 3.000000e-05 : f32
// CHECK:           arith.subf
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @local_response_norm_backward
func.func @local_response_norm_backward(%gy: tensor<?x96x55x55xf32>, %x: tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32> {
  %0 = cnn.local_response_norm_backward %gy, %x size 5 alpha 1.0e-4 beta 7.5e-01 k 2.0 : tensor<?x96x55x55xf32>
  return %0 : tensor<?x96x55x55xf32>
}

// -----

// Tests softmax_backward (y·(g - Σ g·y)) and log_softmax_backward
// (g - exp(y)·Σ g): one row reduction, then one element-wise pass that reads
// the row value.
// CHECK-DAG:     #[[$ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @softmax_backward
// CHECK:         %[[DOT:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%arg0, %arg1 : tensor<?x10xf32>, tensor<?x10xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:         linalg.generic {{.*}} ins(%arg0, %arg1, %[[DOT]] : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?xf32>)
// CHECK:           arith.subf
// CHECK:           arith.mulf
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[$ROW]]], iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x10xf32>)
// CHECK:         linalg.generic {{.*}} ins(%arg0, %arg1, %[[SUM]] : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?xf32>)
// CHECK:           math.exp
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @softmax_backward
func.func @softmax_backward(%gy: tensor<?x10xf32>, %y: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  %0 = cnn.softmax_backward %gy, %y : tensor<?x10xf32>
  %1 = cnn.log_softmax_backward %gy, %y : tensor<?x10xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x10xf32>
}

// -----

// Tests cross_entropy_backward: row max and Σ exp(x - max) as in the forward
// loss, then (softmax - onehot(label)) / N with the class index compared to
// the row's label and N read from the dynamic batch.
// CHECK-LABEL: func @cross_entropy_backward
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0 : tensor<?x10xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%arg0, %[[MAX]] : tensor<?x10xf32>, tensor<?xf32>)
// CHECK:           math.exp
// CHECK:         %[[N:.*]] = arith.uitofp
// CHECK:         linalg.generic {{.*}} ins(%arg0, %[[MAX]], %[[SUM]], %arg1 : tensor<?x10xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xi32>)
// CHECK:           %[[CLS:.*]] = linalg.index 1 : index
// CHECK:           %[[C:.*]] = arith.index_cast %[[CLS]] : index to i32
// CHECK:           arith.cmpi eq, %[[C]], %{{.*}} : i32
// CHECK:           arith.divf %{{.*}}, %{{.*}} : f32
// CHECK-NOT:     cnn.
// LLVM-LABEL:  llvm.func @cross_entropy_backward
func.func @cross_entropy_backward(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>) -> tensor<?x10xf32> {
  %0 = cnn.cross_entropy_backward %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Tests mse_backward: 2/count folded to a scalar (2/40), one element-wise pass.
// CHECK-LABEL: func @mse_backward
// CHECK-DAG:     %[[COUNT:.*]] = arith.constant 4.000000e+01 : f32
// CHECK-DAG:     %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:         %[[F:.*]] = arith.divf %[[TWO]], %[[COUNT]] : f32
// CHECK:         linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<4x10xf32>, tensor<4x10xf32>)
// CHECK:           %[[D:.*]] = arith.subf
// CHECK:           arith.mulf %[[D]], %[[F]] : f32
// LLVM-LABEL:  llvm.func @mse_backward
func.func @mse_backward(%p: tensor<4x10xf32>, %t: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = cnn.mse_backward %p, %t : (tensor<4x10xf32>, tensor<4x10xf32>) -> tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}
