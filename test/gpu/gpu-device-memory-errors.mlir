// RUN: cnnc-opt %s -cnn-gpu-device-memory -split-input-file -verify-diagnostics

// The kernels index memory with 32 bits: a buffer of bytes as long as the
// batch could outgrow them (the runtime bounds buffers of 4-byte elements).
func.func @dynamic_bytes(%n: index) {
  // expected-error @below {{a buffer of type 'memref<?xi8>' is beyond the GPU kernels' 32-bit indices (2^31 elements); compile with --no-cuda for the CPU alone}}
  %a = memref.alloc(%n) : memref<?xi8>
  memref.dealloc %a : memref<?xi8>
  return
}

// -----

// 50,000 x 50,000 weights: 2.5 x 10^9 elements.
// expected-error @below {{a buffer of type 'memref<50000x50000xf32>' is beyond the GPU kernels' 32-bit indices}}
func.func @huge_parameter(%w: memref<50000x50000xf32>) {
  return
}

// -----

// The largest static buffer they reach, and one as long as the batch with
// 4-byte elements, raise no error.
func.func @indexable(%w: memref<2147483647xf32>, %n: index) {
  %a = memref.alloc(%n) : memref<?x10xi32>
  memref.dealloc %a : memref<?x10xi32>
  return
}
