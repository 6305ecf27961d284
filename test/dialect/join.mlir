// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests that a skip connection (add) round-trips.
// CHECK-LABEL: func @skip
// CHECK:         cnn.add %{{.*}}, %{{.*}} : tensor<?x16x10x10xf32>
func.func @skip(%a: tensor<?x16x10x10xf32>, %b: tensor<?x16x10x10xf32>) -> tensor<?x16x10x10xf32> {
  %0 = cnn.add %a, %b : tensor<?x16x10x10xf32>
  return %0 : tensor<?x16x10x10xf32>
}

// -----

// Tests that concat sums the channels of its inputs and hides the default axis.
// CHECK-LABEL: func @concat_channels
// CHECK:         cnn.concat %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x6x14x14xf32>, tensor<?x10x14x14xf32>, tensor<?x1x14x14xf32>) -> tensor<?x17x14x14xf32>
// CHECK-NOT:     axis
func.func @concat_channels(%a: tensor<?x6x14x14xf32>, %b: tensor<?x10x14x14xf32>, %c: tensor<?x1x14x14xf32>) -> tensor<?x17x14x14xf32> {
  %0 = cnn.concat %a, %b, %c : (tensor<?x6x14x14xf32>, tensor<?x10x14x14xf32>, tensor<?x1x14x14xf32>) -> tensor<?x17x14x14xf32>
  return %0 : tensor<?x17x14x14xf32>
}

// -----

// Tests concat along another axis, where a dynamic size makes the result dynamic.
// CHECK-LABEL: func @concat_batch
// CHECK:         cnn.concat %{{.*}}, %{{.*}} axis 0 : (tensor<?x10xf32>, tensor<4x10xf32>) -> tensor<?x10xf32>
func.func @concat_batch(%a: tensor<?x10xf32>, %b: tensor<4x10xf32>) -> tensor<?x10xf32> {
  %0 = cnn.concat %a, %b axis 0 : (tensor<?x10xf32>, tensor<4x10xf32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}
