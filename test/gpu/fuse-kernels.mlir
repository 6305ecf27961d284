// RUN: cnnc-opt %s -split-input-file -cnn-fuse-kernels | FileCheck %s

// cnn-fuse-kernels (FuseKernels.cpp): the bias broadcast a matrix product
// starts from, and the activation of its result, fuse into the product's
// kernel: one generic is left, reading the bias and applying tanh after the
// loop.
// CHECK-LABEL: func @dense_tanh
// CHECK-SAME:    (%[[X:.*]]: tensor<?x120xf32>, %[[W:.*]]: tensor<84x120xf32>, %[[BIAS:.*]]: tensor<84xf32>)
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[BIAS]] : tensor<84xf32>)
// CHECK:           %[[SUM:.*]] = scf.for
// CHECK:           %[[T:.*]] = math.tanh %[[SUM]]
// CHECK:           linalg.yield %[[T]]
// CHECK-NOT:     linalg.generic
func.func @dense_tanh(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>, %bias: tensor<84xf32>) -> tensor<?x84xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c120 = arith.constant 120 : index
  %n = tensor.dim %x, %c0 : tensor<?x120xf32>
  %e = tensor.empty(%n) : tensor<?x84xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%bias : tensor<84xf32>) outs(%e : tensor<?x84xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<?x84xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<?x84xf32>) outs(%e : tensor<?x84xf32>) {
  ^bb0(%init: f32, %out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %sum = scf.for %k = %c0 to %c120 step %c1 iter_args(%acc = %init) -> (f32) {
      %a = tensor.extract %x[%i, %k] : tensor<?x120xf32>
      %v = tensor.extract %w[%j, %k] : tensor<84x120xf32>
      %p = arith.mulf %a, %v : f32
      %r = arith.addf %acc, %p : f32
      scf.yield %r : f32
    }
    linalg.yield %sum : f32
  } -> tensor<?x84xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<?x84xf32>) outs(%e : tensor<?x84xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.tanh %in : f32
    linalg.yield %y : f32
  } -> tensor<?x84xf32>
  return %t : tensor<?x84xf32>
}

// -----

// A sum read twice (by the activation and by the caller) stays a kernel of
// its own: fused, it would be computed twice.
// CHECK-LABEL: func @sum_with_two_users
// CHECK:         %[[S:.*]] = linalg.generic
// CHECK:           scf.for
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[S]] : tensor<8xf32>)
// CHECK:           math.tanh
func.func @sum_with_two_users(%x: tensor<8x16xf32>, %init: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %e = tensor.empty() : tensor<8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%init : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %sum = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %in) -> (f32) {
      %a = tensor.extract %x[%i, %k] : tensor<8x16xf32>
      %r = arith.addf %acc, %a : f32
      scf.yield %r : f32
    }
    linalg.yield %sum : f32
  } -> tensor<8xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%s : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.tanh %in : f32
    linalg.yield %y : f32
  } -> tensor<8xf32>
  return %s, %t : tensor<8xf32>, tensor<8xf32>
}

// -----

// A sum read by a consumer that reads each element more than once (a 2x2
// window here) is not fused: every window would recompute it. A producer
// without a loop (tanh) is, as its work is one instruction.
// CHECK-LABEL: func @sum_under_a_window
// CHECK:         %[[S:.*]] = linalg.generic
// CHECK:           scf.for
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[S]], %{{.*}} : tensor<4x4xf32>, tensor<2x2xf32>)
// CHECK:           math.tanh
// CHECK-NOT:     linalg.generic
func.func @sum_under_a_window(%x: tensor<4x4x3xf32>, %init: tensor<4x4xf32>, %win: tensor<2x2xf32>, %zero: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %e = tensor.empty() : tensor<4x4xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%init : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %sum = scf.for %k = %c0 to %c3 step %c1 iter_args(%acc = %in) -> (f32) {
      %a = tensor.extract %x[%i, %j, %k] : tensor<4x4x3xf32>
      %r = arith.addf %acc, %a : f32
      scf.yield %r : f32
    }
    linalg.yield %sum : f32
  } -> tensor<4x4xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<4x4xf32>) outs(%e : tensor<4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %y = math.tanh %in : f32
    linalg.yield %y : f32
  } -> tensor<4x4xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(i, j, a, b) -> (i * 2 + a, j * 2 + b)>, affine_map<(i, j, a, b) -> (a, b)>, affine_map<(i, j, a, b) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%t, %win : tensor<4x4xf32>, tensor<2x2xf32>) outs(%zero : tensor<2x2xf32>) {
  ^bb0(%in: f32, %w: f32, %acc: f32):
    %r = arith.addf %acc, %in : f32
    linalg.yield %r : f32
  } -> tensor<2x2xf32>
  return %p : tensor<2x2xf32>
}

// -----

// A strided convolution's input padded to a multiple of the stride (2 here)
// and split into its phases: the kernel that rearranges it reads the input
// itself, at the row and column its phase and position give, and zero in
// the padding, so neither the fill nor the copy into it is a kernel.
// CHECK-LABEL: func @phases_of_padded
// CHECK-SAME:    (%[[X:.*]]: tensor<?x5x5xf32>)
// CHECK-NOT:     tensor.insert_slice
// CHECK:         linalg.generic
// CHECK-NOT:       ins(
// CHECK-DAG:       %[[I:.*]] = linalg.index 0
// CHECK-DAG:       %[[PHASE:.*]] = linalg.index 1
// CHECK-DAG:       %[[ROW:.*]] = linalg.index 3
// CHECK:           %[[SCALED:.*]] = arith.muli %[[ROW]], %c2
// CHECK:           %[[Y:.*]] = arith.addi %[[SCALED]], %[[PHASE]]
// CHECK:           %[[INSIDE:.*]] = arith.cmpi ult, %[[Y]], %c5
// CHECK:           tensor.extract %[[X]][%[[I]],
// CHECK:           arith.select
// CHECK-NOT:     linalg.generic
func.func @phases_of_padded(%x: tensor<?x5x5xf32>) -> tensor<?x2x2x3x3xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x5x5xf32>
  %e = tensor.empty(%n) : tensor<?x6x6xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%e : tensor<?x6x6xf32>) -> tensor<?x6x6xf32>
  %padded = tensor.insert_slice %x into %fill[0, 0, 0] [%n, 5, 5] [1, 1, 1] : tensor<?x5x5xf32> into tensor<?x6x6xf32>
  %split = tensor.expand_shape %padded [[0], [1, 2], [3, 4]] output_shape [%n, 3, 2, 3, 2] : tensor<?x6x6xf32> into tensor<?x3x2x3x2xf32>
  %out = tensor.empty(%n) : tensor<?x2x2x3x3xf32>
  %phases = linalg.generic {indexing_maps = [affine_map<(n, p, q, r, c) -> (n, r, p, c, q)>, affine_map<(n, p, q, r, c) -> (n, p, q, r, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%split : tensor<?x3x2x3x2xf32>) outs(%out : tensor<?x2x2x3x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<?x2x2x3x3xf32>
  return %phases : tensor<?x2x2x3x3xf32>
}

// -----

// Squares read only element by element, five channels at a time (a local
// response normalization's window): each is computed where it is read, so
// the squares are never written. The same squares also returned whole stay
// a kernel: computing them again would only add work.
// CHECK-LABEL: func @squares_in_a_window
// CHECK-SAME:    (%[[X:.*]]: tensor<4x8xf32>)
// CHECK:         linalg.generic
// CHECK-NOT:       ins(
// CHECK:           scf.for
// CHECK:             %[[V:.*]] = tensor.extract %[[X]]
// CHECK:             arith.mulf %[[V]], %[[V]]
// CHECK-NOT:     linalg.generic
// CHECK-LABEL: func @squares_also_returned
// CHECK:         %[[SQ:.*]] = linalg.generic
// CHECK:           arith.mulf
// CHECK:         linalg.generic
// CHECK:           tensor.extract %[[SQ]]
func.func @squares_in_a_window(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<4x8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %w = scf.for %k = %c0 to %c5 step %c1 iter_args(%acc = %zero) -> (f32) {
      %c = arith.addi %j, %k : index
      %in = arith.cmpi ult, %c, %c8 : index
      %at = arith.select %in, %c, %c0 : index
      %v = tensor.extract %sq[%i, %at] : tensor<4x8xf32>
      %r = arith.addf %acc, %v : f32
      scf.yield %r : f32
    }
    linalg.yield %w : f32
  } -> tensor<4x8xf32>
  return %sum : tensor<4x8xf32>
}
func.func @squares_also_returned(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %sq = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<4x8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %w = scf.for %k = %c0 to %c5 step %c1 iter_args(%acc = %zero) -> (f32) {
      %c = arith.addi %j, %k : index
      %in = arith.cmpi ult, %c, %c8 : index
      %at = arith.select %in, %c, %c0 : index
      %v = tensor.extract %sq[%i, %at] : tensor<4x8xf32>
      %r = arith.addf %acc, %v : f32
      scf.yield %r : f32
    }
    linalg.yield %w : f32
  } -> tensor<4x8xf32>
  return %sum, %sq : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// An average pool's sum, read only by its scaling, fuses into it as usual:
// the scaled sum is one kernel, read by the next, and not scaled again at
// every read.
// CHECK-LABEL: func @scaled_sum_read_by_extract
// CHECK:         %[[POOL:.*]] = linalg.generic
// CHECK:           scf.for
// CHECK:           arith.mulf
// CHECK:         linalg.generic
// CHECK:           tensor.extract %[[POOL]]
// CHECK-NOT:       arith.mulf
// CHECK:         return
func.func @scaled_sum_read_by_extract(%x: tensor<8x4xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c7 = arith.constant 7 : index
  %zero = arith.constant 0.0 : f32
  %quarter = arith.constant 0.25 : f32
  %e = tensor.empty() : tensor<8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %s = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = tensor.extract %x[%i, %k] : tensor<8x4xf32>
      %r = arith.addf %acc, %v : f32
      scf.yield %r : f32
    }
    linalg.yield %s : f32
  } -> tensor<8xf32>
  %pool = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%sum : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.mulf %in, %quarter : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %next = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = arith.subi %c7, %i : index
    %v = tensor.extract %pool[%j] : tensor<8xf32>
    linalg.yield %v : f32
  } -> tensor<8xf32>
  return %next : tensor<8xf32>
}

// -----

// A strided convolution reading its input's phases (padded to a multiple of
// the stride, 2, split, rearranged and collapsed into channels) reads the
// input itself: the element of phase (p, q) at (r, c) is the input's at
// (2r + p, 2c + q), zero past its edge. No kernel is left but the
// convolution's.
// CHECK-LABEL: func @conv_over_phases
// CHECK-SAME:    (%[[X:.*]]: tensor<?x5x5xf32>
// CHECK-NOT:     tensor.insert_slice
// CHECK:         linalg.generic
// CHECK:           scf.for
// CHECK:             arith.cmpi ult, %{{.*}}, %c5
// CHECK:             tensor.extract %[[X]]
// CHECK:             arith.select
// CHECK-NOT:     linalg.generic
func.func @conv_over_phases(%x: tensor<?x5x5xf32>, %w: tensor<4xf32>) -> tensor<?x3x3xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x5x5xf32>
  %e = tensor.empty(%n) : tensor<?x6x6xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%e : tensor<?x6x6xf32>) -> tensor<?x6x6xf32>
  %padded = tensor.insert_slice %x into %fill[0, 0, 0] [%n, 5, 5] [1, 1, 1] : tensor<?x5x5xf32> into tensor<?x6x6xf32>
  %split = tensor.expand_shape %padded [[0], [1, 2], [3, 4]] output_shape [%n, 3, 2, 3, 2] : tensor<?x6x6xf32> into tensor<?x3x2x3x2xf32>
  %pe = tensor.empty(%n) : tensor<?x2x2x3x3xf32>
  %phases = linalg.generic {indexing_maps = [affine_map<(n, p, q, r, c) -> (n, r, p, c, q)>, affine_map<(n, p, q, r, c) -> (n, p, q, r, c)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%split : tensor<?x3x2x3x2xf32>) outs(%pe : tensor<?x2x2x3x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  } -> tensor<?x2x2x3x3xf32>
  %channels = tensor.collapse_shape %phases [[0], [1, 2], [3], [4]] : tensor<?x2x2x3x3xf32> into tensor<?x4x3x3xf32>
  %oe = tensor.empty(%n) : tensor<?x3x3xf32>
  %conv = linalg.generic {indexing_maps = [affine_map<(n, r, c) -> (n, r, c)>], iterator_types = ["parallel", "parallel", "parallel"]} outs(%oe : tensor<?x3x3xf32>) {
  ^bb0(%o: f32):
    %i = linalg.index 0 : index
    %r = linalg.index 1 : index
    %c = linalg.index 2 : index
    %s = scf.for %k = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = tensor.extract %channels[%i, %k, %r, %c] : tensor<?x4x3x3xf32>
      %f = tensor.extract %w[%k] : tensor<4xf32>
      %p = arith.mulf %v, %f : f32
      %t = arith.addf %acc, %p : f32
      scf.yield %t : f32
    }
    linalg.yield %s : f32
  } -> tensor<?x3x3xf32>
  return %conv : tensor<?x3x3xf32>
}

// -----

// A fill that two kernels read (a pool's starting zeros, which CSE shares
// with a gradient's) is copied into each, as its scalar: no kernel only
// writes zeros.
// CHECK-LABEL: func @fill_with_two_users
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:     linalg.fill
// CHECK:         linalg.generic
// CHECK-NOT:       ins(
// CHECK:           scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]])
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%{{.*}} : tensor<8xf32>)
// CHECK:           arith.addf %{{.*}}, %[[ZERO]]
// CHECK-NOT:     linalg.generic
func.func @fill_with_two_users(%x: tensor<8x16xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%z : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %sum = scf.for %k = %c0 to %c16 step %c1 iter_args(%acc = %in) -> (f32) {
      %a = tensor.extract %x[%i, %k] : tensor<8x16xf32>
      %r = arith.addf %acc, %a : f32
      scf.yield %r : f32
    }
    linalg.yield %sum : f32
  } -> tensor<8xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%y, %z : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %s, %t : tensor<8xf32>, tensor<8xf32>
}

// -----

// A fill read as an input becomes its scalar.
// CHECK-LABEL: func @from_zero
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:     linalg.fill
// CHECK:         linalg.generic
// CHECK:           arith.addf %{{.*}}, %[[ZERO]]
func.func @from_zero(%x: tensor<8xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%x, %z : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

// A padded input (the data inserted into a fill of zeros) read by a kernel
// is read from the data where the index falls inside it and is zero
// elsewhere: neither the fill nor the copy is left. The batch dimension is
// inserted whole and needs no check.
// CHECK-LABEL: func @padded_read
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1x28x28xf32>, %[[W:.*]]: tensor<6x1x5x5xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:     tensor.insert_slice
// CHECK:         linalg.generic
// CHECK:           %[[N:.*]] = linalg.index 0
// CHECK:           scf.for
// CHECK:             %[[Y:.*]] = arith.subi %{{.*}}, %c2
// An index before the padding's end wraps around: one unsigned comparison
// bounds both sides.
// CHECK:             %[[YIN:.*]] = arith.cmpi ult, %[[Y]], %c28
// CHECK:             %[[YAT:.*]] = arith.select %[[YIN]], %[[Y]], %c0
// CHECK:             %[[INSIDE:.*]] = arith.andi %[[YIN]], %{{.*}}
// CHECK:             %[[V:.*]] = tensor.extract %[[X]][%[[N]], %c0, %[[YAT]], %{{.*}}]
// CHECK:             arith.select %[[INSIDE]], %[[V]], %[[ZERO]]
func.func @padded_read(%x: tensor<?x1x28x28xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<?x6x28x28xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %n = tensor.dim %x, %c0 : tensor<?x1x28x28xf32>
  %e = tensor.empty(%n) : tensor<?x1x32x32xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%e : tensor<?x1x32x32xf32>) {
  ^bb0(%out: f32):
    linalg.yield %zero : f32
  } -> tensor<?x1x32x32xf32>
  %p = tensor.insert_slice %x into %z[0, 0, 2, 2] [%n, 1, 28, 28] [1, 1, 1, 1] : tensor<?x1x28x28xf32> into tensor<?x1x32x32xf32>
  %o = tensor.empty(%n) : tensor<?x6x28x28xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} outs(%o : tensor<?x6x28x28xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %f = linalg.index 1 : index
    %r = linalg.index 2 : index
    %c = linalg.index 3 : index
    %sum = scf.for %ky = %c0 to %c5 step %c1 iter_args(%acc = %zero) -> (f32) {
      %yy = arith.addi %r, %ky : index
      %a = tensor.extract %p[%i, %c0, %yy, %c] : tensor<?x1x32x32xf32>
      %v = tensor.extract %w[%f, %c0, %ky, %c0] : tensor<6x1x5x5xf32>
      %m = arith.mulf %a, %v : f32
      %s = arith.addf %acc, %m : f32
      scf.yield %s : f32
    }
    linalg.yield %sum : f32
  } -> tensor<?x6x28x28xf32>
  return %y : tensor<?x6x28x28xf32>
}

// -----

// Gradients packed into the parameters' layout (slices inserted into a
// zero fill, with a gap at [3, 4)) become one generic: each element is read
// from the slice that holds it, the last insert first, or is zero in the
// gap. It then fuses into the update that reads it: one kernel instead of a
// fill, two copies and the update.
// CHECK-LABEL: func @packed_gradients
// CHECK-SAME:    (%[[P:.*]]: tensor<10xf32>, %[[A:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<2x3xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:     %[[FLAT:.*]] = tensor.collapse_shape %[[B]]
// CHECK-NOT:     tensor.insert_slice
// CHECK:         linalg.generic
// CHECK-SAME:        ins(%[[P]] : tensor<10xf32>)
// CHECK-NEXT:    ^bb0(%[[OLD:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[I:.*]] = linalg.index 0
// CHECK:           %[[AT_B:.*]] = arith.subi %[[I]], %c4
// CHECK:           %[[IN_B:.*]] = arith.cmpi ult, %[[AT_B]], %c6
// CHECK:           %[[G:.*]] = scf.if %[[IN_B]] -> (f32) {
// CHECK:             tensor.extract %[[FLAT]][%[[AT_B]]]
// CHECK:           } else {
// CHECK:             %[[IN_A:.*]] = arith.cmpi ult, %[[I]], %c3
// CHECK:             scf.if %[[IN_A]] -> (f32) {
// CHECK:               tensor.extract %[[A]][%[[I]]]
// CHECK:             } else {
// CHECK:               scf.yield %[[ZERO]]
// CHECK:           %[[STEP:.*]] = arith.mulf %[[G]], %{{.*}}
// CHECK:           arith.subf %[[OLD]], %[[STEP]]
// CHECK-NOT:     linalg.generic
func.func @packed_gradients(%p: tensor<10xf32>, %a: tensor<3xf32>, %b: tensor<2x3xf32>) -> tensor<10xf32> {
  %zero = arith.constant 0.0 : f32
  %lr = arith.constant 0.1 : f32
  %e = tensor.empty() : tensor<10xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<10xf32>) -> tensor<10xf32>
  %g0 = tensor.insert_slice %a into %z[0] [3] [1] : tensor<3xf32> into tensor<10xf32>
  %flat = tensor.collapse_shape %b [[0, 1]] : tensor<2x3xf32> into tensor<6xf32>
  %g1 = tensor.insert_slice %flat into %g0[4] [6] [1] : tensor<6xf32> into tensor<10xf32>
  %u = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]} ins(%p, %g1 : tensor<10xf32>, tensor<10xf32>) outs(%e : tensor<10xf32>) {
  ^bb0(%w: f32, %g: f32, %out: f32):
    %s = arith.mulf %g, %lr : f32
    %n = arith.subf %w, %s : f32
    linalg.yield %n : f32
  } -> tensor<10xf32>
  return %u : tensor<10xf32>
}

// -----

// A gradient spread out by a stride of 2 into zeros (the input gradient of a
// strided convolution) is read where the index falls on one of its elements
// (an even distance from the offset) and is zero elsewhere.
// CHECK-LABEL: func @strided_read
// CHECK-SAME:    (%[[G:.*]]: tensor<5xf32>)
// CHECK-DAG:     %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:     tensor.insert_slice
// CHECK:         linalg.generic
// CHECK:           %[[AT:.*]] = arith.subi %{{.*}}, %c1
// CHECK:           %[[REST:.*]] = arith.remsi %[[AT]], %c2
// CHECK:           %[[EVEN:.*]] = arith.cmpi eq, %[[REST]], %c0
// CHECK:           %[[POS:.*]] = arith.divsi %[[AT]], %c2
// CHECK:           %[[BELOW:.*]] = arith.cmpi ult, %[[POS]], %c5
// CHECK:           %[[IN:.*]] = arith.andi %[[EVEN]], %[[BELOW]]
// CHECK:           %[[SAFE:.*]] = arith.select %[[IN]], %[[POS]], %c0
// CHECK:           %[[V:.*]] = tensor.extract %[[G]][%[[SAFE]]]
// CHECK:           arith.select %[[IN]], %[[V]], %[[ZERO]]
func.func @strided_read(%g: tensor<5xf32>) -> tensor<11xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<11xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<11xf32>) -> tensor<11xf32>
  %p = tensor.insert_slice %g into %z[1] [5] [2] : tensor<5xf32> into tensor<11xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>], iterator_types = ["parallel"]} outs(%e : tensor<11xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %v = tensor.extract %p[%i] : tensor<11xf32>
    linalg.yield %v : f32
  } -> tensor<11xf32>
  return %y : tensor<11xf32>
}
