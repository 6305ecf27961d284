// RUN: cnnc-opt %s -split-input-file -cnn-fuse-dense-act | FileCheck %s

// cnn-fuse-dense-act (FuseDenseAct.cpp). Numbers: the fused op against the
// reference dense and activation (LoweringNumericsTest.cpp,
// FusedDenseActEveryActivation) and fused against --no-fuse builds of every
// model (ModelsEndToEndTest.cpp, FusedMatchesUnfused).

// Tests LeNet-5's f6: dense + bias + tanh become one op.
// CHECK-LABEL: func @dense_tanh
// CHECK-NEXT:    %[[Y:.*]] = cnn.fused_dense_act %arg0, %arg1, %arg2 act tanh : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
// CHECK-NEXT:    return %[[Y]]
func.func @dense_tanh(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>, %b: tensor<84xf32>) -> tensor<?x84xf32> {
  %0 = cnn.dense %x, %w, %b : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>) -> tensor<?x84xf32>
  %1 = cnn.tanh %0 : tensor<?x84xf32>
  return %1 : tensor<?x84xf32>
}

// -----

// Tests a dense layer without bias and a relu whose result has two uses
// (the backward pass reads it in training): it still fuses.
// CHECK-LABEL: func @dense_relu_no_bias
// CHECK-NEXT:    %[[Y:.*]] = cnn.fused_dense_act %arg0, %arg1 act relu : (tensor<?x16xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
// CHECK-NEXT:    return %[[Y]], %[[Y]]
func.func @dense_relu_no_bias(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = cnn.dense %x, %w : (tensor<?x16xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  %1 = cnn.relu %0 : tensor<?x8xf32>
  return %1, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Tests that a dense result with another use is not fused: it must be
// written anyway.
// CHECK-LABEL: func @dense_used_twice
// CHECK:         %[[D:.*]] = cnn.dense
// CHECK-NEXT:    %[[Y:.*]] = cnn.sigmoid %[[D]]
// CHECK-NEXT:    return %[[Y]], %[[D]]
func.func @dense_used_twice(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %0 = cnn.dense %x, %w : (tensor<?x16xf32>, tensor<8x16xf32>) -> tensor<?x8xf32>
  %1 = cnn.sigmoid %0 : tensor<?x8xf32>
  return %1, %0 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Tests that the logits layer, with no activation after it, stays a dense.
// CHECK-LABEL: func @logits
// CHECK-NEXT:    cnn.dense
// CHECK-NEXT:    cnn.log_softmax
func.func @logits(%x: tensor<?x84xf32>, %w: tensor<10x84xf32>, %b: tensor<10xf32>) -> tensor<?x10xf32> {
  %0 = cnn.dense %x, %w, %b : (tensor<?x84xf32>, tensor<10x84xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  %1 = cnn.log_softmax %0 : tensor<?x10xf32>
  return %1 : tensor<?x10xf32>
}
