// RUN: cnnc-opt %s -split-input-file -verify-diagnostics -cnn-scalars-in-device-memory | FileCheck %s

// cnn-scalars-in-device-memory (ScalarsInDeviceMemory.cpp): a step's
// scalars become rank-0 buffers in device memory, loaded by each kernel
// that reads them; an unused one changes type too, so that every CUDA entry
// takes its scalars alike.
// CHECK-LABEL: func @step
// CHECK-SAME:    (%[[P:.*]]: memref<8xf32>, %[[LR:.*]]: memref<f32> {cnn.learning_rate}, %[[STEP:.*]]: memref<i64> {cnn.step}, %[[SEED:.*]]: memref<i64> {cnn.seed})
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[R:.*]] = memref.load %[[LR]][] : memref<f32>
// CHECK:           arith.mulf %{{.*}}, %[[R]] : f32
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[S:.*]] = memref.load %[[STEP]][] : memref<i64>
// CHECK-NEXT:      %[[R2:.*]] = memref.load %[[LR]][] : memref<f32>
// CHECK:           arith.sitofp %[[S]]
// CHECK:           arith.addf %{{.*}}, %[[R2]] : f32
// CHECK-NOT:     memref.load %[[SEED]]
func.func @step(%p: memref<8xf32>, %lr: f32 {cnn.learning_rate}, %step: i64 {cnn.step}, %seed: i64 {cnn.seed}) {
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %v = memref.load %p[%tx] : memref<8xf32>
    %w = arith.mulf %v, %lr : f32
    memref.store %w, %p[%tx] : memref<8xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c8, %sy = %c1, %sz = %c1) {
    %t = arith.sitofp %step : i64 to f32
    %v = memref.load %p[%tx] : memref<8xf32>
    %w = arith.addf %v, %lr : f32
    %u = arith.addf %w, %t : f32
    memref.store %u, %p[%tx] : memref<8xf32>
    gpu.terminator
  }
  return
}

// -----

// A scalar the host reads cannot be moved.
func.func @host_use(%p: memref<8xf32>, %lr: f32 {cnn.learning_rate}) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{reads the step's scalar argument 1 outside a kernel}}
  memref.store %lr, %p[%c0] : memref<8xf32>
  return
}
