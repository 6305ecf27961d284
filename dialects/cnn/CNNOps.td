//===- CNNOps.td - cnn dialect operations ------------------*- tablegen -*-===//
//
// Every layer LeNet-5 and AlexNet need, their losses, and the fused
// conv + activation + pool op that the fusion pass produces. Shape rules live
// in ShapeInference.cpp so the front end can apply the same rules to model
// source; the ops call them to infer and to verify their result types.
//
//===----------------------------------------------------------------------===//

#ifndef CNN_OPS_TD
#define CNN_OPS_TD

include "dialects/cnn/CNNDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

def CNN_F32Tensor : RankedTensorOf<[F32]>;
def CNN_LabelTensor : RankedTensorOf<[I32]>;

/// A 2-D boolean table [output maps, input maps]: entry (o, i) says whether
/// output map o reads input map i (LeNet-5's C3 layer).
def CNN_ConnectionTableAttr : SignlessIntElementsAttr<1>;

/// Verifies the op's shape rules before InferTypeOpInterface compares the
/// inferred result type with the written one, so a user reads the rule that
/// failed ("input has 3 channels but weight expects 1") and nothing else.
def CNN_ShapeRulesFirst : NativeOpTrait<"ShapeRulesFirst"> {
  let cppNamespace = "::mlir::cnn::OpTrait";
}

class CNN_Op<string mnemonic, list<Trait> traits = []>
    : Op<CNN_Dialect, mnemonic, traits>;

/// An op whose single float32 result type is computed by `inferShape`, which
/// applies the op's rules to operand shapes and attributes.
class CNN_ShapedOp<string mnemonic, list<Trait> traits = []>
    : CNN_Op<mnemonic,
             !listconcat([Pure, CNN_ShapeRulesFirst, InferTypeOpAdaptor],
                         traits)> {
  let results = (outs CNN_F32Tensor:$output);
  let extraClassDeclaration = [{
    /// Applies this op's shape rules to `adaptor`; the error names the
    /// operand or attribute at fault and the numbers involved.
    static ::llvm::Expected<::mlir::cnn::Shape> inferShape(Adaptor adaptor);

    /// Called by the ShapeRulesFirst trait.
    ::llvm::LogicalResult verifyShapeRules() {
      return ::mlir::cnn::detail::verifyShapeRules(getOperation(),
                                                   inferShape(Adaptor(*this)));
    }
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *context, std::optional<::mlir::Location> location,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::mlir::cnn::detail::inferF32Result(
          context, location, getOperationName(),
          ::mlir::cnn::detail::inferShapeWithDefaults<$cppClass>(
              context, location, adaptor),
          types);
    }
  }];
}

/// An element-wise activation: same shape and type in and out. (Not
/// SameOperandsAndResultType: ODS would then generate a second
/// inferReturnTypes next to InferTypeOpAdaptor's.)
class CNN_ActivationOp<string mnemonic, string formula>
    : CNN_ShapedOp<mnemonic> {
  let summary = "element-wise " # formula;
  let arguments = (ins CNN_F32Tensor:$input);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

def CNN_Conv2DOp : CNN_ShapedOp<"conv2d"> {
  let summary = "2-D convolution over NCHW, with an optional connection table";
  let description = [{
    Cross-correlates `input` [N, C, H, W] with `weight` [F, C/groups, KH, KW]
    and adds `bias` [F] when given, as PyTorch's `Conv2d` does. `padding` is
    symmetric zero padding [ph, pw]; `dilation` spaces the kernel taps.

    `connections` is a boolean table [F, C]: output map `f` reads input map
    `c` only where the entry is true. This is the 1998 LeNet-5 C3 layer, whose
    16 maps each read a subset of S2's 6 maps. With a table, `weight` is the
    full [F, C, KH, KW] tensor and unconnected kernels are treated as zero;
    `groups` must then be 1.

    ```mlir
    %y = cnn.conv2d %x, %w, %b stride [1, 1] padding [2, 2]
           : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
           -> tensor<?x6x28x28xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$input,
    CNN_F32Tensor:$weight,
    Optional<CNN_F32Tensor>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilation,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    OptionalAttr<CNN_ConnectionTableAttr>:$connections
  );
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)?
    (`stride` $stride^)? (`padding` $padding^)? (`dilation` $dilation^)?
    (`groups` $groups^)? (`connections` $connections^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

class CNN_Pool2DOp<string mnemonic, string reduction>
    : CNN_ShapedOp<mnemonic> {
  let summary = "2-D " # reduction # " pooling over NCHW";
  let arguments = (ins
    CNN_F32Tensor:$input,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding
  );
  let assemblyFormat = [{
    $input `kernel` $kernel `stride` $stride (`padding` $padding^)?
    attr-dict `:` type($input) `->` type($output)
  }];
}

def CNN_AvgPool2DOp : CNN_Pool2DOp<"avg_pool2d", "average"> {
  let description = [{
    Averages each `kernel` window of `input` [N, C, H, W], moving by
    `stride`. Windows may overlap (stride < kernel). Zero `padding` [ph, pw]
    counts in the average, as in PyTorch's default `count_include_pad`; the
    output size rounds down.

    ```mlir
    %y = cnn.avg_pool2d %x kernel [2, 2] stride [2, 2]
           : tensor<?x6x28x28xf32> -> tensor<?x6x14x14xf32>
    ```
  }];
}

def CNN_MaxPool2DOp : CNN_Pool2DOp<"max_pool2d", "max"> {
  let description = [{
    Takes the maximum of each `kernel` window of `input` [N, C, H, W], moving
    by `stride`; AlexNet's overlapping pools are kernel 3, stride 2. Padding
    [ph, pw] is -infinity, so it never wins; the output size rounds down.

    ```mlir
    %y = cnn.max_pool2d %x kernel [3, 3] stride [2, 2]
           : tensor<?x96x55x55xf32> -> tensor<?x96x27x27xf32>
    ```
  }];
}

def CNN_Subsample2DOp : CNN_ShapedOp<"subsample2d"> {
  let summary = "LeNet-5's trainable subsampling: average × coefficient + bias";
  let description = [{
    The S2/S4 layers of the 1998 LeNet-5: each `kernel` window of channel `c`
    is averaged, multiplied by the trainable `coefficient[c]` and shifted by
    `bias[c]`. Windows move by `stride`; there is no padding.

    ```mlir
    %y = cnn.subsample2d %x, %coeff, %bias kernel [2, 2] stride [2, 2]
           : (tensor<?x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>)
           -> tensor<?x6x14x14xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$input,
    CNN_F32Tensor:$coefficient,
    CNN_F32Tensor:$bias,
    DenseI64ArrayAttr:$kernel,
    DenseI64ArrayAttr:$stride
  );
  let assemblyFormat = [{
    $input `,` $coefficient `,` $bias `kernel` $kernel `stride` $stride
    attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

def CNN_TanhOp : CNN_ActivationOp<"tanh", "tanh(x)">;

def CNN_ScaledTanhOp : CNN_ActivationOp<"scaled_tanh", "1.7159·tanh(2x/3)"> {
  let description = [{
    LeCun's scaled hyperbolic tangent from the 1998 LeNet-5 paper,
    `1.7159 * tanh(2/3 * x)`, chosen so that f(±1) = ±1.
  }];
}

def CNN_ReluOp : CNN_ActivationOp<"relu", "max(x, 0)">;

def CNN_SigmoidOp : CNN_ActivationOp<"sigmoid", "1 / (1 + exp(-x))">;

//===----------------------------------------------------------------------===//
// Dense layers and reshaping
//===----------------------------------------------------------------------===//

def CNN_DenseOp : CNN_ShapedOp<"dense"> {
  let summary = "fully connected layer: x · weightᵀ + bias";
  let description = [{
    `input` [N, K], `weight` [M, K] (PyTorch's `Linear` layout), optional
    `bias` [M]; the result is [N, M].

    ```mlir
    %y = cnn.dense %x, %w, %b
           : (tensor<?x400xf32>, tensor<120x400xf32>, tensor<120xf32>)
           -> tensor<?x120xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$input, CNN_F32Tensor:$weight,
                       Optional<CNN_F32Tensor>:$bias);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
}

def CNN_FlattenOp : CNN_ShapedOp<"flatten"> {
  let summary = "flattens every dimension but the batch";
  let description = [{
    [N, d1, ..., dk] becomes [N, d1·...·dk], in row-major (NCHW) order, as
    `torch.flatten(x, 1)` does.

    ```mlir
    %y = cnn.flatten %x : tensor<?x16x5x5xf32> -> tensor<?x400xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$input);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

//===----------------------------------------------------------------------===//
// Joining branches
//===----------------------------------------------------------------------===//

def CNN_AddOp : CNN_ShapedOp<"add", [AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "element-wise sum of two tensors of one shape (a skip)";
  let description = [{
    ```mlir
    %y = cnn.add %a, %b : tensor<?x16x10x10xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$lhs, CNN_F32Tensor:$rhs);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs)";
}

def CNN_ConcatOp : CNN_ShapedOp<"concat"> {
  let summary = "concatenation along `axis` (channels by default)";
  let description = [{
    Joins two or more tensors of one rank whose sizes agree everywhere but
    along `axis`.

    ```mlir
    %y = cnn.concat %a, %b : (tensor<?x6x14x14xf32>, tensor<?x10x14x14xf32>)
           -> tensor<?x16x14x14xf32>
    ```
  }];
  let arguments = (ins Variadic<CNN_F32Tensor>:$inputs,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let assemblyFormat = [{
    $inputs (`axis` $axis^)? attr-dict `:` functional-type($inputs, results)
  }];
}

//===----------------------------------------------------------------------===//
// Normalisation and regularisation
//===----------------------------------------------------------------------===//

def CNN_LocalResponseNormOp
    : CNN_ShapedOp<"local_response_norm"> {
  let summary = "local response normalisation across channels (AlexNet)";
  let description = [{
    `b[c] = a[c] / (k + alpha / size · Σ a[c']²)^beta`, the sum over the
    `size` channels centred on `c` (clipped at the edges), as PyTorch's
    `LocalResponseNorm` computes it. AlexNet uses size 5, alpha 1e-4,
    beta 0.75, k 2. `input` is [N, C, H, W].

    ```mlir
    %y = cnn.local_response_norm %x size 5 alpha 1.0e-4 beta 7.5e-01 k 2.0
           : tensor<?x96x55x55xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$input, I64Attr:$size, F32Attr:$alpha,
                       F32Attr:$beta, F32Attr:$k);
  let assemblyFormat = [{
    $input `size` $size `alpha` $alpha `beta` $beta `k` $k attr-dict `:`
    type($input)
  }];
}

def CNN_DropoutOp
    : CNN_ShapedOp<"dropout"> {
  let summary = "inverted dropout with an explicit seed";
  let description = [{
    In training, zeroes each element with probability `rate` and scales the
    rest by 1 / (1 - rate); the mask is a pure function of `seed`, so a step
    is reproducible and its backward pass sees the same mask. Inference
    lowers it to the identity.

    ```mlir
    %y = cnn.dropout %x, %seed rate 5.0e-01 : tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$input, I64:$seed, F32Attr:$rate);
  let assemblyFormat = [{
    $input `,` $seed `rate` $rate attr-dict `:` type($input)
  }];
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

class CNN_SoftmaxLikeOp<string mnemonic, string formula>
    : CNN_ShapedOp<mnemonic> {
  let summary = formula # " along `axis`";
  let arguments = (ins CNN_F32Tensor:$input,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let assemblyFormat = [{
    $input (`axis` $axis^)? attr-dict `:` type($input)
  }];
}

def CNN_SoftmaxOp : CNN_SoftmaxLikeOp<"softmax", "exp(x) / Σ exp(x)">;
def CNN_LogSoftmaxOp : CNN_SoftmaxLikeOp<"log_softmax", "x - log Σ exp(x)">;

//===----------------------------------------------------------------------===//
// Losses
//===----------------------------------------------------------------------===//

def CNN_CrossEntropyOp : CNN_ShapedOp<"cross_entropy"> {
  let summary = "mean cross-entropy of logits against integer labels";
  let description = [{
    `-mean_n log_softmax(logits[n])[labels[n]]`, as PyTorch's
    `CrossEntropyLoss` with mean reduction. `logits` is [N, C], `labels` [N]
    with values in [0, C); the result is a 0-d tensor.

    ```mlir
    %loss = cnn.cross_entropy %logits, %labels
              : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$logits, CNN_LabelTensor:$labels);
  let assemblyFormat = [{
    $logits `,` $labels attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_MSEOp : CNN_ShapedOp<"mse"> {
  let summary = "mean squared error";
  let description = [{
    `mean((prediction - target)²)` over every element; both operands have the
    same shape and the result is a 0-d tensor.

    ```mlir
    %loss = cnn.mse %y, %t : (tensor<?x10xf32>, tensor<?x10xf32>) -> tensor<f32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$prediction, CNN_F32Tensor:$target);
  let assemblyFormat = [{
    $prediction `,` $target attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Fused ops (produced by the fusion passes)
//===----------------------------------------------------------------------===//

def CNN_FusedConvActPoolOp : CNN_ShapedOp<"fused_conv_act_pool"> {
  let summary = "conv2d + bias + activation (+ pool) as one op";
  let description = [{
    The signature pattern of LeNet-5 and AlexNet as one op, so the
    pre-pool activation map never needs to be written to memory. The
    convolution attributes mean what they mean on `cnn.conv2d`; `act` is
    applied element-wise after the bias; `pool`, when present, reduces
    `pool_kernel` windows moving by `pool_stride` with `pool_padding`, as
    `cnn.avg_pool2d` / `cnn.max_pool2d` do.

    ```mlir
    %y = cnn.fused_conv_act_pool %x, %w, %b act tanh
           pool avg kernel [2, 2] stride [2, 2]
           : (tensor<?x1x32x32xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
           -> tensor<?x6x14x14xf32>
    ```
  }];
  let arguments = (ins
    CNN_F32Tensor:$input,
    CNN_F32Tensor:$weight,
    Optional<CNN_F32Tensor>:$bias,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$padding,
    DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilation,
    DefaultValuedAttr<I64Attr, "1">:$groups,
    OptionalAttr<CNN_ConnectionTableAttr>:$connections,
    CNN_ActivationEnum:$act,
    OptionalAttr<CNN_PoolKindEnum>:$pool,
    OptionalAttr<DenseI64ArrayAttr>:$pool_kernel,
    OptionalAttr<DenseI64ArrayAttr>:$pool_stride,
    DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0}">:$pool_padding
  );
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)?
    (`stride` $stride^)? (`padding` $padding^)? (`dilation` $dilation^)?
    (`groups` $groups^)? (`connections` $connections^)?
    `act` $act
    (`pool` $pool^ `kernel` $pool_kernel `stride` $pool_stride)?
    (`pool_padding` $pool_padding^)?
    attr-dict `:` functional-type(operands, results)
  }];
}

def CNN_FusedDenseActOp : CNN_ShapedOp<"fused_dense_act"> {
  let summary = "dense + bias + activation as one op";
  let description = [{
    `act(input · weightᵀ + bias)`, operands as on `cnn.dense`: code
    generation applies the activation to each dot product before it is
    stored, so the dense layer's own output never reaches memory.

    ```mlir
    %y = cnn.fused_dense_act %x, %w, %b act tanh
           : (tensor<?x120xf32>, tensor<84x120xf32>, tensor<84xf32>)
           -> tensor<?x84xf32>
    ```
  }];
  let arguments = (ins CNN_F32Tensor:$input, CNN_F32Tensor:$weight,
                       Optional<CNN_F32Tensor>:$bias, CNN_ActivationEnum:$act);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `act` $act attr-dict `:`
    functional-type(operands, results)
  }];
}

include "dialects/cnn/CNNGradientOps.td"

#endif // CNN_OPS_TD
