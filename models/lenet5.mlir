// LeNet-5, classic variant (tanh, average pooling), as the reference MNIST
// script builds it: 28x28 input padded by 2, three convolutions, two dense
// layers. Written by hand in the cnn dialect until the .mdl front end
// (models/*.mdl) produces it. Parameters are function arguments here.
//
//   cnnc-opt models/lenet5.mlir     parses, verifies and prints it

func.func @lenet5(%image: tensor<?x1x28x28xf32>,
                  %c1_w: tensor<6x1x5x5xf32>, %c1_b: tensor<6xf32>,
                  %c3_w: tensor<16x6x5x5xf32>, %c3_b: tensor<16xf32>,
                  %c5_w: tensor<120x16x5x5xf32>, %c5_b: tensor<120xf32>,
                  %f6_w: tensor<84x120xf32>, %f6_b: tensor<84xf32>,
                  %out_w: tensor<10x84xf32>, %out_b: tensor<10xf32>)
    -> tensor<?x10xf32> {
  %c1 = cnn.conv2d %image, %c1_w, %c1_b padding [2, 2]
      : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
      -> tensor<?x6x28x28xf32>
  %a1 = cnn.tanh %c1 : tensor<?x6x28x28xf32>
  %s2 = cnn.avg_pool2d %a1 kernel [2, 2] stride [2, 2]
      : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
  %c3 = cnn.conv2d %s2, %c3_w, %c3_b
      : (tensor<?x6x14x14xf32>, tensor<16x6x5x5xf32>, tensor<16xf32>)
      -> tensor<?x16x10x10xf32>
  %a3 = cnn.tanh %c3 : tensor<?x16x10x10xf32>
  %s4 = cnn.avg_pool2d %a3 kernel [2, 2] stride [2, 2]
      : tensor<?x16x10x10xf32> -> tensor<?x16x5x5xf32>
  %c5 = cnn.conv2d %s4, %c5_w, %c5_b
      : (tensor<?x16x5x5xf32>, tensor<120x16x5x5xf32>, tensor<120xf32>)
      -> tensor<?x120x1x1xf32>
  %a5 = cnn.tanh %c5 : tensor<?x120x1x1xf32>
  %flat = cnn.flatten %a5 : tensor<?x120x1x1xf32> -> tensor<?x120xf32>
  %f6 = cnn.dense %flat, %f6_w, %f6_b
      : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>)
      -> tensor<?x84xf32>
  %a6 = cnn.tanh %f6 : tensor<?x84xf32>
  %logits = cnn.dense %a6, %out_w, %out_b
      : (tensor<?x84xf32>, tensor<10x84xf32>, tensor<10xf32>)
      -> tensor<?x10xf32>
  return %logits : tensor<?x10xf32>
}

// The training objective: mean cross-entropy of the logits.
func.func @lenet5_loss(%logits: tensor<?x10xf32>, %labels: tensor<?xi32>)
    -> tensor<f32> {
  %loss = cnn.cross_entropy %logits, %labels
      : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  return %loss : tensor<f32>
}
