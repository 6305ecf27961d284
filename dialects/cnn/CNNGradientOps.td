//===- CNNGradientOps.td - backward and optimizer ops ------*- tablegen -*-===//
//
// What `cnn-differentiate` emits: one op per gradient rule of the forward
// layers, named `<layer>_backward[_<operand>]`, and the optimizer updates
// `cnn-build-train-step` applies to the flat parameter buffer. Every backward
// op takes the gradient of the forward result (`grad_output`) and what the
// rule needs of the forward pass (its input or its output), and yields the
// gradient with respect to one forward operand. Sizes a rule cannot recover
// from its operands (the input size of a strided convolution, whose output
// size rounds down) are attributes.
//
//===----------------------------------------------------------------------===//

#ifndef CNN_GRADIENT_OPS_TD
#define CNN_GRADIENT_OPS_TD

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

def CNN_Conv2DBackwardInputOp : CNN_ShapedOp<"conv2d_backward_input"> {
  let summary = "gradient of conv2d with respect to its input";
  let description = [{
    The transposed convolution of `grad_output` [N, F, OH, OW] with `weight`
    [F, C/groups, KH, KW]: `grad_input[n, c, h, w]` sums
    `grad_output[n, f, oh, ow] * weight[f, c, kh, kw]` over every tap that
    read `input[n, c, h, w]` in the forward convolution. The attributes are
    the forward op's; `input_size` is its input's [H, W]. With a connection
    table, unconnected kernels contribute nothing, as in the forward op.

    ```mlir
    %gx = cnn.conv2d_backward_input %gy, %w input_size [14, 14]
            : (tensor<?x16x10x10xf32>, tensor<16x6x5x5xf32>)
            -> tensor<?x6x14x14xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$grad_output,
    CNN_F32Tensor:$weight,
    DenseI64ArrayAttr:$input_size,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilation,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    OptionalAttr<CNN_ConnectionTableAttr>:$connections
  );
  let assemblyFormat = [{
    $grad_output `,` $weight `input_size` $input_size
    (`stride` $stride^)? (`padding` $padding^)? (`dilation` $dilation^)?
    (`groups` $groups^)? (`connections` $connections^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_Conv2DBackwardWeightOp : CNN_ShapedOp<"conv2d_backward_weight"> {
  let summary = "gradient of conv2d with respect to its weight";
  let description = [{
    `grad_weight[f, c, kh, kw]` sums `grad_output[n, f, oh, ow]` times the
    input element that tap (kh, kw) of output (oh, ow) read, over the batch
    and every output position. `kernel` is the weight's [KH, KW]; the other
    attributes are the forward op's. With a connection table, the entries of
    unconnected kernels are zero, so those weights never move.

    ```mlir
    %gw = cnn.conv2d_backward_weight %x, %gy kernel [5, 5]
            : (tensor<?x6x14x14xf32>, tensor<?x16x10x10xf32>)
            -> tensor<16x6x5x5xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$input,
    CNN_F32Tensor:$grad_output,
    DenseI64ArrayAttr:$kernel,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilation,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    OptionalAttr<CNN_ConnectionTableAttr>:$connections
  );
  let assemblyFormat = [{
    $input `,` $grad_output `kernel` $kernel
    (`stride` $stride^)? (`padding` $padding^)? (`dilation` $dilation^)?
    (`groups` $groups^)? (`connections` $connections^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_BiasBackwardOp : CNN_ShapedOp<"bias_backward"> {
  let summary = "gradient of a bias added along dimension 1";
  let description = [{
    Sums `grad_output` over every dimension but 1: the gradient of the bias
    of conv2d ([N, F, OH, OW] -> [F]), dense ([N, M] -> [M]) and
    subsample2d.

    ```mlir
    %gb = cnn.bias_backward %gy : tensor<?x6x28x28xf32> -> tensor<6xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$grad_output);
  let assemblyFormat = [{
    $grad_output attr-dict `:` type($grad_output) `->` type($output)
  }];
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def CNN_AvgPool2DBackwardOp : CNN_ShapedOp<"avg_pool2d_backward"> {
  let summary = "gradient of avg_pool2d";
  let description = [{
    Spreads each `grad_output` element evenly over the KH·KW elements of its
    window (padding included in the count, as the forward op averages);
    overlapping windows add up. `input_size` is the forward input's [H, W].

    ```mlir
    %gx = cnn.avg_pool2d_backward %gy kernel [2, 2] stride [2, 2]
            input_size [28, 28]
            : tensor<?x6x14x14xf32> -> tensor<?x6x28x28xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$grad_output,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding,
    DenseI64ArrayAttr:$input_size
  );
  let assemblyFormat = [{
    $grad_output `kernel` $kernel `stride` $stride (`padding` $padding^)?
    `input_size` $input_size attr-dict `:` type($grad_output) `->`
    type($output)
  }];
}

def CNN_MaxPool2DBackwardOp : CNN_ShapedOp<"max_pool2d_backward"> {
  let summary = "gradient of max_pool2d";
  let description = [{
    Routes each `grad_output` element to the element of `input` that won its
    window; on ties the first in row-major order wins, as in PyTorch.
    Overlapping windows add up.

    ```mlir
    %gx = cnn.max_pool2d_backward %gy, %x kernel [3, 3] stride [2, 2]
            : (tensor<?x96x27x27xf32>, tensor<?x96x55x55xf32>)
            -> tensor<?x96x55x55xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$grad_output,
    CNN_F32Tensor:$input,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding
  );
  let assemblyFormat = [{
    $grad_output `,` $input `kernel` $kernel `stride` $stride
    (`padding` $padding^)? attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_Subsample2DBackwardInputOp
    : CNN_ShapedOp<"subsample2d_backward_input"> {
  let summary = "gradient of subsample2d with respect to its input";
  let description = [{
    `avg_pool2d_backward` of `grad_output` scaled by `coefficient[c]`.

    ```mlir
    %gx = cnn.subsample2d_backward_input %gy, %coeff kernel [2, 2]
            stride [2, 2] input_size [28, 28]
            : (tensor<?x6x14x14xf32>, tensor<6xf32>) -> tensor<?x6x28x28xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$grad_output,
    CNN_F32Tensor:$coefficient,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride,
    DenseI64ArrayAttr:$input_size
  );
  let assemblyFormat = [{
    $grad_output `,` $coefficient `kernel` $kernel `stride` $stride
    `input_size` $input_size attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_Subsample2DBackwardCoefficientOp
    : CNN_ShapedOp<"subsample2d_backward_coefficient"> {
  let summary = "gradient of subsample2d with respect to its coefficient";
  let description = [{
    `grad_coefficient[c]` sums `grad_output[n, c, oh, ow]` times the average
    of the input window (oh, ow) of channel c.

    ```mlir
    %gc = cnn.subsample2d_backward_coefficient %gy, %x kernel [2, 2]
            stride [2, 2]
            : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>) -> tensor<6xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$grad_output,
    CNN_F32Tensor:$input,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride
  );
  let assemblyFormat = [{
    $grad_output `,` $input `kernel` $kernel `stride` $stride
    attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Element-wise, dense, reshaping
//===----------------------------------------------------------------------===//

def CNN_ActivationBackwardOp
    : CNN_ShapedOp<"activation_backward",
                   [AllTypesMatch<["grad_output", "output"]>]> {
  let summary = "gradient of an activation, from the forward output";
  let description = [{
    `grad_output * act'(x)`, with the derivative written in terms of the
    forward result `output` = act(x) so x need not be kept: tanh 1 - y²,
    scaled_tanh (2/3)(1.7159 - y²/1.7159), relu [y > 0], sigmoid y(1 - y).

    ```mlir
    %gx = cnn.activation_backward %gy, %y act tanh : tensor<?x84xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$grad_output, CNN_F32Tensor:$output,
                       CNN_ActivationEnum:$act);
  let assemblyFormat = [{
    $grad_output `,` $output `act` $act attr-dict `:` type($grad_output)
  }];
  // The result is named `grad_input`: ODS would otherwise generate two
  // accessors called getOutput.
  let results = (outs CNN_F32Tensor:$grad_input);
}

def CNN_DenseBackwardInputOp : CNN_ShapedOp<"dense_backward_input"> {
  let summary = "gradient of dense with respect to its input";
  let description = [{
    `grad_output` [N, M] · `weight` [M, K] -> [N, K].

    ```mlir
    %gx = cnn.dense_backward_input %gy, %w
            : (tensor<?x10xf32>, tensor<10x84xf32>) -> tensor<?x84xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$grad_output, CNN_F32Tensor:$weight);
  let assemblyFormat = [{
    $grad_output `,` $weight attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_DenseBackwardWeightOp : CNN_ShapedOp<"dense_backward_weight"> {
  let summary = "gradient of dense with respect to its weight";
  let description = [{
    `grad_output`ᵀ [M, N] · `input` [N, K] -> [M, K], summed over the batch.

    ```mlir
    %gw = cnn.dense_backward_weight %gy, %x
            : (tensor<?x10xf32>, tensor<?x84xf32>) -> tensor<10x84xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$grad_output, CNN_F32Tensor:$input);
  let assemblyFormat = [{
    $grad_output `,` $input attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_UnflattenOp : CNN_ShapedOp<"unflatten"> {
  let summary = "the inverse of flatten: [N, d1·...·dk] -> [N, d1, ..., dk]";
  let description = [{
    Row-major, so `unflatten(flatten(x))` is x; the gradient of flatten.

    ```mlir
    %g = cnn.unflatten %gy sizes [120, 1, 1]
           : tensor<?x120xf32> -> tensor<?x120x1x1xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$input, DenseI64ArrayAttr:$sizes);
  let assemblyFormat = [{
    $input `sizes` $sizes attr-dict `:` type($input) `->` type($output)
  }];
}

def CNN_ConcatBackwardOp : CNN_ShapedOp<"concat_backward"> {
  let summary = "gradient of concat with respect to one of its inputs";
  let description = [{
    The `size` slices of `grad_output` along `axis` starting at `offset`:
    the part of the joined result that the input produced. The rule emits
    one per input, each with the sizes of the inputs before it as `offset`.

    ```mlir
    %ga = cnn.concat_backward %gy axis 1 offset 6 size 10
            : tensor<?x16x14x14xf32> -> tensor<?x10x14x14xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$grad_output, I64Attr:$axis,
                       I64Attr:$offset, I64Attr:$size);
  let assemblyFormat = [{
    $grad_output `axis` $axis `offset` $offset `size` $size attr-dict `:`
    type($grad_output) `->` type($output)
  }];
}

def CNN_LocalResponseNormBackwardOp
    : CNN_ShapedOp<"local_response_norm_backward",
                   [AllTypesMatch<["grad_output", "input"]>]> {
  let summary = "gradient of local_response_norm";
  let description = [{
    With `s[c] = k + alpha/size · Σ a[c']²` over the window of c,
    `grad_input[c] = grad_output[c]·s[c]^-beta - 2·alpha·beta/size · a[c] ·
    Σ_{c' whose window holds c} grad_output[c']·a[c']·s[c']^(-beta-1)`.
    The attributes are the forward op's.

    ```mlir
    %gx = cnn.local_response_norm_backward %gy, %x size 5 alpha 1.0e-4
            beta 7.5e-01 k 2.0 : tensor<?x96x55x55xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$grad_output, CNN_F32Tensor:$input,
                       I64Attr:$size, F32Attr:$alpha, F32Attr:$beta,
                       F32Attr:$k);
  let assemblyFormat = [{
    $grad_output `,` $input `size` $size `alpha` $alpha `beta` $beta `k` $k
    attr-dict `:` type($input)
  }];
}

class CNN_SoftmaxLikeBackwardOp<string mnemonic, string formula>
    : CNN_ShapedOp<mnemonic, [AllTypesMatch<["grad_output", "output"]>]> {
  let summary = "gradient from the forward output: " # formula;
  let arguments = (ins CNN_F32Tensor:$grad_output, CNN_F32Tensor:$output,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let assemblyFormat = [{
    $grad_output `,` $output (`axis` $axis^)? attr-dict `:` type($output)
  }];
  let results = (outs CNN_F32Tensor:$grad_input);
}

def CNN_SoftmaxBackwardOp
    : CNN_SoftmaxLikeBackwardOp<"softmax_backward", "y · (g - Σ g·y)">;
def CNN_LogSoftmaxBackwardOp
    : CNN_SoftmaxLikeBackwardOp<"log_softmax_backward", "g - exp(y) · Σ g">;

//===----------------------------------------------------------------------===//
// Losses: the gradient of the mean loss, where the backward pass starts
//===----------------------------------------------------------------------===//

def CNN_CrossEntropyBackwardOp : CNN_ShapedOp<"cross_entropy_backward"> {
  let summary = "gradient of the mean cross-entropy with respect to logits";
  let description = [{
    `(softmax(logits) - onehot(labels)) / N`.

    ```mlir
    %g = cnn.cross_entropy_backward %logits, %labels
           : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$logits, CNN_LabelTensor:$labels);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_MSEBackwardOp : CNN_ShapedOp<"mse_backward"> {
  let summary = "gradient of the mean squared error w.r.t. the prediction";
  let description = [{
    `2 · (prediction - target) / number of elements`.

    ```mlir
    %g = cnn.mse_backward %y, %t
           : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$prediction, CNN_F32Tensor:$target);
  let assemblyFormat = [{
    $prediction `,` $target attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Optimizer updates over the flat parameter buffer
//===----------------------------------------------------------------------===//

def CNN_SGDUpdateOp
    : CNN_Op<"sgd_update", [Pure, AllTypesMatch<["param", "grad",
                                                 "new_param"]>]> {
  let summary = "one step of plain SGD (weight decay, no momentum)";
  let description = [{
    PyTorch's `torch.optim.SGD` step without momentum, element-wise:
    `param - lr · (grad + weight_decay · param)`.

    ```mlir
    %p = cnn.sgd_update %params, %grads, %lr : tensor<128xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$param,
    CNN_F32Tensor:$grad,
    F32:$lr,
    DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay
  );
  let results = (outs CNN_F32Tensor:$new_param);
  let assemblyFormat = [{
    $param `,` $grad `,` $lr (`weight_decay` $weight_decay^)? attr-dict `:`
    type($param)
  }];
}

def CNN_SGDMomentumUpdateOp
    : CNN_Op<"sgd_momentum_update",
             [Pure, AllTypesMatch<["param", "grad", "momentum_buffer",
                                   "new_param", "new_momentum_buffer"]>]> {
  let summary = "one step of SGD with momentum (optionally Nesterov)";
  let description = [{
    PyTorch's `torch.optim.SGD` step with momentum, element-wise:
    `g = grad + weight_decay·param`; `buf = g` at `step` 1 and
    `buf = momentum·buf + (1 - dampening)·g` after; `g = g + momentum·buf`
    (Nesterov) or `g = buf`; then `param - lr·g`. `step` counts from 1.

    ```mlir
    %p, %buf = cnn.sgd_momentum_update %params, %grads, %buf0, %lr, %step
                 momentum 9.0e-01 weight_decay 5.0e-04 : tensor<128xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$param,
    CNN_F32Tensor:$grad,
    CNN_F32Tensor:$momentum_buffer,
    F32:$lr,
    I64:$step,
    F32Attr:$momentum,
    DefaultValuedAttr<F32Attr, "0.0f">:$dampening,
    UnitAttr:$nesterov,
    DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay
  );
  let results = (outs CNN_F32Tensor:$new_param,
                      CNN_F32Tensor:$new_momentum_buffer);
  let assemblyFormat = [{
    $param `,` $grad `,` $momentum_buffer `,` $lr `,` $step
    `momentum` $momentum (`dampening` $dampening^)? (`nesterov` $nesterov^)?
    (`weight_decay` $weight_decay^)? attr-dict `:` type($param)
  }];
}

def CNN_AdamUpdateOp
    : CNN_Op<"adam_update",
             [Pure, AllTypesMatch<["param", "grad", "exp_avg", "exp_avg_sq",
                                   "new_param", "new_exp_avg",
                                   "new_exp_avg_sq"]>]> {
  let summary = "one step of Adam (bias-corrected, L2 weight decay)";
  let description = [{
    PyTorch's `torch.optim.Adam` step (not AdamW), element-wise:
    `g = grad + weight_decay·param`, `m = beta1·m + (1 - beta1)·g`,
    `v = beta2·v + (1 - beta2)·g²`, and
    `param - lr · (m / (1 - beta1^step)) / (sqrt(v / (1 - beta2^step)) + eps)`.
    `step` counts from 1.

    ```mlir
    %p, %m, %v = cnn.adam_update %params, %grads, %m0, %v0, %lr, %step
                   beta1 9.0e-01 beta2 9.990000e-01 eps 1.0e-08
                   : tensor<128xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$param,
    CNN_F32Tensor:$grad,
    CNN_F32Tensor:$exp_avg,
    CNN_F32Tensor:$exp_avg_sq,
    F32:$lr,
    I64:$step,
    F32Attr:$beta1,
    F32Attr:$beta2,
    F32Attr:$eps,
    DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay
  );
  let results = (outs CNN_F32Tensor:$new_param, CNN_F32Tensor:$new_exp_avg,
                      CNN_F32Tensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $lr `,` $step
    `beta1` $beta1 `beta2` $beta2 `eps` $eps
    (`weight_decay` $weight_decay^)? attr-dict `:` type($param)
  }];
}

//===----------------------------------------------------------------------===//
// Fused backward ops (produced by the fusion passes)
//===----------------------------------------------------------------------===//

def CNN_FusedPoolActBackwardOp
    : CNN_Op<"fused_pool_act_backward",
             [Pure, CNN_ShapeRulesFirst, InferTypeOpAdaptor]> {
  let summary = "the backward of a fused group's pool, activation and bias";
  let description = [{
    The element-wise half of the backward of a `fused_conv_act_pool` group,
    in one op so it can run as one pass over the activation map:
    `grad_input` is the gradient at the activation's input (the
    convolution's output), `pool`'s backward of `grad_output` (when a pool
    is given, as `avg_pool2d_backward` / `max_pool2d_backward` with the
    activation map `output` as the max pool's input) times act'(`output`),
    as `activation_backward` computes it; `grad_bias` is its sum over every
    dimension but 1, as `bias_backward` computes it. The convolution's
    weight and input gradients stay separate ops reading `grad_input`.

    ```mlir
    %gz, %gb = cnn.fused_pool_act_backward %gy, %y act tanh
                 pool avg kernel [2, 2] stride [2, 2]
                 : (tensor<?x6x14x14xf32>, tensor<?x6x28x28xf32>)
                 -> (tensor<?x6x28x28xf32>, tensor<6xf32>)
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$grad_output,
    CNN_F32Tensor:$output,
    CNN_ActivationEnum:$act,
    OptionalAttr<CNN_PoolKindEnum>:$pool,
    OptionalAttr<DenseI64ArrayAttr>:$pool_kernel,
    OptionalAttr<DenseI64ArrayAttr>:$pool_stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$pool_padding
  );
  let results = (outs CNN_F32Tensor:$grad_input, CNN_F32Tensor:$grad_bias);
  let extraClassDeclaration = [{
    /// Called by the ShapeRulesFirst trait: the rule that failed, or the
    /// written result type that differs from the inferred one.
    ::llvm::LogicalResult verifyShapeRules();
  }];
  let assemblyFormat = [{
    $grad_output `,` $output `act` $act
    (`pool` $pool^ `kernel` $pool_kernel `stride` $pool_stride)?
    (`pool_padding` $pool_padding^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

#endif // CNN_GRADIENT_OPS_TD
