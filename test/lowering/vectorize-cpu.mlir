// RUN: cnnc-opt %s -split-input-file -cnn-vectorize-cpu | FileCheck %s

// cnn-vectorize-cpu (VectorizeCPU.cpp, ConvToVector.cpp,
// MatmulToVector.cpp): convolutions, their weight gradients and the dense
// products become scf loops over vector rows on tensors. Numbers:
// LoweringNumericsTest.cpp and LoweringGradientNumericsTest.cpp run the
// whole CPU pipeline, this pass included.

// Tests the forward convolution: loops over the batch, blocks of 8 filters
// (16 = 2 x 8) and output rows; 8 accumulator rows live across the channel
// and kernel-row loops, each one chunk of 16 lanes (VectorPatterns.h) of
// which the last 6 are masked off (no in_bounds): the 10 outputs; per kernel
// column one input row read, masked past the 14 input columns, feeds 8 FMAs
// with broadcast weights.
// CHECK-LABEL: func @conv
// CHECK:         %[[N:.*]] = tensor.dim %{{.*}}, %c0
// CHECK:         scf.for %[[B:.*]] = %c0 to %[[N]] step %c1 iter_args
// CHECK:           scf.for %[[F:.*]] = %c0 to %c16 step %c8 iter_args
// CHECK:             scf.for %[[Y:.*]] = %c0 to %c10 step %c1 iter_args
// CHECK-COUNT-8:       vector.transfer_read {{.*}}, %{{.*}} : tensor<?x16x10x10xf32>, vector<16xf32>
// CHECK:               scf.for {{.*}} = %c0 to %c6 step %c1 iter_args({{.*}}) -> ([[V8:(vector<16xf32>, ){7}vector<16xf32>]])
// CHECK:                 scf.for {{.*}} = %c0 to %c5 step %c1 iter_args({{.*}}) -> ([[V8]])
// CHECK:                   vector.transfer_read {{.*}}, %{{.*}} : tensor<?x6x14x14xf32>, vector<16xf32>
// CHECK-COUNT-8:           vector.fma {{.*}} : vector<16xf32>
// CHECK:                   vector.transfer_read {{.*}}, %{{.*}} : tensor<?x6x14x14xf32>, vector<16xf32>
// CHECK-COUNT-8:       vector.transfer_write {{.*}}, %{{.*}}[{{.*}}] : vector<16xf32>, tensor<?x16x10x10xf32>
// CHECK-NOT:     linalg.conv_2d_nchw_fchw
func.func @conv(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>,
                %init: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                                 strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>)
       outs(%init : tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32>
  return %y : tensor<?x16x10x10xf32>
}

// -----

// Tests a convolution of a zero-padded input (an insert_slice into a zero
// fill, as padHW and the input gradient's grid make): per output row y the
// kernel rows run from max(1 - y, 0) to min(7 - y, 3), so rows 0 and 7 of
// the padded input, all zeros, are never read.
// CHECK-LABEL: func @padded_conv
// CHECK:             scf.for %[[Y:.*]] = %c0 to %c6 step %c1 iter_args
// CHECK:               %[[A:.*]] = arith.subi %c1, %[[Y]] : index
// CHECK:               %[[FIRST:.*]] = arith.maxsi %[[A]], %c0 : index
// CHECK:               %[[B:.*]] = arith.subi %c7, %[[Y]] : index
// CHECK:               %[[END:.*]] = arith.minsi %[[B]], %c3 : index
// CHECK:               scf.for {{.*}} = %c0 to %c2 step %c1
// CHECK:                 scf.for {{.*}} = %[[FIRST]] to %[[END]] step %c1
func.func @padded_conv(%x: tensor<?x2x6x6xf32>, %w: tensor<4x2x3x3xf32>,
                       %init: tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x2x6x6xf32>
  %e = tensor.empty(%n) : tensor<?x2x8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2x8x8xf32>) -> tensor<?x2x8x8xf32>
  %p = tensor.insert_slice %x into %z[0, 0, 1, 1] [%n, 2, 6, 6] [1, 1, 1, 1] : tensor<?x2x6x6xf32> into tensor<?x2x8x8xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                                 strides = dense<1> : tensor<2xi64>}
       ins(%p, %w : tensor<?x2x8x8xf32>, tensor<4x2x3x3xf32>)
       outs(%init : tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32>
  return %y : tensor<?x4x6x6xf32>
}

// -----

// Tests that a convolution strided along the width stays linalg: its input
// rows are not contiguous.
// CHECK-LABEL: func @strided_conv
// CHECK:         linalg.conv_2d_nchw_fchw
func.func @strided_conv(%x: tensor<?x3x15x15xf32>, %w: tensor<4x3x3x3xf32>,
                        %init: tensor<?x4x7x7xf32>) -> tensor<?x4x7x7xf32> {
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                                 strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<?x3x15x15xf32>, tensor<4x3x3x3xf32>)
       outs(%init : tensor<?x4x7x7xf32>) -> tensor<?x4x7x7xf32>
  return %y : tensor<?x4x7x7xf32>
}

// -----

// Tests the weight gradient of cnn-to-linalg's form: per tile of 4 filters,
// channel and kernel row, one accumulator row per filter and kernel column
// (4 x 3 here) over the images and output rows, reduced once each and added
// into the gradient. The 4 filters' gradient rows share each input row read.
// Rows of 6 are held as 8 lanes: the gradient's reads are masked (their last
// 2 lanes read zero); the input's first read is in bounds (8 columns), the
// others are masked.
#x = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh + kh, ow + kw)>
#dy = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>
#dw = affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>
// CHECK-LABEL: func @conv_weight_gradient
// CHECK:         %[[N:.*]] = tensor.dim
// CHECK:         scf.for %{{.*}} = %c0 to %c4 step %c4 {{.*}} -> (tensor<4x2x3x3xf32>)
// CHECK:           scf.for %{{.*}} = %c0 to %c2
// CHECK:             scf.for %{{.*}} = %c0 to %c3
// CHECK:               scf.for {{.*}} = %c0 to %[[N]] step %c1 iter_args({{.*}}) -> ([[V12:(vector<8xf32>, ){11}vector<8xf32>]])
// CHECK:                 scf.for {{.*}} = %c0 to %c6 step %c1 iter_args({{.*}}) -> ([[V12]])
// CHECK-COUNT-4:           vector.transfer_read {{.*}}, %{{.*}} : tensor<?x4x6x6xf32>, vector<8xf32>
// CHECK:                   vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<?x2x8x8xf32>, vector<8xf32>
// CHECK-COUNT-4:           vector.fma {{.*}} : vector<8xf32>
// CHECK:                   vector.transfer_read {{.*}}, %{{.*}} : tensor<?x2x8x8xf32>, vector<8xf32>
// CHECK-COUNT-4:           vector.fma {{.*}} : vector<8xf32>
// CHECK-COUNT-12:      vector.reduction <add>
// CHECK-NOT:     linalg.generic
func.func @conv_weight_gradient(%x: tensor<?x2x8x8xf32>, %dy: tensor<?x4x6x6xf32>,
                                %init: tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32> {
  %g = linalg.generic {indexing_maps = [#x, #dy, #dw],
                       iterator_types = ["parallel", "parallel", "parallel",
                                         "parallel", "reduction", "reduction",
                                         "reduction"]}
       ins(%x, %dy : tensor<?x2x8x8xf32>, tensor<?x4x6x6xf32>)
       outs(%init : tensor<4x2x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x2x3x3xf32>
  return %g : tensor<4x2x3x3xf32>
}

// -----

// Tests that a generic of another body (here a product without the
// accumulation) is not mistaken for a weight gradient.
#x = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, c, oh + kh, ow + kw)>
#dy = affine_map<(f, c, kh, kw, n, oh, ow) -> (n, f, oh, ow)>
#dw = affine_map<(f, c, kh, kw, n, oh, ow) -> (f, c, kh, kw)>
// CHECK-LABEL: func @not_a_weight_gradient
// CHECK:         linalg.generic
func.func @not_a_weight_gradient(%x: tensor<?x2x8x8xf32>, %dy: tensor<?x4x6x6xf32>,
                                 %init: tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32> {
  %g = linalg.generic {indexing_maps = [#x, #dy, #dw],
                       iterator_types = ["parallel", "parallel", "parallel",
                                         "parallel", "reduction", "reduction",
                                         "reduction"]}
       ins(%x, %dy : tensor<?x2x8x8xf32>, tensor<?x4x6x6xf32>)
       outs(%init : tensor<4x2x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<4x2x3x3xf32>
  return %g : tensor<4x2x3x3xf32>
}

// -----

// Tests the dense forward product: dot products along k, 4 output columns
// (of 84) sharing each row read of the input, vector<16> over the first 112
// of 120 inputs, then the last 8 as one vector<8>.
// CHECK-LABEL: func @dense_forward
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} = %c0 to %c84 step %c4
// CHECK:             scf.for %{{.*}} = %c0 to %c112 step %c16 iter_args
// CHECK:               vector.transfer_read {{.*}} : tensor<?x120xf32>, vector<16xf32>
// CHECK-COUNT-4:       vector.fma {{.*}} : vector<16xf32>
// CHECK:             vector.reduction <add>
// CHECK:             vector.transfer_read {{.*}} : tensor<?x120xf32>, vector<8xf32>
func.func @dense_forward(%a: tensor<?x120xf32>, %b: tensor<84x120xf32>,
                         %c: tensor<?x84xf32>) -> tensor<?x84xf32> {
  %0 = linalg.matmul_transpose_b ins(%a, %b : tensor<?x120xf32>, tensor<84x120xf32>)
                                 outs(%c : tensor<?x84xf32>) -> tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}

// -----

// Tests the input gradient product: a row of C (120 wide) stays in one
// vector while each of the 84 rows of B adds a broadcast scalar times it.
// CHECK-LABEL: func @dense_input_gradient
// CHECK:         scf.for
// CHECK:           vector.transfer_read {{.*}} : tensor<?x120xf32>, vector<120xf32>
// CHECK:           scf.for %{{.*}} = %c0 to %c84 step %c1 iter_args({{.*}}) -> (vector<120xf32>)
// CHECK:             vector.splat {{.*}} : vector<120xf32>
// CHECK:             vector.transfer_read {{.*}} : tensor<84x120xf32>, vector<120xf32>
// CHECK:             vector.fma
// CHECK:           vector.transfer_write {{.*}} : vector<120xf32>, tensor<?x120xf32>
func.func @dense_input_gradient(%a: tensor<?x84xf32>, %b: tensor<84x120xf32>,
                                %c: tensor<?x120xf32>) -> tensor<?x120xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<?x84xf32>, tensor<84x120xf32>)
                     outs(%c : tensor<?x120xf32>) -> tensor<?x120xf32>
  return %0 : tensor<?x120xf32>
}

// -----

// Tests the weight gradient product: per row of the gradient, tiles of at
// most 128 (200 = 128 + 72) summed over the dynamic batch.
// CHECK-LABEL: func @dense_weight_gradient
// CHECK:         %[[N:.*]] = tensor.dim
// CHECK:         scf.for %{{.*}} = %c0 to %c10
// CHECK:           scf.for %{{.*}} = %c0 to %[[N]] step %c1 iter_args({{.*}}) -> (vector<128xf32>)
// CHECK:           scf.for %{{.*}} = %c0 to %[[N]] step %c1 iter_args({{.*}}) -> (vector<72xf32>)
func.func @dense_weight_gradient(%a: tensor<?x10xf32>, %b: tensor<?x200xf32>,
                                 %c: tensor<10x200xf32>) -> tensor<10x200xf32> {
  %0 = linalg.matmul_transpose_a ins(%a, %b : tensor<?x10xf32>, tensor<?x200xf32>)
                                 outs(%c : tensor<10x200xf32>) -> tensor<10x200xf32>
  return %0 : tensor<10x200xf32>
}

// -----

// Tests an element-wise generic (tanh, as a polynomial): tiled to rows of the
// innermost dimension, the batch, channel and row loops by one, each row one
// vector<28> read, the polynomial on vector<28>, one write.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func @tanh_rows
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} = %c0 to %c6 step %c1
// CHECK:             scf.for %{{.*}} = %c0 to %c28 step %c1
// CHECK:               vector.transfer_read {{.*}} : tensor<?x6x28x28xf32>, vector<28xf32>
// CHECK:               math.fma {{.*}} : vector<28xf32>
// CHECK:               vector.transfer_write {{.*}} : vector<28xf32>, tensor<?x6x28x28xf32>
// CHECK-NOT:     math.tanh
// CHECK-NOT:     linalg.generic
func.func @tanh_rows(%x: tensor<?x6x28x28xf32>, %o: tensor<?x6x28x28xf32>) -> tensor<?x6x28x28xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%x : tensor<?x6x28x28xf32>) outs(%o : tensor<?x6x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %1 = math.tanh %in : f32
    linalg.yield %1 : f32
  } -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Tests that a generic reading an index (dropout's hash, one-hot labels)
// stays scalar.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @index_stays
// CHECK:         linalg.generic
func.func @index_stays(%x: tensor<?x16xf32>, %o: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
       ins(%x : tensor<?x16xf32>) outs(%o : tensor<?x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 1 : index
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    %1 = arith.addf %in, %f : f32
    linalg.yield %1 : f32
  } -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Tests a 2x2/2 average-pool sum: per image, channel and output row one
// vector<14> accumulator; each of the 4 window positions reads a span of 27
// and shuffles out its even lanes.
// CHECK-LABEL: func @pool_sum
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} = %c0 to %c6 step %c1
// CHECK:             scf.for %{{.*}} = %c0 to %c14 step %c1
// CHECK:               vector.transfer_read {{.*}} : tensor<?x6x14x14xf32>, vector<14xf32>
// CHECK-COUNT-4:       vector.shuffle {{.*}} [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26] : vector<27xf32>, vector<27xf32>
// CHECK:               vector.transfer_write {{.*}} : vector<14xf32>, tensor<?x6x14x14xf32>
// CHECK-NOT:     linalg.pooling_nchw_sum
func.func @pool_sum(%x: tensor<?x6x28x28xf32>, %init: tensor<?x6x14x14xf32>) -> tensor<?x6x14x14xf32> {
  %w = tensor.empty() : tensor<2x2xf32>
  %0 = linalg.pooling_nchw_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
       ins(%x, %w : tensor<?x6x28x28xf32>, tensor<2x2xf32>) outs(%init : tensor<?x6x14x14xf32>) -> tensor<?x6x14x14xf32>
  return %0 : tensor<?x6x14x14xf32>
}

// -----

// Tests a stride-1 max pool (3x3): rows read directly, combined with
// arith.maximumf, 9 per output row.
// CHECK-LABEL: func @pool_max_stride1
// CHECK-NOT:     vector.shuffle
// CHECK-COUNT-9: arith.maximumf {{.*}} : vector<6xf32>
// CHECK-NOT:     linalg.pooling_nchw_max
func.func @pool_max_stride1(%x: tensor<?x2x8x8xf32>, %init: tensor<?x2x6x6xf32>) -> tensor<?x2x6x6xf32> {
  %w = tensor.empty() : tensor<3x3xf32>
  %0 = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<?x2x8x8xf32>, tensor<3x3xf32>) outs(%init : tensor<?x2x6x6xf32>) -> tensor<?x2x6x6xf32>
  return %0 : tensor<?x2x6x6xf32>
}

// -----

// Tests a convolution's bias gradient (ChannelSumToVector.cpp): per channel,
// each image's 5x5 plane, collapsed to 25 contiguous floats, is read as two
// 16-lane chunks (the second masked: no in_bounds) into two accumulators
// over the batch, which are added and reduced once.
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#ch = affine_map<(n, c, h, w) -> (c)>
// CHECK-LABEL: func @channel_sum
// CHECK:         %[[FLAT:.*]] = tensor.collapse_shape %arg0 {{\[}}[0], [1], [2, 3]] : tensor<?x6x5x5xf32> into tensor<?x6x25xf32>
// CHECK:         scf.for %{{.*}} = %c0 to %c6 step %c1 iter_args(%{{.*}} = %arg1) -> (tensor<6xf32>)
// CHECK:           scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK:             vector.transfer_read %[[FLAT]][{{.*}}, %c0], %{{.*}} {in_bounds = [true]} : tensor<?x6x25xf32>, vector<16xf32>
// CHECK:             arith.addf {{.*}} : vector<16xf32>
// CHECK:             vector.transfer_read %[[FLAT]][{{.*}}, %c16], %{{.*}} : tensor<?x6x25xf32>, vector<16xf32>
// CHECK:           vector.reduction <add>
// CHECK:           tensor.insert
// CHECK-NOT:     linalg.generic
func.func @channel_sum(%gy: tensor<?x6x5x5xf32>, %init: tensor<6xf32>) -> tensor<6xf32> {
  %0 = linalg.generic {indexing_maps = [#id, #ch], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%gy : tensor<?x6x5x5xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}
