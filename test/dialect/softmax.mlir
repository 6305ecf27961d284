// RUN: cnnc-opt %s -split-input-file | cnnc-opt -split-input-file | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -mlir-print-op-generic | cnnc-opt -split-input-file | FileCheck %s

// Tests softmax and log_softmax over the classes with the default axis, which
// is not printed, even when written as `axis 1`.
// CHECK-LABEL: func @default_axis
// CHECK:         cnn.softmax %{{[^ ]*}}
// CHECK-NOT:     axis
// CHECK-SAME:    : tensor<?x10xf32>
// CHECK:         cnn.log_softmax %{{[^ ]*}}
// CHECK-NOT:     axis
// CHECK-SAME:    : tensor<?x10xf32>
func.func @default_axis(%x: tensor<?x10xf32>) -> (tensor<?x10xf32>, tensor<?x10xf32>) {
  %0 = cnn.softmax %x axis 1 : tensor<?x10xf32>
  %1 = cnn.log_softmax %x : tensor<?x10xf32>
  return %0, %1 : tensor<?x10xf32>, tensor<?x10xf32>
}

// -----

// Tests a non-default axis, which is printed, on a static batch.
// CHECK-LABEL: func @other_axis
// CHECK:         cnn.softmax %{{[^ ]*}} axis 0 : tensor<4x10xf32>
// CHECK:         cnn.log_softmax %{{[^ ]*}} axis 3 : tensor<4x6x28x28xf32>
func.func @other_axis(%x: tensor<4x10xf32>, %y: tensor<4x6x28x28xf32>) -> (tensor<4x10xf32>, tensor<4x6x28x28xf32>) {
  %0 = cnn.softmax %x axis 0 : tensor<4x10xf32>
  %1 = cnn.log_softmax %y axis 3 : tensor<4x6x28x28xf32>
  return %0, %1 : tensor<4x10xf32>, tensor<4x6x28x28xf32>
}

// -----

// Tests softmax of a rank-1 tensor along its only axis.
// CHECK-LABEL: func @rank1
// CHECK:         cnn.softmax %{{[^ ]*}} axis 0 : tensor<10xf32>
func.func @rank1(%x: tensor<10xf32>) -> tensor<10xf32> {
  %0 = cnn.softmax %x axis 0 : tensor<10xf32>
  return %0 : tensor<10xf32>
}

// -----

// Tests that an axis written in the attribute dictionary is the one shape
// inference uses while parsing (regression: the default 1 was used).
// CHECK-LABEL: func @axis_in_attr_dict
// CHECK:         cnn.softmax %{{.*}} axis 0 : tensor<10xf32>
func.func @axis_in_attr_dict(%x: tensor<10xf32>) -> tensor<10xf32> {
  %0 = cnn.softmax %x {axis = 0 : i64} : tensor<10xf32>
  return %0 : tensor<10xf32>
}
