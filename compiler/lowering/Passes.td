//===- Passes.td - lowering passes from cnn to upstream MLIR -*- tablegen -*-===//
//
// The passes that take the cnn dialect down to upstream dialects, on the way
// to bufferization, loops and LLVM. Each pass is reachable from cnnc-opt
// under its flag and has one lit file named after that flag.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_LOWERING_PASSES_TD
#define CNNC_COMPILER_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertCNNToLinalg : Pass<"cnn-to-linalg", "func::FuncOp"> {
  let summary = "Lower the cnn ops to linalg/tensor/arith/math on tensors";
  let description = [{
    Rewrites every `cnn` op (forward, backward, optimizer) into
    destination-style ops on tensors that
    one-shot bufferization understands: named linalg convolutions and poolings
    where upstream has them (`linalg.conv_2d_nchw_fchw`,
    `linalg.conv_2d_ngchw_gfchw`, `linalg.pooling_nchw_sum/max`,
    `linalg.matmul_transpose_b`), `linalg.generic` for the rest (activations,
    biases, softmax, local response normalisation, losses), `linalg.fill` +
    `tensor.insert_slice` for padding (on 19, `tensor.pad` with a dynamic
    batch does not bufferize), and `tensor.empty` with `tensor.dim` for a dynamic batch.

    A strided, undilated, ungrouped convolution whose kernel padded to a
    multiple of the stride costs at most twice the multiply-adds runs at
    unit stride over its input's stride phases (space to depth,
    StridedConvPhases.cpp), and so does its weight gradient.

    Backward ops become the transposed computations (an input gradient is a
    convolution of the zero-interleaved gradient with the flipped weight;
    pooling gradients gather from the windows that read each element);
    optimizer updates are one `linalg.generic` over the flat buffers.
    `cnn.dropout` becomes its seeded mask (the hash in docs/dialect.md);
    inference and evaluation functions lose their dropout before this pass
    (`cnn-remove-dropout`).
    `cnn.fused_conv_act_pool` becomes the conv, activation and pool lowerings
    chained; fusing them into one loop nest is the job of later tiling.

    Before:
    ```mlir
    %y = cnn.conv2d %x, %w, %b padding [2, 2]
        : (tensor<?x1x28x28xf32>, tensor<6x1x5x5xf32>, tensor<6xf32>)
        -> tensor<?x6x28x28xf32>
    ```
    After (abridged):
    ```mlir
    %n = tensor.dim %x, %c0 : tensor<?x1x28x28xf32>
    %z = linalg.fill ins(%zero) outs(tensor.empty(%n) : tensor<?x1x32x32xf32>)
    %p = tensor.insert_slice %x into %z[0, 0, 2, 2] [%n, 1, 28, 28] [1, 1, 1, 1]
    %e = tensor.empty(%n) : tensor<?x6x28x28xf32>
    %i = linalg.generic ... ins(%b) outs(%e)   // broadcast the bias
    %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>,
                                   strides = dense<1> : tensor<2xi64>}
        ins(%p, %w : ...) outs(%i : tensor<?x6x28x28xf32>)
    ```
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect",
    "mlir::arith::ArithDialect",
    "mlir::math::MathDialect",
  ];
}

def FusedToVector : Pass<"cnn-fused-to-vector", "func::FuncOp"> {
  let summary = "Lower fused conv + activation + pool ops to one vector loop nest";
  let description = [{
    Rewrites `cnn.fused_conv_act_pool` (ungrouped, no connection table, unit
    width stride; no pool or a 2x2 pool with stride 2) into scf loops over
    vector rows on tensors: per image, tile of filters and output row, the
    convolution rows are accumulated in registers from the bias, activated
    there and, with a pool, combined in pairs of rows and pairs of lanes
    (`vector.shuffle`) into the pooled row, the only value written. Other
    fused ops are left for `cnn-to-linalg`, which lowers them as the chain
    of their parts. Runs before `cnn-to-linalg` in the CPU pipeline.

    In the training step a fused op without a pool whose activation map
    (read by the backward pass) feeds a 2x2/2 `cnn.avg_pool2d` or
    `cnn.max_pool2d` takes that pool into the same loop nest: the loops
    write both the map and the pooled map, and the pool op goes. The
    group's backward, `cnn.fused_pool_act_backward` with a 2x2/2 pool or
    none, becomes one loop over the map (FusedBackwardToVector.cpp): the
    pooled gradient spread in registers, multiplied by act', written once
    and summed into the bias gradient on the way. `cnn.fused_dense_act`
    becomes the dense product's vector loops (MatmulToVector.cpp) storing
    each dot product plus its bias, each row activated in 16-lane chunks as
    soon as it is complete.

    Before:
    ```mlir
    %y = cnn.fused_conv_act_pool %x, %w, %b act tanh
           pool avg kernel [2, 2] stride [2, 2]
           : (...) -> tensor<?x16x5x5xf32>
    ```
    After (abridged): loops over the batch, 4 filters and 5 pooled rows;
    two sets of 4 `vector<10xf32>` rows accumulated, `math.tanh`, added,
    even and odd lanes shuffled out, added, scaled by 0.25, written as
    `vector<5xf32>`.
  }];
  let dependentDialects = [
    "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect",
    "mlir::tensor::TensorDialect",
    "mlir::math::MathDialect",
  ];
}

def CopyToLinalg : Pass<"cnn-copy-to-linalg", "func::FuncOp"> {
  let summary = "Turn copies between strided memrefs into linalg.copy";
  let description = [{
    Runs after bufferization: a `memref.copy` whose source or target is a
    strided view (the padding and gradient spreading inserts) becomes
    `linalg.copy`, so that `convert-linalg-to-loops` makes loops LLVM
    vectorizes instead of a call of the generic `memrefCopy` runtime
    function. Copies between identity layouts stay: they lower to memcpy.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def VectorizeCPU : Pass<"cnn-vectorize-cpu", "func::FuncOp"> {
  let summary = "Rewrite convolutions and matrix products into vector loops";
  let description = [{
    The CPU code generation of the hot ops, run on the linalg-on-tensors
    output of `cnn-to-linalg`: `linalg.conv_2d_nchw_fchw` with unit width
    stride (forward convolutions and input gradients), the generic weight
    gradient of an ungrouped convolution, and the dense layers'
    `linalg.matmul_transpose_b`, `linalg.matmul` and
    `linalg.matmul_transpose_a`, and `linalg.pooling_nchw_sum/max`
    without dilation (the average and max pools, the average pool's
    gradient), and the per-channel sums of a convolution's bias gradient
    become `scf.for` nests over
    `vector.transfer_read` rows and `vector.fma`, carrying their output
    tensors, so bufferization still works in place. NCHW keeps image rows
    contiguous, so convolutions vectorize along the output width, with a
    few filters sharing each input row load; rows are held in chunks of 16
    lanes, the last one masked. `math.tanh`, `math.exp` and `math.log`
    become polynomials.

    Element-wise generics are tiled to rows and vectorized. Everything else
    (grouped and strided convolutions, generics that read an index) is left
    as it is and becomes scalar loops.

    Before:
    ```mlir
    %y = linalg.conv_2d_nchw_fchw ins(%x, %w : tensor<?x6x14x14xf32>,
        tensor<16x6x5x5xf32>) outs(%b : tensor<?x16x10x10xf32>)
    ```
    After (abridged): loops over the batch, blocks of 4 filters and output
    rows hold 4 `vector<16xf32>` accumulators (10 lanes used); loops
    over the channels and kernel rows add, per kernel column, one input
    row read (masked past the row's end) times 4 broadcast weights with
    `vector.fma`.
  }];
  let dependentDialects = [
    "mlir::scf::SCFDialect",
    "mlir::vector::VectorDialect",
  ];
}

#endif // CNNC_COMPILER_LOWERING_PASSES_TD
