// RUN: cnnc-opt %s -cnn-gpu-device-memory | FileCheck %s

// cnn-gpu-device-memory (GPUDeviceMemory.cpp): the host side's buffers are
// the device's.
// CHECK-LABEL: func @buffers
// CHECK:         %[[A:.*]] = gpu.alloc (%{{.*}}) : memref<?x10xf32>
// CHECK:         gpu.memcpy %[[A]], %arg0 : memref<?x10xf32>, memref<?x10xf32>
// CHECK:         gpu.dealloc %[[A]] : memref<?x10xf32>
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     memref.copy
func.func @buffers(%x: memref<?x10xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?x10xf32>
  %a = memref.alloc(%n) : memref<?x10xf32>
  memref.copy %x, %a : memref<?x10xf32> to memref<?x10xf32>
  memref.dealloc %a : memref<?x10xf32>
  return
}

// A constant table is uploaded where it is read and freed before returning.
memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 0.0, 1.0, 1.0]>
// CHECK-LABEL: func @constant
// CHECK:         %[[D:.*]] = gpu.alloc () : memref<4xf32>
// CHECK:         %[[G:.*]] = memref.get_global @table
// CHECK:         gpu.memcpy %[[D]], %[[G]]
// CHECK:         gpu.launch
// CHECK:           memref.load %[[D]]
// CHECK:         gpu.dealloc %[[D]]
// CHECK-NEXT:    return
func.func @constant(%y: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %g = memref.get_global @table : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %v = memref.load %g[%tx] : memref<4xf32>
    memref.store %v, %y[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}
