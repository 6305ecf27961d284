// RUN: cnnc-opt %s -cnn-prepare-for-gpu | FileCheck %s

// cnn-prepare-for-gpu (PrepareForGPU.cpp): a bias gradient sums over the
// batch first; interchanged, its channel loop comes first, so lowering makes
// one kernel over the channels instead of a host loop over the images.
// CHECK-DAG:   #[[IN:.*]] = affine_map<(d0, d1) -> (d1, d0)>
// CHECK-DAG:   #[[OUT:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func @bias_gradient
// CHECK:         linalg.generic {indexing_maps = [#[[IN]], #[[OUT]]], iterator_types = ["parallel", "reduction"]}
func.func @bias_gradient(%g: tensor<?x10xf32>, %init: tensor<10xf32>) -> tensor<10xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(n, c) -> (n, c)>, affine_map<(n, c) -> (c)>], iterator_types = ["reduction", "parallel"]} ins(%g : tensor<?x10xf32>) outs(%init : tensor<10xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// A generic already parallel-first is left as it is.
// CHECK-LABEL: func @row_sum
// CHECK:         iterator_types = ["parallel", "reduction"]
func.func @row_sum(%g: tensor<?x10xf32>, %init: tensor<?xf32>) -> tensor<?xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(n, c) -> (n, c)>, affine_map<(n, c) -> (n)>], iterator_types = ["parallel", "reduction"]} ins(%g : tensor<?x10xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// The zero buffer gradients are packed into becomes a fill: as a constant
// it would be bufferized into a global in host memory.
// CHECK-LABEL: func @zeros
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[EMPTY:.*]] = tensor.empty() : tensor<61754xf32>
// CHECK:         linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<61754xf32>)
// CHECK-NOT:     dense<
func.func @zeros() -> tensor<61754xf32> {
  %0 = arith.constant dense<0.0> : tensor<61754xf32>
  return %0 : tensor<61754xf32>
}
