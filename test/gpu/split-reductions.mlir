// RUN: cnnc-opt %s -cnn-split-reductions | FileCheck %s
// RUN: cnnc-opt %s -cnn-split-reductions=min-threads=100 | FileCheck %s --check-prefix=FEW

// cnn-split-reductions (SplitReductions.cpp): conv1's bias gradient, 6
// sums over N x 28 x 28, becomes 6 x 28 x 28 partial sums over N, then 6
// sums of 784 partial sums onto the original output.
// CHECK-DAG:   #[[G:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[P:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2, d3)>
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG:   #[[OUT:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func @bias_gradient
// CHECK:         %[[EMPTY:.*]] = tensor.empty() : tensor<6x28x28xf32>
// CHECK:         %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[EMPTY]] : tensor<6x28x28xf32>)
// CHECK:         %[[PART:.*]] = linalg.generic {indexing_maps = [#[[G]], #[[P]]], iterator_types = ["reduction", "parallel", "parallel", "parallel"]} ins(%arg0 : tensor<?x6x28x28xf32>) outs(%[[ZEROS]] : tensor<6x28x28xf32>)
// CHECK:         %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[OUT]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[PART]] : tensor<6x28x28xf32>) outs(%arg1 : tensor<6xf32>)
// CHECK:           arith.addf
// CHECK:         return %[[SUM]]
// With fewer threads wanted, splitting the innermost dimension is enough.
// FEW-LABEL: func @bias_gradient
// FEW:         tensor.empty() : tensor<6x28xf32>
func.func @bias_gradient(%g: tensor<?x6x28x28xf32>, %init: tensor<6xf32>) -> tensor<6xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%g : tensor<?x6x28x28xf32>) outs(%init : tensor<6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// A sum with enough outputs (2^19, the default), one that is not a sum (a maximum) and one with
// a dynamic number of outputs are left alone.
// CHECK-LABEL: func @left_alone
// CHECK-NOT:     tensor.empty
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @left_alone(%big: tensor<?x1024x512x4xf32>, %init: tensor<1024x512xf32>, %g: tensor<?x64x32x32xf32>, %m: tensor<6xf32>, %d: tensor<?xf32>) -> (tensor<1024x512xf32>, tensor<6xf32>, tensor<?xf32>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c, h)>], iterator_types = ["reduction", "parallel", "parallel", "reduction"]} ins(%big : tensor<?x1024x512x4xf32>) outs(%init : tensor<1024x512xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<1024x512xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>], iterator_types = ["reduction", "parallel", "reduction", "reduction"]} ins(%g : tensor<?x64x32x32xf32>) outs(%m : tensor<6xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.maximumf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<6xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n)>], iterator_types = ["parallel", "reduction", "reduction", "reduction"]} ins(%g : tensor<?x64x32x32xf32>) outs(%d : tensor<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %0, %1, %2 : tensor<1024x512xf32>, tensor<6xf32>, tensor<?xf32>
}
