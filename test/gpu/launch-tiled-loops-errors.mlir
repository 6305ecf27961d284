// RUN: cnnc-opt %s -cnn-launch-tiled-loops -split-input-file -verify-diagnostics

// Every loop over a block's threads must cover the block exactly: a thread
// past its end would still reach the barriers, one missing would skip work.
func.func @uneven_threads(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
    %tile = memref.alloc() {cnn.memory = "workgroup"} : memref<8xf32>
    scf.parallel (%t) = (%c0) to (%c8) step (%c1) {
      memref.store %cst, %tile[%t] : memref<8xf32>
      scf.reduce
    }
    // expected-error @below {{is not a loop over the block's 8 threads}}
    scf.parallel (%t) = (%c0) to (%c4) step (%c1) {
      %v = memref.load %tile[%t] : memref<8xf32>
      memref.store %v, %out[%t] : memref<8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// A value carried by a loop around barriers would have to be the same in
// every thread; the tiled form keeps such values in buffers instead.
func.func @carried(%out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 0.0 : f32
  scf.parallel (%b) = (%c0) to (%c1) step (%c1) {
    %tile = memref.alloc() {cnn.memory = "workgroup"} : memref<8xf32>
    // expected-error @below {{carries values across barriers}}
    %r = scf.for %k = %c0 to %c8 step %c1 iter_args(%a = %cst) -> (f32) {
      scf.parallel (%t) = (%c0) to (%c8) step (%c1) {
        memref.store %a, %tile[%t] : memref<8xf32>
        scf.reduce
      }
      scf.yield %a : f32
    }
    scf.reduce
  }
  return
}
