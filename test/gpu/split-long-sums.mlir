// RUN: cnnc-opt %s -cnn-split-long-sums | FileCheck %s
// RUN: cnnc-opt %s -cnn-split-long-sums=min-threads=8 | FileCheck %s --check-prefix=FEW
// RUN: cnnc-opt %s -cnn-split-long-sums=min-threads=64 | FileCheck %s --check-prefix=PRODUCT
// RUN: cnnc-opt %s -cnn-split-long-sums="min-threads=64 product-outputs=767" | FileCheck %s --check-prefix=FEWER
// RUN: cnnc-opt %s -cnn-split-long-sums="min-threads=64 product-outputs=255" | FileCheck %s --check-prefix=WHOLE
// RUN: cnnc-opt %s -cnn-split-long-sums=batch-chunks=4 | FileCheck %s --check-prefix=FOUR

// cnn-split-long-sums (SplitLongSums.cpp): a dense layer's bias gradient,
// 10 sums over the batch, becomes partial sums of 32 images each (one
// thread per chunk and output), then 10 sums of ceil(N / 32) partial sums.
// CHECK-LABEL: func @bias_gradient
// CHECK-SAME:    (%[[G:.*]]: tensor<?x10xf32>)
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG:     %[[C31:.*]] = arith.constant 31 : index
// CHECK-DAG:     %[[N:.*]] = tensor.dim %[[G]], %c0
// CHECK:         %[[ROUNDED:.*]] = arith.addi %[[N]], %[[C31]] : index
// CHECK:         %[[CHUNKS:.*]] = arith.divui %[[ROUNDED]], %c32{{(_[0-9]+)?}} : index
// CHECK:         %[[PE:.*]] = tensor.empty(%[[CHUNKS]]) : tensor<?x10xf32>
// CHECK:         %[[PART:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} outs(%[[PE]] : tensor<?x10xf32>)
// CHECK:           %[[O:.*]] = linalg.index 1 : index
// CHECK:           %[[CHUNK:.*]] = linalg.index 0 : index
// CHECK:           %[[FIRST:.*]] = arith.muli %[[CHUNK]], %[[C32]] : index
// CHECK:           %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           %[[NEXT:.*]] = arith.addi %[[FIRST]], %[[C32]] : index
// CHECK:           %[[END:.*]] = arith.minui %[[NEXT]], %[[N]] : index
// CHECK:           scf.for %[[I:.*]] = %[[FIRST]] to %[[END]] step %{{.*}} iter_args(%{{.*}} = %[[ZERO]])
// CHECK:             tensor.extract %[[G]][%[[I]], %[[O]]]
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel"]} outs(%{{.*}} : tensor<10xf32>)
// CHECK:           %[[O2:.*]] = linalg.index 0 : index
// CHECK:           scf.for %[[C:.*]] = %{{.*}} to %[[CHUNKS]] step %{{.*}} iter_args(%[[ACC:.*]] = %cst)
// CHECK:             %[[T:.*]] = tensor.extract %[[PART]][%[[C]], %[[O2]]] : tensor<?x10xf32>
// CHECK:             arith.addf %[[ACC]], %[[T]] : f32
// CHECK-NOT:     linalg.generic
// With 8 threads wanted, its 10 outputs are enough: one generic stays.
// FEW-LABEL:   func @bias_gradient
// FEW:           linalg.generic
// FEW-NOT:       linalg.generic
// FEW-LABEL:   func @mean_loss
func.func @bias_gradient(%g: tensor<?x10xf32>) -> tensor<10xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 0.000000e+00 : f32
  %n = tensor.dim %g, %c0 : tensor<?x10xf32>
  %e = tensor.empty() : tensor<10xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<10xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %cst) -> (f32) {
      %x = tensor.extract %g[%i, %o] : tensor<?x10xf32>
      %a = arith.addf %acc, %x : f32
      scf.yield %a : f32
    }
    linalg.yield %s : f32
  } -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// The mean loss: one output whose sum is scaled after the loop. The
// scaling stays after the sum of the partial sums; the sum starts from
// the output's old value where the loop did.
// CHECK-LABEL: func @mean_loss
// CHECK:         %[[PART:.*]] = linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%{{.*}} : tensor<f32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:           scf.for
// CHECK:             math.log
// CHECK:         linalg.generic {{.*}} iterator_types = []} ins(%{{.*}} : tensor<f32>) outs(%{{.*}} : tensor<f32>)
// CHECK:         ^bb0(%[[INIT:.*]]: f32, %{{.*}}: f32):
// CHECK:           %[[SUM:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %[[INIT]])
// CHECK:             tensor.extract %[[PART]]
// CHECK-NOT:         math.log
// CHECK:           %[[MEAN:.*]] = arith.mulf %[[SUM]], %{{.*}} : f32
// CHECK:           linalg.yield %[[MEAN]]
func.func @mean_loss(%p: tensor<?xf32>, %init: tensor<f32>, %scale: f32) -> tensor<f32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %p, %c0 : tensor<?xf32>
  %e = tensor.empty() : tensor<f32>
  %0 = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []} ins(%init : tensor<f32>) outs(%e : tensor<f32>) {
  ^bb0(%start: f32, %out: f32):
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %start) -> (f32) {
      %x = tensor.extract %p[%i] : tensor<?xf32>
      %l = math.log %x : f32
      %a = arith.addf %acc, %l : f32
      scf.yield %a : f32
    }
    %m = arith.mulf %s, %scale : f32
    linalg.yield %m : f32
  } -> tensor<f32>
  return %0 : tensor<f32>
}

// A long static loop is split too, in chunks known at compile time; with
// loops nested in it that only add, a chunk takes as many of its
// iterations as make about 32 terms: 8 of 1,000 iterations of 4 terms
// here, 125 chunks.
// CHECK-LABEL: func @static_and_nested
// CHECK:         %[[PART:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<125x6xf32>)
// CHECK:           %[[FIRST:.*]] = arith.muli %{{.*}}, %c8 : index
// CHECK:           scf.for %{{.*}} = %[[FIRST]] to
// CHECK:             scf.for %{{.*}} = %c0 to %c4
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<6xf32>)
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c125
// CHECK:             tensor.extract %[[PART]]
func.func @static_and_nested(%g: tensor<1000x6x4xf32>) -> tensor<6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c1000 = arith.constant 1000 : index
  %cst = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<6xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<6xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %i = %c0 to %c1000 step %c1 iter_args(%acc = %cst) -> (f32) {
      %t = scf.for %j = %c0 to %c4 step %c1 iter_args(%acc2 = %acc) -> (f32) {
        %x = tensor.extract %g[%i, %o, %j] : tensor<1000x6x4xf32>
        %a = arith.addf %acc2, %x : f32
        scf.yield %a : f32
      }
      scf.yield %t : f32
    }
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// The sum of 28 x 28 partial sums per output (what cnn-split-reductions
// leaves of conv1's bias gradient): a row of 28 terms per chunk.
// CHECK-LABEL: func @rows
// CHECK:         %[[PART:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<28x6xf32>)
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<6xf32>)
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c28
// CHECK:             tensor.extract %[[PART]]
func.func @rows(%p: tensor<6x28x28xf32>) -> tensor<6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c28 = arith.constant 28 : index
  %cst = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<6xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<6xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %i = %c0 to %c28 step %c1 iter_args(%acc = %cst) -> (f32) {
      %t = scf.for %j = %c0 to %c28 step %c1 iter_args(%acc2 = %acc) -> (f32) {
        %x = tensor.extract %p[%o, %i, %j] : tensor<6x28x28xf32>
        %a = arith.addf %acc2, %x : f32
        scf.yield %a : f32
      }
      scf.yield %t : f32
    }
    linalg.yield %s : f32
  } -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// Left as they are: a sum with enough outputs (2^16 by default), a short
// static loop, a loop that takes a maximum, and a loop that reads the
// output it writes.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT:     linalg.generic
func.func @left_alone(%g: tensor<?x65536xf32>, %h: tensor<64x10xf32>, %k: tensor<?x10xf32>)
    -> (tensor<65536xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %cst = arith.constant 0.000000e+00 : f32
  %n = tensor.dim %g, %c0 : tensor<?x65536xf32>
  %m = tensor.dim %k, %c0 : tensor<?x10xf32>
  %wide = tensor.empty() : tensor<65536xf32>
  %e = tensor.empty() : tensor<10xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%wide : tensor<65536xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %cst) -> (f32) {
      %x = tensor.extract %g[%i, %o] : tensor<?x65536xf32>
      %a = arith.addf %acc, %x : f32
      scf.yield %a : f32
    }
    linalg.yield %s : f32
  } -> tensor<65536xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<10xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %i = %c0 to %c64 step %c1 iter_args(%acc = %cst) -> (f32) {
      %x = tensor.extract %h[%i, %o] : tensor<64x10xf32>
      %a = arith.addf %acc, %x : f32
      scf.yield %a : f32
    }
    linalg.yield %s : f32
  } -> tensor<10xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<10xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %i = %c0 to %m step %c1 iter_args(%acc = %cst) -> (f32) {
      %x = tensor.extract %k[%i, %o] : tensor<?x10xf32>
      %a = arith.maximumf %acc, %x : f32
      scf.yield %a : f32
    }
    linalg.yield %s : f32
  } -> tensor<10xf32>
  %3 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%e : tensor<10xf32>) {
  ^bb0(%out: f32):
    %o = linalg.index 0 : index
    %s = scf.for %i = %c0 to %m step %c1 iter_args(%acc = %cst) -> (f32) {
      %x = tensor.extract %k[%i, %o] : tensor<?x10xf32>
      %y = arith.mulf %x, %out : f32
      %a = arith.addf %acc, %y : f32
      scf.yield %a : f32
    }
    linalg.yield %s : f32
  } -> tensor<10xf32>
  return %0, %1, %2, %3 : tensor<65536xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>
}

// A product over the batch with many outputs (min-threads lowered to 64
// here, against 128 outputs) is summed in 8 chunks of ceil(N / 8) images,
// every chunk's loop from 0 to that bound; an image past the batch reads
// image 0 with its left factor zero.
// PRODUCT-LABEL: func @weight_gradient
// PRODUCT-SAME:    (%[[X:.*]]: tensor<?x16xf32>, %[[G:.*]]: tensor<?x8xf32>)
// PRODUCT-DAG:     %[[C8:.*]] = arith.constant 8 : index
// PRODUCT-DAG:     %[[C7:.*]] = arith.constant 7 : index
// PRODUCT-DAG:     %[[N:.*]] = tensor.dim %[[X]], %c0
// PRODUCT:         %[[ROUNDED:.*]] = arith.addi %[[N]], %[[C7]] : index
// PRODUCT:         %[[CHUNK:.*]] = arith.divui %[[ROUNDED]], %c8{{(_[0-9]+)?}} : index
// PRODUCT:         %[[PART:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x16x8xf32>)
// PRODUCT:           %[[FIRST:.*]] = arith.muli %{{.*}}, %[[CHUNK]] : index
// PRODUCT:           scf.for %[[J:.*]] = %c0 to %[[CHUNK]] step
// PRODUCT:             %[[IMAGE:.*]] = arith.addi %[[FIRST]], %[[J]] : index
// PRODUCT:             %[[IN:.*]] = arith.cmpi ult, %[[IMAGE]], %[[N]] : index
// PRODUCT:             %[[READ:.*]] = arith.select %[[IN]], %[[IMAGE]], %{{.*}} : index
// PRODUCT:             %[[A:.*]] = tensor.extract %[[X]][%[[READ]], %{{.*}}]
// PRODUCT:             %[[B:.*]] = tensor.extract %[[G]][%[[READ]], %{{.*}}]
// PRODUCT:             %[[LEFT:.*]] = arith.select %[[IN]], %[[A]], %{{.*}} : f32
// PRODUCT:             arith.mulf %[[LEFT]], %[[B]] : f32
// PRODUCT:         linalg.generic {{.*}} outs(%{{.*}} : tensor<16x8xf32>)
// PRODUCT:           scf.for %{{.*}} = %{{.*}} to %[[C8]]
// PRODUCT:             tensor.extract %[[PART]]
// As many chunks as keep the partial sums within product-outputs: 5 of
// 128 outputs in 767, and none where 2 would not fit.
// FEWER-LABEL: func @weight_gradient
// FEWER-DAG:     %[[C5:.*]] = arith.constant 5 : index
// FEWER-DAG:     %[[C4:.*]] = arith.constant 4 : index
// FEWER:         %[[ROUNDED:.*]] = arith.addi %{{.*}}, %[[C4]] : index
// FEWER:         arith.divui %[[ROUNDED]], %c5{{(_[0-9]+)?}} : index
// FEWER:         linalg.generic {{.*}} outs(%{{.*}} : tensor<5x16x8xf32>)
// FEWER:         linalg.generic {{.*}} outs(%{{.*}} : tensor<16x8xf32>)
// FEWER:           scf.for %{{.*}} = %{{.*}} to %[[C5]]
// WHOLE-LABEL: func @weight_gradient
// WHOLE-COUNT-1: linalg.generic
// WHOLE-NOT:     linalg.generic
// With the default min-threads, 128 outputs are few: the product is split
// the same way, in batch-chunks (32) chunks of ceil(N / 32) images rather
// than in chunks of 32 images (a dynamic number of them, which could not
// be a dimension of the tiles' grid); at most batch-chunks.
// CHECK-LABEL: func @weight_gradient
// CHECK:         %[[PART:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<32x16x8xf32>)
// CHECK:           scf.for
// CHECK:             arith.cmpi ult
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<16x8xf32>)
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c32
// CHECK:             tensor.extract %[[PART]]
// FOUR-LABEL: func @weight_gradient
// FOUR:         linalg.generic {{.*}} outs(%{{.*}} : tensor<4x16x8xf32>)
func.func @weight_gradient(%x: tensor<?x16xf32>, %g: tensor<?x8xf32>) -> tensor<16x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cst = arith.constant 0.000000e+00 : f32
  %n = tensor.dim %x, %c0 : tensor<?x16xf32>
  %e = tensor.empty() : tensor<16x8xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<16x8xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = scf.for %k = %c0 to %n step %c1 iter_args(%acc = %cst) -> (f32) {
      %a = tensor.extract %x[%k, %i] : tensor<?x16xf32>
      %b = tensor.extract %g[%k, %j] : tensor<?x8xf32>
      %p = arith.mulf %a, %b : f32
      %s2 = arith.addf %acc, %p : f32
      scf.yield %s2 : f32
    }
    linalg.yield %s : f32
  } -> tensor<16x8xf32>
  return %0 : tensor<16x8xf32>
}

// A dense layer's forward at small batch: a static loop of 1,000 terms
// onto the batch's 64 outputs per image. At batch-hint images (128),
// min(product-chunks, product-outputs / (128 x 64), 1000 / min-chunk-terms)
// = 3 chunks of 334 terms, every chunk's loop from 0 to 334; the last
// chunk's two terms past the end read term 0 with the left factor zero.
// CHECK-LABEL: func @dense_forward
// CHECK-SAME:    (%[[X:.*]]: tensor<?x1000xf32>, %[[W:.*]]: tensor<1000x64xf32>)
// CHECK:         %[[PE:.*]] = tensor.empty(%{{.*}}) : tensor<3x?x64xf32>
// CHECK:         %[[PART:.*]] = linalg.generic {{.*}} outs(%[[PE]] : tensor<3x?x64xf32>)
// CHECK:           %[[FIRST:.*]] = arith.muli %{{.*}}, %c334 : index
// CHECK:           scf.for %[[J:.*]] = %c0 to %c334 step
// CHECK:             %[[TERM:.*]] = arith.addi %[[FIRST]], %[[J]] : index
// CHECK:             %[[IN:.*]] = arith.cmpi ult, %[[TERM]], %c1000 : index
// CHECK:             %[[READ:.*]] = arith.select %[[IN]], %[[TERM]], %{{.*}} : index
// CHECK:             %[[A:.*]] = tensor.extract %[[X]][%{{.*}}, %[[READ]]]
// CHECK:             %[[B:.*]] = tensor.extract %[[W]][%[[READ]], %{{.*}}]
// CHECK:             %[[LEFT:.*]] = arith.select %[[IN]], %[[A]], %{{.*}} : f32
// CHECK:             arith.mulf %[[LEFT]], %[[B]] : f32
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<?x64xf32>)
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c3
// CHECK:             tensor.extract %[[PART]]
// No partial sums within product-outputs, no split.
// WHOLE-LABEL: func @dense_forward
// WHOLE-COUNT-1: linalg.generic
// WHOLE-NOT:     linalg.generic
func.func @dense_forward(%x: tensor<?x1000xf32>, %w: tensor<1000x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %cst = arith.constant 0.000000e+00 : f32
  %n = tensor.dim %x, %c0 : tensor<?x1000xf32>
  %e = tensor.empty(%n) : tensor<?x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<?x64xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = scf.for %k = %c0 to %c1000 step %c1 iter_args(%acc = %cst) -> (f32) {
      %a = tensor.extract %x[%i, %k] : tensor<?x1000xf32>
      %b = tensor.extract %w[%k, %j] : tensor<1000x64xf32>
      %p = arith.mulf %a, %b : f32
      %s2 = arith.addf %acc, %p : f32
      scf.yield %s2 : f32
    }
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// 1,024 terms split evenly in 4 chunks of 256: no term past the end, no
// guard. 500 terms make one chunk of min-chunk-terms: left alone.
// CHECK-LABEL: func @dense_even_and_short
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<4x?x64xf32>)
// CHECK:           %[[FIRST:.*]] = arith.muli %{{.*}}, %c256 : index
// CHECK:           scf.for %[[J:.*]] = %c0 to %c256 step
// CHECK:             %[[TERM:.*]] = arith.addi %[[FIRST]], %[[J]] : index
// CHECK-NOT:         arith.select
// CHECK:             tensor.extract %{{.*}}[%{{.*}}, %[[TERM]]]
// CHECK-NOT:         arith.select
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<?x64xf32>)
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c4
// CHECK:         linalg.generic {{.*}} outs(%{{.*}} : tensor<?x64xf32>)
// CHECK-NOT:     linalg.generic
// WHOLE-LABEL: func @dense_even_and_short
func.func @dense_even_and_short(%x: tensor<?x1024xf32>, %w: tensor<1024x64xf32>,
                                %y: tensor<?x500xf32>, %v: tensor<500x64xf32>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c500 = arith.constant 500 : index
  %c1024 = arith.constant 1024 : index
  %cst = arith.constant 0.000000e+00 : f32
  %n = tensor.dim %x, %c0 : tensor<?x1024xf32>
  %e = tensor.empty(%n) : tensor<?x64xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<?x64xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = scf.for %k = %c0 to %c1024 step %c1 iter_args(%acc = %cst) -> (f32) {
      %a = tensor.extract %x[%i, %k] : tensor<?x1024xf32>
      %b = tensor.extract %w[%k, %j] : tensor<1024x64xf32>
      %p = arith.mulf %a, %b : f32
      %s2 = arith.addf %acc, %p : f32
      scf.yield %s2 : f32
    }
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<?x64xf32>) {
  ^bb0(%out: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %s = scf.for %k = %c0 to %c500 step %c1 iter_args(%acc = %cst) -> (f32) {
      %a = tensor.extract %y[%i, %k] : tensor<?x500xf32>
      %b = tensor.extract %v[%k, %j] : tensor<500x64xf32>
      %p = arith.mulf %a, %b : f32
      %s2 = arith.addf %acc, %p : f32
      scf.yield %s2 : f32
    }
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %0, %1 : tensor<?x64xf32>, tensor<?x64xf32>
}
