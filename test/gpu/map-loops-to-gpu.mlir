// RUN: cnnc-opt %s -cnn-map-loops-to-gpu=block-size=128 | FileCheck %s
// RUN: cnnc-opt %s -cnn-map-loops-to-gpu -gpu-map-parallel-loops -convert-parallel-loops-to-gpu | FileCheck %s --check-prefix=LAUNCH

// cnn-map-loops-to-gpu (MapLoopsToGPU.cpp): a 4-D loop nest becomes one
// dimension tiled by the block size, the last block guarded.
// CHECK-LABEL: func @tanh
// CHECK:         %[[C128:.*]] = arith.constant 128 : index
// CHECK:         %[[STEP:.*]] = arith.muli %{{.*}}, %[[C128]] : index
// CHECK:         scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%{{.*}}) step (%[[STEP]])
// CHECK:           scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[STEP]])
// CHECK:             arith.addi %[[T]], %[[B]]
// CHECK:             scf.if
// CHECK:               arith.remsi
// CHECK:               arith.divsi
// CHECK:               math.tanh
// One launch: blocks over the grid, threads within a block.
// LAUNCH-LABEL: func @tanh
// LAUNCH:         gpu.launch blocks
// LAUNCH-NOT:     gpu.launch
// LAUNCH-LABEL: func @sum_in_register
// LAUNCH:         gpu.launch
// LAUNCH-NOT:     scf.parallel
// LAUNCH-NOT:     gpu.launch
// LAUNCH:         return
// LAUNCH-LABEL: func @mean_loss
func.func @tanh(%x: memref<?x6x28x28xf32>, %y: memref<?x6x28x28xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c28 = arith.constant 28 : index
  %n = memref.dim %x, %c0 : memref<?x6x28x28xf32>
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%n, %c6, %c28, %c28) step (%c1, %c1, %c1, %c1) {
    %v = memref.load %x[%i, %j, %k, %l] : memref<?x6x28x28xf32>
    %t = math.tanh %v : f32
    memref.store %t, %y[%i, %j, %k, %l] : memref<?x6x28x28xf32>
    scf.reduce
  }
  return
}

// The mean loss as cnn-accumulate-in-registers leaves it: a loop that sums
// in a register, arithmetic on its result, and the store of that. The three
// move together into one one-thread loop; the scalar computed on the host
// from the batch size stays there, and the buffer's allocation before them
// stays on the host too.
// CHECK-LABEL: func @sum_in_register
// CHECK:         memref.alloc
// CHECK:         %[[SCALE:.*]] = arith.divf
// CHECK:         scf.parallel
// CHECK:           %[[S:.*]] = scf.for {{.*}} -> (f32)
// CHECK:           %[[M:.*]] = arith.mulf %[[S]], %[[SCALE]]
// CHECK-NOT:       scf.parallel
// CHECK:           memref.store %[[M]]
// CHECK:         return
func.func @sum_in_register(%l: memref<?xf32>) -> memref<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %out = memref.alloc() : memref<f32>
  %n = memref.dim %l, %c0 : memref<?xf32>
  %count = arith.index_cast %n : index to i64
  %countf = arith.uitofp %count : i64 to f32
  %scale = arith.divf %one, %countf : f32
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
    %v = memref.load %l[%i] : memref<?xf32>
    %s = arith.addf %acc, %v : f32
    scf.yield %s : f32
  }
  %mean = arith.mulf %sum, %scale : f32
  memref.store %mean, %out[] : memref<f32>
  return %out : memref<f32>
}

// The mean loss: a reduction loop and scalar stores outside any parallel
// loop. They become one-thread loops; the load of the sum, read on the host
// before, is cloned into the loop that uses it.
// CHECK-LABEL: func @mean_loss
// CHECK:         scf.parallel
// CHECK:           memref.store %{{.*}}, %[[SUM:.*]][] : memref<f32>
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK:         scf.parallel
// CHECK:           %[[S:.*]] = memref.load %[[SUM]][] : memref<f32>
// CHECK:           %[[M:.*]] = arith.divf %[[S]]
// CHECK:           memref.store %[[M]]
// CHECK-NOT:     memref.load
// CHECK:         return
// Each becomes a launch of one thread.
// LAUNCH-COUNT-3: threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}}, %{{.*}} = %c1{{(_[0-9]+)?}})
// LAUNCH-NOT:     gpu.launch
func.func @mean_loss(%l: memref<?xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %l, %c0 : memref<?xf32>
  %sum = memref.alloc() : memref<f32>
  memref.store %zero, %sum[] : memref<f32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %l[%i] : memref<?xf32>
    %acc = memref.load %sum[] : memref<f32>
    %s = arith.addf %acc, %v : f32
    memref.store %s, %sum[] : memref<f32>
  }
  %total = memref.load %sum[] : memref<f32>
  %count = arith.index_cast %n : index to i64
  %countf = arith.sitofp %count : i64 to f32
  %mean = arith.divf %total, %countf : f32
  memref.store %mean, %out[] : memref<f32>
  memref.dealloc %sum : memref<f32>
  return
}
