// RUN: cnnc-opt %s -cnn-sink-scalars-into-kernels | FileCheck %s

// cnn-sink-scalars-into-kernels (SinkScalarsIntoKernels.cpp): the host
// arithmetic on a step's scalars moves into each kernel-shaped loop that
// reads it; the host copy goes.

// Adam's bias correction, read by two kernels: each computes its own.
// CHECK-LABEL: func @bias_correction
// CHECK-SAME:    (%[[P:.*]]: memref<8xf32>, %[[LR:.*]]: f32 {cnn.learning_rate}, %[[STEP:.*]]: i64 {cnn.step})
// CHECK-NOT:     math.powf
// CHECK:         scf.parallel
// CHECK-NEXT:      %[[T:.*]] = arith.sitofp %[[STEP]] : i64 to f32
// CHECK-NEXT:      %[[POW:.*]] = math.powf %{{.*}}, %[[T]] : f32
// CHECK-NEXT:      %[[C:.*]] = arith.subf %{{.*}}, %[[POW]] : f32
// CHECK-NEXT:      %[[RATE:.*]] = arith.divf %[[LR]], %[[C]] : f32
// CHECK:           arith.mulf %{{.*}}, %[[RATE]] : f32
// CHECK:         scf.parallel
// CHECK-NEXT:      arith.sitofp %[[STEP]] : i64 to f32
// CHECK-NEXT:      math.powf
// CHECK-NEXT:      arith.subf
// CHECK-NEXT:      arith.divf %[[LR]]
// CHECK:         return
func.func @bias_correction(%p: memref<8xf32>, %lr: f32 {cnn.learning_rate}, %step: i64 {cnn.step}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  %beta = arith.constant 0.9 : f32
  %t = arith.sitofp %step : i64 to f32
  %pow = math.powf %beta, %t : f32
  %correction = arith.subf %one, %pow : f32
  %rate = arith.divf %lr, %correction : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %p[%i] : memref<8xf32>
    %w = arith.mulf %v, %rate : f32
    memref.store %w, %p[%i] : memref<8xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %p[%i] : memref<8xf32>
    %w = arith.addf %v, %rate : f32
    memref.store %w, %p[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// A scalar read directly stays an argument the kernel reads; arithmetic
// that also needs a host value (here a buffer's size) stays on the host.
// CHECK-LABEL: func @mixed
// CHECK-SAME:    (%[[P:.*]]: memref<?xf32>, %[[SEED:.*]]: i64 {cnn.seed})
// CHECK:         %[[N:.*]] = memref.dim
// CHECK:         %[[NI:.*]] = arith.index_cast %[[N]]
// CHECK-NEXT:    %[[MIXED:.*]] = arith.addi %[[SEED]], %[[NI]] : i64
// CHECK:         scf.parallel
// CHECK-NOT:       arith.addi %[[SEED]]
// CHECK:           arith.xori %[[MIXED]], %[[SEED]] : i64
func.func @mixed(%p: memref<?xf32>, %seed: i64 {cnn.seed}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %p, %c0 : memref<?xf32>
  %ni = arith.index_cast %n : index to i64
  %mixed = arith.addi %seed, %ni : i64
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %h = arith.xori %mixed, %seed : i64
    %f = arith.sitofp %h : i64 to f32
    memref.store %f, %p[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// Arguments that are not a step's scalars are left alone.
// CHECK-LABEL: func @not_a_scalar
// CHECK:         %[[D:.*]] = arith.addf %arg1, %arg1 : f32
// CHECK-NEXT:    scf.parallel
// CHECK-NEXT:      memref.store %[[D]]
func.func @not_a_scalar(%p: memref<8xf32>, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %d = arith.addf %x, %x : f32
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    memref.store %d, %p[%i] : memref<8xf32>
    scf.reduce
  }
  return
}
