// RUN: cnnc-opt %s -split-input-file -cnn-to-linalg | FileCheck %s
// RUN: cnnc-opt %s -split-input-file -cnnc-cpu-to-llvm \
// RUN:   | FileCheck %s --check-prefix=LLVM

// The optimizer updates (OptimizersToLinalg.cpp): one element-wise generic
// per update over the flat buffers, yielding every new tensor; scalars that
// depend only on the step are computed once outside it. Numbers:
// LoweringTrainingNumericsTest.cpp.

// Tests sgd_update: one element-wise generic, param - lr·(grad + wd·param),
// with the learning rate read as a scalar operand.
// CHECK-LABEL: func @sgd_update
// CHECK-SAME:    (%[[P:[a-z0-9_]+]]: tensor<128xf32>, %[[G:[a-z0-9_]+]]: tensor<128xf32>, %[[LR:[a-z0-9_]+]]: f32)
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[P]], %[[G]] : tensor<128xf32>, tensor<128xf32>) outs(%{{.*}} : tensor<128xf32>)
// CHECK:         ^bb0(%[[PE:[a-z0-9_]+]]: f32, %[[GE:[a-z0-9_]+]]: f32, %{{.*}}: f32):
// CHECK:           %[[WD:.*]] = arith.constant 5.000000e-04 : f32
// CHECK:           %[[D:.*]] = arith.mulf %[[PE]], %[[WD]] : f32
// CHECK:           %[[GD:.*]] = arith.addf %[[GE]], %[[D]] : f32
// CHECK:           %[[STEP:.*]] = arith.mulf %[[LR]], %[[GD]] : f32
// CHECK:           arith.subf %[[PE]], %[[STEP]] : f32
// LLVM-LABEL:  llvm.func @sgd_update
func.func @sgd_update(%p: tensor<128xf32>, %g: tensor<128xf32>, %lr: f32) -> tensor<128xf32> {
  %0 = cnn.sgd_update %p, %g, %lr weight_decay 5.0e-4 : tensor<128xf32>
  return %0 : tensor<128xf32>
}

// -----

// Tests that without weight decay the term is left out (as PyTorch does), on
// a dynamically sized buffer.
// CHECK-LABEL: func @sgd_update_no_decay
// CHECK:         tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK:         linalg.generic
// CHECK-NOT:       arith.addf
// CHECK:           arith.mulf
// CHECK-NEXT:      arith.subf
// LLVM-LABEL:  llvm.func @sgd_update_no_decay
func.func @sgd_update_no_decay(%p: tensor<?xf32>, %g: tensor<?xf32>, %lr: f32) -> tensor<?xf32> {
  %0 = cnn.sgd_update %p, %g, %lr : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Tests Nesterov momentum: "step == 1" is one scalar compare outside the
// loop; the generic yields the new parameter and the new buffer, which is g
// itself at step 1 (arith.select on that scalar).
// CHECK-LABEL: func @sgd_momentum_update
// CHECK:         %[[ONE:.*]] = arith.constant 1 : i64
// CHECK:         %[[FIRST:.*]] = arith.cmpi eq, %arg4, %[[ONE]] : i64
// CHECK:         %{{.*}}:2 = linalg.generic {{.*}} ins(%arg0, %arg1, %arg2 : tensor<128xf32>, tensor<128xf32>, tensor<128xf32>) outs(%{{.*}}, %{{.*}} : tensor<128xf32>, tensor<128xf32>)
// CHECK:         ^bb0(%[[PE:[a-z0-9_]+]]: f32, %[[GE:[a-z0-9_]+]]: f32, %[[BE:[a-z0-9_]+]]: f32,
// CHECK:           %[[MU:.*]] = arith.constant 0.899999976 : f32
// CHECK:           %[[BUF:.*]] = arith.select %[[FIRST]], %[[GE]], %{{.*}} : f32
// CHECK:           %[[MB:.*]] = arith.mulf %[[BUF]], %[[MU]] : f32
// CHECK:           %[[DIR:.*]] = arith.addf %[[GE]], %[[MB]] : f32
// CHECK:           %[[STEP:.*]] = arith.mulf %arg3, %[[DIR]] : f32
// CHECK:           %[[NEW:.*]] = arith.subf %[[PE]], %[[STEP]] : f32
// CHECK:           linalg.yield %[[NEW]], %[[BUF]] : f32, f32
// LLVM-LABEL:  llvm.func @sgd_momentum_update
func.func @sgd_momentum_update(%p: tensor<128xf32>, %g: tensor<128xf32>, %b: tensor<128xf32>, %lr: f32, %step: i64) -> (tensor<128xf32>, tensor<128xf32>) {
  %0:2 = cnn.sgd_momentum_update %p, %g, %b, %lr, %step momentum 0.9 nesterov : tensor<128xf32>
  return %0#0, %0#1 : tensor<128xf32>, tensor<128xf32>
}

// -----

// Tests Adam: the bias corrections 1 - beta^step are computed once, in f64
// from the i64 step, and only the step size lr/bc1 and sqrt(bc2) are rounded
// to f32; one generic yields the parameter and both moments.
// CHECK-LABEL: func @adam_update
// CHECK:         %[[T:.*]] = arith.sitofp %arg5 : i64 to f64
// CHECK:         %[[LR:.*]] = arith.extf %arg4 : f32 to f64
// CHECK:         %[[B1T:.*]] = math.powf %{{.*}}, %[[T]] : f64
// CHECK:         %[[BC1:.*]] = arith.subf %{{.*}}, %[[B1T]] : f64
// CHECK:         %[[SS64:.*]] = arith.divf %[[LR]], %[[BC1]] : f64
// CHECK:         %[[SS:.*]] = arith.truncf %[[SS64]] : f64 to f32
// CHECK:         %[[B2T:.*]] = math.powf %{{.*}}, %[[T]] : f64
// CHECK:         %[[BC2:.*]] = arith.subf %{{.*}}, %[[B2T]] : f64
// CHECK:         %[[SQ64:.*]] = math.sqrt %[[BC2]] : f64
// CHECK:         %[[SQ:.*]] = arith.truncf %[[SQ64]] : f64 to f32
// CHECK:         %{{.*}}:3 = linalg.generic {{.*}} ins(%arg0, %arg1, %arg2, %arg3 : {{.*}}) outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<128xf32>, tensor<128xf32>, tensor<128xf32>)
// CHECK:           %[[M:.*]] = arith.addf
// CHECK:           %[[V:.*]] = arith.addf
// CHECK:           %[[R:.*]] = math.sqrt %[[V]] : f32
// CHECK:           %[[RC:.*]] = arith.divf %[[R]], %[[SQ]] : f32
// CHECK:           %[[DEN:.*]] = arith.addf %[[RC]], %{{.*}} : f32
// CHECK:           %[[NUM:.*]] = arith.mulf %[[SS]], %[[M]] : f32
// CHECK:           %[[UPD:.*]] = arith.divf %[[NUM]], %[[DEN]] : f32
// CHECK:           %[[NEW:.*]] = arith.subf %{{.*}}, %[[UPD]] : f32
// CHECK:           linalg.yield %[[NEW]], %[[M]], %[[V]] : f32, f32, f32
// LLVM-LABEL:  llvm.func @adam_update
func.func @adam_update(%p: tensor<128xf32>, %g: tensor<128xf32>, %m: tensor<128xf32>, %v: tensor<128xf32>, %lr: f32, %step: i64) -> (tensor<128xf32>, tensor<128xf32>, tensor<128xf32>) {
  %0:3 = cnn.adam_update %p, %g, %m, %v, %lr, %step beta1 0.9 beta2 0.999 eps 1.0e-8 : tensor<128xf32>
  return %0#0, %0#1, %0#2 : tensor<128xf32>, tensor<128xf32>, tensor<128xf32>
}
