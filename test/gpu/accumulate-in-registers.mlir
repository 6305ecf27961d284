// RUN: cnnc-opt %s -split-input-file -cnn-accumulate-in-registers | FileCheck %s

// cnn-accumulate-in-registers (AccumulateInRegisters.cpp): a matrix product
// into a bias broadcast becomes a generic over the output alone; the sum runs
// in an scf.for whose iteration argument starts at the old output's element,
// now an input, and the operands are read with tensor.extract.
// CHECK-DAG:   #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func @matmul
// CHECK-SAME:    (%[[X:.*]]: tensor<?x120xf32>, %[[W:.*]]: tensor<84x120xf32>, %[[B:.*]]: tensor<?x84xf32>)
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C120:.*]] = arith.constant 120 : index
// CHECK:         %[[EMPTY:.*]] = tensor.empty(%{{.*}}) : tensor<?x84xf32>
// CHECK:         linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:        ins(%[[B]] : tensor<?x84xf32>) outs(%[[EMPTY]] : tensor<?x84xf32>)
// CHECK-NEXT:    ^bb0(%[[INIT:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG:       %[[I:.*]] = linalg.index 0 : index
// CHECK-DAG:       %[[J:.*]] = linalg.index 1 : index
// CHECK:           %[[SUM:.*]] = scf.for %[[K:.*]] = %[[C0]] to %[[C120]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK-DAG:         %[[A:.*]] = tensor.extract %[[X]][%[[I]], %[[K]]]
// CHECK-DAG:         %[[V:.*]] = tensor.extract %[[W]][%[[J]], %[[K]]]
// CHECK:             %[[P:.*]] = arith.mulf %[[A]], %[[V]]
// CHECK:             %[[S:.*]] = arith.addf %[[ACC]], %[[P]]
// CHECK:             scf.yield %[[S]] : f32
// CHECK:           linalg.yield %[[SUM]] : f32
func.func @matmul(%x: tensor<?x120xf32>, %w: tensor<84x120xf32>, %b: tensor<?x84xf32>) -> tensor<?x84xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>, affine_map<(i, j, k) -> (j, k)>, affine_map<(i, j, k) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x, %w : tensor<?x120xf32>, tensor<84x120xf32>) outs(%b : tensor<?x84xf32>) {
  ^bb0(%a: f32, %v: f32, %acc: f32):
    %p = arith.mulf %a, %v : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x84xf32>
  return %0 : tensor<?x84xf32>
}

// -----

// A window's input index is computed from the output's and the loops'
// (affine.apply); the reduction loops nest in their order, and a linalg.index
// of a reduction dimension is that loop's induction variable. A batch sum
// runs to the dynamic batch size.
// CHECK-DAG:   #[[SHIFT:.*]] = affine_map<(d0, d1, d2) -> (d0 * 2 + d2)>
// CHECK-LABEL: func @window
// CHECK-SAME:    (%[[IN:.*]]: tensor<?x8xf32>, %[[WIN:.*]]: tensor<2xf32>, %[[INIT:.*]]: tensor<3xf32>)
// CHECK:         %[[N:.*]] = tensor.dim %[[IN]], %{{.*}} : tensor<?x8xf32>
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel"]}
// CHECK:           %[[O:.*]] = linalg.index 0 : index
// CHECK:           scf.for %[[B:.*]] = %{{.*}} to %[[N]]
// CHECK:             scf.for %[[K:.*]] = %{{.*}} to %{{.*}}
// CHECK:               %[[AT:.*]] = affine.apply #[[SHIFT]](%[[O]], %[[B]], %[[K]])
// CHECK:               %[[V:.*]] = tensor.extract %[[IN]][%[[B]], %[[AT]]]
// CHECK:               %[[KF:.*]] = arith.index_cast %[[K]]
func.func @window(%in: tensor<?x8xf32>, %win: tensor<2xf32>, %init: tensor<3xf32>) -> tensor<3xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(o, b, k) -> (b, o * 2 + k)>, affine_map<(o, b, k) -> (k)>, affine_map<(o, b, k) -> (o)>], iterator_types = ["parallel", "reduction", "reduction"]} ins(%in, %win : tensor<?x8xf32>, tensor<2xf32>) outs(%init : tensor<3xf32>) {
  ^bb0(%x: f32, %unused: f32, %acc: f32):
    %k = linalg.index 2 : index
    %ki = arith.index_cast %k : index to i32
    %kf = arith.sitofp %ki : i32 to f32
    %p = arith.mulf %x, %kf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// A sum to a scalar (the batch's mean loss) has no parallel iterator: it
// becomes a generic without loops whose body sums in an scf.for, so the fill
// it starts from and the scaling after it can fuse into its one-thread
// kernel. An element-wise generic is left as it is.
// CHECK-LABEL: func @total
// CHECK-SAME:    (%[[IN:.*]]: tensor<?xf32>, %[[INIT:.*]]: tensor<f32>)
// CHECK:         linalg.generic {{.*}} iterator_types = []}
// CHECK-SAME:        ins(%[[INIT]] : tensor<f32>)
// CHECK:           scf.for
// CHECK:             tensor.extract %[[IN]]
// CHECK-LABEL: func @elementwise
// CHECK:         iterator_types = ["parallel"]
// CHECK-NOT:     scf.for
func.func @total(%in: tensor<?xf32>, %init: tensor<f32>) -> tensor<f32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(b) -> (b)>, affine_map<(b) -> ()>], iterator_types = ["reduction"]} ins(%in : tensor<?xf32>) outs(%init : tensor<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %0 : tensor<f32>
}
func.func @elementwise(%in: tensor<?xf32>) -> tensor<?xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(b) -> (b)>, affine_map<(b) -> (b)>], iterator_types = ["parallel"]} ins(%in : tensor<?xf32>) outs(%in : tensor<?xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Two outputs (a maximum and its position) are carried side by side.
// CHECK-LABEL: func @max_and_position
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel"]}
// CHECK-SAME:        ins(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xi32>)
// CHECK:           %{{.*}}:2 = scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (f32, i32)
// CHECK:           linalg.yield %{{.*}}#0, %{{.*}}#1 : f32, i32
func.func @max_and_position(%in: tensor<4x9xf32>, %m: tensor<4xf32>, %p: tensor<4xi32>) -> (tensor<4xf32>, tensor<4xi32>) {
  %0:2 = linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (r)>, affine_map<(r, c) -> (r)>], iterator_types = ["parallel", "reduction"]} ins(%in : tensor<4x9xf32>) outs(%m, %p : tensor<4xf32>, tensor<4xi32>) {
  ^bb0(%x: f32, %best: f32, %at: i32):
    %c = linalg.index 1 : index
    %ci = arith.index_cast %c : index to i32
    %gt = arith.cmpf ogt, %x, %best : f32
    %nb = arith.select %gt, %x, %best : f32
    %na = arith.select %gt, %ci, %at : i32
    linalg.yield %nb, %na : f32, i32
  } -> (tensor<4xf32>, tensor<4xi32>)
  return %0#0, %0#1 : tensor<4xf32>, tensor<4xi32>
}
