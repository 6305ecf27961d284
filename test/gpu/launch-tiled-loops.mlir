// RUN: cnnc-opt %s -cnn-launch-tiled-loops | FileCheck %s

// cnn-launch-tiled-loops (LaunchTiledLoops.cpp): a loop over tiles of 4
// threads becomes a gpu.launch of 4-thread blocks. Each loop over the
// threads becomes code every thread runs with its thread index, followed by
// a barrier, also inside the loop over the sum's slices; the tile buffer is
// shared memory and the sums, indexed first by the thread, a private
// buffer without that index; neither is freed.
// CHECK-LABEL: func @tiled
// CHECK-SAME:    (%[[IN:.*]]: memref<?x4xf32>, %[[OUT:.*]]: memref<?x4xf32>, %[[N:.*]]: index)
// CHECK:         arith.constant 0.0
// CHECK:         %[[ONE:.*]] = arith.constant 1 : index
// CHECK-NEXT:    %[[FOUR:.*]] = arith.constant 4 : index
// CHECK-NEXT:    gpu.launch blocks(%[[B:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[N]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]]) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[FOUR]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// CHECK-SAME:      workgroup(%[[TILE:.*]] : memref<4xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME:      private(%[[SUMS:.*]] : memref<2xf32, #gpu.address_space<private>>)
// CHECK:           %[[V:.*]] = memref.load %[[IN]][%[[B]], %[[T]]]
// CHECK:           memref.store %[[V]], %[[TILE]][%[[T]]]
// CHECK:           memref.store %{{.*}}, %[[SUMS]][%{{.*}}] : memref<2xf32, #gpu.address_space<private>>
// CHECK-NEXT:      gpu.barrier
// CHECK:           scf.for %[[K:.*]] =
// CHECK:             %[[R:.*]] = memref.load %[[TILE]][%[[K]]]
// CHECK:             %[[S:.*]] = memref.load %[[SUMS]][%{{.*}}] : memref<2xf32, #gpu.address_space<private>>
// CHECK:             %[[A:.*]] = arith.addf %[[S]], %[[R]]
// CHECK:             memref.store %[[A]], %[[SUMS]][%{{.*}}]
// CHECK-NEXT:        gpu.barrier
// CHECK-NEXT:      }
// CHECK:           memref.load %[[SUMS]]
// CHECK:           memref.store %{{.*}}, %[[OUT]][%[[B]], %[[T]]]
// CHECK:           gpu.barrier
// CHECK-NEXT:      gpu.terminator
// CHECK-NOT:     scf.parallel
// CHECK-NOT:     memref.dealloc
func.func @tiled(%in: memref<?x4xf32>, %out: memref<?x4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%n) step (%c1) {
    %tile = memref.alloc() {cnn.memory = "workgroup"} : memref<4xf32>
    %sums = memref.alloc() {cnn.memory = "private"} : memref<4x2xf32>
    scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
      %v = memref.load %in[%b, %t] : memref<?x4xf32>
      memref.store %v, %tile[%t] : memref<4xf32>
      memref.store %cst, %sums[%t, %c1] : memref<4x2xf32>
      scf.reduce
    }
    scf.for %k = %c0 to %c4 step %c1 {
      scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
        %r = memref.load %tile[%k] : memref<4xf32>
        %s = memref.load %sums[%t, %c1] : memref<4x2xf32>
        %a = arith.addf %s, %r : f32
        memref.store %a, %sums[%t, %c1] : memref<4x2xf32>
        scf.reduce
      }
    }
    scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
      %s = memref.load %sums[%t, %c1] : memref<4x2xf32>
      memref.store %s, %out[%b, %t] : memref<?x4xf32>
      scf.reduce
    }
    memref.dealloc %tile : memref<4xf32>
    memref.dealloc %sums : memref<4x2xf32>
    scf.reduce
  }
  return
}
