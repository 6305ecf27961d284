// RUN: cnnc-opt %s -cnn-differentiate -mlir-print-debuginfo -mlir-print-local-scope | FileCheck %s

// cnn-differentiate puts each op's backward ops at its location, named
// `<name>.grad` when the forward op's location is named (the front end
// names each layer's ops after it), so the kernels they become can be named
// after the layer (cnn-merge-gpu-modules). An unnamed location is kept.
// CHECK-LABEL: func.func @mlp_grad(
// CHECK:         cnn.dense %arg0, %arg1, %arg2 {{.*}} loc("h"("m.mdl":3:7))
// CHECK:         cnn.cross_entropy_backward {{.*}} loc("loss.grad"("m.mdl":6:10))
// CHECK:         cnn.dense_backward_input {{.*}} loc("m.mdl":5:7)
// CHECK:         cnn.dense_backward_weight {{.*}} loc("m.mdl":5:7)
// CHECK:         cnn.activation_backward {{.*}} loc("h.tanh.grad"("m.mdl":4:7))
// CHECK:         cnn.dense_backward_weight {{.*}} loc("h.grad"("m.mdl":3:7))
// CHECK:         cnn.bias_backward {{.*}} loc("h.grad"("m.mdl":3:7))
func.func @mlp_loss(%x: tensor<?x4xf32> {cnn.input = "x"},
                    %w1: tensor<5x4xf32> {cnn.param = "h.weight"},
                    %b1: tensor<5xf32> {cnn.param = "h.bias"},
                    %w2: tensor<3x5xf32> {cnn.param = "out.weight"},
                    %t: tensor<?xi32> {cnn.input = "label"}) -> (tensor<f32> {cnn.loss}) {
  %h = cnn.dense %x, %w1, %b1 : (tensor<?x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<?x5xf32> loc("h"("m.mdl":3:7))
  %a = cnn.tanh %h : tensor<?x5xf32> loc("h.tanh"("m.mdl":4:7))
  %y = cnn.dense %a, %w2 : (tensor<?x5xf32>, tensor<3x5xf32>) -> tensor<?x3xf32> loc("m.mdl":5:7)
  %l = cnn.cross_entropy %y, %t : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32> loc("loss"("m.mdl":6:10))
  return %l : tensor<f32>
}
