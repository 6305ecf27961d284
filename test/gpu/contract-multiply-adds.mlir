// RUN: cnnc-opt %s -pass-pipeline='builtin.module(gpu.module(cnn-contract-multiply-adds))' | FileCheck %s

// cnn-contract-multiply-adds (ContractMultiplyAdds.cpp): the kernels'
// multiplies, adds and subtractions may be fused into fma; nothing else
// changes, and nothing outside the gpu.module.

// CHECK-LABEL: gpu.module @kernels
// CHECK-LABEL: gpu.func @multiply_add
// CHECK:         %[[P:.*]] = arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : f32
// CHECK:         %[[S:.*]] = arith.addf %{{.*}}, %[[P]] fastmath<contract> : f32
// CHECK:         %[[D:.*]] = arith.subf %[[S]], %{{.*}} fastmath<contract> : f32
// Flags already there stay, with contract added.
// CHECK:         %[[N:.*]] = arith.mulf %[[D]], %{{.*}} fastmath<nnan,contract> : f32
// A division keeps its own rounding.
// CHECK:         arith.divf %[[N]], %{{.*}} : f32
// CHECK-NOT:     fastmath
// CHECK:         gpu.return
// Host code is left alone.
// CHECK-LABEL: func.func @host
// CHECK:         arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT:    arith.addf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT:    return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @multiply_add(%out: memref<f32>, %a: f32, %b: f32, %c: f32) kernel {
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %c, %p : f32
      %d = arith.subf %s, %a : f32
      %n = arith.mulf %d, %b fastmath<nnan> : f32
      %q = arith.divf %n, %c : f32
      memref.store %q, %out[] : memref<f32>
      gpu.return
    }
  }
  func.func @host(%a: f32, %b: f32) -> f32 {
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %p, %b : f32
    return %s : f32
  }
}
