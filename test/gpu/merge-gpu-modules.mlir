// RUN: cnnc-opt %s -cnn-merge-gpu-modules | FileCheck %s

// cnn-merge-gpu-modules (MergeGPUModules.cpp): outlined kernels, each
// named @f_kernel in its own module, end up in one module, named after the
// function that launches them, their place among its launches and the
// statements their ops' locations name (in source order, a call inside a
// statement named after the statement, at most three, constants left out),
// and the launches follow them.
// CHECK-LABEL: func @f
// CHECK:         gpu.launch_func @cnnc_kernels::@f_k0 blocks
// CHECK:         gpu.launch_func @cnnc_kernels::@f_k1_c1_s2 blocks
// CHECK:         gpu.launch_func @cnnc_kernels::@f_k2_c1_grad_c1 blocks
// CHECK:         gpu.launch_func @cnnc_kernels::@f_k3_a_b_c_etc blocks
// CHECK-LABEL: func @g
// CHECK:         gpu.launch_func @cnnc_kernels::@g_k0_c1 blocks
// CHECK:       gpu.module @cnnc_kernels
// CHECK:         gpu.func @f_k0(
// CHECK:         gpu.func @f_k1_c1_s2(
// CHECK:         gpu.func @f_k2_c1_grad_c1(
// CHECK:         gpu.func @f_k3_a_b_c_etc(
// CHECK:         gpu.func @g_k0_c1(
// CHECK-NOT:   gpu.module
#c1 = loc("c1"("m.mdl":3:8))
#s2 = loc("s2"("m.mdl":4:8))
#s2tanh = loc("s2.tanh"("m.mdl":4:19))
#c1grad = loc("c1.grad"("m.mdl":3:8))
module attributes {gpu.container_module} {
  func.func @f(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @f_kernel_1::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @f_kernel_2::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
  func.func @g(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @g_kernel::@g_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
  // No names: the function and the place alone.
  gpu.module @f_kernel {
    gpu.func @f_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  // s2's tanh fused with c1 (reached first in the body, second in the
  // source); a constant of s2's pool does not count.
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%arg0: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index loc(#s2)
      %v = memref.load %arg0[%c0] : memref<4xf32> loc(#s2tanh)
      %t = math.tanh %v : f32 loc(#s2tanh)
      %w = arith.addf %t, %v : f32 loc(fused[#c1, #s2tanh])
      memref.store %w, %arg0[%c0] : memref<4xf32> loc(#c1)
      gpu.return
    }
  }
  // A gradient that reads its forward's padding.
  gpu.module @f_kernel_1 {
    gpu.func @f_kernel(%arg0: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %arg0[%c0] : memref<4xf32> loc(#c1grad)
      memref.store %v, %arg0[%c0] : memref<4xf32> loc(#c1)
      gpu.return
    }
  }
  // More than three statements.
  gpu.module @f_kernel_2 {
    gpu.func @f_kernel(%arg0: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %a = memref.load %arg0[%c0] : memref<4xf32> loc("a"("m.mdl":5:1))
      %b = arith.addf %a, %a : f32 loc("b"("m.mdl":6:1))
      %c = arith.addf %b, %a : f32 loc("c"("m.mdl":7:1))
      memref.store %c, %arg0[%c0] : memref<4xf32> loc("d"("m.mdl":8:1))
      gpu.return
    }
  }
  gpu.module @g_kernel {
    gpu.func @g_kernel(%arg0: memref<4xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = memref.load %arg0[%c0] : memref<4xf32> loc(#c1)
      gpu.return
    }
  }
}
