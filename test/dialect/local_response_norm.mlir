// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests AlexNet's LRN (size 5, alpha 1e-4, beta 0.75, k 2) after conv1, with a
// dynamic batch; the inferred result type is the operand's. 1e-4 is printed as
// the nearest f32.
// CHECK-LABEL: func @alexnet
// CHECK:         %[[Y:.*]] = cnn.local_response_norm %{{[^ ]*}} size 5 alpha 9.99999974E-5 beta 7.500000e-01 k 2.000000e+00 : tensor<?x96x55x55xf32>
// CHECK:         return %[[Y]] : tensor<?x96x55x55xf32>
func.func @alexnet(%x: tensor<?x96x55x55xf32>) -> tensor<?x96x55x55xf32> {
  %0 = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta 0.75 k 2.0 : tensor<?x96x55x55xf32>
  return %0 : tensor<?x96x55x55xf32>
}

// -----

// Tests the boundary values on a static batch: size 1, alpha 0 and beta 0 are
// allowed.
// CHECK-LABEL: func @boundaries
// CHECK:         cnn.local_response_norm %{{[^ ]*}} size 1 alpha 0.000000e+00 beta 0.000000e+00 k 1.000000e+00 : tensor<1x256x27x27xf32>
func.func @boundaries(%x: tensor<1x256x27x27xf32>) -> tensor<1x256x27x27xf32> {
  %0 = cnn.local_response_norm %x size 1 alpha 0.0 beta 0.0 k 1.0 : tensor<1x256x27x27xf32>
  return %0 : tensor<1x256x27x27xf32>
}

// -----

// Tests an LRN whose window is wider than the channel count, with dynamic
// spatial sizes.
// CHECK-LABEL: func @wide_window
// CHECK:         cnn.local_response_norm %{{[^ ]*}} size 7 alpha 1.000000e+00 beta 5.000000e-01 k 5.000000e-01 : tensor<?x3x?x?xf32>
func.func @wide_window(%x: tensor<?x3x?x?xf32>) -> tensor<?x3x?x?xf32> {
  %0 = cnn.local_response_norm %x size 7 alpha 1.0 beta 0.5 k 0.5 : tensor<?x3x?x?xf32>
  return %0 : tensor<?x3x?x?xf32>
}
