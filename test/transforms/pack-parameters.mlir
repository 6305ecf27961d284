// RUN: cnnc-opt %s -split-input-file -verify-diagnostics -cnn-pack-parameters | FileCheck %s

// Tests that parameters become views of one flat buffer placed where the
// first parameter was, each starting at a multiple of 16 elements, and that
// inputs, the seed and attributes of other arguments stay.
// CHECK-LABEL: func.func @lenet_c1
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1x28x28xf32> {cnn.input = "image"}, %[[P:.*]]: tensor<166xf32> {cnn.params}, %{{.*}}: i64 {cnn.seed})
// CHECK:         %[[W1:.*]] = tensor.extract_slice %[[P]][0] [150] [1] : tensor<166xf32> to tensor<150xf32>
// CHECK:         %[[W:.*]] = tensor.expand_shape %[[W1]] {{\[\[}}0, 1, 2, 3]] output_shape [6, 1, 5, 5] : tensor<150xf32> into tensor<6x1x5x5xf32>
// CHECK:         %[[B:.*]] = tensor.extract_slice %[[P]][160] [6] [1] : tensor<166xf32> to tensor<6xf32>
// CHECK:         cnn.conv2d %[[X]], %[[W]], %[[B]]
func.func @lenet_c1(%x: tensor<?x1x28x28xf32> {cnn.input = "image"},
                    %w: tensor<6x1x5x5xf32> {cnn.param = "c1.weight"},
                    %b: tensor<6xf32> {cnn.param = "c1.bias"},
                    %seed: i64 {cnn.seed}) -> tensor<?x6x24x24xf32> {
  %0 = cnn.conv2d %x, %w, %b : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>) -> tensor<?x6x24x24xf32>
  return %0 : tensor<?x6x24x24xf32>
}

// -----

// Tests that a function without parameters is left as it is.
// CHECK-LABEL: func.func @no_params
// CHECK-SAME:    (%{{.*}}: tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT:    cnn.relu
func.func @no_params(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = cnn.relu %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Tests that a parameter the flat buffer cannot hold is an error, not a crash.
// expected-error @below {{parameter 'w' must be a statically shaped f32 tensor, got 'tensor<?x4xf32>'}}
func.func @dynamic_param(%x: tensor<?x4xf32>, %w: tensor<?x4xf32> {cnn.param = "w"}) -> tensor<?x4xf32> {
  %0 = cnn.add %x, %w : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
