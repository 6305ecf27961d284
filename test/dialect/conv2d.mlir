// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests LeNet-5's C1 (5x5 on 32x32 gives 28x28) with a bias and a dynamic
// batch, and that attributes written with their default values are not printed.
// CHECK-LABEL: func @lenet_c1
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}
// CHECK-NOT:     {{stride|padding|dilation|groups|connections}}
// CHECK-SAME:    : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
func.func @lenet_c1(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6xf32>) -> tensor<?x6x28x28xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [1, 1] padding [0, 0] dilation [1, 1] groups 1
         : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
  return %0 : tensor<?x6x28x28xf32>
}

// -----

// Tests a convolution without a bias on a static batch, with "same" padding
// (28x28 MNIST input padded by 2 stays 28x28).
// CHECK-LABEL: func @no_bias_static_batch
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}} padding [2, 2] : (tensor<64x1x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<64x6x28x28xf32>
func.func @no_bias_static_batch(%x: tensor<64x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<64x6x28x28xf32> {
  %0 = cnn.conv2d %x, %w padding [2, 2] : (tensor<64x1x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<64x6x28x28xf32>
  return %0 : tensor<64x6x28x28xf32>
}

// -----

// Tests AlexNet's conv1: 11x11 with stride 4 on 227x227 gives 55x55.
// CHECK-LABEL: func @alexnet_conv1
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} stride [4, 4] : (tensor<?x3x227x227xf32>, tensor<96x3x11x11xf32>, tensor<96xf32>) -> tensor<?x96x55x55xf32>
func.func @alexnet_conv1(%x: tensor<?x3x227x227xf32>, %w: tensor<96x3x11x11xf32>, %b: tensor<96xf32>) -> tensor<?x96x55x55xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [4, 4] : (tensor<?x3x227x227xf32>, tensor<96x3x11x11xf32>, tensor<96xf32>) -> tensor<?x96x55x55xf32>
  return %0 : tensor<?x96x55x55xf32>
}

// -----

// Tests AlexNet's grouped conv2: 96 channels in 2 groups of 48, padding 2 keeps 27x27.
// CHECK-LABEL: func @alexnet_conv2_groups
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} padding [2, 2] groups 2 : (tensor<?x96x27x27xf32>, tensor<256x48x5x5xf32>, tensor<256xf32>) -> tensor<?x256x27x27xf32>
func.func @alexnet_conv2_groups(%x: tensor<?x96x27x27xf32>, %w: tensor<256x48x5x5xf32>, %b: tensor<256xf32>) -> tensor<?x256x27x27xf32> {
  %0 = cnn.conv2d %x, %w, %b padding [2, 2] groups 2 : (tensor<?x96x27x27xf32>, tensor<256x48x5x5xf32>, tensor<256xf32>) -> tensor<?x256x27x27xf32>
  return %0 : tensor<?x256x27x27xf32>
}

// -----

// Tests a depthwise convolution: as many groups as channels, one input map per filter.
// CHECK-LABEL: func @depthwise
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}} padding [1, 1] groups 32 : (tensor<8x32x16x16xf32>, tensor<32x1x3x3xf32>) -> tensor<8x32x16x16xf32>
func.func @depthwise(%x: tensor<8x32x16x16xf32>, %w: tensor<32x1x3x3xf32>) -> tensor<8x32x16x16xf32> {
  %0 = cnn.conv2d %x, %w padding [1, 1] groups 32 : (tensor<8x32x16x16xf32>, tensor<32x1x3x3xf32>) -> tensor<8x32x16x16xf32>
  return %0 : tensor<8x32x16x16xf32>
}

// -----

// Tests a dilated kernel: dilation [2, 3] makes a 3x3 kernel span 5 rows and
// 7 columns, so 32x32 gives 28x26.
// CHECK-LABEL: func @dilation
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}} dilation [2, 3] : (tensor<?x16x32x32xf32>, tensor<16x16x3x3xf32>) -> tensor<?x16x28x26xf32>
func.func @dilation(%x: tensor<?x16x32x32xf32>, %w: tensor<16x16x3x3xf32>) -> tensor<?x16x28x26xf32> {
  %0 = cnn.conv2d %x, %w dilation [2, 3] : (tensor<?x16x32x32xf32>, tensor<16x16x3x3xf32>) -> tensor<?x16x28x26xf32>
  return %0 : tensor<?x16x28x26xf32>
}

// -----

// Tests different stride and padding per axis, and that the output size rounds
// down: height (32 + 2 - 3) / 2 + 1 = 16, width (32 - 3) / 3 + 1 = 10.
// CHECK-LABEL: func @asymmetric
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} stride [2, 3] padding [1, 0] : (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x16x10xf32>
func.func @asymmetric(%x: tensor<?x3x32x32xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<?x8x16x10xf32> {
  %0 = cnn.conv2d %x, %w, %b stride [2, 3] padding [1, 0] : (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x16x10xf32>
  return %0 : tensor<?x8x16x10xf32>
}

// -----

// Tests every convolution attribute at once, printed in the format's order.
// CHECK-LABEL: func @all_attributes
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}} stride [2, 2] padding [3, 3] dilation [2, 2] groups 4 : (tensor<2x8x20x20xf32>, tensor<12x2x4x4xf32>) -> tensor<2x12x10x10xf32>
func.func @all_attributes(%x: tensor<2x8x20x20xf32>, %w: tensor<12x2x4x4xf32>) -> tensor<2x12x10x10xf32> {
  %0 = cnn.conv2d %x, %w stride [2, 2] padding [3, 3] dilation [2, 2] groups 4 : (tensor<2x8x20x20xf32>, tensor<12x2x4x4xf32>) -> tensor<2x12x10x10xf32>
  return %0 : tensor<2x12x10x10xf32>
}

// -----

// Tests LeNet-5's C3 layer with the connection table of the 1998 paper
// (Table I, here as [output map, input map]): maps 0-5 read 3 contiguous S2
// maps, 6-11 read 4 contiguous, 12-14 read 4 non-contiguous, 15 reads all 6,
// 60 connections in all. 5x5 on 14x14 gives 10x10.
// CHECK-LABEL: func @lenet_c3
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} connections dense<
// CHECK-SAME:      {{\[}}[true, true, true, false, false, false], [false, true, true, true, false, false], [false, false, true, true, true, false], [false, false, false, true, true, true], [true, false, false, false, true, true], [true, true, false, false, false, true],
// CHECK-SAME:      [true, true, true, true, false, false], [false, true, true, true, true, false], [false, false, true, true, true, true], [true, false, false, true, true, true], [true, true, false, false, true, true], [true, true, true, false, false, true],
// CHECK-SAME:      [true, true, false, true, true, false], [false, true, true, false, true, true], [true, false, true, true, false, true],
// CHECK-SAME:      [true, true, true, true, true, true]]> : tensor<16x6xi1>
// CHECK-SAME:      : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) -> tensor<?x16x10x10xf32>
func.func @lenet_c3(%x: tensor<?x6x14x14xf32>, %w: tensor<16x6x5x5xf32>, %b: tensor<16xf32>) -> tensor<?x16x10x10xf32> {
  %0 = cnn.conv2d %x, %w, %b connections dense<[
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
    : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>) -> tensor<?x16x10x10xf32>
  return %0 : tensor<?x16x10x10xf32>
}

// -----

// Tests a splat connection table (every map reads every input) on a static batch.
// CHECK-LABEL: func @splat_table
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}} connections dense<true> : tensor<4x6xi1> : (tensor<1x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<1x4x10x10xf32>
func.func @splat_table(%x: tensor<1x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) -> tensor<1x4x10x10xf32> {
  %0 = cnn.conv2d %x, %w connections dense<true> : tensor<4x6xi1> : (tensor<1x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<1x4x10x10xf32>
  return %0 : tensor<1x4x10x10xf32>
}

// -----

// Tests that dynamic spatial sizes give dynamic output sizes and that a dynamic
// channel count is accepted.
// CHECK-LABEL: func @dynamic_dims
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x?x?x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x?x28xf32>
func.func @dynamic_dims(%x: tensor<?x?x?x32xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<?x6x?x28xf32> {
  %0 = cnn.conv2d %x, %w : (tensor<?x?x?x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x?x28xf32>
  return %0 : tensor<?x6x?x28xf32>
}

// -----

// Tests that a kernel exactly as large as the input gives a 1x1 output.
// CHECK-LABEL: func @kernel_equals_input
// CHECK:         cnn.conv2d %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} : (tensor<?x16x5x5xf32>, tensor<120x16x5x5xf32>, tensor<120xf32>) -> tensor<?x120x1x1xf32>
func.func @kernel_equals_input(%x: tensor<?x16x5x5xf32>, %w: tensor<120x16x5x5xf32>, %b: tensor<120xf32>) -> tensor<?x120x1x1xf32> {
  %0 = cnn.conv2d %x, %w, %b : (tensor<?x16x5x5xf32>, tensor<120x16x5x5xf32>, tensor<120xf32>) -> tensor<?x120x1x1xf32>
  return %0 : tensor<?x120x1x1xf32>
}
