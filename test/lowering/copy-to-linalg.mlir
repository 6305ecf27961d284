// RUN: cnnc-opt %s -cnn-copy-to-linalg | FileCheck %s

// cnn-copy-to-linalg (CopyToLinalg.cpp): a copy into a strided view (here
// the zero padding of a convolution's input) becomes linalg.copy, which
// convert-linalg-to-loops makes loops instead of a memrefCopy call; a copy
// between identity layouts stays memref.copy (one memcpy).
// CHECK-LABEL: func @pad
// CHECK:         %[[V:.*]] = memref.subview
// CHECK:         linalg.copy ins(%arg0 : memref<?x1x28x28xf32>) outs(%[[V]] : memref<?x1x28x28xf32, strided<[1024, 1024, 32, 1], offset: 66>>)
// CHECK-NOT:     memref.copy
func.func @pad(%x: memref<?x1x28x28xf32>, %p: memref<?x1x32x32xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x1x28x28xf32>
  %v = memref.subview %p[0, 0, 2, 2] [%n, 1, 28, 28] [1, 1, 1, 1] : memref<?x1x32x32xf32> to memref<?x1x28x28xf32, strided<[1024, 1024, 32, 1], offset: 66>>
  memref.copy %x, %v : memref<?x1x28x28xf32> to memref<?x1x28x28xf32, strided<[1024, 1024, 32, 1], offset: 66>>
  return
}

// CHECK-LABEL: func @contiguous
// CHECK:         memref.copy
// CHECK-NOT:     linalg.copy
func.func @contiguous(%a: memref<16xf32>, %b: memref<16xf32>) {
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  return
}
