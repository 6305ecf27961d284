//===- Passes.td - passes on the cnn dialect ----------------*- tablegen -*-===//
//
// Passes that rewrite programs at the cnn level, before lowering: the ABI's
// entry points now; autodiff and fusion join them. Each is reachable from
// cnnc-opt under its flag and has one lit file named after that flag.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_TRANSFORMS_PASSES_TD
#define CNNC_COMPILER_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def PackParameters : Pass<"cnn-pack-parameters", "ModuleOp"> {
  let summary = "Pass a function's parameters as one flat f32 buffer";
  let description = [{
    A compiled model keeps all its parameters in one flat buffer (one
    allocation per instance, one checkpoint blob, one fused optimizer update
    over it). This pass rewrites every function with `cnn.param` arguments so
    that those arguments become a single `tensor<Nxf32> {cnn.params}` in the
    place of the first one, and each parameter a view of it:
    `tensor.extract_slice` then `tensor.expand_shape`. After bufferization
    these are `memref.subview`/`memref.expand_shape`: no copy.

    The layout (ParameterLayout.h) puts the parameters in argument order,
    each starting at a multiple of 16 elements (64 bytes) so vector loads of
    a parameter start aligned. The `.so` describes the same offsets.

    Before:
    ```mlir
    func.func @m(%x: tensor<?x1x28x28xf32> {cnn.input = "image"},
                 %w: tensor<6x1x5x5xf32> {cnn.param = "c1.weight"},
                 %b: tensor<6xf32> {cnn.param = "c1.bias"}) -> ...
    ```
    After:
    ```mlir
    func.func @m(%x: tensor<?x1x28x28xf32> {cnn.input = "image"},
                 %p: tensor<166xf32> {cnn.params}) -> ... {
      %0 = tensor.extract_slice %p[0] [150] [1] : tensor<166xf32> to tensor<150xf32>
      %w = tensor.expand_shape %0 [[0, 1, 2, 3]] output_shape [6, 1, 5, 5]
          : tensor<150xf32> into tensor<6x1x5x5xf32>
      %b = tensor.extract_slice %p[160] [6] [1] : tensor<166xf32> to tensor<6xf32>
    ```
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

#endif // CNNC_COMPILER_TRANSFORMS_PASSES_TD
