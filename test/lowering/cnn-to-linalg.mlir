// RUN: cnnc-opt %s -split-input-file -cnn-to-linalg | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -cnn-to-linalg \
// RUN:   | cnnc-opt -split-input-file \
// RUN:       -one-shot-bufferize="bufferize-function-boundaries" \
// RUN:   | FileCheck %s --check-prefix=BUF

// Tests conv2d with padding and stride: zero padding by fill + insert_slice, the bias broadcast as the init, and a strided named conv (a 1x1 kernel: over stride phases it would do four times the work, strided-conv-phases.mlir).
// CHECK-LABEL: func @conv2d_pad_stride
// CHECK:         %[[DIM:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x3x32x32xf32>
// CHECK:         %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x8x17x17xf32>
// CHECK:         %[[BIAS:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<8xf32>) outs(%[[INIT]] : tensor<?x8x17x17xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[PADE:.*]] = tensor.empty({{.*}}) : tensor<?x3x34x34xf32>
// CHECK:         %[[PADF:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[PADE]] :
// CHECK:         %[[PAD:.*]] = tensor.insert_slice %arg0 into %[[PADF]][0, 0, 1, 1] [%{{.*}}, 3, 32, 32] [1, 1, 1, 1]
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[PAD]], %arg1 : tensor<?x3x34x34xf32>, tensor<8x3x1x1xf32>) outs(%[[BIAS]] : tensor<?x8x17x17xf32>)
// CHECK-NOT:     cnn.
func.func @conv2d_pad_stride(%x: tensor<?x3x32x32xf32>, %w: tensor<8x3x1x1xf32>, %b: tensor<8xf32>) -> tensor<?x8x17x17xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [2, 2] padding [1, 1] : (tensor<?x3x32x32xf32>, tensor<8x3x1x1xf32>, tensor<8xf32>) -> tensor<?x8x17x17xf32>
  return %0 : tensor<?x8x17x17xf32>
}

// -----

// Tests a dilated conv without bias or padding: a zero-filled init and no padding.
// CHECK-LABEL: func @conv2d_dilation_no_bias
// CHECK-NOT:     tensor.insert_slice
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x6x16x16xf32>)
// CHECK:         linalg.conv_2d_nchw_fchw {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:      ins(%arg0, %arg1 : tensor<2x4x20x20xf32>, tensor<6x4x3x3xf32>) outs(%[[FILL]] : tensor<2x6x16x16xf32>)
// CHECK-NOT:     cnn.
func.func @conv2d_dilation_no_bias(%x: tensor<2x4x20x20xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<2x6x16x16xf32> {
  %0 = cnn.conv2d %x, %w dilation [2, 2] : (tensor<2x4x20x20xf32>, tensor<6x4x3x3xf32>) -> tensor<2x6x16x16xf32>
  return %0 : tensor<2x6x16x16xf32>
}

// -----

// Tests a grouped conv (AlexNet's conv2): channels split into groups by expand_shape, the grouped named conv, the groups merged back.
// CHECK-LABEL: func @conv2d_groups
// CHECK:         %[[PAD:.*]] = tensor.insert_slice %arg0 into %{{.*}}[0, 0, 2, 2]
// CHECK:         %[[IN:.*]] = tensor.expand_shape %[[PAD]] {{\[}}[0], [1, 2], [3], [4]] output_shape [%{{.*}}, 2, 48, 31, 31] : tensor<?x96x31x31xf32> into tensor<?x2x48x31x31xf32>
// CHECK:         %[[W:.*]] = tensor.expand_shape %arg1 {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 128, 48, 5, 5] : tensor<256x48x5x5xf32> into tensor<2x128x48x5x5xf32>
// CHECK:         %[[INIT:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] {{.*}} into tensor<?x2x128x27x27xf32>
// CHECK:         %[[CONV:.*]] = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
// CHECK-SAME:      ins(%[[IN]], %[[W]] : {{.*}}) outs(%[[INIT]] : tensor<?x2x128x27x27xf32>)
// CHECK:         tensor.collapse_shape %[[CONV]] {{\[}}[0], [1, 2], [3], [4]] : tensor<?x2x128x27x27xf32> into tensor<?x256x27x27xf32>
// CHECK-NOT:     cnn.
func.func @conv2d_groups(%x: tensor<?x96x27x27xf32>, %w: tensor<256x48x5x5xf32>, %b: tensor<256xf32>) -> tensor<?x256x27x27xf32> {
  %0 = cnn.conv2d %x, %w, %b padding [2, 2] groups 2 : (tensor<?x96x27x27xf32>, tensor<256x48x5x5xf32>, tensor<256xf32>) -> tensor<?x256x27x27xf32>
  return %0 : tensor<?x256x27x27xf32>
}

// -----

// Tests a connection table: the weight is multiplied by the 0/1 mask broadcast over KH, KW before a normal conv.
// CHECK-DAG:     #[[$FC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func @conv2d_connections
// CHECK:         %[[MASK:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 0.000000e+00, 1.000000e+00], [0.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<2x3xf32>
// CHECK:         %[[W:.*]] = linalg.generic {indexing_maps = [#{{.*}}, #[[$FC]], #{{.*}}]{{.*}} ins(%arg1, %[[MASK]] : tensor<2x3x3x3xf32>, tensor<2x3xf32>)
// CHECK:           arith.mulf
// CHECK:         linalg.conv_2d_nchw_fchw {{.*}} ins(%arg0, %[[W]] : tensor<?x3x8x8xf32>, tensor<2x3x3x3xf32>)
// CHECK-NOT:     cnn.
func.func @conv2d_connections(%x: tensor<?x3x8x8xf32>, %w: tensor<2x3x3x3xf32>, %b: tensor<2xf32>) -> tensor<?x2x6x6xf32> {
  %0 = cnn.conv2d %x, %w, %b connections dense<[[true, false, true], [false, true, true]]> : tensor<2x3xi1> : (tensor<?x3x8x8xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<?x2x6x6xf32>
  return %0 : tensor<?x2x6x6xf32>
}

// -----

// Tests avg_pool2d: a window sum on a zero fill, then a multiply by 1/(kh*kw).
// CHECK-LABEL: func @avg_pool2d
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<?x6x14x14xf32>)
// CHECK:         %[[WIN:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[SUM:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:      ins(%arg0, %[[WIN]] : tensor<?x6x28x28xf32>, tensor<2x2xf32>) outs(%[[FILL]] : tensor<?x6x14x14xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[SUM]] : tensor<?x6x14x14xf32>)
// CHECK:           %[[Q:.*]] = arith.constant 2.500000e-01 : f32
// CHECK:           arith.mulf %{{.*}}, %[[Q]] : f32
// CHECK-NOT:     cnn.
func.func @avg_pool2d(%x: tensor<?x6x28x28xf32>) -> tensor<?x6x14x14xf32> {
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests that avg_pool2d pads with zero and counts the padding: the divisor stays kh*kw = 9.
// CHECK-LABEL: func @avg_pool2d_padded
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         %[[PADF:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<1x2x7x7xf32>)
// CHECK:         %[[PAD:.*]] = tensor.insert_slice %arg0 into %[[PADF]][0, 0, 1, 1] [1, 2, 5, 5] [1, 1, 1, 1]
// CHECK:         linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[PAD]], %{{.*}} : tensor<1x2x7x7xf32>, tensor<3x3xf32>)
// CHECK:           arith.constant 0.111111112 : f32
// CHECK-NOT:     cnn.
func.func @avg_pool2d_padded(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32> {
  %0 = cnn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Tests AlexNet's overlapping max_pool2d: a window max on a -inf fill.
// CHECK-LABEL: func @max_pool2d
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?x96x27x27xf32>)
// CHECK:         linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME:      ins(%arg0, %{{.*}} : tensor<?x96x55x55xf32>, tensor<3x3xf32>) outs(%[[FILL]] : tensor<?x96x27x27xf32>)
// CHECK-NOT:     cnn.
func.func @max_pool2d(%x: tensor<?x96x55x55xf32>) -> tensor<?x96x27x27xf32> {
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
  return %0 : tensor<?x96x27x27xf32>
}

// -----

// Tests that max_pool2d pads with -inf, so padding never wins.
// CHECK-LABEL: func @max_pool2d_padded
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[PADF:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x2x8x8xf32>)
// CHECK:         %[[PAD:.*]] = tensor.insert_slice %arg0 into %[[PADF]][0, 0, 1, 1] [1, 2, 6, 6] [1, 1, 1, 1]
// CHECK:         linalg.pooling_nchw_max {{.*}} ins(%[[PAD]], %{{.*}} : tensor<1x2x8x8xf32>, tensor<3x3xf32>)
// CHECK-NOT:     cnn.
func.func @max_pool2d_padded(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32> {
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1] : tensor<1x2x6x6xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Tests subsample2d: window sum, then coefficient[c] * sum / 4 + bias[c] in one generic.
// CHECK-DAG:     #[[$C:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func @subsample2d
// CHECK:         %[[SUM:.*]] = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%arg0,
// CHECK:         linalg.generic {indexing_maps = [#{{.*}}, #[[$C]], #[[$C]], #{{.*}}]{{.*}} ins(%[[SUM]], %arg1, %arg2 :
// CHECK:           %[[AVG:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK:           %[[SCALED:.*]] = arith.mulf %[[AVG]], %{{.*}} : f32
// CHECK:           arith.addf %[[SCALED]], %{{.*}} : f32
// CHECK-NOT:     cnn.
func.func @subsample2d(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<6xf32>) -> tensor<?x6x14x14xf32> {
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests tanh: an element-wise generic with math.tanh on a dynamic-batch empty.
// CHECK-LABEL: func @tanh
// CHECK:         %[[DIM:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x84xf32>
// CHECK:         %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?x84xf32>
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%arg0 : tensor<?x84xf32>) outs(%[[E]] : tensor<?x84xf32>)
// CHECK:           math.tanh
// CHECK-NOT:     cnn.
func.func @tanh(%x: tensor<?x84xf32>) -> tensor<?x84xf32> {
  %0 = cnn.tanh %x : tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}

// -----

// Tests scaled_tanh: 1.7159 * tanh(2x/3).
// CHECK-LABEL: func @scaled_tanh
// CHECK:         linalg.generic
// CHECK:           %[[TWOTHIRDS:.*]] = arith.constant 0.666666686 : f32
// CHECK:           %[[X:.*]] = arith.mulf %{{.*}}, %[[TWOTHIRDS]] : f32
// CHECK:           %[[T:.*]] = math.tanh %[[X]] : f32
// CHECK:           %[[A:.*]] = arith.constant 1.715900e+00 : f32
// CHECK:           arith.mulf %[[T]], %[[A]] : f32
// CHECK-NOT:     cnn.
func.func @scaled_tanh(%x: tensor<?x84xf32>) -> tensor<?x84xf32> {
  %0 = cnn.scaled_tanh %x : tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}

// -----

// Tests relu: max(x, 0) with arith.maximumf.
// CHECK-LABEL: func @relu
// CHECK:         linalg.generic
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           arith.maximumf %{{.*}}, %[[ZERO]] : f32
// CHECK-NOT:     cnn.
func.func @relu(%x: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  %0 = cnn.relu %x : tensor<?x16x10x10xf32>
  return %0 : tensor<?x16x10x10xf32>
}

// -----

// Tests sigmoid: 1 / (1 + exp(-x)).
// CHECK-LABEL: func @sigmoid
// CHECK:         linalg.generic
// CHECK:           %[[NEG:.*]] = arith.negf
// CHECK:           %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK:           %[[D:.*]] = arith.addf %{{.*}}, %[[E]] : f32
// CHECK:           arith.divf %{{.*}}, %[[D]] : f32
// CHECK-NOT:     cnn.
func.func @sigmoid(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = cnn.sigmoid %x : tensor<4x10xf32>
  return %0 : tensor<4x10xf32>
}

// -----

// Tests add: an element-wise generic with two inputs.
// CHECK-LABEL: func @add
// CHECK:         linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<?x16x10x10xf32>, tensor<?x16x10x10xf32>)
// CHECK:           arith.addf
// CHECK-NOT:     cnn.
func.func @add(%a: tensor<?x16x10x10xf32>, %b: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  %0 = cnn.add %a, %b : tensor<?x16x10x10xf32>
  return %0 : tensor<?x16x10x10xf32>
}

// -----

// Tests concat along channels: insert_slices at channel offsets 0 and 6 into one empty.
// CHECK-LABEL: func @concat
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x16x14x14xf32>
// CHECK:         %[[A:.*]] = tensor.insert_slice %arg0 into %[[E]][0, 0, 0, 0] [%{{.*}}, 6, 14, 14] [1, 1, 1, 1]
// CHECK:         %[[B:.*]] = tensor.insert_slice %arg1 into %[[A]][0, 6, 0, 0] [%{{.*}}, 10, 14, 14] [1, 1, 1, 1]
// CHECK:         return %[[B]]
// CHECK-NOT:     cnn.
func.func @concat(%a: tensor<?x6x14x14xf32>, %b: tensor<?x10x14x14xf32>) -> tensor<?x16x14x14xf32> {
  %0 = cnn.concat %a, %b : (tensor<?x6x14x14xf32>, tensor<?x10x14x14xf32>) -> tensor<?x16x14x14xf32>
  return %0 : tensor<?x16x14x14xf32>
}

// -----

// Tests dense with bias: the bias broadcast over the batch is the init of matmul_transpose_b (PyTorch's [out, in] weight).
// CHECK-DAG:     #[[$B:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @dense
// CHECK:         %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x120xf32>
// CHECK:         %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[$B]], #{{.*}}]{{.*}} ins(%arg2 : tensor<120xf32>) outs(%[[E]] : tensor<?x120xf32>)
// CHECK:         linalg.matmul_transpose_b ins(%arg0, %arg1 : tensor<?x400xf32>, tensor<120x400xf32>) outs(%[[INIT]] : tensor<?x120xf32>)
// CHECK-NOT:     cnn.
func.func @dense(%x: tensor<?x400xf32>, %w: tensor<120x400xf32>, %b: tensor<120xf32>) -> tensor<?x120xf32> {
  %0 = cnn.dense %x, %w, %b : (tensor<?x400xf32>, tensor<120x400xf32>, tensor<120xf32>) -> tensor<?x120xf32>
  return %0 : tensor<?x120xf32>
}

// -----

// Tests dense without bias: a zero-filled init.
// CHECK-LABEL: func @dense_no_bias
// CHECK:         %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<2x3xf32>)
// CHECK:         linalg.matmul_transpose_b ins(%arg0, %arg1 : tensor<2x4xf32>, tensor<3x4xf32>) outs(%[[FILL]] : tensor<2x3xf32>)
// CHECK-NOT:     cnn.
func.func @dense_no_bias(%x: tensor<2x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x3xf32> {
  %0 = cnn.dense %x, %w : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests flatten: one collapse_shape keeping the batch.
// CHECK-LABEL: func @flatten
// CHECK:         %[[C:.*]] = tensor.collapse_shape %arg0 {{\[}}[0], [1, 2, 3]] : tensor<?x16x5x5xf32> into tensor<?x400xf32>
// CHECK:         return %[[C]]
// CHECK-NOT:     cnn.
func.func @flatten(%x: tensor<?x16x5x5xf32>) -> tensor<?x400xf32> {
  %0 = cnn.flatten %x : tensor<?x16x5x5xf32> -> tensor<?x400xf32>
  return %0 : tensor<?x400xf32>
}

// -----

// Tests softmax: a row max on a -inf fill, a sum of exp(x - max), then exp(x - max) / sum.
// CHECK-LABEL: func @softmax
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         %[[MAXF:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<?xf32>)
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg0 : tensor<?x10xf32>) outs(%[[MAXF]] : tensor<?xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg0, %[[MAX]] :
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:           arith.addf
// CHECK:         linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%arg0, %[[MAX]], %[[SUM]] :
// CHECK:           %[[S:.*]] = arith.subf
// CHECK:           %[[X:.*]] = math.exp %[[S]]
// CHECK:           arith.divf %[[X]],
// CHECK-NOT:     cnn.
func.func @softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = cnn.softmax %x : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Tests log_softmax: x - max - log(sum exp(x - max)).
// CHECK-LABEL: func @log_softmax
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:         linalg.generic {{.*}} ins(%arg0, %[[MAX]], %[[SUM]] :
// CHECK:           %[[S:.*]] = arith.subf
// CHECK:           %[[L:.*]] = math.log
// CHECK:           arith.subf %[[S]], %[[L]]
// CHECK-NOT:     cnn.
func.func @log_softmax(%x: tensor<?x10xf32>) -> tensor<?x10xf32> {
  %0 = cnn.log_softmax %x : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Tests local_response_norm as PyTorch computes it: squares zero-padded by 2 channels before and 2 after, a 5-channel window sum, then x / (k + alpha/size * sum)^beta.
// CHECK-DAG:     #[[$SHIFT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 + d4, d2, d3)>
// CHECK-DAG:     #[[$WIN:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d4)>
// CHECK-LABEL: func @local_response_norm
// CHECK:         %[[SQ:.*]] = linalg.generic
// CHECK:           arith.mulf %[[IN:.*]], %[[IN]] : f32
// CHECK:         %[[PADF:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x100x55x55xf32>)
// CHECK:         %[[PAD:.*]] = tensor.insert_slice %[[SQ]] into %[[PADF]][0, 2, 0, 0] [%{{.*}}, 96, 55, 55] [1, 1, 1, 1]
// CHECK:         %[[W:.*]] = tensor.empty() : tensor<5xf32>
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$SHIFT]], #[[$WIN]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%[[PAD]], %[[W]] :
// CHECK:         linalg.generic {{.*}} ins(%arg0, %[[SUM]] :
// CHECK:           arith.constant 2.000000e-05 : f32
// CHECK:           arith.constant 2.000000e+00 : f32
// CHECK:           arith.constant 7.500000e-01 : f32
// CHECK:           math.powf
// CHECK:           arith.divf
// CHECK-NOT:     cnn.
func.func @local_response_norm(%x: tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32> {
  %0 = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta 7.5e-01 k 2.0 : tensor<?x96x55x55xf32>
  return %0 : tensor<?x96x55x55xf32>
}

// -----

// Tests dropout's training mask (docs/dialect.md), the only lowering this pass
// has (cnn-remove-dropout strips dropout outside cnn.training functions):
// element i (row-major, batch included) hashes seed + (i + 1)·0x9E3779B97F4A7C15
// with splitmix64's finaliser in wrapping i64 arithmetic, is kept when the top
// 24 bits are >= rate·2^24 (unsigned), and kept elements are scaled by
// 1/(1 - rate).
// CHECK-LABEL: func @dropout
// CHECK-SAME:    (%[[X:.*]]: tensor<?x4096xf32>, %[[SEED:.*]]: i64)
// CHECK:         %[[W:.*]] = arith.constant 4096 : index
// CHECK:         linalg.generic {{.*}} ins(%[[X]] : tensor<?x4096xf32>) outs(%{{.*}} : tensor<?x4096xf32>)
// CHECK:         ^bb0(%[[IN:[a-z0-9_]+]]: f32,
// CHECK:           %[[ROW:.*]] = linalg.index 0 : index
// CHECK:           %[[ROWBASE:.*]] = arith.muli %[[ROW]], %[[W]] : index
// CHECK:           %[[COL:.*]] = linalg.index 1 : index
// CHECK:           %[[LIN:.*]] = arith.addi %[[ROWBASE]], %[[COL]] : index
// CHECK:           %[[I:.*]] = arith.index_castui %[[LIN]] : index to i64
// CHECK:           %[[GOLDEN:.*]] = arith.constant -7046029254386353131 : i64
// CHECK:           %[[ONE:.*]] = arith.constant 1 : i64
// CHECK:           %[[I1:.*]] = arith.addi %[[I]], %[[ONE]] : i64
// CHECK:           %[[OFF:.*]] = arith.muli %[[I1]], %[[GOLDEN]] : i64
// CHECK:           %[[Z0:.*]] = arith.addi %[[SEED]], %[[OFF]] : i64
// CHECK:           %[[M1:.*]] = arith.constant -4658895280553007687 : i64
// CHECK:           %[[S30:.*]] = arith.constant 30 : i64
// CHECK:           %[[SH1:.*]] = arith.shrui %[[Z0]], %[[S30]] : i64
// CHECK:           %[[X1:.*]] = arith.xori %[[Z0]], %[[SH1]] : i64
// CHECK:           %[[Z1:.*]] = arith.muli %[[X1]], %[[M1]] : i64
// CHECK:           %[[M2:.*]] = arith.constant -7723592293110705685 : i64
// CHECK:           %[[S27:.*]] = arith.constant 27 : i64
// CHECK:           %[[SH2:.*]] = arith.shrui %[[Z1]], %[[S27]] : i64
// CHECK:           %[[X2:.*]] = arith.xori %[[Z1]], %[[SH2]] : i64
// CHECK:           %[[Z2:.*]] = arith.muli %[[X2]], %[[M2]] : i64
// CHECK:           %[[S31:.*]] = arith.constant 31 : i64
// CHECK:           %[[SH3:.*]] = arith.shrui %[[Z2]], %[[S31]] : i64
// CHECK:           %[[Z3:.*]] = arith.xori %[[Z2]], %[[SH3]] : i64
// CHECK:           %[[S40:.*]] = arith.constant 40 : i64
// CHECK:           %[[U:.*]] = arith.shrui %[[Z3]], %[[S40]] : i64
// CHECK:           %[[T:.*]] = arith.constant 8388608 : i64
// CHECK:           %[[KEEP:.*]] = arith.cmpi uge, %[[U]], %[[T]] : i64
// CHECK:           %[[SCALE:.*]] = arith.constant 2.000000e+00 : f32
// CHECK:           %[[SCALED:.*]] = arith.mulf %[[IN]], %[[SCALE]] : f32
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[Y:.*]] = arith.select %[[KEEP]], %[[SCALED]], %[[ZERO]] : f32
// CHECK:           linalg.yield %[[Y]] : f32
// CHECK-NOT:     cnn.
func.func @dropout(%x: tensor<?x4096xf32>, %seed: i64) -> tensor<?x4096xf32> {
  %0 = cnn.dropout %x, %seed rate 0.5 : tensor<?x4096xf32>
  return %0 : tensor<?x4096xf32>
}

// -----

// Tests that rate 0 keeps every element unscaled: no mask at all.
// CHECK-LABEL: func @dropout_rate_zero
// CHECK-NEXT:    return %arg0 : tensor<?x10xf32>
func.func @dropout_rate_zero(%x: tensor<?x10xf32>, %seed: i64) -> tensor<?x10xf32> {
  %0 = cnn.dropout %x, %seed rate 0.0 : tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// Tests fused_conv_act_pool: the conv, relu and max-pool lowerings chained.
// CHECK-LABEL: func @fused_conv_act_pool
// CHECK:         %[[CONV:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %arg1 :
// CHECK:         %[[ACT:.*]] = linalg.generic {{.*}} ins(%[[CONV]] : tensor<?x6x28x28xf32>)
// CHECK:           arith.maximumf
// CHECK:         %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK:         linalg.fill ins(%[[NEGINF]] : f32)
// CHECK:         linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%[[ACT]], %{{.*}} : tensor<?x6x28x28xf32>, tensor<2x2xf32>)
// CHECK-NOT:     cnn.
func.func @fused_conv_act_pool(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>) -> tensor<?x6x14x14xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b act relu pool max kernel [2, 2] stride [2, 2] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests fused_dense_act as cnn-to-linalg lowers it where the vector code
// did not (cnn-fused-to-vector runs first in cnnc): the dense lowering (a
// matmul into the broadcast bias), then the activation.
// CHECK-LABEL: func @fused_dense_act
// CHECK:         %[[BIAS:.*]] = linalg.generic {{.*}} ins(%arg2 : tensor<84xf32>)
// CHECK:         %[[MM:.*]] = linalg.matmul_transpose_b ins(%arg0, %arg1 : tensor<?x120xf32>, tensor<84x120xf32>) outs(%[[BIAS]] : tensor<?x84xf32>)
// CHECK:         linalg.generic {{.*}} ins(%[[MM]] : tensor<?x84xf32>)
// CHECK:           math.tanh
// CHECK-NOT:     cnn.
func.func @fused_dense_act(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>, %b: tensor<84xf32>) -> tensor<?x84xf32> {
  %0 = cnn.fused_dense_act %x, %w, %b act tanh : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}

// -----

// Tests cross_entropy: row max and sum of exp, a reduction over the batch to a 0-d tensor that gathers the label's logit, then a scale by -1/N.
// CHECK-LABEL: func @cross_entropy
// CHECK:         %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK:         %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<f32>)
// CHECK:         %[[TOTAL:.*]] = linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%arg1, %[[MAX]], %[[SUM]] : tensor<?xi32>, tensor<?xf32>, tensor<?xf32>) outs(%[[ACC]] : tensor<f32>)
// CHECK:           %[[N:.*]] = linalg.index 0 : index
// CHECK:           %[[L:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK:           tensor.extract %arg0[%[[N]], %[[L]]] : tensor<?x10xf32>
// CHECK:           math.log
// CHECK:         %[[B:.*]] = tensor.dim %arg1
// CHECK:         %[[MINUS1:.*]] = arith.constant -1.000000e+00 : f32
// CHECK:         %[[F:.*]] = arith.divf %[[MINUS1]], %{{.*}} : f32
// CHECK:         linalg.generic {{.*}}iterator_types = []} ins(%[[TOTAL]] : tensor<f32>)
// CHECK:           arith.mulf %{{.*}}, %[[F]] : f32
// CHECK-NOT:     cnn.
func.func @cross_entropy(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>) -> tensor<f32> {
  %0 = cnn.cross_entropy %logits, %labels : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests mse: a full reduction of (p - t)^2 to a 0-d tensor, then a scale by 1/(N*10).
// CHECK-LABEL: func @mse
// CHECK:         %[[TOTAL:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]} ins(%arg0, %arg1 : tensor<?x10xf32>, tensor<?x10xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK:           %[[D:.*]] = arith.subf
// CHECK:           arith.mulf %[[D]], %[[D]]
// CHECK:         arith.constant 1.000000e+01 : f32
// CHECK:         linalg.generic {{.*}} ins(%[[TOTAL]] : tensor<f32>)
// CHECK-NOT:     cnn.
func.func @mse(%y: tensor<?x10xf32>, %t: tensor<?x10xf32>) -> tensor<f32> {
  %0 = cnn.mse %y, %t : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Tests the whole classic LeNet-5 (models/lenet5.mlir): no cnn op is left,
// and (second RUN line) the lowered program bufferizes with no tensor op
// left. Every case above goes through bufferization too. c5, whose kernel
// covers its 5x5 input, is a dense product (whole-input-conv.mlir).
// CHECK-LABEL: func @lenet5
// CHECK-COUNT-2: linalg.conv_2d_nchw_fchw
// CHECK-COUNT-3: linalg.matmul_transpose_b
// CHECK-NOT:     cnn.
// CHECK-LABEL: func @lenet5_loss
// CHECK-NOT:     cnn.
// BUF-LABEL:   func @lenet5
// BUF-SAME:      (%arg0: memref<?x1x28x28xf32
// BUF-SAME:      -> memref<?x10xf32>
// BUF-NOT:       {{tensor\.[a-z]|to_tensor|to_memref}}
// BUF:           memref.alloc(%{{.*}}) {{.*}}: memref<?x1x32x32xf32>
// BUF-NOT:       {{tensor\.[a-z]|to_tensor|to_memref}}
// BUF:           linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %{{.*}} : memref<?x1x32x32xf32>, memref<6x1x5x5xf32
// BUF-NOT:       {{tensor\.[a-z]|to_tensor|to_memref}}
// BUF:           linalg.pooling_nchw_sum
// BUF-NOT:       {{tensor\.[a-z]|to_tensor|to_memref}}
// BUF:           linalg.matmul_transpose_b
// BUF-NOT:       {{tensor\.[a-z]|to_tensor|to_memref}}
// BUF-LABEL:   func @lenet5_loss
// BUF-NOT:       {{tensor\.[a-z]|to_tensor|to_memref}}
// BUF:           memref.load
// BUF-NOT:       {{tensor\.[a-z]|to_tensor|to_memref}}
// BUF:           return
func.func @lenet5(%image: tensor<?x1x28x28xf32>,
                  %c1_w: tensor<6x1x5x5xf32>, %c1_b: tensor<6xf32>,
                  %c3_w: tensor<16x6x5x5xf32>, %c3_b: tensor<16xf32>,
                  %c5_w: tensor<120x16x5x5xf32>, %c5_b: tensor<120xf32>,
                  %f6_w: tensor<84x120xf32>, %f6_b: tensor<84xf32>,
                  %out_w: tensor<10x84xf32>, %out_b: tensor<10xf32>)
    -> tensor<?x10xf32> {
  %c1 = cnn.conv2d %image, %c1_w, %c1_b padding [2, 2]
      : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
      -> tensor<?x6x28x28xf32>
  %a1 = cnn.tanh %c1 : tensor<?x6x28x28xf32>
  %s2 = cnn.avg_pool2d %a1 kernel [2, 2] stride [2, 2]
      : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  %c3 = cnn.conv2d %s2, %c3_w, %c3_b
      : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>)
      -> tensor<?x16x10x10xf32>
  %a3 = cnn.tanh %c3 : tensor<?x16x10x10xf32>
  %s4 = cnn.avg_pool2d %a3 kernel [2, 2] stride [2, 2]
      : tensor<?x16x10x10xf32> -> tensor<?x16x5x5xf32>
  %c5 = cnn.conv2d %s4, %c5_w, %c5_b
      : (tensor<?x16x5x5xf32>, tensor<120x16x5x5xf32>, tensor<120xf32>)
      -> tensor<?x120x1x1xf32>
  %a5 = cnn.tanh %c5 : tensor<?x120x1x1xf32>
  %flat = cnn.flatten %a5 : tensor<?x120x1x1xf32> -> tensor<?x120xf32>
  %f6 = cnn.dense %flat, %f6_w, %f6_b
      : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>)
      -> tensor<?x84xf32>
  %a6 = cnn.tanh %f6 : tensor<?x84xf32>
  %logits = cnn.dense %a6, %out_w, %out_b
      : (tensor<?x84xf32>, tensor<10x84xf32>, tensor<10xf32>)
      -> tensor<?x10xf32>
  return %logits : tensor<?x10xf32>
}

// The training objective: mean cross-entropy of the logits.
func.func @lenet5_loss(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>)
    -> tensor<f32> {
  %loss = cnn.cross_entropy %logits, %labels
      : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}
