// RUN: cnnc-opt %s -split-input-file -cnn-tile-contractions | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -cnn-tile-contractions=outputs-per-thread=8 | FileCheck %s --check-prefix=EIGHT
// RUN: cnnc-opt %s -split-input-file -cnn-tile-contractions=align-slices=true | FileCheck %s --check-prefix=ALIGNED
// RUN: not cnnc-opt %s -split-input-file -cnn-tile-contractions=outputs-per-thread=9 2>&1 | FileCheck %s --check-prefix=RANGE

// cnn-tile-contractions (TileContractions.cpp): a matrix product whose rows
// (the batch) only the left factor reads and whose columns (120 units) only
// the right one does becomes a loop over 64 x 64 tiles of 256 threads, each
// summing 4 x 4 outputs. The sums start at the bias, go through the two
// 8 x 64 tiles 8 terms at a time, and end in the store, for outputs inside
// the result only. A tile holds its slice thread by thread (8 x 16 x 4,
// and a 17th group of 4 that only shifts the next term's row by 4 banks):
// the 4 rows a thread sums, 16 apart in the output, lie side by side.
// CHECK-LABEL: func @dense
// CHECK-SAME:    (%[[X:.*]]: memref<?x400xf32>, %[[W:.*]]: memref<120x400xf32>, %[[B:.*]]: memref<120xf32>, %[[OUT:.*]]: memref<?x120xf32>)
// CHECK:         scf.parallel (%[[MB:.*]], %[[NB:.*]], %{{.*}}) =
// CHECK-DAG:       %[[LHS:.*]] = memref.alloc() {cnn.memory = "workgroup"} : memref<2x8x17x4xf32>
// CHECK-DAG:       %[[RHS:.*]] = memref.alloc() {cnn.memory = "workgroup"} : memref<2x8x17x4xf32>
// CHECK-DAG:       %[[SUMS:.*]] = memref.alloc() {cnn.memory = "private"} : memref<256x4x4xf32>
// The sums start at the bias.
// CHECK:           scf.parallel (%[[T:.*]]) = (%{{.*}}) to (%[[C256:.*]]) step
// CHECK:             scf.if
// CHECK:               memref.load %[[B]]
// CHECK:             memref.store %{{.*}}, %[[SUMS]][%[[T]],
// The first slices of the factors go into tiles 0: the rows of x and of w
// are contiguous along k, so neighbouring threads copy neighbouring terms
// (k mod 8) of a row. Each copies the element at position p of the tile's
// row, thread p / 4's place p mod 4, which is row 16 x (p mod 4) + p / 4
// of the slice: stores of neighbouring threads go to neighbouring banks.
// CHECK:           scf.parallel (%[[T1:.*]]) =
// CHECK:             %[[E:.*]] = arith.addi %[[T1]], %{{.*}} : index
// CHECK:             %[[TERM:.*]] = arith.remui %[[E]], %[[C8:c8[_0-9]*]] : index
// CHECK:             %[[P:.*]] = arith.divui %[[E]], %[[C8]] : index
// CHECK:             %[[GROUP:.*]] = arith.divui %[[P]], %[[C4:c4[_0-9]*]] : index
// CHECK:             %[[PLACE:.*]] = arith.remui %[[P]], %[[C4]] : index
// CHECK:             %[[APART:.*]] = arith.muli %[[PLACE]], %c16{{.*}} : index
// CHECK:             %[[ROW:.*]] = arith.addi %[[APART]], %[[GROUP]] : index
// CHECK:             %[[I:.*]] = arith.addi %{{.*}}, %[[ROW]] : index
// CHECK:             scf.if
// CHECK:               memref.load %[[X]][%[[I]],
// CHECK:             scf.if
// CHECK:               memref.load %[[W]]
// CHECK:             memref.store %{{.*}}, %[[LHS]][%[[C0:.*]], %[[TERM]], %[[GROUP]], %[[PLACE]]]
// CHECK:             memref.store %{{.*}}, %[[RHS]][%[[C0]],
// CHECK:           }
// Then slice after slice, the tiles taking turns: each thread reads its
// elements of the next slice, adds its 16 outputs' terms of this one from
// the current tiles (the 8 terms one after another, unrolled, the first of
// them here: the 4 values of each factor it reads lie side by side), and
// stores the next slice into the other tiles.
// CHECK:           scf.for %[[K0:.*]] = %{{.*}} to %{{.*}} step %[[C8:.*]] {
// CHECK:             %[[SLICE:.*]] = arith.divui %[[K0]], %{{.*}} : index
// CHECK:             %[[CURRENT:.*]] = arith.remui %[[SLICE]], %{{.*}} : index
// CHECK:             %[[OTHER:.*]] = arith.subi %{{.*}}, %[[CURRENT]] : index
// CHECK:             %[[NEXT:.*]] = arith.addi %[[K0]], %{{.*}} : index
// CHECK:             scf.parallel (%[[T2:.*]]) =
// CHECK:               arith.addi %[[NEXT]],
// CHECK:               memref.load %[[X]]
// CHECK:               memref.load %[[W]]
// CHECK:               %[[TN:.*]] = arith.remui %[[T2]], %[[C16B:.*]] : index
// CHECK-NEXT:          %[[TM:.*]] = arith.divui %[[T2]], %[[C16B]] : index
// CHECK-COUNT-16:      memref.load %[[SUMS]]
// CHECK-NOT:           scf.for
// CHECK:               memref.load %[[LHS]][%[[CURRENT]], %[[KK:.*]], %[[TM]], %c0{{.*}}]
// CHECK:               memref.load %[[LHS]][%[[CURRENT]], %[[KK]], %[[TM]], %c1{{.*}}]
// CHECK:               memref.load %[[LHS]][%[[CURRENT]], %[[KK]], %[[TM]], %c2{{.*}}]
// CHECK:               memref.load %[[LHS]][%[[CURRENT]], %[[KK]], %[[TM]], %c3{{.*}}]
// CHECK-COUNT-4:       memref.load %[[RHS]][%[[CURRENT]], %[[KK]], %[[TN]], %c{{.*}}]
// CHECK-COUNT-16:      arith.mulf
// CHECK-COUNT-28:      memref.load %[[LHS]][%[[CURRENT]], %{{.*}}, %[[TM]], %c{{[0-3]}}{{.*}}]
// CHECK-NOT:           memref.load %[[LHS]][
// CHECK-COUNT-16:      memref.store %{{.*}}, %[[SUMS]]
// CHECK-COUNT-2:       memref.store %{{.*}}, %[[LHS]][%[[OTHER]],
// CHECK-COUNT-2:       memref.store %{{.*}}, %[[RHS]][%[[OTHER]],
// CHECK-NOT:           memref.load %[[X]]
// CHECK:           }
// Then the store, for each output inside the result.
// CHECK:           scf.parallel
// CHECK:             scf.if
// CHECK:               %[[SUM:.*]] = memref.load %[[SUMS]]
// CHECK:               memref.store %[[SUM]], %[[OUT]]
// CHECK:           memref.dealloc %[[LHS]]
// CHECK:           memref.dealloc %[[RHS]]
// CHECK:           memref.dealloc %[[SUMS]]
// CHECK-NOT:     scf.for %{{.*}} = %{{.*}} to %c400
// With 8 outputs per thread along each large side, the tiles are 128 x 128
// outputs of 256 threads, 8 x 8 sums each, and each thread reads 8 values
// of each factor's slice per term.
// EIGHT-LABEL: func @dense
// EIGHT-DAG:     memref.alloc() {cnn.memory = "workgroup"} : memref<2x8x17x8xf32>
// EIGHT-DAG:     memref.alloc() {cnn.memory = "private"} : memref<256x8x8xf32>
// EIGHT:         scf.for
// EIGHT:           scf.parallel
// EIGHT-COUNT-8:       memref.load %{{.*}} : memref<2x8x17x8xf32>
// EIGHT-COUNT-8:       memref.load %{{.*}} : memref<2x8x17x8xf32>
// EIGHT-COUNT-64:      arith.mulf
// A sum over one loop has no window to align its slices with.
// ALIGNED-LABEL: func @dense
// ALIGNED-DAG:     memref.alloc() {cnn.memory = "workgroup"} : memref<2x8x17x4xf32>
// RANGE: error: cnn-tile-contractions: outputs-per-thread must be 1 to 8, got 9
func.func @dense(%x: memref<?x400xf32>, %w: memref<120x400xf32>, %b: memref<120xf32>, %out: memref<?x120xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c120 = arith.constant 120 : index
  %c400 = arith.constant 400 : index
  %n = memref.dim %x, %c0 : memref<?x400xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c120) step (%c1, %c1) {
    %0 = memref.load %b[%j] : memref<120xf32>
    %1 = scf.for %k = %c0 to %c400 step %c1 iter_args(%acc = %0) -> (f32) {
      %2 = memref.load %x[%i, %k] : memref<?x400xf32>
      %3 = memref.load %w[%j, %k] : memref<120x400xf32>
      %4 = arith.mulf %2, %3 : f32
      %5 = arith.addf %acc, %4 : f32
      scf.yield %5 : f32
    }
    memref.store %1, %out[%i, %j] : memref<?x120xf32>
    scf.reduce
  }
  return
}

// -----

// A convolution with 6 filters: each thread takes all 6 for one pixel, so
// the tile is 256 pixels (image, row, column: the left factor's) by the 6
// filters. The image tile is filled along the pixels (the image's columns
// move with them), the filters' along the window (their rows are
// contiguous), and the activation runs in the last loop. The filters are
// read along the window's 25 places as one dimension: the place in the sum
// indexes them, not the row and column it divides into.
// CHECK-LABEL: func @conv_six_filters
// CHECK-SAME:    (%[[X:.*]]: memref<?x1x32x32xf32>, %[[W:.*]]: memref<6x1x5x5xf32>
// CHECK:         %[[WK:.*]] = memref.collapse_shape %[[W]] {{\[}}[0], [1], [2, 3]] : memref<6x1x5x5xf32> into memref<6x1x25xf32>
// CHECK-DAG:     %[[LHS:.*]] = memref.alloc() {cnn.memory = "workgroup"} : memref<2x8x257x1xf32>
// CHECK-DAG:     %[[RHS:.*]] = memref.alloc() {cnn.memory = "workgroup"} : memref<2x8x2x6xf32>
// CHECK-DAG:     %[[SUMS:.*]] = memref.alloc() {cnn.memory = "private"} : memref<256x1x6xf32>
// CHECK:         scf.for
// CHECK:           scf.parallel (%[[T:.*]]) =
// CHECK:             %[[E:.*]] = arith.addi %[[T]], %{{.*}} : index
// CHECK:             %[[PIXEL:.*]] = arith.remui %[[E]], %{{.*}} : index
// CHECK:             %[[KK:.*]] = arith.divui %[[E]], %{{.*}} : index
// CHECK:             %[[GROUP:.*]] = arith.divui %[[PIXEL]], %c1{{.*}} : index
// CHECK:             %[[PLACE:.*]] = arith.remui %[[PIXEL]], %c1{{.*}} : index
// CHECK:             memref.load %[[X]]
// CHECK:             memref.load %[[WK]][%{{.*}}, %c0, %{{.*}}] : memref<6x1x25xf32>
// CHECK-COUNT-1:     memref.load %[[LHS]]
// CHECK-COUNT-6:     memref.load %[[RHS]]
// CHECK-COUNT-6:     arith.mulf
// CHECK:             memref.store %{{.*}}, %[[LHS]][%{{.*}}, %[[KK]], %[[GROUP]], %[[PLACE]]]
// CHECK:             memref.store %{{.*}}, %[[RHS]]
// CHECK:         scf.parallel
// CHECK-COUNT-6:   math.tanh
// CHECK-NOT:     memref.load %[[W]]
// With align-slices, a slice is a row of the window (its 25 terms would
// not fit in shared memory with a tile 257 pixels wide): a thread's place
// in the slice is the window's column, the slice's number its row.
// ALIGNED-LABEL: func @conv_six_filters
// ALIGNED-SAME:    (%[[X:.*]]: memref<?x1x32x32xf32>
// ALIGNED-DAG:     memref.alloc() {cnn.memory = "workgroup"} : memref<2x5x257x1xf32>
// ALIGNED-DAG:     memref.alloc() {cnn.memory = "workgroup"} : memref<2x5x2x6xf32>
// ALIGNED:         scf.for %[[K0:.*]] = %{{.*}} to %[[K:.*]] step %c5
// ALIGNED:           %[[NEXT:.*]] = arith.addi %[[K0]], %c5
// ALIGNED:           scf.parallel (%[[T:.*]]) =
// ALIGNED:             %[[E:.*]] = arith.addi %[[T]], %c0
// ALIGNED-NEXT:        %c256{{.*}} = arith.constant 256 : index
// ALIGNED-NEXT:        %[[PIXEL:.*]] = arith.remui %[[E]], %c256
// ALIGNED-NEXT:        %[[KK:.*]] = arith.divui %[[E]], %c256
// ALIGNED:             arith.cmpi ult, %[[NEXT]], %[[K]] : index
// ALIGNED:             scf.if
// ALIGNED:               %[[ROW:.*]] = arith.divui %[[NEXT]], %c5
// ALIGNED-NEXT:          %[[Y:.*]] = arith.addi %{{.*}}, %[[ROW]] : index
// ALIGNED-NEXT:          %[[COLUMN:.*]] = arith.addi %{{.*}}, %[[KK]] : index
// ALIGNED-NEXT:          memref.load %[[X]][%{{.*}}, %c0, %[[Y]], %[[COLUMN]]]
func.func @conv_six_filters(%x: memref<?x1x32x32xf32>, %w: memref<6x1x5x5xf32>, %b: memref<6xf32>, %out: memref<?x6x28x28xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c28 = arith.constant 28 : index
  %n = memref.dim %x, %c0 : memref<?x1x32x32xf32>
  scf.parallel (%i, %f, %h, %v) = (%c0, %c0, %c0, %c0) to (%n, %c6, %c28, %c28) step (%c1, %c1, %c1, %c1) {
    %0 = memref.load %b[%f] : memref<6xf32>
    %1 = scf.for %kh = %c0 to %c5 step %c1 iter_args(%a0 = %0) -> (f32) {
      %2 = scf.for %kw = %c0 to %c5 step %c1 iter_args(%a1 = %a0) -> (f32) {
        %3 = arith.addi %h, %kh : index
        %4 = arith.addi %v, %kw : index
        %5 = memref.load %x[%i, %c0, %3, %4] : memref<?x1x32x32xf32>
        %6 = memref.load %w[%f, %c0, %kh, %kw] : memref<6x1x5x5xf32>
        %7 = arith.mulf %5, %6 : f32
        %8 = arith.addf %a1, %7 : f32
        scf.yield %8 : f32
      }
      scf.yield %2 : f32
    }
    %9 = math.tanh %1 : f32
    memref.store %9, %out[%i, %f, %h, %v] : memref<?x6x28x28xf32>
    scf.reduce
  }
  return
}

// -----

// Filters among packed parameters, read at a place computed from the
// window's row and column (as cnn-to-linalg indexes the packed buffer),
// here both flipped (an input gradient's): the place in the packed buffer
// is where the window starts, less the place in the sum.
// CHECK-LABEL: func @conv_packed_flipped_filters
// CHECK-SAME:    (%[[X:.*]]: memref<?x32x32xf32>, %[[W:.*]]: memref<176xf32>
// CHECK:         scf.for
// CHECK:           scf.parallel
// CHECK:               %[[FILTER:.*]] = arith.muli %{{.*}}, %c25 : index
// CHECK-NEXT:          arith.addi %[[FILTER]], %c26 : index
// CHECK-NOT:           arith.divui
// CHECK:               %[[BACK:.*]] = arith.muli %{{.*}}, %c-1 : index
// CHECK-NEXT:          %[[AT:.*]] = arith.addi %{{.*}}, %[[BACK]] : index
// CHECK-NEXT:          memref.load %[[W]][%[[AT]]]
func.func @conv_packed_flipped_filters(%x: memref<?x32x32xf32>, %w: memref<176xf32>, %out: memref<?x6x28x28xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c25 = arith.constant 25 : index
  %c26 = arith.constant 26 : index
  %c28 = arith.constant 28 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x32x32xf32>
  scf.parallel (%i, %f, %h, %v) = (%c0, %c0, %c0, %c0) to (%n, %c6, %c28, %c28) step (%c1, %c1, %c1, %c1) {
    %1 = scf.for %kh = %c0 to %c5 step %c1 iter_args(%a0 = %zero) -> (f32) {
      %2 = scf.for %kw = %c0 to %c5 step %c1 iter_args(%a1 = %a0) -> (f32) {
        %3 = arith.addi %h, %kh : index
        %4 = arith.addi %v, %kw : index
        %5 = memref.load %x[%i, %3, %4] : memref<?x32x32xf32>
        %rh = arith.subi %c4, %kh : index
        %rw = arith.subi %c4, %kw : index
        %filter = arith.muli %f, %c25 : index
        %base = arith.addi %filter, %c26 : index
        %row = arith.muli %rh, %c5 : index
        %at = arith.addi %base, %row : index
        %place = arith.addi %at, %rw : index
        %6 = memref.load %w[%place] : memref<176xf32>
        %7 = arith.mulf %5, %6 : f32
        %8 = arith.addf %a1, %7 : f32
        scf.yield %8 : f32
      }
      scf.yield %2 : f32
    }
    memref.store %1, %out[%i, %f, %h, %v] : memref<?x6x28x28xf32>
    scf.reduce
  }
  return
}

// -----

// Flipped along its rows only, the window is not read in the order of the
// sum: the filter's place is computed from the row and column again.
// CHECK-LABEL: func @conv_half_flipped_filters
// CHECK-SAME:    (%[[X:.*]]: memref<?x32x32xf32>, %[[W:.*]]: memref<150xf32>
// CHECK:         scf.for
// CHECK:           scf.parallel
// CHECK:             %[[FILTER:.*]] = arith.muli %{{.*}}, %c25 : index
// CHECK-NEXT:        %[[ROW:.*]] = arith.subi %c4, %{{.*}} : index
// CHECK-NEXT:        %[[AT:.*]] = arith.muli %[[ROW]], %c5 : index
// CHECK-NEXT:        %[[START:.*]] = arith.addi %[[FILTER]], %[[AT]] : index
// CHECK-NEXT:        %[[PLACE:.*]] = arith.addi %[[START]], %{{.*}} : index
// CHECK-NEXT:        memref.load %[[W]][%[[PLACE]]]
func.func @conv_half_flipped_filters(%x: memref<?x32x32xf32>, %w: memref<150xf32>, %out: memref<?x6x28x28xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c25 = arith.constant 25 : index
  %c28 = arith.constant 28 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x32x32xf32>
  scf.parallel (%i, %f, %h, %v) = (%c0, %c0, %c0, %c0) to (%n, %c6, %c28, %c28) step (%c1, %c1, %c1, %c1) {
    %1 = scf.for %kh = %c0 to %c5 step %c1 iter_args(%a0 = %zero) -> (f32) {
      %2 = scf.for %kw = %c0 to %c5 step %c1 iter_args(%a1 = %a0) -> (f32) {
        %3 = arith.addi %h, %kh : index
        %4 = arith.addi %v, %kw : index
        %5 = memref.load %x[%i, %3, %4] : memref<?x32x32xf32>
        %rh = arith.subi %c4, %kh : index
        %filter = arith.muli %f, %c25 : index
        %row = arith.muli %rh, %c5 : index
        %at = arith.addi %filter, %row : index
        %place = arith.addi %at, %kw : index
        %6 = memref.load %w[%place] : memref<150xf32>
        %7 = arith.mulf %5, %6 : f32
        %8 = arith.addf %a1, %7 : f32
        scf.yield %8 : f32
      }
      scf.yield %2 : f32
    }
    memref.store %1, %out[%i, %f, %h, %v] : memref<?x6x28x28xf32>
    scf.reduce
  }
  return
}

// -----

// A weight gradient split over the output's rows (cnn-split-reductions):
// the row is read by both factors, so each row is a tile of its own along
// the grid's third dimension (4 x 2 x 16 tiles).
// CHECK-LABEL: func @weight_gradient_rows
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %[[ROW:[a-z0-9]+]]) =
// CHECK:           memref.alloc() {cnn.memory = "workgroup"}
// CHECK:           memref.load %{{.*}}[%{{.*}}, %{{.*}}, %[[ROW]]]
func.func @weight_gradient_rows(%dy: memref<?x256x16xf32>, %x: memref<?x96x16xf32>, %out: memref<256x96x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %c96 = arith.constant 96 : index
  %cst = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x96x16xf32>
  scf.parallel (%f, %c, %r) = (%c0, %c0, %c0) to (%c256, %c96, %c16) step (%c1, %c1, %c1) {
    %1 = scf.for %k = %c0 to %n step %c1 iter_args(%acc = %cst) -> (f32) {
      %2 = memref.load %dy[%k, %f, %r] : memref<?x256x16xf32>
      %3 = memref.load %x[%k, %c, %r] : memref<?x96x16xf32>
      %4 = arith.mulf %2, %3 : f32
      %5 = arith.addf %4, %acc : f32
      scf.yield %5 : f32
    }
    memref.store %1, %out[%f, %c, %r] : memref<256x96x16xf32>
    scf.reduce
  }
  return
}

// -----

// A 5 x 5 window by 6 filters (LeNet's first weight gradient, split over
// the pixels): with the 6 filters whole, 32 threads would cover the window,
// too few for a block, so each of 64 threads sums 3 filters of one tap
// instead; each pixel is a tile of its own (1 x 1 x 784 tiles).
// CHECK-LABEL: func @window_by_filters
// CHECK:         %[[ROWS:[0-9]+]] = arith.muli %{{.*}}, %c28
// CHECK-NEXT:    %[[PIXELS:[0-9]+]] = arith.muli %[[ROWS]], %c28
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}, %[[PIXELS]])
// CHECK-DAG:       memref.alloc() {cnn.memory = "workgroup"} : memref<2x8x33x1xf32>
// CHECK-DAG:       memref.alloc() {cnn.memory = "workgroup"} : memref<2x8x3x3xf32>
// CHECK-DAG:       memref.alloc() {cnn.memory = "private"} : memref<64x1x3xf32>
// CHECK:           scf.for
// CHECK:             scf.parallel (%{{.*}}) = (%{{.*}}) to (%c64{{.*}})
// CHECK-COUNT-24:       arith.mulf
// CHECK-NOT:             arith.mulf
func.func @window_by_filters(%x: memref<?x32x32xf32>, %dy: memref<?x6x28x28xf32>, %out: memref<6x5x5x28x28xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %c28 = arith.constant 28 : index
  %cst = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x32x32xf32>
  scf.parallel (%ky, %kx, %f, %oy, %ox) = (%c0, %c0, %c0, %c0, %c0) to (%c5, %c5, %c6, %c28, %c28) step (%c1, %c1, %c1, %c1, %c1) {
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %cst) -> (f32) {
      %y = arith.addi %oy, %ky : index
      %xx = arith.addi %ox, %kx : index
      %u = memref.load %x[%i, %y, %xx] : memref<?x32x32xf32>
      %v = memref.load %dy[%i, %f, %oy, %ox] : memref<?x6x28x28xf32>
      %p = arith.mulf %u, %v : f32
      %r = arith.addf %acc, %p : f32
      scf.yield %r : f32
    }
    memref.store %s, %out[%f, %ky, %kx, %oy, %ox] : memref<6x5x5x28x28xf32>
    scf.reduce
  }
  return
}

// -----

// Not tiled: a sum without products (a pool) reuses nothing; a product
// whose sides are both small fills no block; one of 64 x 64 outputs is a
// single tile, which would leave the GPU idle; one whose factor is the
// buffer it writes would read outputs other threads have written.
// CHECK-LABEL: func @not_tiled
// CHECK-NOT:     memref.alloc
// CHECK:         return
func.func @not_tiled(%x: memref<?x8xf32>, %a: memref<4x8xf32>, %b: memref<4x8xf32>, %big: memref<64x8xf32>, %bigt: memref<64x8xf32>, %small: memref<4x4xf32>, %square: memref<64x64xf32>, %pool: memref<?xf32>, %self: memref<128x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %c128 = arith.constant 128 : index
  %cst = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x8xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %cst) -> (f32) {
      %v = memref.load %x[%i, %k] : memref<?x8xf32>
      %r = arith.addf %acc, %v : f32
      scf.yield %r : f32
    }
    memref.store %s, %pool[%i] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %cst) -> (f32) {
      %u = memref.load %a[%i, %k] : memref<4x8xf32>
      %v = memref.load %b[%j, %k] : memref<4x8xf32>
      %p = arith.mulf %u, %v : f32
      %r = arith.addf %acc, %p : f32
      scf.yield %r : f32
    }
    memref.store %s, %small[%i, %j] : memref<4x4xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c64) step (%c1, %c1) {
    %s = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %cst) -> (f32) {
      %u = memref.load %big[%i, %k] : memref<64x8xf32>
      %v = memref.load %bigt[%j, %k] : memref<64x8xf32>
      %p = arith.mulf %u, %v : f32
      %r = arith.addf %acc, %p : f32
      scf.yield %r : f32
    }
    memref.store %s, %square[%i, %j] : memref<64x64xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%c128, %c128) step (%c1, %c1) {
    %s = scf.for %k = %c0 to %c128 step %c1 iter_args(%acc = %cst) -> (f32) {
      %u = memref.load %self[%i, %k] : memref<128x128xf32>
      %v = memref.load %self[%k, %j] : memref<128x128xf32>
      %p = arith.mulf %u, %v : f32
      %r = arith.addf %acc, %p : f32
      scf.yield %r : f32
    }
    memref.store %s, %self[%i, %j] : memref<128x128xf32>
    scf.reduce
  }
  return
}
