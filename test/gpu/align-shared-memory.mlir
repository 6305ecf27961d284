// RUN: cnnc-opt %s -pass-pipeline='builtin.module(gpu.module(cnn-align-shared-memory))' | FileCheck %s
// RUN: cnnc-opt %s -pass-pipeline='builtin.module(gpu.module(cnn-align-shared-memory),gpu.module(convert-gpu-to-nvvm))' | FileCheck %s --check-prefix=NVVM

// cnn-align-shared-memory (AlignSharedMemory.cpp): every workgroup
// attribution of every kernel is 16-byte aligned, and so is the global
// convert-gpu-to-nvvm makes of it; private attributions are left alone.

// CHECK-LABEL: gpu.func @tiles
// CHECK-SAME:    workgroup(%{{.*}}: memref<8x16x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}}: memref<8x1x6xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME:    private(%{{.*}}: memref<4x4xf32, #gpu.address_space<private>>)
// CHECK-LABEL: gpu.func @no_tiles
// CHECK-NOT:     llvm.align
// NVVM-DAG: llvm.mlir.global internal @__wg_tiles_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<512 x f32>
// NVVM-DAG: llvm.mlir.global internal @__wg_tiles_1() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<48 x f32>
gpu.module @kernels {
  gpu.func @tiles(%out: memref<2xf32>)
      workgroup(%lhs: memref<8x16x4xf32, #gpu.address_space<workgroup>>,
                %rhs: memref<8x1x6xf32, #gpu.address_space<workgroup>>)
      private(%sums: memref<4x4xf32, #gpu.address_space<private>>) kernel {
    %c0 = arith.constant 0 : index
    %a = memref.load %lhs[%c0, %c0, %c0] : memref<8x16x4xf32, #gpu.address_space<workgroup>>
    %b = memref.load %rhs[%c0, %c0, %c0] : memref<8x1x6xf32, #gpu.address_space<workgroup>>
    memref.store %a, %sums[%c0, %c0] : memref<4x4xf32, #gpu.address_space<private>>
    memref.store %b, %out[%c0] : memref<2xf32>
    gpu.return
  }
  gpu.func @no_tiles(%out: memref<2xf32>) kernel {
    gpu.return
  }
}
