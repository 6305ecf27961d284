// RUN: cnnc-opt %s -split-input-file -cnn-compute-where-read | FileCheck %s

// cnn-compute-where-read (ComputeWhereRead.cpp): the last sum of a split
// gradient, read once per element by the optimizer's update (the packed
// layout: element i of the update reads element i - 8 of the gradient),
// is summed by the update's thread where it reads it; the sum's generic
// is gone.
// CHECK-LABEL: func @update_sums_gradient
// CHECK-SAME:    (%[[P:.*]]: tensor<4x8xf32>, %[[W:.*]]: tensor<16xf32>)
// CHECK-NOT:     tensor<8xf32>
// CHECK:         linalg.generic
// CHECK:           %[[I:.*]] = linalg.index 0
// CHECK:           %[[K:.*]] = arith.subi %[[I]], %c8
// CHECK:           scf.if
// CHECK:             %[[G:.*]] = scf.for %[[C:.*]] = %c0 to %c4
// CHECK:               tensor.extract %[[P]][%[[C]], %[[K]]]
// CHECK:             scf.yield %[[G]]
// CHECK-NOT:     linalg.generic
func.func @update_sums_gradient(%partial: tensor<4x8xf32>, %w: tensor<16xf32>) -> tensor<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %c = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %t = tensor.extract %partial[%c, %o] : tensor<4x8xf32>
      %r = arith.addf %acc, %t : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %eu = tensor.empty() : tensor<16xf32>
  %update = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%w : tensor<16xf32>) outs(%eu : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %k = arith.subi %i, %c8 : index
    %inside = arith.cmpi ult, %k, %c8 : index
    %g = scf.if %inside -> (f32) {
      %v = tensor.extract %sum[%k] : tensor<8xf32>
      scf.yield %v : f32
    } else {
      scf.yield %zero : f32
    }
    %n = arith.subf %in, %g : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  return %update : tensor<16xf32>
}

// -----

// Through a tensor.collapse_shape (a weight gradient flattened into the
// packed layout), the index is split back over the collapsed dimensions.
// CHECK-LABEL: func @update_sums_collapsed_gradient
// CHECK-SAME:    (%[[P:.*]]: tensor<4x2x3xf32>, %[[W:.*]]: tensor<6xf32>)
// CHECK-NOT:     tensor.collapse_shape
// CHECK:         linalg.generic
// CHECK:           %[[I:.*]] = linalg.index 0
// CHECK-DAG:       %[[COL:.*]] = arith.remui %[[I]], %c3
// CHECK-DAG:       %[[ROW:.*]] = arith.divui %[[I]], %c3
// CHECK:           scf.for %[[C:.*]] = %c0 to %c4
// CHECK:             tensor.extract %[[P]][%[[C]], %[[ROW]], %[[COL]]]
// CHECK-NOT:     linalg.generic
func.func @update_sums_collapsed_gradient(%partial: tensor<4x2x3xf32>, %w: tensor<6xf32>) -> tensor<6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<2x3xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = scf.for %c = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %t = tensor.extract %partial[%c, %i, %j] : tensor<4x2x3xf32>
      %r = arith.addf %acc, %t : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  %flat = tensor.collapse_shape %sum [[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
  %eu = tensor.empty() : tensor<6xf32>
  %update = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%w : tensor<6xf32>) outs(%eu : tensor<6xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %g = tensor.extract %flat[%i] : tensor<6xf32>
    %n = arith.subf %in, %g : f32
    linalg.yield %n : f32
  } -> tensor<6xf32>
  return %update : tensor<6xf32>
}

// -----

// What would compute a sum more than once stays a kernel of its own: a read
// inside the reader's loop (its thread reads the element at every
// iteration), a read that leaves out one of the
// reader's dimensions (4 threads read each element), two reads, and a
// result also returned whole. Nor do partial sums move into the loop of
// the sum that adds them, though it reads each once: the work of a thread
// per chunk would become one thread's loop again. And a sum of products (a
// weight gradient over the batch, not split) stays for
// cnn-tile-contractions to tile, though the update reads it once.
// CHECK-LABEL: func @read_in_a_loop
// CHECK-COUNT-2: linalg.generic
// CHECK-LABEL: func @read_by_several_threads
// CHECK-COUNT-2: linalg.generic
// CHECK-LABEL: func @partial_sums_read_by_their_sum
// CHECK-COUNT-2: linalg.generic
// CHECK-LABEL: func @product_read_once
// CHECK-COUNT-2: linalg.generic
// CHECK-LABEL: func @read_twice
// CHECK-COUNT-2: linalg.generic
// CHECK-LABEL: func @also_returned
// CHECK-COUNT-2: linalg.generic
func.func @read_in_a_loop(%partial: tensor<4x8xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %c = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %t = tensor.extract %partial[%c, %o] : tensor<4x8xf32>
      %r = arith.addf %acc, %t : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %window = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %w = scf.for %k = %c0 to %c2 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = tensor.extract %sum[%i] : tensor<8xf32>
      %r = arith.addf %acc, %v : f32
      scf.yield %r : f32
    }
    linalg.yield %w : f32
  } -> tensor<8xf32>
  return %window : tensor<8xf32>
}
func.func @read_by_several_threads(%partial: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %c = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %t = tensor.extract %partial[%c, %o] : tensor<4x8xf32>
      %r = arith.addf %acc, %t : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %spread = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%out: f32):
    %j = linalg.index 1 : index
    %v = tensor.extract %sum[%j] : tensor<8xf32>
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %spread : tensor<4x8xf32>
}
func.func @partial_sums_read_by_their_sum(%x: tensor<8x64xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %ep = tensor.empty() : tensor<4x8xf32>
  %partial = linalg.generic {indexing_maps = [affine_map<(c, i) -> (c, i)>], iterator_types = ["parallel", "parallel"]} outs(%ep : tensor<4x8xf32>) {
  ^bb0(%out: f32):
    %c = linalg.index 0 : index
    %i = linalg.index 1 : index
    %first = arith.muli %c, %c16 : index
    %s = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %zero) -> (f32) {
      %at = arith.addi %first, %k : index
      %t = tensor.extract %x[%i, %at] : tensor<8x64xf32>
      %r = arith.addf %acc, %t : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %e = tensor.empty() : tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %s = scf.for %c = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %t = tensor.extract %partial[%c, %i] : tensor<4x8xf32>
      %r = arith.addf %acc, %t : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %sum : tensor<8xf32>
}
func.func @product_read_once(%dy: tensor<?x8xf32>, %x: tensor<?x4xf32>, %w: tensor<32xf32>) -> tensor<32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %dy, %c0 : tensor<?x8xf32>
  %e = tensor.empty() : tensor<8x4xf32>
  %grad = linalg.generic {indexing_maps = [affine_map<(o, i) -> (o, i)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<8x4xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %i = linalg.index 1 : index
    %s = scf.for %b = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
      %g = tensor.extract %dy[%b, %o] : tensor<?x8xf32>
      %v = tensor.extract %x[%b, %i] : tensor<?x4xf32>
      %p = arith.mulf %g, %v : f32
      %r = arith.addf %acc, %p : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<8x4xf32>
  %flat = tensor.collapse_shape %grad [[0, 1]] : tensor<8x4xf32> into tensor<32xf32>
  %eu = tensor.empty() : tensor<32xf32>
  %update = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%w : tensor<32xf32>) outs(%eu : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %g = tensor.extract %flat[%i] : tensor<32xf32>
    %u = arith.subf %in, %g : f32
    linalg.yield %u : f32
  } -> tensor<32xf32>
  return %update : tensor<32xf32>
}
func.func @read_twice(%partial: tensor<4x8xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %c = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %t = tensor.extract %partial[%c, %o] : tensor<4x8xf32>
      %r = arith.addf %acc, %t : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %twice = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %a = tensor.extract %sum[%i] : tensor<8xf32>
    %b = tensor.extract %sum[%i] : tensor<8xf32>
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %twice : tensor<8xf32>
}
func.func @also_returned(%partial: tensor<4x8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %c = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %t = tensor.extract %partial[%c, %o] : tensor<4x8xf32>
      %r = arith.addf %acc, %t : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %copy = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %a = tensor.extract %sum[%i] : tensor<8xf32>
    linalg.yield %a : f32
  } -> tensor<8xf32>
  return %copy, %sum : tensor<8xf32>, tensor<8xf32>
}
