// RUN: cnnc-opt %s -cnn-merge-gpu-modules | FileCheck %s

// cnn-merge-gpu-modules (MergeGPUModules.cpp): two outlined kernels, both
// named @f_kernel in their own modules, end up in one module under their
// modules' names, and the launches follow them.
// CHECK-LABEL: func @f
// CHECK:         gpu.launch_func @cnnc_kernels::@f_kernel blocks
// CHECK:         gpu.launch_func @cnnc_kernels::@f_kernel_0 blocks
// CHECK:       gpu.module @cnnc_kernels
// CHECK:         gpu.func @f_kernel(
// CHECK:         gpu.func @f_kernel_0(
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @f(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
  gpu.module @f_kernel {
    gpu.func @f_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
}
