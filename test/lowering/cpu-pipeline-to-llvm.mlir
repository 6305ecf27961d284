// RUN: cnnc-opt %s -cnn-to-linalg \
// RUN:   -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" \
// RUN:   -buffer-deallocation-pipeline -convert-bufferization-to-memref \
// RUN:   -convert-linalg-to-loops -convert-math-to-libm -convert-scf-to-cf \
// RUN:   -expand-strided-metadata -lower-affine -convert-to-llvm \
// RUN:   -reconcile-unrealized-casts | FileCheck %s

// Tests that cnnc-opt has what the CPU pipeline of MLIR19-NOTES.md needs:
// the buffer-deallocation pipeline and the convert-to-llvm interfaces of
// func, arith, math, cf, index and memref, so nothing but llvm is left.
// CHECK-LABEL: llvm.func @conv_tanh_pool
// CHECK:         llvm.call @tanhf
// CHECK:         llvm.call @free
// CHECK-NOT:     {{(func|arith|math|cf|memref|index|scf|bufferization|builtin\.unrealized_conversion_cast)[.]}}
func.func @conv_tanh_pool(%x: tensor<?x1x8x8xf32>, %w: tensor<2x1x3x3xf32>, %b: tensor<2xf32>) -> tensor<?x2x4x4xf32> {
  %0 = cnn.conv2d %x, %w, %b padding [1, 1] : (tensor<?x1x8x8xf32>, tensor<2x1x3x3xf32>, tensor<2xf32>) -> tensor<?x2x8x8xf32>
  %1 = cnn.tanh %0 : tensor<?x2x8x8xf32>
  %2 = cnn.avg_pool2d %1 kernel [2, 2] stride [2, 2] : tensor<?x2x8x8xf32> -> tensor<?x2x4x4xf32>
  return %2 : tensor<?x2x4x4xf32>
}
