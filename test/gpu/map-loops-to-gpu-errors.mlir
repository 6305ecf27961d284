// RUN: cnnc-opt %s -cnn-map-loops-to-gpu -split-input-file -verify-diagnostics

// A host read followed by a write of the same buffer cannot be moved into
// the later kernel that uses it: it would read the new value.
func.func @read_then_write(%a: memref<f32>, %out: memref<f32>) {
  %one = arith.constant 1.0 : f32
  // expected-error @below {{is read on the host before a kernel writes its buffer}}
  %v = memref.load %a[] : memref<f32>
  memref.store %one, %a[] : memref<f32>
  memref.store %v, %out[] : memref<f32>
  return
}
