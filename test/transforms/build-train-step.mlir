// RUN: cnnc-opt %s -split-input-file -cnn-differentiate -cnn-pack-parameters -cnn-build-train-step | FileCheck %s

// Tests the Adam step: the gradient function's body, then one adam_update
// over the flat buffers with the train section's hyper-parameters; the
// update alone (for a batch split across threads, after the gradient
// function, now marked cnn.training, ran per slice); and the evaluation
// entry returning the loss and the prediction.
// CHECK-LABEL: func.func @m_evaluate(
// CHECK-SAME:      %arg0: tensor<?x4xf32> {cnn.input = "x"}, %arg1: tensor<19xf32> {cnn.params}, %arg2: tensor<?xi32> {cnn.input = "label"})
// CHECK-SAME:      -> (tensor<f32> {cnn.loss}, tensor<?x3xf32> {cnn.prediction})
// CHECK:         %[[Y:.*]] = cnn.dense
// CHECK:         %[[L:.*]] = cnn.cross_entropy %[[Y]]
// CHECK:         return %[[L]], %[[Y]]
// CHECK-LABEL: func.func @m_grad(
// CHECK-SAME:      -> (tensor<f32> {cnn.loss}, tensor<?x3xf32> {cnn.prediction}, tensor<19xf32> {cnn.grads})
// CHECK-SAME:      attributes {cnn.training}
// CHECK:         %[[Z:.*]] = arith.constant dense<0.000000e+00> : tensor<19xf32>
// CHECK:         %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<3x4xf32> into tensor<12xf32>
// CHECK:         %[[G0:.*]] = tensor.insert_slice %[[C]] into %[[Z]][0] [12] [1]
// CHECK:         %[[G1:.*]] = tensor.insert_slice %{{.*}} into %[[G0]][16] [3] [1]
// CHECK:         return %{{.*}}, %{{.*}}, %[[G1]]
// CHECK-LABEL: func.func @m_apply_update(
// CHECK-SAME:      %arg0: tensor<19xf32> {cnn.params}, %arg1: tensor<19xf32> {cnn.grads}, %arg2: tensor<19xf32> {cnn.optimizer_state = "exp_avg"}, %arg3: tensor<19xf32> {cnn.optimizer_state = "exp_avg_sq"}, %arg4: f32 {cnn.learning_rate}, %arg5: i64 {cnn.step})
// CHECK-SAME:      -> (tensor<19xf32> {cnn.params}, tensor<19xf32> {cnn.optimizer_state = "exp_avg"}, tensor<19xf32> {cnn.optimizer_state = "exp_avg_sq"})
// CHECK-NEXT:    %[[P1:.*]], %[[M1:.*]], %[[V1:.*]] = cnn.adam_update %arg0, %arg1, %arg2, %arg3, %arg4, %arg5 beta1 0.899999976 beta2 9.990000e-01 eps 9.99999993E-9 weight_decay 0.00999999977
// CHECK-NEXT:    return %[[P1]], %[[M1]], %[[V1]]
// CHECK-LABEL: func.func @m_train_step(
// CHECK-SAME:      %arg1: tensor<19xf32> {cnn.params}
// CHECK-SAME:      %arg3: tensor<19xf32> {cnn.optimizer_state = "exp_avg"}, %arg4: tensor<19xf32> {cnn.optimizer_state = "exp_avg_sq"}, %arg5: f32 {cnn.learning_rate}, %arg6: i64 {cnn.step})
// CHECK-SAME:      -> (tensor<f32> {cnn.loss}, tensor<?x3xf32> {cnn.prediction}, tensor<19xf32> {cnn.params}, tensor<19xf32> {cnn.optimizer_state = "exp_avg"}, tensor<19xf32> {cnn.optimizer_state = "exp_avg_sq"})
// CHECK-SAME:      attributes {cnn.training}
// CHECK:         cnn.cross_entropy_backward
// CHECK:         %[[G:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[16] [3] [1]
// CHECK:         %[[P:.*]], %[[M:.*]], %[[V:.*]] = cnn.adam_update %arg1, %[[G]], %arg3, %arg4, %arg5, %arg6 beta1 0.899999976 beta2 9.990000e-01 eps 9.99999993E-9 weight_decay 0.00999999977
// CHECK:         return %{{.*}}, %{{.*}}, %[[P]], %[[M]], %[[V]]
module attributes {cnn.train = {optimizer = "adam", lr = 1.0e-3 : f64, betas = array<f64: 0.9, 0.999>, eps = 1.0e-8 : f64, weight_decay = 1.0e-2 : f64}} {
  func.func @m_loss(%x: tensor<?x4xf32> {cnn.input = "x"},
                    %w: tensor<3x4xf32> {cnn.param = "fc.weight"},
                    %b: tensor<3xf32> {cnn.param = "fc.bias"},
                    %t: tensor<?xi32> {cnn.input = "label"}) -> (tensor<f32> {cnn.loss}) {
    %y = cnn.dense %x, %w, %b : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
    %l = cnn.cross_entropy %y, %t : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// Tests SGD with Nesterov momentum: one momentum buffer.
// CHECK-LABEL: func.func @m_train_step(
// CHECK-SAME:      {cnn.optimizer_state = "momentum_buffer"}, %{{.*}}: f32 {cnn.learning_rate}, %{{.*}}: i64 {cnn.step})
// CHECK:         cnn.sgd_momentum_update %{{.*}} momentum 0.899999976 nesterov weight_decay 5.000000e-04 : tensor<12xf32>
module attributes {cnn.train = {optimizer = "sgd", lr = 1.0e-2 : f64, momentum = 0.9 : f64, nesterov = true, weight_decay = 5.0e-4 : f64}} {
  func.func @m_loss(%x: tensor<?x4xf32> {cnn.input = "x"},
                    %w: tensor<3x4xf32> {cnn.param = "fc.weight"},
                    %t: tensor<?x3xf32> {cnn.input = "target"}) -> (tensor<f32> {cnn.loss}) {
    %y = cnn.dense %x, %w : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
    %l = cnn.mse %y, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}

// -----

// Tests plain SGD: no state.
// CHECK-LABEL: func.func @m_train_step(
// CHECK-SAME:      %{{.*}}: f32 {cnn.learning_rate}, %{{.*}}: i64 {cnn.step}) -> (tensor<f32> {cnn.loss}, tensor<?x3xf32> {cnn.prediction}, tensor<12xf32> {cnn.params})
// CHECK:         cnn.sgd_update %arg1, %{{.*}}, %arg3 : tensor<12xf32>
module attributes {cnn.train = {optimizer = "sgd", lr = 1.0e-1 : f64, momentum = 0.0 : f64}} {
  func.func @m_loss(%x: tensor<?x4xf32> {cnn.input = "x"},
                    %w: tensor<3x4xf32> {cnn.param = "fc.weight"},
                    %t: tensor<?x3xf32> {cnn.input = "target"}) -> (tensor<f32> {cnn.loss}) {
    %y = cnn.dense %x, %w : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
    %l = cnn.mse %y, %t : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}
