// RUN: cnnc-opt %s -split-input-file -verify-diagnostics

// Negative tests for the cnn dialect: one case per shape rule of
// ShapeInference.cpp and per op that applies it, then the written-result-type
// rule and the ODS type constraints. Ops whose custom form writes no result
// type (activations, local_response_norm, dropout, softmax) infer it while
// parsing, so their rule errors come from the parser at the op's location.
// cnn.add and cnn.concat are mostly covered by invalid-join.mlir.

//===----------------------------------------------------------------------===//
// cnn.conv2d: attributes
//===----------------------------------------------------------------------===//

// A stride needs exactly two values [h, w].
func.func @conv_stride_count(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op stride must have 2 values [h, w], got 3}}
  %0 = cnn.conv2d %x, %w stride [1, 1, 1] : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// A zero stride along the height is rejected.
func.func @conv_stride_zero_height(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op stride height must be at least 1, got 0}}
  %0 = cnn.conv2d %x, %w stride [0, 1] : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// A negative stride along the width is rejected, and the message names the width.
func.func @conv_stride_negative_width(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op stride width must be at least 1, got -2}}
  %0 = cnn.conv2d %x, %w stride [1, -2] : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// Padding needs exactly two values [h, w].
func.func @conv_padding_count(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op padding must have 2 values [h, w], got 1}}
  %0 = cnn.conv2d %x, %w padding [2] : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x32x32xf32>
  return
}

// -----

// Negative padding is rejected.
func.func @conv_padding_negative(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op padding height must be at least 0, got -1}}
  %0 = cnn.conv2d %x, %w padding [-1, 0] : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x26x28xf32>
  return
}

// -----

// Dilation needs exactly two values [h, w].
func.func @conv_dilation_count(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op dilation must have 2 values [h, w], got 3}}
  %0 = cnn.conv2d %x, %w dilation [1, 1, 1] : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// A zero dilation is rejected.
func.func @conv_dilation_zero(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op dilation width must be at least 1, got 0}}
  %0 = cnn.conv2d %x, %w dilation [1, 0] : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// Zero groups are rejected.
func.func @conv_groups_zero(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op groups must be at least 1, got 0}}
  %0 = cnn.conv2d %x, %w groups 0 : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// Negative groups are rejected.
func.func @conv_groups_negative(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op groups must be at least 1, got -2}}
  %0 = cnn.conv2d %x, %w groups -2 : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The attributes are checked before the operands: a bad stride is reported
// even though the input has the wrong rank too.
func.func @conv_attributes_first(%x: tensor<1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op stride height must be at least 1, got 0}}
  %0 = cnn.conv2d %x, %w stride [0, 1] : (tensor<1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.conv2d: operands
//===----------------------------------------------------------------------===//

// The input must be NCHW.
func.func @conv_input_rank(%x: tensor<1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op input must have rank 4 [N, C, H, W], got rank 3 ([1, 32, 32])}}
  %0 = cnn.conv2d %x, %w : (tensor<1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The weight must be [F, C/groups, KH, KW].
func.func @conv_weight_rank(%x: tensor<?x1x32x32xf32>, %w: tensor<6x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op weight must have rank 4 [F, C/groups, KH, KW], got rank 3 ([6, 5, 5])}}
  %0 = cnn.conv2d %x, %w : (tensor<?x1x32x32xf32>, tensor<6x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// The weight is a parameter, so its shape must be static.
func.func @conv_weight_dynamic(%x: tensor<?x1x32x32xf32>, %w: tensor<?x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op weight must have a static shape, got [?, 1, 5, 5]}}
  %0 = cnn.conv2d %x, %w : (tensor<?x1x32x32xf32>, tensor<?x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// Every weight dimension must hold at least one element: a 0-row kernel would
// otherwise give an output larger than the input.
func.func @conv_weight_zero(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x0x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op weight dimensions must be at least 1, got [6, 1, 0, 5]}}
  %0 = cnn.conv2d %x, %w dilation [2, 1] : (tensor<?x1x32x32xf32>, tensor<6x1x0x5xf32>) -> tensor<?x6x30x28xf32>
  return
}

// -----

// The bias is a vector.
func.func @conv_bias_rank(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<6x1xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op bias must have rank 1, got rank 2 ([6, 1])}}
  %0 = cnn.conv2d %x, %w, %b : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<6x1xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// The bias has one entry per output channel.
func.func @conv_bias_length(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op bias has 5 elements but weight has 6 output channels}}
  %0 = cnn.conv2d %x, %w, %b : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.conv2d: connection tables
//===----------------------------------------------------------------------===//

// A connection table cannot be combined with groups.
func.func @conv_table_groups(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op a connection table requires groups = 1, got 2}}
  %0 = cnn.conv2d %x, %w groups 2 connections dense<true> : tensor<4x6xi1> : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// A connection table is 2-D [output maps, input maps].
func.func @conv_table_rank(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op connection table must have rank 2 [output maps, input maps], got rank 1}}
  %0 = cnn.conv2d %x, %w connections dense<true> : tensor<24xi1> : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// A connection table has one row per output map.
func.func @conv_table_rows(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op connection table has 3 rows but weight has 4 output channels}}
  %0 = cnn.conv2d %x, %w connections dense<true> : tensor<3x6xi1> : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// A connection table has one column per input map of the weight.
func.func @conv_table_columns(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op connection table has 5 columns but weight has 6 input channels}}
  %0 = cnn.conv2d %x, %w connections dense<true> : tensor<4x5xi1> : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// A connection table may hold at most 2^20 entries; a splat can describe a
// larger one in a few bytes, which is reported instead of expanded.
func.func @conv_table_too_large(%x: tensor<?x1024x1x1xf32>, %w: tensor<1025x1024x1x1xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op connection table [1025, 1024] is too large (at most 1048576 entries)}}
  %0 = cnn.conv2d %x, %w connections dense<true> : tensor<1025x1024xi1> : (tensor<?x1024x1x1xf32>, tensor<1025x1024x1x1xf32>) -> tensor<?x1025x1x1xf32>
  return
}

// -----

// Every output map must read at least one input map; here map 2 reads none.
func.func @conv_table_empty_row(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op connection table: output map 2 reads no input map}}
  %0 = cnn.conv2d %x, %w connections dense<[
      [true, true, true, false, false, false],
      [false, true, true, true, false, false],
      [false, false, false, false, false, false],
      [true, true, true, true, true, true]]> : tensor<4x6xi1>
    : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// With a table the weight holds every input map, so the input's channels must
// equal the weight's.
func.func @conv_table_channels(%x: tensor<?x3x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op input has 3 channels but weight expects 6}}
  %0 = cnn.conv2d %x, %w connections dense<true> : tensor<4x6xi1> : (tensor<?x3x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.conv2d: channels and groups
//===----------------------------------------------------------------------===//

// The groups must divide the output channels.
func.func @conv_groups_outputs(%x: tensor<?x4x16x16xf32>, %w: tensor<5x2x3x3xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op weight has 5 output channels, which groups = 2 does not divide}}
  %0 = cnn.conv2d %x, %w groups 2 : (tensor<?x4x16x16xf32>, tensor<5x2x3x3xf32>) -> tensor<?x5x14x14xf32>
  return
}

// -----

// The groups must divide the input channels.
func.func @conv_groups_channels(%x: tensor<?x5x16x16xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op input has 5 channels, which groups = 2 does not divide}}
  %0 = cnn.conv2d %x, %w groups 2 : (tensor<?x5x16x16xf32>, tensor<6x2x3x3xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// Without groups, the input's channels must be the weight's.
func.func @conv_channels(%x: tensor<?x3x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op input has 3 channels but weight expects 1}}
  %0 = cnn.conv2d %x, %w : (tensor<?x3x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// A single input channel is named in the singular.
func.func @conv_one_channel(%x: tensor<?x1x32x32xf32>, %w: tensor<6x3x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op input has 1 channel but weight expects 3}}
  %0 = cnn.conv2d %x, %w : (tensor<?x1x32x32xf32>, tensor<6x3x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// With groups, each group's share of the input channels must be the weight's.
// AlexNet conv2 with the full 96 channels per group instead of 48.
func.func @conv_channels_grouped(%x: tensor<?x96x27x27xf32>, %w: tensor<256x96x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op input has 96 channels, 48 per group of 2, but weight expects 96 per group}}
  %0 = cnn.conv2d %x, %w padding [2, 2] groups 2 : (tensor<?x96x27x27xf32>, tensor<256x96x5x5xf32>) -> tensor<?x256x27x27xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.conv2d: windows
//===----------------------------------------------------------------------===//

// The kernel must fit the padded input along the height.
func.func @conv_kernel_height(%x: tensor<?x1x4x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op conv2d kernel height 5 does not fit input height 4 (padding 0)}}
  %0 = cnn.conv2d %x, %w : (tensor<?x1x4x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x1x28xf32>
  return
}

// -----

// The kernel must fit the padded input along the width; the message gives the padding.
func.func @conv_kernel_width(%x: tensor<?x1x32x2xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op conv2d kernel width 5 does not fit input width 2 (padding 1)}}
  %0 = cnn.conv2d %x, %w padding [1, 1] : (tensor<?x1x32x2xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x30x1xf32>
  return
}

// -----

// A dilated kernel spans dilation * (kernel - 1) + 1 = 3 * 2 + 1 = 7 rows,
// which do not fit 6.
func.func @conv_dilated_kernel(%x: tensor<?x1x6x6xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op conv2d dilated kernel height 7 does not fit input height 6 (padding 0)}}
  %0 = cnn.conv2d %x, %w dilation [3, 1] : (tensor<?x1x6x6xf32>, tensor<6x1x3x3xf32>) -> tensor<?x6x1x4xf32>
  return
}

// -----

// A dilation whose span overflows int64 is reported, not wrapped.
func.func @conv_window_overflow(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op conv2d height window is too large}}
  %0 = cnn.conv2d %x, %w dilation [4611686018427387904, 1] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// Padding that overflows int64 when added to the input is reported, not wrapped.
func.func @conv_padded_overflow(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op conv2d padded input width is too large}}
  %0 = cnn.conv2d %x, %w padding [0, 4611686018427387900] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.avg_pool2d
//===----------------------------------------------------------------------===//

// A pooling kernel needs exactly two values.
func.func @avg_kernel_count(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op kernel must have 2 values [h, w], got 1}}
  %0 = cnn.avg_pool2d %x kernel [2] stride [2, 2] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return
}

// -----

// A pooling kernel of zero is rejected.
func.func @avg_kernel_zero(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op kernel width must be at least 1, got 0}}
  %0 = cnn.avg_pool2d %x kernel [2, 0] stride [2, 2] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return
}

// -----

// A pooling stride needs exactly two values.
func.func @avg_stride_count(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op stride must have 2 values [h, w], got 3}}
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2, 2] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return
}

// -----

// A pooling stride of zero is rejected.
func.func @avg_stride_zero(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op stride height must be at least 1, got 0}}
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [0, 2] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return
}

// -----

// Pooling padding needs exactly two values.
func.func @avg_padding_count(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op padding must have 2 values [h, w], got 1}}
  %0 = cnn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [1] : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  return
}

// -----

// Negative pooling padding is rejected.
func.func @avg_padding_negative(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op padding width must be at least 0, got -1}}
  %0 = cnn.avg_pool2d %x kernel [3, 3] stride [2, 2] padding [0, -1] : tensor<?x6x28x28xf32> -> tensor<?x6x13x13xf32>
  return
}

// -----

// Pooling padding may be at most half the kernel (2 / 2 = 1 here), so that no
// window lies wholly in the padding.
func.func @avg_padding_half(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op padding height 2 must be at most half of kernel height 2}}
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2] padding [2, 0] : tensor<?x6x28x28xf32> -> tensor<?x6x16x14xf32>
  return
}

// -----

// The pooling input must be NCHW.
func.func @avg_input_rank(%x: tensor<?x784xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op input must have rank 4 [N, C, H, W], got rank 2 ([?, 784])}}
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2] : tensor<?x784xf32> -> tensor<?x6x14x14xf32>
  return
}

// -----

// The pooling window must fit the input.
func.func @avg_kernel_fit(%x: tensor<?x16x5x5xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op pooling kernel height 6 does not fit input height 5 (padding 0)}}
  %0 = cnn.avg_pool2d %x kernel [6, 2] stride [2, 2] : tensor<?x16x5x5xf32> -> tensor<?x16x1x2xf32>
  return
}

// -----

// Padding that overflows int64 when added to the input is reported, not wrapped.
func.func @avg_padded_overflow(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op pooling padded input height is too large}}
  %0 = cnn.avg_pool2d %x kernel [9223372036854775807, 2] stride [1, 2] padding [4611686018427387903, 0] : tensor<?x6x28x28xf32> -> tensor<?x6x1x14xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.max_pool2d
//===----------------------------------------------------------------------===//

// A pooling kernel needs exactly two values.
func.func @max_kernel_count(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op kernel must have 2 values [h, w], got 3}}
  %0 = cnn.max_pool2d %x kernel [3, 3, 3] stride [2, 2] : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
  return
}

// -----

// A negative pooling kernel is rejected.
func.func @max_kernel_negative(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op kernel height must be at least 1, got -3}}
  %0 = cnn.max_pool2d %x kernel [-3, 3] stride [2, 2] : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
  return
}

// -----

// A pooling stride needs exactly two values.
func.func @max_stride_count(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op stride must have 2 values [h, w], got 1}}
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2] : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
  return
}

// -----

// A pooling stride of zero is rejected.
func.func @max_stride_zero(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op stride width must be at least 1, got 0}}
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 0] : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
  return
}

// -----

// Pooling padding needs exactly two values.
func.func @max_padding_count(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op padding must have 2 values [h, w], got 3}}
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 1, 1] : tensor<?x96x55x55xf32> -> tensor<?x96x28x28xf32>
  return
}

// -----

// Negative pooling padding is rejected.
func.func @max_padding_negative(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op padding height must be at least 0, got -1}}
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [-1, 1] : tensor<?x96x55x55xf32> -> tensor<?x96x26x28xf32>
  return
}

// -----

// Pooling padding may be at most half the kernel: 3 / 2 = 1 allows 1, not 2.
func.func @max_padding_half(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op padding width 2 must be at most half of kernel width 3}}
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] padding [1, 2] : tensor<?x96x55x55xf32> -> tensor<?x96x28x29xf32>
  return
}

// -----

// The pooling input must be NCHW.
func.func @max_input_rank(%x: tensor<96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op input must have rank 4 [N, C, H, W], got rank 3 ([96, 55, 55])}}
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] : tensor<96x55x55xf32> -> tensor<1x96x27x27xf32>
  return
}

// -----

// The pooling window must fit the padded input; the message gives the padding.
func.func @max_kernel_fit(%x: tensor<?x256x13x2xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op pooling kernel width 5 does not fit input width 2 (padding 1)}}
  %0 = cnn.max_pool2d %x kernel [5, 5] stride [2, 2] padding [1, 1] : tensor<?x256x13x2xf32> -> tensor<?x256x6x1xf32>
  return
}

// -----

// Padding that overflows int64 when added to the input is reported, not wrapped.
func.func @max_padded_overflow(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op pooling padded input width is too large}}
  %0 = cnn.max_pool2d %x kernel [3, 9223372036854775807] stride [2, 1] padding [0, 4611686018427387903] : tensor<?x96x55x55xf32> -> tensor<?x96x27x1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.subsample2d
//===----------------------------------------------------------------------===//

// The subsampling input must be NCHW.
func.func @subsample_input_rank(%x: tensor<6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op input must have rank 4 [N, C, H, W], got rank 3 ([6, 28, 28])}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<1x6x14x14xf32>
  return
}

// -----

// The coefficients are a vector.
func.func @subsample_coefficient_rank(%x: tensor<?x6x28x28xf32>, %c: tensor<6x1xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op coefficient must have rank 1, got rank 2 ([6, 1])}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6x1xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// There is one coefficient per channel.
func.func @subsample_coefficient_length(%x: tensor<?x6x28x28xf32>, %c: tensor<16xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op coefficient has 16 elements but input has 6 channels}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<16xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// The bias is a vector.
func.func @subsample_bias_rank(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<f32>) {
  // expected-error @+1 {{'cnn.subsample2d' op bias must have rank 1, got rank 0 ([])}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<f32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// There is one bias per channel.
func.func @subsample_bias_length(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<1xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op bias has 1 element but input has 6 channels}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<1xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// The subsampling kernel needs exactly two values.
func.func @subsample_kernel_count(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op kernel must have 2 values [h, w], got 1}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// A subsampling kernel of zero is rejected.
func.func @subsample_kernel_zero(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op kernel height must be at least 1, got 0}}
  %0 = cnn.subsample2d %x, %c, %b kernel [0, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// The subsampling stride needs exactly two values.
func.func @subsample_stride_count(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op stride must have 2 values [h, w], got 3}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2, 1] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// A subsampling stride of zero is rejected.
func.func @subsample_stride_zero(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op stride width must be at least 1, got 0}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 0] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// The subsampling window must fit the input (it has no padding).
func.func @subsample_kernel_fit(%x: tensor<?x16x10x1xf32>, %c: tensor<16xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op pooling kernel width 2 does not fit input width 1 (padding 0)}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x16x10x1xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x16x5x1xf32>
  return
}

// -----

// The subsampling attributes are checked before the operands: a bad stride is
// reported even though the coefficients have the wrong length too.
func.func @subsample_attributes_first(%x: tensor<?x6x28x28xf32>, %c: tensor<16xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op stride height must be at least 1, got 0}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [0, 2] : (tensor<?x6x28x28xf32>, tensor<16xf32>, tensor<6xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.dense
//===----------------------------------------------------------------------===//

// The dense input must be [N, K]; flatten first.
func.func @dense_input_rank(%x: tensor<?x16x5x5xf32>, %w: tensor<120x400xf32>) {
  // expected-error @+1 {{'cnn.dense' op input must have rank 2 [N, K], got rank 4 ([?, 16, 5, 5])}}
  %0 = cnn.dense %x, %w : (tensor<?x16x5x5xf32>, tensor<120x400xf32>) -> tensor<?x120xf32>
  return
}

// -----

// The dense weight must be [M, K].
func.func @dense_weight_rank(%x: tensor<?x400xf32>, %w: tensor<400xf32>) {
  // expected-error @+1 {{'cnn.dense' op weight must have rank 2 [M, K], got rank 1 ([400])}}
  %0 = cnn.dense %x, %w : (tensor<?x400xf32>, tensor<400xf32>) -> tensor<?x120xf32>
  return
}

// -----

// The dense weight is a parameter, so its shape must be static.
func.func @dense_weight_dynamic(%x: tensor<?x400xf32>, %w: tensor<120x?xf32>) {
  // expected-error @+1 {{'cnn.dense' op weight must have a static shape, got [120, ?]}}
  %0 = cnn.dense %x, %w : (tensor<?x400xf32>, tensor<120x?xf32>) -> tensor<?x120xf32>
  return
}

// -----

// Every dimension of the dense weight must hold at least one element.
func.func @dense_weight_zero(%x: tensor<?x0xf32>, %w: tensor<10x0xf32>) {
  // expected-error @+1 {{'cnn.dense' op weight dimensions must be at least 1, got [10, 0]}}
  %0 = cnn.dense %x, %w : (tensor<?x0xf32>, tensor<10x0xf32>) -> tensor<?x10xf32>
  return
}

// -----

// The input's features must be the weight's K (PyTorch layout [M, K], not [K, M]).
func.func @dense_features(%x: tensor<?x400xf32>, %w: tensor<400x120xf32>) {
  // expected-error @+1 {{'cnn.dense' op input has 400 features but weight expects 120}}
  %0 = cnn.dense %x, %w : (tensor<?x400xf32>, tensor<400x120xf32>) -> tensor<?x400xf32>
  return
}

// -----

// The dense bias is a vector.
func.func @dense_bias_rank(%x: tensor<?x400xf32>, %w: tensor<120x400xf32>, %b: tensor<1x120xf32>) {
  // expected-error @+1 {{'cnn.dense' op bias must have rank 1, got rank 2 ([1, 120])}}
  %0 = cnn.dense %x, %w, %b : (tensor<?x400xf32>, tensor<120x400xf32>, tensor<1x120xf32>) -> tensor<?x120xf32>
  return
}

// -----

// The dense bias has one entry per output.
func.func @dense_bias_length(%x: tensor<?x400xf32>, %w: tensor<120x400xf32>, %b: tensor<84xf32>) {
  // expected-error @+1 {{'cnn.dense' op bias has 84 elements but weight has 120 outputs}}
  %0 = cnn.dense %x, %w, %b : (tensor<?x400xf32>, tensor<120x400xf32>, tensor<84xf32>) -> tensor<?x120xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.flatten
//===----------------------------------------------------------------------===//

// Flatten keeps the batch dimension, so it needs rank 2 or more.
func.func @flatten_rank(%x: tensor<400xf32>) {
  // expected-error @+1 {{'cnn.flatten' op input must have rank 2 or more [N, ...], got rank 1}}
  %0 = cnn.flatten %x : tensor<400xf32> -> tensor<400x1xf32>
  return
}

// -----

// A feature count that overflows int64 is reported, not wrapped.
func.func @flatten_overflow(%x: tensor<1x4294967296x4294967296xf32>) {
  // expected-error @+1 {{'cnn.flatten' op input [1, 4294967296, 4294967296] has too many features to flatten}}
  %0 = cnn.flatten %x : tensor<1x4294967296x4294967296xf32> -> tensor<1x1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.concat: rules invalid-join.mlir does not cover
//===----------------------------------------------------------------------===//

// A negative concat axis is rejected.
func.func @concat_axis_negative(%a: tensor<?x6xf32>, %b: tensor<?x6xf32>) {
  // expected-error @+1 {{'cnn.concat' op axis -1 is out of range for inputs of rank 2}}
  %0 = cnn.concat %a, %b axis -1 : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x12xf32>
  return
}

// -----

// A concatenated size that overflows int64 is reported, not wrapped.
func.func @concat_overflow(%a: tensor<4611686018427387904xf32>, %b: tensor<4611686018427387904xf32>) {
  // expected-error @+1 {{'cnn.concat' op concatenated size along axis 0 is too large}}
  %0 = cnn.concat %a, %b axis 0 : (tensor<4611686018427387904xf32>, tensor<4611686018427387904xf32>) -> tensor<?xf32>
  return
}

// -----

// A size that input 0 leaves dynamic is fixed by input 1, so a conflicting
// input 2 is reported against input 1, not input 0.
func.func @concat_conflict_owner(%a: tensor<?x?xf32>, %b: tensor<4x5xf32>, %c: tensor<4x6xf32>) {
  // expected-error @+1 {{'cnn.concat' op input 2 has shape [4, 6], which differs from input 1's [4, 5] outside axis 0}}
  %0 = cnn.concat %a, %b, %c axis 0 : (tensor<?x?xf32>, tensor<4x5xf32>, tensor<4x6xf32>) -> tensor<?x5xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.local_response_norm (result type inferred while parsing)
//===----------------------------------------------------------------------===//

// The LRN window must hold at least one channel.
func.func @lrn_size_zero(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op size must be at least 1, got 0}}
  %0 = cnn.local_response_norm %x size 0 alpha 1.0e-4 beta 0.75 k 2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// A negative LRN size is rejected.
func.func @lrn_size_negative(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op size must be at least 1, got -5}}
  %0 = cnn.local_response_norm %x size -5 alpha 1.0e-4 beta 0.75 k 2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// A negative alpha is rejected.
func.func @lrn_alpha_negative(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op alpha must be finite and non-negative, got -1}}
  %0 = cnn.local_response_norm %x size 5 alpha -1.0 beta 0.75 k 2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// A small negative alpha keeps its significant digits in the message.
func.func @lrn_alpha_small_negative(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op alpha must be finite and non-negative, got -0.0001}}
  %0 = cnn.local_response_norm %x size 5 alpha -1.0e-4 beta 0.75 k 2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// A NaN alpha is rejected.
func.func @lrn_alpha_nan(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op alpha must be finite and non-negative, got nan}}
  %0 = cnn.local_response_norm %x size 5 alpha 0x7FC00000 beta 0.75 k 2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// An infinite alpha is rejected.
func.func @lrn_alpha_inf(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op alpha must be finite and non-negative, got inf}}
  %0 = cnn.local_response_norm %x size 5 alpha 0x7F800000 beta 0.75 k 2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// A negative beta is rejected.
func.func @lrn_beta_negative(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op beta must be finite and non-negative, got -0.75}}
  %0 = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta -0.75 k 2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// An infinite beta is rejected.
func.func @lrn_beta_inf(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op beta must be finite and non-negative, got inf}}
  %0 = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta 0x7F800000 k 2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// k must be positive: zero is rejected, as the denominator could vanish.
func.func @lrn_k_zero(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op k must be finite and positive, got 0}}
  %0 = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta 0.75 k 0.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// A negative k is rejected.
func.func @lrn_k_negative(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op k must be finite and positive, got -2}}
  %0 = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta 0.75 k -2.0 : tensor<?x96x55x55xf32>
  return
}

// -----

// LRN works across the channels of an NCHW input.
func.func @lrn_input_rank(%x: tensor<?x4096xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op input must have rank 4 [N, C, H, W], got rank 2 ([?, 4096])}}
  %0 = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta 0.75 k 2.0 : tensor<?x4096xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.dropout (result type inferred while parsing)
//===----------------------------------------------------------------------===//

// A dropout rate of 1 would drop everything and divide by zero.
func.func @dropout_rate_one(%x: tensor<?x4096xf32>, %seed: i64) {
  // expected-error @+1 {{'cnn.dropout' op rate must be in [0, 1), got 1}}
  %0 = cnn.dropout %x, %seed rate 1.0 : tensor<?x4096xf32>
  return
}

// -----

// A negative dropout rate is rejected.
func.func @dropout_rate_negative(%x: tensor<?x4096xf32>, %seed: i64) {
  // expected-error @+1 {{'cnn.dropout' op rate must be in [0, 1), got -0.5}}
  %0 = cnn.dropout %x, %seed rate -0.5 : tensor<?x4096xf32>
  return
}

// -----

// A slightly negative dropout rate keeps its significant digits in the message.
func.func @dropout_rate_small_negative(%x: tensor<?x4096xf32>, %seed: i64) {
  // expected-error @+1 {{'cnn.dropout' op rate must be in [0, 1), got -0.001}}
  %0 = cnn.dropout %x, %seed rate -0.001 : tensor<?x4096xf32>
  return
}

// -----

// A NaN dropout rate is rejected.
func.func @dropout_rate_nan(%x: tensor<?x4096xf32>, %seed: i64) {
  // expected-error @+1 {{'cnn.dropout' op rate must be in [0, 1), got nan}}
  %0 = cnn.dropout %x, %seed rate 0x7FC00000 : tensor<?x4096xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.softmax and cnn.log_softmax (result type inferred while parsing)
//===----------------------------------------------------------------------===//

// Softmax needs a dimension to normalise along.
func.func @softmax_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{'cnn.softmax' op input must have rank 1 or more, got rank 0}}
  %0 = cnn.softmax %x axis 0 : tensor<f32>
  return
}

// -----

// The softmax axis must be a dimension of the input.
func.func @softmax_axis_range(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.softmax' op axis 2 is out of range for input of rank 2}}
  %0 = cnn.softmax %x axis 2 : tensor<?x10xf32>
  return
}

// -----

// A negative softmax axis is rejected (there is no counting from the end).
func.func @softmax_axis_negative(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.softmax' op axis -1 is out of range for input of rank 2}}
  %0 = cnn.softmax %x axis -1 : tensor<?x10xf32>
  return
}

// -----

// The default axis 1 does not exist on a rank-1 input.
func.func @softmax_default_axis(%x: tensor<10xf32>) {
  // expected-error @+1 {{'cnn.softmax' op axis 1 is out of range for input of rank 1}}
  %0 = cnn.softmax %x : tensor<10xf32>
  return
}

// -----

// Log-softmax needs a dimension to normalise along.
func.func @log_softmax_rank0(%x: tensor<f32>) {
  // expected-error @+1 {{'cnn.log_softmax' op input must have rank 1 or more, got rank 0}}
  %0 = cnn.log_softmax %x axis 0 : tensor<f32>
  return
}

// -----

// The log-softmax axis must be a dimension of the input.
func.func @log_softmax_axis_range(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.log_softmax' op axis 5 is out of range for input of rank 2}}
  %0 = cnn.log_softmax %x axis 5 : tensor<?x10xf32>
  return
}

// -----

// A negative log-softmax axis is rejected.
func.func @log_softmax_axis_negative(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.log_softmax' op axis -2 is out of range for input of rank 2}}
  %0 = cnn.log_softmax %x axis -2 : tensor<?x10xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.cross_entropy and cnn.mse
//===----------------------------------------------------------------------===//

// Logits are [N, classes].
func.func @cross_entropy_logits_rank(%l: tensor<?x10x1xf32>, %y: tensor<?xi32>) {
  // expected-error @+1 {{'cnn.cross_entropy' op logits must have rank 2 [N, classes], got rank 3 ([?, 10, 1])}}
  %0 = cnn.cross_entropy %l, %y : (tensor<?x10x1xf32>, tensor<?xi32>) -> tensor<f32>
  return
}

// -----

// Labels are class indices [N], not one-hot rows.
func.func @cross_entropy_labels_rank(%l: tensor<?x10xf32>, %y: tensor<?x10xi32>) {
  // expected-error @+1 {{'cnn.cross_entropy' op labels must have rank 1 [N], got rank 2 ([?, 10])}}
  %0 = cnn.cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?x10xi32>) -> tensor<f32>
  return
}

// -----

// There must be at least one class.
func.func @cross_entropy_zero_classes(%l: tensor<?x0xf32>, %y: tensor<?xi32>) {
  // expected-error @+1 {{'cnn.cross_entropy' op logits must have at least one class, got 0}}
  %0 = cnn.cross_entropy %l, %y : (tensor<?x0xf32>, tensor<?xi32>) -> tensor<f32>
  return
}

// -----

// There is one label per row of logits.
func.func @cross_entropy_rows(%l: tensor<64x10xf32>, %y: tensor<32xi32>) {
  // expected-error @+1 {{'cnn.cross_entropy' op labels has 32 entries but logits has 64 rows}}
  %0 = cnn.cross_entropy %l, %y : (tensor<64x10xf32>, tensor<32xi32>) -> tensor<f32>
  return
}

// -----

// A single label is named in the singular.
func.func @cross_entropy_one_label(%l: tensor<2x10xf32>, %y: tensor<1xi32>) {
  // expected-error @+1 {{'cnn.cross_entropy' op labels has 1 entry but logits has 2 rows}}
  %0 = cnn.cross_entropy %l, %y : (tensor<2x10xf32>, tensor<1xi32>) -> tensor<f32>
  return
}

// -----

// MSE operands must have one shape.
func.func @mse_shape(%p: tensor<?x10xf32>, %t: tensor<?x1xf32>) {
  // expected-error @+1 {{'cnn.mse' op prediction has shape [?, 10] but target has shape [?, 1]}}
  %0 = cnn.mse %p, %t : (tensor<?x10xf32>, tensor<?x1xf32>) -> tensor<f32>
  return
}

// -----

// MSE operands must have one rank.
func.func @mse_rank(%p: tensor<4x10xf32>, %t: tensor<40xf32>) {
  // expected-error @+1 {{'cnn.mse' op prediction has shape [4, 10] but target has shape [40]}}
  %0 = cnn.mse %p, %t : (tensor<4x10xf32>, tensor<40xf32>) -> tensor<f32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.fused_conv_act_pool: its own rules
//===----------------------------------------------------------------------===//

// A pool kind needs its window; the custom syntax cannot omit it, the generic can.
func.func @fused_pool_without_window(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool requires both pool_kernel and pool_stride}}
  %0 = "cnn.fused_conv_act_pool"(%x, %w) <{act = 1 : i32, pool = 0 : i32}> : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// A pool kind with a stride but no kernel is rejected too.
func.func @fused_pool_without_kernel(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool requires both pool_kernel and pool_stride}}
  %0 = "cnn.fused_conv_act_pool"(%x, %w) <{act = 1 : i32, pool = 1 : i32, pool_stride = array<i64: 2, 2>}> : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// A pool window without a pool kind is rejected rather than ignored.
func.func @fused_kernel_without_pool(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool_kernel, pool_stride and pool_padding are only meaningful with pool}}
  %0 = "cnn.fused_conv_act_pool"(%x, %w) <{act = 1 : i32, pool_kernel = array<i64: 2, 2>, pool_stride = array<i64: 2, 2>}> : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// A pool stride alone, without a pool kind, is rejected too.
func.func @fused_stride_without_pool(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool_kernel, pool_stride and pool_padding are only meaningful with pool}}
  %0 = "cnn.fused_conv_act_pool"(%x, %w) <{act = 1 : i32, pool_stride = array<i64: 2, 2>}> : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// A non-zero pool padding without a pool kind is rejected rather than ignored;
// the custom form can express this one.
func.func @fused_padding_without_pool(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool_kernel, pool_stride and pool_padding are only meaningful with pool}}
  %0 = cnn.fused_conv_act_pool %x, %w act relu pool_padding [1, 1] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.fused_conv_act_pool: the convolution rules
//===----------------------------------------------------------------------===//

// The fused op's stride needs exactly two values.
func.func @fused_stride_count(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op stride must have 2 values [h, w], got 1}}
  %0 = cnn.fused_conv_act_pool %x, %w stride [1] act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The fused op's stride must be at least 1.
func.func @fused_stride_zero(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op stride width must be at least 1, got 0}}
  %0 = cnn.fused_conv_act_pool %x, %w stride [1, 0] act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The fused op's padding needs exactly two values.
func.func @fused_padding_count(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op padding must have 2 values [h, w], got 4}}
  %0 = cnn.fused_conv_act_pool %x, %w padding [1, 1, 1, 1] act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x30x30xf32>
  return
}

// -----

// The fused op's padding must not be negative.
func.func @fused_padding_negative(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op padding width must be at least 0, got -2}}
  %0 = cnn.fused_conv_act_pool %x, %w padding [0, -2] act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x24xf32>
  return
}

// -----

// The fused op's dilation needs exactly two values.
func.func @fused_dilation_count(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op dilation must have 2 values [h, w], got 1}}
  %0 = cnn.fused_conv_act_pool %x, %w dilation [2] act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x24x24xf32>
  return
}

// -----

// The fused op's dilation must be at least 1.
func.func @fused_dilation_zero(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op dilation height must be at least 1, got 0}}
  %0 = cnn.fused_conv_act_pool %x, %w dilation [0, 1] act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The fused op's groups must be at least 1.
func.func @fused_groups_zero(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op groups must be at least 1, got 0}}
  %0 = cnn.fused_conv_act_pool %x, %w groups 0 act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The fused op's input must be NCHW.
func.func @fused_input_rank(%x: tensor<1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op input must have rank 4 [N, C, H, W], got rank 3 ([1, 32, 32])}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh : (tensor<1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The fused op's weight must be [F, C/groups, KH, KW].
func.func @fused_weight_rank(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5x1xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op weight must have rank 4 [F, C/groups, KH, KW], got rank 5 ([6, 1, 5, 5, 1])}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5x1xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The fused op's weight must be static.
func.func @fused_weight_dynamic(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x?x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op weight must have a static shape, got [6, 1, ?, 5]}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x?x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// Every dimension of the fused op's weight must hold at least one element.
func.func @fused_weight_zero(%x: tensor<1x1x32x32xf32>, %w: tensor<0x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op weight dimensions must be at least 1, got [0, 1, 5, 5]}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh : (tensor<1x1x32x32xf32>, tensor<0x1x5x5xf32>) -> tensor<1x0x28x28xf32>
  return
}

// -----

// The fused op's bias is a vector.
func.func @fused_bias_rank(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<1x6xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op bias must have rank 1, got rank 2 ([1, 6])}}
  %0 = cnn.fused_conv_act_pool %x, %w, %b act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<1x6xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The fused op's bias has one entry per output channel.
func.func @fused_bias_length(%x: tensor<1x1x32x32xf32>, %w: tensor<6x1x5x5xf32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op bias has 16 elements but weight has 6 output channels}}
  %0 = cnn.fused_conv_act_pool %x, %w, %b act tanh : (tensor<1x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<16xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// The fused op's connection table cannot be combined with groups.
func.func @fused_table_groups(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op a connection table requires groups = 1, got 3}}
  %0 = cnn.fused_conv_act_pool %x, %w groups 3 connections dense<true> : tensor<4x6xi1> act tanh : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// The fused op's connection table is 2-D.
func.func @fused_table_rank(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op connection table must have rank 2 [output maps, input maps], got rank 3}}
  %0 = cnn.fused_conv_act_pool %x, %w connections dense<true> : tensor<1x4x6xi1> act tanh : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// The fused op's connection table has one row per output map.
func.func @fused_table_rows(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op connection table has 6 rows but weight has 4 output channels}}
  %0 = cnn.fused_conv_act_pool %x, %w connections dense<true> : tensor<6x4xi1> act tanh : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// The fused op's connection table has one column per input map.
func.func @fused_table_columns(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op connection table has 7 columns but weight has 6 input channels}}
  %0 = cnn.fused_conv_act_pool %x, %w connections dense<true> : tensor<4x7xi1> act tanh : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// The fused op's connection table may hold at most 2^20 entries, even when the
// product overflows int64.
func.func @fused_table_too_large(%x: tensor<?x4294967296x1x1xf32>, %w: tensor<4294967296x4294967296x1x1xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op connection table [4294967296, 4294967296] is too large (at most 1048576 entries)}}
  %0 = cnn.fused_conv_act_pool %x, %w connections dense<true> : tensor<4294967296x4294967296xi1> act relu : (tensor<?x4294967296x1x1xf32>, tensor<4294967296x4294967296x1x1xf32>) -> tensor<?x4294967296x1x1xf32>
  return
}

// -----

// Every output map of the fused op's table must read an input map; an
// all-false table fails on map 0.
func.func @fused_table_empty_row(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op connection table: output map 0 reads no input map}}
  %0 = cnn.fused_conv_act_pool %x, %w connections dense<false> : tensor<4x6xi1> act tanh : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// With a table, the fused op's input channels must equal the weight's.
func.func @fused_table_channels(%x: tensor<?x16x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op input has 16 channels but weight expects 6}}
  %0 = cnn.fused_conv_act_pool %x, %w connections dense<true> : tensor<4x6xi1> act tanh : (tensor<?x16x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// The fused op's groups must divide the output channels.
func.func @fused_groups_outputs(%x: tensor<?x96x27x27xf32>, %w: tensor<255x48x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op weight has 255 output channels, which groups = 2 does not divide}}
  %0 = cnn.fused_conv_act_pool %x, %w padding [2, 2] groups 2 act relu : (tensor<?x96x27x27xf32>, tensor<255x48x5x5xf32>) -> tensor<?x255x27x27xf32>
  return
}

// -----

// The fused op's groups must divide the input channels.
func.func @fused_groups_channels(%x: tensor<?x95x27x27xf32>, %w: tensor<256x48x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op input has 95 channels, which groups = 2 does not divide}}
  %0 = cnn.fused_conv_act_pool %x, %w padding [2, 2] groups 2 act relu : (tensor<?x95x27x27xf32>, tensor<256x48x5x5xf32>) -> tensor<?x256x27x27xf32>
  return
}

// -----

// Without groups, the fused op's input channels must be the weight's.
func.func @fused_channels(%x: tensor<?x3x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op input has 3 channels but weight expects 1}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh : (tensor<?x3x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// With groups, each group's share of the fused op's input channels must be the weight's.
func.func @fused_channels_grouped(%x: tensor<?x256x13x13xf32>, %w: tensor<384x256x3x3xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op input has 256 channels, 128 per group of 2, but weight expects 256 per group}}
  %0 = cnn.fused_conv_act_pool %x, %w padding [1, 1] groups 2 act relu : (tensor<?x256x13x13xf32>, tensor<384x256x3x3xf32>) -> tensor<?x384x13x13xf32>
  return
}

// -----

// The fused op's kernel must fit its input.
func.func @fused_kernel_fit(%x: tensor<?x1x3x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op conv2d kernel height 5 does not fit input height 3 (padding 0)}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh : (tensor<?x1x3x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x1x28xf32>
  return
}

// -----

// The fused op's dilated kernel must fit its input: 2 * 4 + 1 = 9 > 8.
func.func @fused_dilated_kernel(%x: tensor<?x1x32x8xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op conv2d dilated kernel width 9 does not fit input width 8 (padding 0)}}
  %0 = cnn.fused_conv_act_pool %x, %w dilation [1, 2] act tanh : (tensor<?x1x32x8xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x1xf32>
  return
}

// -----

// Padding so large that doubling it overflows int64 is reported, not wrapped.
func.func @fused_window_overflow(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op conv2d padding height 4611686018427387904 is too large}}
  %0 = cnn.fused_conv_act_pool %x, %w padding [4611686018427387904, 0] act tanh : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// Padding that overflows int64 when added to the input is reported, not wrapped.
func.func @fused_padded_overflow(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op conv2d padded input height is too large}}
  %0 = cnn.fused_conv_act_pool %x, %w padding [4611686018427387900, 0] act tanh : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// cnn.fused_conv_act_pool: the pooling rules, prefixed "pool: "
//===----------------------------------------------------------------------===//

// The fused pool kernel needs exactly two values.
func.func @fused_pool_kernel_count(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: kernel must have 2 values [h, w], got 1}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool avg kernel [2] stride [2, 2] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// The fused pool kernel must be at least 1.
func.func @fused_pool_kernel_zero(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: kernel height must be at least 1, got 0}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool avg kernel [0, 2] stride [2, 2] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// The fused pool stride needs exactly two values.
func.func @fused_pool_stride_count(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: stride must have 2 values [h, w], got 3}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool max kernel [2, 2] stride [2, 2, 2] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// The fused pool stride must be at least 1.
func.func @fused_pool_stride_zero(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: stride width must be at least 1, got 0}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool max kernel [2, 2] stride [2, 0] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// The fused pool padding needs exactly two values.
func.func @fused_pool_padding_count(%x: tensor<?x96x55x55xf32>, %w: tensor<96x96x1x1xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: padding must have 2 values [h, w], got 1}}
  %0 = cnn.fused_conv_act_pool %x, %w act relu pool max kernel [3, 3] stride [2, 2] pool_padding [1] : (tensor<?x96x55x55xf32>, tensor<96x96x1x1xf32>) -> tensor<?x96x28x28xf32>
  return
}

// -----

// The fused pool padding must not be negative.
func.func @fused_pool_padding_negative(%x: tensor<?x96x55x55xf32>, %w: tensor<96x96x1x1xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: padding height must be at least 0, got -1}}
  %0 = cnn.fused_conv_act_pool %x, %w act relu pool max kernel [3, 3] stride [2, 2] pool_padding [-1, 0] : (tensor<?x96x55x55xf32>, tensor<96x96x1x1xf32>) -> tensor<?x96x26x27xf32>
  return
}

// -----

// The fused pool padding may be at most half its kernel.
func.func @fused_pool_padding_half(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: padding height 2 must be at most half of kernel height 2}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool avg kernel [2, 2] stride [2, 2] pool_padding [2, 0] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x16x14xf32>
  return
}

// -----

// The fused pool window must fit the convolution's output (3x3 here), not its input.
func.func @fused_pool_kernel_fit(%x: tensor<?x16x7x7xf32>, %w: tensor<120x16x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: pooling kernel height 4 does not fit input height 3 (padding 0)}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool avg kernel [4, 4] stride [2, 2] : (tensor<?x16x7x7xf32>, tensor<120x16x5x5xf32>) -> tensor<?x120x1x1xf32>
  return
}

// -----

// A fused pool padding that overflows int64 when added to the input is reported.
func.func @fused_pool_padded_overflow(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op pool: pooling padded input width is too large}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool avg kernel [2, 9223372036854775807] stride [2, 1] pool_padding [0, 4611686018427387903] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x1xf32>
  return
}

// -----

// A convolution error in a fused op with a pool is not prefixed "pool: ".
func.func @fused_conv_error_with_pool(%x: tensor<?x3x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op input has 3 channels but weight expects 1}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x3x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Written result types that differ from the inferred ones
//===----------------------------------------------------------------------===//

// A conv2d result written with the wrong spatial size is rejected.
func.func @conv_result(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op result type 'tensor<?x6x32x32xf32>' does not match the inferred 'tensor<?x6x28x28xf32>'}}
  %0 = cnn.conv2d %x, %w : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x32x32xf32>
  return
}

// -----

// A static batch is not written for a dynamic one: the result keeps the input's batch.
func.func @conv_result_batch(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op result type 'tensor<1x6x28x28xf32>' does not match the inferred 'tensor<?x6x28x28xf32>'}}
  %0 = cnn.conv2d %x, %w : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x28x28xf32>
  return
}

// -----

// A dynamic dimension is not written where the inferred one is static.
func.func @pool_result_dynamic(%x: tensor<?x6x28x28xf32>) {
  // expected-error @+1 {{'cnn.avg_pool2d' op result type 'tensor<?x6x?x?xf32>' does not match the inferred 'tensor<?x6x14x14xf32>'}}
  %0 = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2] : tensor<?x6x28x28xf32> -> tensor<?x6x?x?xf32>
  return
}

// -----

// Overlapping max pooling rounds down: 3x3 stride 2 on 55 gives 27, not 28.
func.func @max_pool_result(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op result type 'tensor<?x96x28x28xf32>' does not match the inferred 'tensor<?x96x27x27xf32>'}}
  %0 = cnn.max_pool2d %x kernel [3, 3] stride [2, 2] : tensor<?x96x55x55xf32> -> tensor<?x96x28x28xf32>
  return
}

// -----

// A subsample2d result written with the wrong channel count is rejected.
func.func @subsample_result(%x: tensor<?x6x28x28xf32>, %c: tensor<6xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{'cnn.subsample2d' op result type 'tensor<?x16x14x14xf32>' does not match the inferred 'tensor<?x6x14x14xf32>'}}
  %0 = cnn.subsample2d %x, %c, %b kernel [2, 2] stride [2, 2] : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<?x16x14x14xf32>
  return
}

// -----

// A dense result has the weight's M outputs, not its K inputs.
func.func @dense_result(%x: tensor<?x400xf32>, %w: tensor<120x400xf32>) {
  // expected-error @+1 {{'cnn.dense' op result type 'tensor<?x400xf32>' does not match the inferred 'tensor<?x120xf32>'}}
  %0 = cnn.dense %x, %w : (tensor<?x400xf32>, tensor<120x400xf32>) -> tensor<?x400xf32>
  return
}

// -----

// A flatten result must hold every feature: 16 * 5 * 5 = 400.
func.func @flatten_result(%x: tensor<?x16x5x5xf32>) {
  // expected-error @+1 {{'cnn.flatten' op result type 'tensor<?x80xf32>' does not match the inferred 'tensor<?x400xf32>'}}
  %0 = cnn.flatten %x : tensor<?x16x5x5xf32> -> tensor<?x80xf32>
  return
}

// -----

// A loss is a 0-d tensor, not a 1-element vector.
func.func @cross_entropy_result(%l: tensor<?x10xf32>, %y: tensor<?xi32>) {
  // expected-error @+1 {{'cnn.cross_entropy' op result type 'tensor<1xf32>' does not match the inferred 'tensor<f32>'}}
  %0 = cnn.cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<1xf32>
  return
}

// -----

// An MSE loss is a 0-d tensor.
func.func @mse_result(%p: tensor<?x10xf32>, %t: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.mse' op result type 'tensor<?x10xf32>' does not match the inferred 'tensor<f32>'}}
  %0 = cnn.mse %p, %t : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32>
  return
}

// -----

// A fused op's result is the pooled size, not the convolution's.
func.func @fused_result(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op result type 'tensor<?x6x28x28xf32>' does not match the inferred 'tensor<?x6x14x14xf32>'}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool avg kernel [2, 2] stride [2, 2] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// An activation keeps its operand's shape; only the generic form can write another.
func.func @relu_result(%x: tensor<?x120xf32>) {
  // expected-error @+1 {{'cnn.relu' op result type 'tensor<?x84xf32>' does not match the inferred 'tensor<?x120xf32>'}}
  %0 = "cnn.relu"(%x) : (tensor<?x120xf32>) -> tensor<?x84xf32>
  return
}

// -----

// LRN keeps its operand's shape; only the generic form can write another.
func.func @lrn_result(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op result type 'tensor<1x96x55x55xf32>' does not match the inferred 'tensor<?x96x55x55xf32>'}}
  %0 = "cnn.local_response_norm"(%x) <{alpha = 1.0e-4 : f32, beta = 0.75 : f32, k = 2.0 : f32, size = 5 : i64}> : (tensor<?x96x55x55xf32>) -> tensor<1x96x55x55xf32>
  return
}

// -----

// Dropout keeps its operand's shape; only the generic form can write another.
func.func @dropout_result(%x: tensor<?x4096xf32>, %seed: i64) {
  // expected-error @+1 {{'cnn.dropout' op result type 'tensor<?x4095xf32>' does not match the inferred 'tensor<?x4096xf32>'}}
  %0 = "cnn.dropout"(%x, %seed) <{rate = 0.5 : f32}> : (tensor<?x4096xf32>, i64) -> tensor<?x4095xf32>
  return
}

// -----

// Softmax keeps its operand's shape; only the generic form can write another.
func.func @softmax_result(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.softmax' op result type 'tensor<?x1xf32>' does not match the inferred 'tensor<?x10xf32>'}}
  %0 = "cnn.softmax"(%x) <{axis = 1 : i64}> : (tensor<?x10xf32>) -> tensor<?x1xf32>
  return
}

// -----

// The generic form checks the shape rules too, not only the result type.
func.func @softmax_generic_rule(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.softmax' op axis 3 is out of range for input of rank 2}}
  %0 = "cnn.softmax"(%x) <{axis = 3 : i64}> : (tensor<?x10xf32>) -> tensor<?x10xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// ODS type and attribute constraints
//===----------------------------------------------------------------------===//

// Tensors are float32: f16 is rejected.
func.func @conv_f16(%x: tensor<?x1x32x32xf16>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<?x1x32x32xf16>'}}
  %0 = cnn.conv2d %x, %w : (tensor<?x1x32x32xf16>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// A float32 operand with a non-f32 result type is rejected by the result's constraint.
func.func @dense_result_f64(%x: tensor<?x400xf32>, %w: tensor<120x400xf32>) {
  // expected-error @+1 {{'cnn.dense' op result #0 must be ranked tensor of 32-bit float values, but got 'tensor<?x120xf64>'}}
  %0 = cnn.dense %x, %w : (tensor<?x400xf32>, tensor<120x400xf32>) -> tensor<?x120xf64>
  return
}

// -----

// An activation of an f16 tensor is rejected.
func.func @tanh_f16(%x: tensor<?x6x28x28xf16>) {
  // expected-error @+1 {{'cnn.tanh' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<?x6x28x28xf16>'}}
  %0 = cnn.tanh %x : tensor<?x6x28x28xf16>
  return
}

// -----

// Tensors must be ranked; the custom form of an activation cannot even parse one.
func.func @relu_unranked_custom(%x: tensor<*xf32>) {
  // expected-error @+1 {{custom op 'cnn.relu' invalid kind of type specified}}
  %0 = cnn.relu %x : tensor<*xf32>
  return
}

// -----

// Tensors must be ranked; in the generic form the operand constraint says so.
func.func @relu_unranked_generic(%x: tensor<*xf32>) {
  // expected-error @+1 {{'cnn.relu' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %0 = "cnn.relu"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return
}

// -----

// An unranked conv input is rejected by ODS before any shape rule runs.
func.func @conv_unranked(%x: tensor<*xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %0 = cnn.conv2d %x, %w : (tensor<*xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// Labels are i32; i64 is rejected.
func.func @cross_entropy_i64_labels(%l: tensor<?x10xf32>, %y: tensor<?xi64>) {
  // expected-error @+1 {{'cnn.cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer values, but got 'tensor<?xi64>'}}
  %0 = cnn.cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?xi64>) -> tensor<f32>
  return
}

// -----

// Float labels are rejected.
func.func @cross_entropy_float_labels(%l: tensor<?x10xf32>, %y: tensor<?xf32>) {
  // expected-error @+1 {{'cnn.cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer values, but got 'tensor<?xf32>'}}
  %0 = cnn.cross_entropy %l, %y : (tensor<?x10xf32>, tensor<?xf32>) -> tensor<f32>
  return
}

// -----

// The dropout seed is an i64; the generic form can pass an i32.
func.func @dropout_seed_i32(%x: tensor<?x4096xf32>, %seed: i32) {
  // expected-error @+1 {{'cnn.dropout' op operand #1 must be 64-bit signless integer, but got 'i32'}}
  %0 = "cnn.dropout"(%x, %seed) <{rate = 0.5 : f32}> : (tensor<?x4096xf32>, i32) -> tensor<?x4096xf32>
  return
}

// -----

// A connection table is boolean (i1); an i8 table is rejected.
func.func @conv_table_i8(%x: tensor<?x6x14x14xf32>, %w: tensor<4x6x5x5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op attribute 'connections' failed to satisfy constraint: 1-bit signless integer elements attribute}}
  %0 = cnn.conv2d %x, %w connections dense<1> : tensor<4x6xi8> : (tensor<?x6x14x14xf32>, tensor<4x6x5x5xf32>) -> tensor<?x4x10x10xf32>
  return
}

// -----

// Pooling needs its kernel; the generic form can leave it out.
func.func @max_pool_no_kernel(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d' op requires attribute 'kernel'}}
  %0 = "cnn.max_pool2d"(%x) <{stride = array<i64: 2, 2>}> : (tensor<?x96x55x55xf32>) -> tensor<?x96x27x27xf32>
  return
}

// -----

// LRN needs all four of its attributes; the generic form can leave k out.
func.func @lrn_no_k(%x: tensor<?x96x55x55xf32>) {
  // expected-error @+1 {{'cnn.local_response_norm' op requires attribute 'k'}}
  %0 = "cnn.local_response_norm"(%x) <{alpha = 1.0e-4 : f32, beta = 0.75 : f32, size = 5 : i64}> : (tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32>
  return
}

// -----

// The fused op needs an activation; the generic form can leave it out.
func.func @fused_no_act(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{'cnn.fused_conv_act_pool' op requires attribute 'act'}}
  %0 = "cnn.fused_conv_act_pool"(%x, %w) : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// An unknown activation keyword is a parse error that lists the valid ones.
func.func @fused_unknown_act(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'act' [none, tanh, scaled_tanh, relu, sigmoid]}}
  %0 = cnn.fused_conv_act_pool %x, %w act gelu : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// An unknown pool keyword is a parse error that lists the valid ones.
func.func @fused_unknown_pool(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'pool' [avg, max]}}
  %0 = cnn.fused_conv_act_pool %x, %w act tanh pool min kernel [2, 2] stride [2, 2] : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x14x14xf32>
  return
}

// -----

// An out-of-range activation value in the generic form is rejected.
func.func @fused_act_value(%x: tensor<?x1x32x32xf32>, %w: tensor<6x1x5x5xf32>) {
  // expected-error @+1 {{invalid properties {act = 9 : i32} for op cnn.fused_conv_act_pool: Invalid attribute `act` in property conversion: 9 : i32}}
  %0 = "cnn.fused_conv_act_pool"(%x, %w) <{act = 9 : i32}> : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32>
  return
}

// -----

// The fused dense op applies the dense layer's shape rules.
func.func @fused_dense_features(%x: tensor<?x120xf32>, %w: tensor<84x100xf32>) -> tensor<?x84xf32> {
  // expected-error @+1 {{input has 120 features but weight expects 100}}
  %0 = cnn.fused_dense_act %x, %w act tanh : (tensor<?x120xf32>, tensor<84x100xf32>) -> tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}

// -----

func.func @fused_dense_no_activation(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>) -> tensor<?x84xf32> {
  // expected-error @+1 {{act must be an activation, not none}}
  %0 = cnn.fused_dense_act %x, %w act none : (tensor<?x120xf32>, tensor<84x120xf32>) -> tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}
