//===- Passes.td - mapping the model onto CUDA kernels -------*- tablegen -*-===//
//
// The passes that take a model from linalg (the same program the CPU code
// starts from) to `gpu` kernels launched by host code. Upstream does most of
// it (convert-linalg-to-parallel-loops, gpu-map-parallel-loops,
// convert-parallel-loops-to-gpu, gpu-kernel-outlining, the NVVM lowering);
// these passes put the program into the shape those expect. Each has one lit
// file named after its flag under test/gpu.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_GPU_PASSES_TD
#define CNNC_COMPILER_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def PrepareForGPU : Pass<"cnn-prepare-for-gpu", "func::FuncOp"> {
  let summary = "Order loops parallel-first and build constants on the device";
  let description = [{
    Runs on linalg on tensors, before bufferization.

    - A `linalg.generic` whose reduction iterators come before parallel ones
      (the bias gradients: a sum over the batch, then over channels) is
      interchanged so that every parallel iterator comes first. Lowered to
      parallel loops, its parallel dimensions then become one kernel's
      threads, instead of a host loop that launches a kernel per image.
    - A splat tensor constant (the zero buffer the gradients are packed
      into) becomes `linalg.fill` of `tensor.empty`. Bufferized as a
      constant it would be a global in host memory, which kernels cannot
      read.

    Before:
    ```mlir
    %0 = linalg.generic {iterator_types = ["reduction", "parallel"]} ...
    ```
    After:
    ```mlir
    %0 = linalg.generic {iterator_types = ["parallel", "reduction"]} ...
    ```
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect"];
}

def SplitReductions : Pass<"cnn-split-reductions", "func::FuncOp"> {
  let summary = "Give sums with few outputs more threads through partial sums";
  let description = [{
    Runs on linalg on tensors, before cnn-prepare-for-gpu.

    A kernel has one thread per output element, so a sum with few outputs
    and a long reduction runs on few threads: the first convolution's bias
    gradient (6 channels, each a sum over N x 28 x 28) or its weight
    gradient (150 weights, each over N x 28 x 28). For a `linalg.generic`
    whose body accumulates with `arith.addf` and whose parallel iterations
    (all static) number fewer than `min-threads`, this pass makes static
    reduction dimensions parallel, innermost first, until there are enough
    threads or one reduction dimension is left: a first generic writes the
    partial sums into a new tensor, a second adds them onto the original
    output.

    Before (conv1's bias gradient):
    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction", "reduction",
                                      "reduction"]}
        ins(%g : tensor<?x6x28x28xf32>) outs(%zero : tensor<6xf32>)
    ```
    After:
    ```mlir
    %p = linalg.generic {iterator_types = ["parallel", "reduction",
                                           "parallel", "parallel"]}
        ins(%g : tensor<?x6x28x28xf32>) outs(%zeros : tensor<6x28x28xf32>)
    linalg.generic {iterator_types = ["parallel", "reduction", "reduction"]}
        ins(%p : tensor<6x28x28xf32>) outs(%zero : tensor<6xf32>)
    ```
    Sums are reassociated, so results change in their last bits.
  }];
  let options = [
    Option<"minThreads", "min-threads", "int64_t", /*default=*/"32768",
           "Parallel iterations below which a sum is split">,
  ];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "arith::ArithDialect"];
}

def MapLoopsToGPU : Pass<"cnn-map-loops-to-gpu", "func::FuncOp"> {
  let summary = "Turn every loop nest into one 1-D grid of thread blocks";
  let description = [{
    Runs on loops over buffers (after convert-linalg-to-parallel-loops),
    before gpu-map-parallel-loops and convert-parallel-loops-to-gpu.

    - Each top-level `scf.parallel` has its dimensions collapsed into one
      and is tiled by `block-size`: the outer loop becomes the grid, the
      inner one the threads of a block, one element each, guarded by an
      `scf.if` for the last partial block. Loads and stores of consecutive
      threads then touch consecutive addresses in the innermost dimension.
    - Code that touches memory outside any parallel loop (a full reduction
      such as the batch's mean loss, written as an `scf.for` with scalar
      loads and stores) would run on the host, on device pointers. It is
      wrapped into a one-iteration `scf.parallel`, so it becomes a kernel of
      one thread; scalar loads whose values the wrapped code or a parallel
      loop uses are cloned into it.

    Host code that is left only computes sizes and scalars from function
    arguments. The pass fails if it leaves a memory access behind.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = ["scf::SCFDialect", "arith::ArithDialect"];
}

def GPUDeviceMemory : Pass<"cnn-gpu-device-memory", "func::FuncOp"> {
  let summary = "Allocate, copy and free host-side buffers on the device";
  let description = [{
    Runs on host functions whose loops have become `gpu.launch`: every
    buffer they allocate is device memory, so `memref.alloc` becomes
    `gpu.alloc`, `memref.dealloc` `gpu.dealloc`, and a `memref.copy` between
    identity layouts `gpu.memcpy` (strided copies were loops already,
    cnn-copy-to-linalg). A `memref.get_global` of a constant (a connection
    table) is copied into a device buffer where it is read, and freed before
    each return.

    `gpu-async-region` then chains these operations and the launches on one
    stream, which the model's runtime supplies.
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}

def MergeGPUModules : Pass<"cnn-merge-gpu-modules", "ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    gpu-kernel-outlining gives each kernel a `gpu.module` of its own, and
    gpu-module-to-binary then runs `ptxas` and `fatbinary` once per module:
    221 times for LeNet-5's training step, 22 s. This pass moves every
    kernel into one module, `@cnnc_kernels`, naming each after the module
    it came from (those names are unique; the kernels' are not), and points
    each `gpu.launch_func` at its new place. The runtime then also loads a
    single CUDA module per model instance.
  }];
  let dependentDialects = ["gpu::GPUDialect"];
}

#endif // CNNC_COMPILER_GPU_PASSES_TD
