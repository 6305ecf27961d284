//===- Passes.td - passes on the cnn dialect ----------------*- tablegen -*-===//
//
// Passes that rewrite programs at the cnn level, before lowering: the ABI's
// entry points, autodiff and fusion. Each is reachable from
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

    Results marked `cnn.grad = "<name>"` (cnn-differentiate's) become one
    flat `tensor<Nxf32> {cnn.grads}` in the same layout, zero in the padding.

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

def Differentiate : Pass<"cnn-differentiate", "ModuleOp"> {
  let summary = "Add the gradient function of each loss function";
  let description = [{
    For each function whose single result is marked `cnn.loss` (the front
    end's `@m_loss`), adds `@m_grad`: the same arguments, and as results the
    loss, the prediction the loss compared with the target (marked
    `cnn.prediction`, for accuracy), and the gradient of the mean loss with
    respect to each `cnn.param` argument, in argument order (marked
    `cnn.grad = "<name>"`).

    Reverse mode over the loss function's single block: each forward op's
    gradient rule (compiler/transforms/GradientRules.cpp) emits backward ops
    (`cnn.*_backward`), only for operands that lead to a parameter, and a
    value used twice gets the `cnn.add` of its gradients. Dropout's gradient
    is the same dropout (same seed, so the same mask) applied to the
    incoming gradient. Fused ops have no rule: differentiate before fusion.

    ```mlir
    func.func @m_loss(%x: tensor<?x4xf32> {cnn.input = "x"},
                      %w: tensor<3x4xf32> {cnn.param = "fc.weight"},
                      %t: tensor<?xi32> {cnn.input = "label"})
        -> (tensor<f32> {cnn.loss}) {
      %y = cnn.dense %x, %w : (tensor<?x4xf32>, tensor<3x4xf32>) -> tensor<?x3xf32>
      %l = cnn.cross_entropy %y, %t : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
      return %l : tensor<f32>
    }
    ```
    gains
    ```mlir
    func.func @m_grad(...) -> (tensor<f32> {cnn.loss},
        tensor<?x3xf32> {cnn.prediction},
        tensor<3x4xf32> {cnn.grad = "fc.weight"}) {
      ...
      %g = cnn.cross_entropy_backward %y, %t : ...
      %gw = cnn.dense_backward_weight %g, %x : ...
      return %l, %y, %gw : ...
    }
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect"];
}

def BuildTrainStep : Pass<"cnn-build-train-step", "ModuleOp"> {
  let summary = "Add the training step and evaluation entry points";
  let description = [{
    From each packed gradient function `@m_grad` (cnn-differentiate, then
    cnn-pack-parameters) builds `@m_train_step`: the gradient function's
    body followed by the optimizer update of the module's `cnn.train`
    settings (`cnn.sgd_update`, `cnn.sgd_momentum_update` or
    `cnn.adam_update`) over the flat parameter buffer. Its arguments are the
    gradient function's, then one flat buffer per optimizer state
    (`cnn.optimizer_state = "exp_avg"`...), the learning rate (f32, so the
    runtime applies schedules) and the step number counting from 1 (i64).
    It returns the loss, the prediction, the new parameters and the new
    state, and is marked `cnn.training` (its dropout is live).

    From each loss function `@m_loss` builds `@m_evaluate`, the same
    function also returning the prediction (marked `cnn.prediction`), so
    the runtime counts correct answers without a second forward pass.
  }];
}

def RemoveDropout : Pass<"cnn-remove-dropout", "mlir::func::FuncOp"> {
  let summary = "Make dropout the identity in functions not marked cnn.training";
  let description = [{
    Inference and evaluation see every unit: `cnn.dropout` is replaced by its
    input everywhere but in functions carrying the `cnn.training` attribute,
    whose dropout cnn-to-linalg lowers to its seeded mask.
  }];
}

def FuseConvActPool : Pass<"cnn-fuse-conv-act-pool", "mlir::func::FuncOp"> {
  let summary = "Fuse conv2d + bias + activation (+ pool) into one op";
  let description = [{
    Rewrites `cnn.conv2d` -> activation (`tanh`, `scaled_tanh`, `relu`,
    `sigmoid`) -> `cnn.avg_pool2d` / `cnn.max_pool2d`, where each
    intermediate value has that one use, into one `cnn.fused_conv_act_pool`
    carrying the convolution's attributes, the activation and the pool's
    window; a conv2d -> activation pair without a pool fuses too. Code
    generation then keeps conv rows in registers through the activation and
    the pooling (`cnn-fused-to-vector`), never writing the activation map.

    In the training step the backward pass reads the activation map (the
    activation's second use), so there the conv and activation fuse and the
    pool stays separate (cnn-fused-to-vector computes it in the fused op's
    loops); cnn-fuse-pool-act-backward then fuses the group's backward.
    `cnnc --no-fuse` leaves this pass out.

    Before:
    ```mlir
    %c = cnn.conv2d %x, %w, %b : ... -> tensor<?x6x28x28xf32>
    %t = cnn.tanh %c : tensor<?x6x28x28xf32>
    %p = cnn.avg_pool2d %t kernel [2, 2] stride [2, 2] : ...
    ```
    After:
    ```mlir
    %p = cnn.fused_conv_act_pool %x, %w, %b act tanh
           pool avg kernel [2, 2] stride [2, 2] : ... -> tensor<?x6x14x14xf32>
    ```
  }];
  let options = [
    Option<"fusePool", "fuse-pool", "bool", /*default=*/"true",
           "Fuse the pooling after the activation too (false: conv + "
           "activation only)">,
  ];
}

def FusePoolActBackward : Pass<"cnn-fuse-pool-act-backward",
                                "mlir::func::FuncOp"> {
  let summary = "Fuse the backward of a fused group's pool, activation and bias";
  let description = [{
    In the training step, the backward of a `cnn.fused_conv_act_pool` group
    (cnn-fuse-conv-act-pool's, so run after it) begins with three passes over
    the activation map: the pool's backward spreads the pooled gradient onto
    the map, `cnn.activation_backward` multiplies it by act'(map), and
    `cnn.bias_backward` sums it per channel. This pass rewrites them into one
    `cnn.fused_pool_act_backward`, which code generation
    (`cnn-fused-to-vector`) runs as one loop over the map: the pooled
    gradient is read once, the map once, and the gradient at the
    convolution's output written once, with the bias gradient summed on the
    way. The convolution's weight and input gradients keep reading that
    gradient.

    Matched: `cnn.activation_backward` of a fused op's activation map (with
    the fused op's activation), whose incoming gradient is, when it has no
    other use, an `avg_pool2d_backward` or a `max_pool2d_backward` over that
    map; its `cnn.bias_backward` users take the fused op's second result.
    `cnnc --no-fuse` leaves this pass out.

    Before:
    ```mlir
    %y = cnn.fused_conv_act_pool %x, %w, %b act tanh : ...
    ...
    %g = cnn.avg_pool2d_backward %gy kernel [2, 2] stride [2, 2]
           input_size [28, 28] : tensor<?x6x14x14xf32> -> tensor<?x6x28x28xf32>
    %gz = cnn.activation_backward %g, %y act tanh : tensor<?x6x28x28xf32>
    %gb = cnn.bias_backward %gz : tensor<?x6x28x28xf32> -> tensor<6xf32>
    ```
    After:
    ```mlir
    %gz, %gb = cnn.fused_pool_act_backward %gy, %y act tanh
                 pool avg kernel [2, 2] stride [2, 2]
                 : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>)
                 -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
    ```
  }];
}

def FuseDenseAct : Pass<"cnn-fuse-dense-act", "mlir::func::FuncOp"> {
  let summary = "Fuse dense + bias + activation into one op";
  let description = [{
    Rewrites an activation (`tanh`, `scaled_tanh`, `relu`, `sigmoid`) of a
    `cnn.dense` used only by it into one `cnn.fused_dense_act`. The CPU code
    (`cnn-fused-to-vector`) then applies the activation to each dot product
    in registers and stores the activated value: the dense layer's output
    is not written and read back for the activation. In the training step
    the fused op's result is the activation's, which the backward pass reads
    as before. `cnnc --no-fuse` leaves this pass out.

    Before:
    ```mlir
    %d = cnn.dense %x, %w, %b : ... -> tensor<?x84xf32>
    %y = cnn.tanh %d : tensor<?x84xf32>
    ```
    After:
    ```mlir
    %y = cnn.fused_dense_act %x, %w, %b act tanh : ... -> tensor<?x84xf32>
    ```
  }];
}

#endif // CNNC_COMPILER_TRANSFORMS_PASSES_TD
