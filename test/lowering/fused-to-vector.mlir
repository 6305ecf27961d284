// RUN: cnnc-opt %s -split-input-file -cnn-fused-to-vector | FileCheck %s

// cnn-fused-to-vector (FusedToVector.cpp). Numbers: FusedMatchesUnfused and
// MatchesReferenceInterpreter in ModelsEndToEndTest.cpp.

// Tests LeNet-5's c3 block: per image, 8 filters and pooled row, two sets
// of 8 conv rows (10 lanes of one 16-lane chunk) start from the bias, are
// accumulated over channels and kernel rows, activated, added, split into
// even and odd lanes and averaged into 8 lanes, of which the first 5 are
// written (a masked write, no in_bounds), the only write. The 10x10 maps are
// never materialised.
// CHECK-LABEL: func @lenet_c3
// CHECK:         %[[OUT:.*]] = tensor.empty(%{{.*}}) : tensor<?x16x5x5xf32>
// CHECK:         scf.for {{.*}} iter_args(%{{.*}} = %[[OUT]])
// CHECK:           scf.for %{{.*}} = %c0 to %c16 step %c8
// CHECK:             scf.for %{{.*}} = %c0 to %c5 step %c1
// CHECK-COUNT-8:       tensor.extract %arg2
// CHECK:               scf.for {{.*}} -> ([[V8:(vector<16xf32>, ){7}vector<16xf32>]])
// CHECK:               math.tanh {{.*}} : vector<16xf32>
// CHECK:               scf.for {{.*}} -> ([[V8]])
// CHECK:               math.tanh {{.*}} : vector<16xf32>
// CHECK:               arith.addf {{.*}} : vector<16xf32>
// CHECK-DAG:           vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xf32>, vector<16xf32>
// CHECK-DAG:           vector.shuffle {{.*}} [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xf32>, vector<16xf32>
// CHECK:               arith.mulf {{.*}} : vector<8xf32>
// CHECK-COUNT-8:       vector.transfer_write {{.*}}, %{{.*}}[{{.*}}] : vector<8xf32>, tensor<?x16x5x5xf32>
// CHECK-NOT:     cnn.fused_conv_act_pool
func.func @lenet_c3(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %b: tensor<16xf32>) -> tensor<?x16x5x5xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) -> tensor<?x16x5x5xf32>
  return %0 : tensor<?x16x5x5xf32>
}

// -----

// Tests max pooling and relu (arith.maximumf on rows and lanes), without a
// bias (the accumulators start at zero), and padding (the input is padded
// first).
// CHECK-LABEL: func @relu_max_padded
// CHECK:         tensor.insert_slice %arg0 into {{.*}}[0, 0, 1, 1]
// CHECK:         arith.maximumf {{.*}} : vector<8xf32>
// CHECK:         arith.maximumf {{.*}} : vector<8xf32>
// CHECK:         vector.shuffle
// CHECK:         arith.maximumf {{.*}} : vector<4xf32>
func.func @relu_max_padded(%x: tensor<?x2x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<?x4x4x4xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w padding [1, 1] act relu pool max kernel [2, 2] stride [2, 2] : (tensor<?x2x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x4x4xf32>
  return %0 : tensor<?x4x4x4xf32>
}

// -----

// Tests a fused op without a pool: each activated conv row (6 of 8 lanes)
// is written, masked.
// CHECK-LABEL: func @no_pool
// CHECK:         math.tanh {{.*}} : vector<8xf32>
// CHECK-COUNT-2: vector.transfer_write {{.*}}, %{{.*}}[{{.*}}] : vector<8xf32>, tensor<?x2x6x6xf32>
func.func @no_pool(%x: tensor<?x3x8x8xf32>, %w: tensor<2x3x3x3xf32>, %b: tensor<2xf32>) -> tensor<?x2x6x6xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w, %b act tanh : (tensor<?x3x8x8xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<?x2x6x6xf32>
  return %0 : tensor<?x2x6x6xf32>
}

// -----

// Tests that an overlapping 3x3/2 pool (AlexNet's) is left for
// cnn-to-linalg.
// CHECK-LABEL: func @overlapping_pool
// CHECK:         cnn.fused_conv_act_pool
func.func @overlapping_pool(%x: tensor<?x3x15x15xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32> {
  %0 = cnn.fused_conv_act_pool %x, %w act relu pool max kernel [3, 3] stride [2, 2] : (tensor<?x3x15x15xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32>
  return %0 : tensor<?x4x6x6xf32>
}

// -----

// Tests the training step's shape: the activation map is the fused op's
// result (the backward pass reads it) and a 2x2/2 pool reads it. The pool is
// computed in the same loop nest from the rows in registers: the loops carry
// the pooled map and the activation map, both conv rows of each pooled row
// are written to the map, and the pool op is gone.
// CHECK-LABEL: func @kept_activation
// CHECK:         %[[R:.*]]:2 = scf.for {{.*}} -> (tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>)
// CHECK-COUNT-8:   vector.transfer_write {{.*}} : vector<8xf32>, tensor<?x4x8x8xf32>
// CHECK:           vector.shuffle
// CHECK:           vector.transfer_write {{.*}} : vector<4xf32>, tensor<?x4x4x4xf32>
// CHECK-NOT:     cnn.avg_pool2d
// CHECK:         %[[G:.*]] = cnn.activation_backward %arg2, %[[R]]#1 act tanh
// CHECK:         return %[[R]]#0, %[[G]]
func.func @kept_activation(%x: tensor<?x2x10x10xf32>, %w: tensor<4x2x3x3xf32>, %gy: tensor<?x4x8x8xf32>) -> (tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>) attributes {cnn.training} {
  %0 = cnn.fused_conv_act_pool %x, %w act tanh : (tensor<?x2x10x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x8x8xf32>
  %1 = cnn.avg_pool2d %0 kernel [2, 2] stride [2, 2] : tensor<?x4x8x8xf32> -> tensor<?x4x4x4xf32>
  %2 = cnn.activation_backward %gy, %0 act tanh : tensor<?x4x8x8xf32>
  return %1, %2 : tensor<?x4x4x4xf32>, tensor<?x4x8x8xf32>
}

// -----

// Tests that a pool over an odd number of rows is left alone: the pooled
// rows would not cover the last row of the activation map.
// CHECK-LABEL: func @kept_activation_odd_rows
// CHECK:         cnn.avg_pool2d
func.func @kept_activation_odd_rows(%x: tensor<?x2x9x10xf32>, %w: tensor<4x2x3x3xf32>) -> (tensor<?x4x3x4xf32>, tensor<?x4x7x8xf32>) {
  %0 = cnn.fused_conv_act_pool %x, %w act tanh : (tensor<?x2x9x10xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x7x8xf32>
  %1 = cnn.avg_pool2d %0 kernel [2, 2] stride [2, 2] : tensor<?x4x7x8xf32> -> tensor<?x4x3x4xf32>
  return %1, %0 : tensor<?x4x3x4xf32>, tensor<?x4x7x8xf32>
}

// -----

// Tests LeNet-5's c1 backward (cnn.fused_pool_act_backward) as one pass per
// channel over the map: per image and pooled row, each 8-lane chunk of the
// pooled gradient is read once, its lanes doubled and quartered, multiplied
// by tanh' of the two map rows under it (1 - y²), written to both rows and
// added into the channel's accumulator, reduced once per channel. 28
// columns are a chunk of 16 and a masked one (no in_bounds).
// CHECK-LABEL: func @backward_avg_tanh
// CHECK:         scf.for %[[C:.*]] = %c0 to %c6 step %c1 iter_args({{.*}}) -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
// CHECK:           scf.for {{.*}} -> (tensor<?x6x28x28xf32>, vector<16xf32>)
// CHECK:             scf.for %{{.*}} = %c0 to %c14 step %c1 {{.*}} -> (tensor<?x6x28x28xf32>, vector<16xf32>)
// CHECK:               vector.transfer_read %arg0{{.*}} {in_bounds = [true]} : tensor<?x6x14x14xf32>, vector<8xf32>
// CHECK:               vector.shuffle {{.*}} [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]
// CHECK:               arith.mulf {{.*}}, %[[QUARTER:.*]] : vector<16xf32>
// CHECK:               vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<?x6x28x28xf32>
// CHECK:               vector.transfer_write {{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<?x6x28x28xf32>
// CHECK:               vector.transfer_read %arg0{{.*}} : tensor<?x6x14x14xf32>, vector<8xf32>
// CHECK:               vector.transfer_write {{.*}}[{{.*}}] : vector<16xf32>, tensor<?x6x28x28xf32>
// CHECK:               vector.transfer_write {{.*}}[{{.*}}] : vector<16xf32>, tensor<?x6x28x28xf32>
// CHECK:           vector.reduction <add>, {{.*}} : vector<16xf32> into f32
// CHECK:           tensor.insert {{.*}}[%[[C]]] : tensor<6xf32>
// CHECK-NOT:     cnn.fused_pool_act_backward
func.func @backward_avg_tanh(%gy: tensor<?x6x14x14xf32>, %y: tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>) {
  %0:2 = cnn.fused_pool_act_backward %gy, %y act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
  return %0#0, %0#1 : tensor<?x6x28x28xf32>, tensor<6xf32>
}

// -----

// Tests a max pool's backward: the even and odd lanes of both map rows are
// the windows' four corners; each takes what is left of the pooled gradient
// where it equals the window's maximum, in row-major order, and the
// corners are interleaved back into rows; ReLU' is a select.
// CHECK-LABEL: func @backward_max_relu
// CHECK-COUNT-2: vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14]
// CHECK:         arith.maximumf
// CHECK:         arith.maximumf
// CHECK:         %[[BEST:.*]] = arith.maximumf
// CHECK-COUNT-4: arith.cmpf oeq, %{{.*}}, %[[BEST]] : vector<8xf32>
// CHECK-COUNT-2: vector.shuffle {{.*}} [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15] : vector<8xf32>, vector<8xf32>
// CHECK:         arith.cmpf ogt, {{.*}} : vector<16xf32>
// CHECK-NOT:     cnn.fused_pool_act_backward
func.func @backward_max_relu(%gy: tensor<?x16x5x5xf32>, %y: tensor<?x16x10x10xf32>) -> (tensor<?x16x10x10xf32>, tensor<16xf32>) {
  %0:2 = cnn.fused_pool_act_backward %gy, %y act relu pool max kernel [2, 2] stride [2, 2] : (tensor<?x16x5x5xf32>, tensor<?x16x10x10xf32>) -> (tensor<?x16x10x10xf32>, tensor<16xf32>)
  return %0#0, %0#1 : tensor<?x16x10x10xf32>, tensor<16xf32>
}

// -----

// Tests that AlexNet's overlapping 3x3/2 pool's backward is left to
// cnn-to-linalg, which lowers it as the chain of ops it fuses.
// CHECK-LABEL: func @backward_overlapping_pool
// CHECK:         cnn.fused_pool_act_backward
func.func @backward_overlapping_pool(%gy: tensor<?x4x6x6xf32>, %y: tensor<?x4x13x13xf32>) -> (tensor<?x4x13x13xf32>, tensor<4xf32>) {
  %0:2 = cnn.fused_pool_act_backward %gy, %y act relu pool max kernel [3, 3] stride [2, 2] : (tensor<?x4x6x6xf32>, tensor<?x4x13x13xf32>) -> (tensor<?x4x13x13xf32>, tensor<4xf32>)
  return %0#0, %0#1 : tensor<?x4x13x13xf32>, tensor<4xf32>
}

// -----

// Tests LeNet-5's f6 (cnn.fused_dense_act): per image, 4 columns share each
// 16-lane load of the image's row of 120 (7 chunks, then a tail of 8); each
// dot product plus its bias is stored, and once the image's 84 outputs are
// complete they are activated in 16-lane chunks (the last masked) while in
// the L1 cache. No bias broadcast and no separate activation pass remain.
// CHECK-LABEL: func @dense_tanh
// CHECK:         %[[OUT:.*]] = tensor.empty(%{{.*}}) : tensor<?x84xf32>
// CHECK:         scf.for %[[M:.*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %[[OUT]])
// CHECK:           scf.for %{{.*}} = %c0 to %c84 step %c4
// CHECK:             scf.for %{{.*}} = %c0 to %c112 step %c16 {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-4:       vector.fma {{.*}} : vector<16xf32>
// CHECK:             tensor.extract %arg2
// CHECK:             tensor.insert
// CHECK:           math.tanh {{.*}} : vector<16xf32>
// CHECK-COUNT-5:   math.tanh {{.*}} : vector<16xf32>
// CHECK:           vector.transfer_write {{.*}}[%[[M]], %c80] : vector<16xf32>, tensor<?x84xf32>
// CHECK-NOT:     linalg.
// CHECK-NOT:     cnn.fused_dense_act
func.func @dense_tanh(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>, %b: tensor<84xf32>) -> tensor<?x84xf32> {
  %0 = cnn.fused_dense_act %x, %w, %b act tanh : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}
