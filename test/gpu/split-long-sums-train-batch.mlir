// RUN: cnnc-opt %s -cnn-split-long-sums | FileCheck %s
// RUN: cnnc-opt %s -cnn-split-long-sums=batch-hint=128 | FileCheck %s --check-prefix=HINT

// cnn-split-long-sums counts a dense layer's outputs at the batch the model
// trains with (its `train` section, the module's `cnn.train`): at 2,048
// images of 1,024 outputs, 2 chunks of the 4,096 terms keep the partial
// sums within product-outputs (2^22). At the 128 images batch-hint gives
// instead, the 4,096 terms make 8 chunks (product-chunks).
// CHECK-LABEL: func @dense_forward
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<2x?x1024xf32>)
// CHECK:           scf.for %{{.*}} = %c0 to %c2048 step
// HINT-LABEL:  func @dense_forward
// HINT:          linalg.generic {{.*}} outs(%{{.*}} : tensor<8x?x1024xf32>)
// HINT:            scf.for %{{.*}} = %c0 to %c512 step
module attributes {cnn.train = {batch = 2048 : i64, loss = "cross_entropy", optimizer = "sgd"}} {
  func.func @dense_forward(%x: tensor<?x4096xf32>, %w: tensor<4096x1024xf32>) -> tensor<?x1024xf32> {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4096 = arith.constant 4096 : index
    %cst = arith.constant 0.000000e+00 : f32
    %n = tensor.dim %x, %c0 : tensor<?x4096xf32>
    %e = tensor.empty(%n) : tensor<?x1024xf32>
    %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<?x1024xf32>) {
    ^bb0(%out: f32):
      %i = linalg.index 0 : index
      %j = linalg.index 1 : index
      %s = scf.for %k = %c0 to %c4096 step %c1 iter_args(%acc = %cst) -> (f32) {
        %a = tensor.extract %x[%i, %k] : tensor<?x4096xf32>
        %b = tensor.extract %w[%k, %j] : tensor<4096x1024xf32>
        %p = arith.mulf %a, %b : f32
        %s2 = arith.addf %acc, %p : f32
        scf.yield %s2 : f32
      }
      linalg.yield %s : f32
    } -> tensor<?x1024xf32>
    return %0 : tensor<?x1024xf32>
  }
}
