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

    The default, 2^19 outputs, is what 128 tiles of 64 x 64 outputs hold:
    a weight gradient with fewer would leave a large GPU idle whether it is
    tiled (cnn-tile-contractions needs 128 tiles) or not (one thread per
    output, each summing over the whole batch). AlexNet's first layer's
    weight gradient (41,472 outputs, each a sum over N x 55 x 55) becomes
    55 partial sums per output, which tile 770 ways.

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
    Option<"minThreads", "min-threads", "int64_t", /*default=*/"524288",
           "Parallel iterations below which a sum is split">,
  ];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "arith::ArithDialect"];
}

def AccumulateInRegisters : Pass<"cnn-accumulate-in-registers",
                                  "func::FuncOp"> {
  let summary = "Make each reduction an all-parallel generic that sums in a loop";
  let description = [{
    Runs on linalg on tensors, after named ops are generalized and
    cnn-prepare-for-gpu has put parallel iterators first.

    A kernel has one thread per output element and runs a reduction's
    iterations in a loop inside the thread. Lowered as it stands, a
    reduction reads and writes its output element in memory at every
    iteration, and its initial value (the zeros of a `linalg.fill`, a bias
    broadcast over a convolution's output) is one more kernel. This pass
    rewrites a `linalg.generic` with reduction and parallel iterators into
    one whose iterators are its parallel ones only: the reduction dimensions
    become `scf.for` loops in the body that carry the sums as iteration
    arguments and read the operands with `tensor.extract`; the old output
    tensors become inputs that give the loops their initial values, and the
    outputs are new `tensor.empty`s. The iterations run in the same order,
    so the results are the same to the bit. An all-parallel generic that
    produces an initial value, and one that consumes a sum element-wise,
    can then be fused into it (cnn-fuse-kernels).

    Before (a matrix product into a bias broadcast `%b`):
    ```mlir
    linalg.generic {iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%x, %w : ...) outs(%b : tensor<?x84xf32>)
    ```
    After:
    ```mlir
    linalg.generic {iterator_types = ["parallel", "parallel"]}
        ins(%b : tensor<?x84xf32>) outs(%empty : tensor<?x84xf32>) {
    ^bb0(%init: f32, %out: f32):
      %i = linalg.index 0 : index
      %j = linalg.index 1 : index
      %sum = scf.for %k = %c0 to %c120 step %c1 iter_args(%acc = %init) {
        %a = tensor.extract %x[%i, %k] : tensor<?x120xf32>
        ...
      }
      linalg.yield %sum : f32
    }
    ```
    A reduction to a scalar (no parallel iterator: the batch's mean loss)
    becomes a generic without iterators, its body the same loops; it runs
    as a one-thread kernel (cnn-map-loops-to-gpu).
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "scf::SCFDialect", "affine::AffineDialect"];
}

def FuseKernels : Pass<"cnn-fuse-kernels", "func::FuncOp"> {
  let summary = "Fuse element-wise producers into their consumers";
  let description = [{
    Runs on linalg on tensors after cnn-accumulate-in-registers, when every
    generic that is not a scalar reduction is all-parallel, so each is one
    kernel. Upstream's element-wise fusion puts a producer's body into its
    consumer's, so the producer's result never reaches memory and its kernel
    is gone: a bias broadcast into the convolution that starts from it, the
    activation into the convolution's or matrix product's output, chains of
    element-wise gradients and optimizer updates into one kernel each.

    A producer is fused only into its one user, and one whose body loops (a
    reduction after cnn-accumulate-in-registers) only where the consumer
    reads each of its elements once (the operand's indexing map is a
    permutation), so no sum is computed twice. Fills read as inputs become
    scalars: a fill that several kernels read (CSE merges the zeros a pool
    starts from with those of a gradient of the same shape) is copied for
    each that can fuse it, so it is no kernel of its own.

    A kernel that reads a padded tensor (the data inserted into a fill, a
    convolution's zero padding) with `tensor.extract` reads the data where
    the index falls inside it and the fill's value elsewhere, so neither the
    fill nor the copy into it is a kernel. A kernel that reads a padded
    tensor as an input, possibly through a tensor.expand_shape (AlexNet's
    conv1 input and filters, padded to a multiple of the stride and split
    into its phases), reads it so too, at the indices its map gives.
    Likewise, the gradients inserted one by one into a 1-D fill (packed
    into the parameters' layout) become one generic that reads each
    element from the gradient holding it, and that generic fuses into the
    optimizer update reading it.

    An element that a generic computes with a few cheap operations (a copy
    into another layout, a square) is computed where it is read, when
    nothing reads that generic's result but tensor.extract (through a
    tensor.collapse_shape, possibly): AlexNet's local response
    normalization squares the 5 channels it sums as it reads them, and its
    conv1 reads its input's phases from the input itself. Its inference is
    16 kernels instead of 24.
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "scf::SCFDialect", "affine::AffineDialect"];
}

def SplitLongSums : Pass<"cnn-split-long-sums", "func::FuncOp"> {
  let summary = "Sum long loops in chunks, one thread per chunk and output";
  let description = [{
    Runs on linalg on tensors after cnn-fuse-kernels, when each generic is
    one kernel with one thread per output element.

    A sum over the batch alone has as many threads as outputs, and each
    adds the whole batch one term after another: a dense layer's bias
    gradient (10 outputs, each a sum over N), its weight gradient (840),
    the partial sums cnn-split-reductions leaves for a convolution's bias,
    the batch's mean loss (one). At N = 1024 that is 1,024 dependent
    additions, each after a load, on a handful of threads of a GPU that
    holds 270,000: the kernel's time is the loop's latency, however little
    it adds. Static reduction dimensions are split before
    (cnn-split-reductions); the batch, whose size is known only at run
    time, is split here.

    For an all-parallel `linalg.generic` with fewer than `min-threads`
    outputs (all static) whose body has one `scf.for` from 0 that only adds
    onto the value it carries (directly, or through nested loops of static
    trip counts that do the same) and whose bound is dynamic or makes more
    than four chunks of terms (a shorter one is not worth a kernel), a
    first generic sums each chunk of the
    loop's iterations (as many as make about `chunk-size` terms, at least
    one) into a tensor of partial sums with a new leading dimension, one
    per chunk (dynamic for the batch), so consecutive threads still read
    consecutive outputs; the loop in the original generic then adds those
    partial sums onto its old starting value, and the rest of the body
    (the mean loss's scaling) follows as before. At N = 1024 and the
    default chunk of 32, each thread of either kernel adds 32 terms; the
    sums of 28 x 28 partial sums cnn-split-reductions leaves for conv1's
    bias gradient are summed a row at a time. Sums are reassociated, so
    results change in their last bits. A sum of products over the batch
    (a dense layer's weight gradient) is split as below instead, in
    `batch-chunks` chunks (32), so that cnn-tile-contractions can tile it
    (a grid dimension must be static): LeNet-5's c5 weight gradient makes
    448 tiles.

    A sum of products over the batch with more outputs (at least
    `min-threads`) has threads enough, but too few tiles for
    cnn-tile-contractions to fill a GPU, each with a long loop: LeNet-5's
    c3 weight gradient, split over its pixels by cnn-split-reductions
    (16 x 6 x 5 x 5 x 10 x 10 outputs), makes 100 tiles; AlexNet's conv2
    weight gradient (256 x 96 x 5 x 5 outputs, each a sum over N x 27 x
    27 terms) 152, fewer than two per multiprocessor of an H100, each one
    a loop of 93,312 terms at N = 128. It is summed in chunks of the
    batch, as many as keep outputs x chunks within `product-outputs` (a
    thousand tiles' worth) and at most `product-chunks`: 8 for c3, 6 for
    conv2, none above 2^21 outputs. Each chunk has ceil(N / chunks) images
    and its loop is the same length for every thread: an image past the
    batch reads image 0 and its left factor is zero. The chunks are one
    more dimension of independent products, so the tiles are as many
    times more.

    A sum of products over a long static loop onto the batch's outputs (a
    dense layer's forward or input gradient, one dynamic dimension) has
    tiles enough at a large batch, but at AlexNet's 128 its f6 forward
    (128 x 4,096 outputs, 9,216 terms each) makes 128 tiles, its logits 32.
    Assuming B images (the batch is known only at run time: B is
    `batch-hint` if given, else the batch of the model's `train` section,
    the module's `cnn.train`, else 128), it is summed in as many chunks of
    the loop as keep B x outputs per image x chunks within
    `product-outputs`, give each chunk at least
    `min-chunk-terms` terms, and at most `product-chunks`: 8 for f6 and f7,
    3 for the logits' input gradient, none for LeNet-5's (at most 400
    terms) or a convolution (too many outputs). The chunks are ceil(terms
    / chunks) iterations each; only where that does not divide the loop
    do the last chunk's iterations past its end read iteration 0 and add
    zero, as above.

    Before (a dense layer's bias gradient):
    ```mlir
    linalg.generic {iterator_types = ["parallel"]} outs(%e : tensor<10xf32>) {
      %o = linalg.index 0 : index
      %s = scf.for %n = %c0 to %N step %c1 iter_args(%acc = %zero) {
        %g = tensor.extract %grad[%n, %o] : tensor<?x10xf32>
        ...
    ```
    After:
    ```mlir
    %chunks = arith.divui (%N + %c31), %c32 : index
    %p = linalg.generic {iterator_types = ["parallel", "parallel"]}
        outs(%pe : tensor<?x10xf32>) {
      %first = arith.muli %chunk, %c32 : index
      %end = arith.minui %first + %c32, %N : index
      %s = scf.for %n = %first to %end step %c1 iter_args(%acc = %zero) ...
    }
    linalg.generic {iterator_types = ["parallel"]} outs(%e : tensor<10xf32>) {
      %s = scf.for %c = %c0 to %chunks step %c1 iter_args(%acc = %zero) {
        %t = tensor.extract %p[%c, %o] : tensor<?x10xf32>
        ...
    ```
  }];
  let options = [
    Option<"minThreads", "min-threads", "int64_t", /*default=*/"65536",
           "Outputs below which a sum over the batch is split">,
    Option<"chunkSize", "chunk-size", "int64_t", /*default=*/"32",
           "Terms each partial sum adds (whole iterations of the loop)">,
    Option<"productOutputs", "product-outputs", "int64_t",
           /*default=*/"4194304",
           "Partial sums a product over the batch is split into at most "
           "(its outputs times its chunks)">,
    Option<"batchHint", "batch-hint", "int64_t", /*default=*/"0",
           "Batch size a product over a static loop onto the batch's "
           "outputs is split for (0: the model's training batch, its "
           "`cnn.train` attribute's, else 128)">,
    Option<"minChunkTerms", "min-chunk-terms", "int64_t", /*default=*/"256",
           "Terms a chunk of a product over a static loop adds at least">,
    Option<"productChunks", "product-chunks", "int64_t", /*default=*/"8",
           "Chunks of the batch a product with many outputs is summed in, "
           "at most">,
    Option<"batchChunks", "batch-chunks", "int64_t", /*default=*/"32",
           "Chunks of the batch a product with few outputs (under "
           "min-threads) is summed in, at most">,
  ];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "scf::SCFDialect", "arith::ArithDialect"];
}

def ComputeWhereRead : Pass<"cnn-compute-where-read", "func::FuncOp"> {
  let summary = "Compute an element read once by its reader, not by a kernel";
  let description = [{
    Runs on linalg on tensors after cnn-split-long-sums, when each generic
    is one kernel with one thread per output element.

    A tensor.extract of an element of a generic's result (through a
    tensor.collapse_shape, possibly) is replaced by that element computed
    in place, from the generic's body, when that extract is the only read
    of the result and reads each element at most once: it is not inside a
    loop of the kernel around it, and each of its indices is a different
    one of that kernel's linalg.index, plus or minus a constant, all of
    them used. Then every element is still computed once, by the one
    thread that reads it, and the generic is a kernel less whose result
    never reaches memory. Not inside a loop, even one whose every iteration
    reads another element: the reader's thread would then compute one
    after another elements that had a thread each, and the partial sums
    the split passes make would become one thread's loop again in the sum
    that adds them. Nor a generic that sums products (a weight gradient
    not split, such as AlexNet's f6, 4,096 x 9,216 sums over the batch):
    cnn-tile-contractions tiles that in a kernel of its own.

    This is how the optimizer's update, which reads every gradient of the
    packed parameters once (cnn-fuse-kernels made it one generic reading
    each from the tensor that holds it), sums the partial sums of each
    weight and bias gradient itself: the last sums of the reductions that
    cnn-split-reductions and cnn-split-long-sums split. It must come after
    cnn-split-long-sums, which only splits a sum in a kernel of its own:
    moved into the update first, a sum over the whole batch would stay one
    thread's loop. Unlike cnn-fuse-kernels' cheap elements, the generic's
    body may loop, since nothing is computed twice.

    Before:
    ```mlir
    %sum = linalg.generic {iterator_types = ["parallel"]}
        outs(%e : tensor<840xf32>) {
      %o = linalg.index 0 : index
      %s = scf.for %c = %c0 to %c32 step %c1 iter_args(%acc = %zero) {
        %t = tensor.extract %partial[%c, %o] : tensor<32x840xf32>
        ...
    }
    linalg.generic {iterator_types = ["parallel"]} ... {
      %i = linalg.index 0 : index
      %k = arith.subi %i, %c60896 : index
      ...
      %g = tensor.extract %sum[%k] : tensor<840xf32>
    ```
    After, in the update's body:
    ```mlir
      %g = scf.for %c = %c0 to %c32 step %c1 iter_args(%acc = %zero) {
        %t = tensor.extract %partial[%c, %k] : tensor<32x840xf32>
        ...
    ```
  }];
  let dependentDialects = ["linalg::LinalgDialect", "tensor::TensorDialect",
                           "scf::SCFDialect", "arith::ArithDialect"];
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
      one thread; a loop whose result is used is wrapped together with the
      code up to its last use (the sum, its scaling and its store); scalar
      loads whose values the wrapped code or a parallel
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

def TileContractions : Pass<"cnn-tile-contractions", "func::FuncOp"> {
  let summary = "Sum products through tiles in shared memory, several outputs per thread";
  let description = [{
    Runs on loops over buffers (after convert-linalg-to-parallel-loops),
    before cnn-map-loops-to-gpu.

    With one thread per output, a convolution or matrix product reads both
    factors of every term from memory: two loads per multiply-add, and
    neighbouring threads read the same values again. This pass takes each
    top-level `scf.parallel` whose iterations sum `lhs * rhs` over a perfect
    `scf.for` nest, starting from a value of their indices, and in which
    some parallel dimensions only `lhs` depends on (m: a convolution's
    images and pixels) and others only `rhs` (n: its filters). The loop
    becomes a loop over tiles of outputs (m tiles, n tiles, the other
    parallel dimensions; dimensions of one tile are left out) whose body
    runs loops over the block's threads in turn:

    1. each thread sets the sums of its outputs (`outputs-per-thread`,
       4, along each large side, or a small side whole: a layer's 6
       filters, or a part of it where a whole one would leave a block
       fewer than 64 threads) to the loop's initial values;
    2. the threads copy the first 8 terms of the reduction (flattened)
       of both factors, two slices of 8 x tile, into tiles (the factors'
       code, padding checks included, cloned at each element; zeros
       beyond the end). A factor read straight from memory in the order
       of the sum (a convolution's filters: w[f, c, kh, kw] over c, kh,
       kw, or the packed parameters at ((f x C + c) x KH + kh) x KW + kw,
       or that flipped, as the input gradient reads it) is read at its
       place in the flattened sum, through a collapsed view or from where
       the sum starts plus a multiple of the place, instead of through
       the loops' indices, each a division and a remainder, multiplied
       back into an address;
    3. for every 8 terms, each thread reads its elements of the next
       slices from memory, adds its outputs' terms of these from the
       tiles, reading a factor once for several outputs (the 8 terms
       unrolled: no loop counter, and `ptxas` may schedule one term's
       loads during the term before), then stores what it read into a
       second pair of tiles, which the next 8 terms read while the first
       pair takes the slices after: the loads from memory are on their
       way while the thread adds, and one barrier a slice is enough;
    4. each thread runs what followed the sum (activation, store) for its
       outputs.

    The block's buffers are `memref.alloc`s marked `cnn.memory`
    (`"workgroup"`: the tiles, `"private"`: the sums, indexed first by
    thread), freed at the end of the block. A factor's tiles are laid out
    thread by thread (2 x 8 x threads + 1 x outputs per thread along its
    side): the factors of a thread's outputs, which are `threads` apart in
    the result so that neighbouring threads store neighbouring elements,
    lie side by side in the tile, and the thread reads the 4 it needs for a
    term with one `ld.shared.v4.f32` instead of 4 loads
    (cnn-align-shared-memory declares the tiles aligned for it). Threads
    copying a slice take places in the tile in the order of their index,
    so that neighbouring threads store into neighbouring banks of shared
    memory; the spare group at the end of each term's row shifts the next
    term's by a few banks, for the threads that copy several terms of the
    same few outputs (a factor contiguous along the sum). On the CPU the
    thread loops run one after another; cnn-launch-tiled-loops makes the
    tiles shared memory, the sums registers, and puts barriers between the
    loops. The terms are
    added in the same order as before, so the sums are the same. Loops too
    small to fill a block (fewer than 64 threads) or the GPU (fewer than 128
    tiles, when all sizes are known) are left as they are.

    With `outputs-per-thread=8`, two large sides make tiles of 128 x 128
    outputs, 8 x 8 per thread: each multiply-add then reads a quarter of a
    value from the tiles instead of half, in a quarter as many tiles, each
    thread keeping 64 sums in registers. Which pays on a GPU is to be
    measured (`bench/gpu.sh` times both).

    With `align-slices`, a slice is not 8 terms but, where the sum's
    innermost loops (not all of them) make 4 to 32 terms together and
    their tiles fit in shared memory, the largest such product: a 3 x 3
    window's 9 terms, a 5 x 5 window's 25 (or its row's 5, where 25 would
    not fit), a row of 13 pixels of a weight gradient. Each element a
    thread copies is then at the same place of the window at every slice:
    its indices in the inner loops, and the window's checks against the
    padding, are computed once, and only the slice's number is divided
    into the outer loops' indices (the channel), the same for all threads.
    The sums are added in the same order. Fewer instructions a term (PTX:
    AlexNet's 3 x 3 convolutions 248 for 8 terms, 269 for 9; LeNet-5's
    first convolution 323 for 8, 159 for 5), but larger slices hold more in
    registers (AlexNet's 5 x 5 convolution: 113 instead of 63 a thread);
    which pays on a GPU is to be measured (`bench/gpu.sh` times both).
  }];
  let options = [
    Option<"outputsPerThread", "outputs-per-thread", "int64_t",
           /*default=*/"4",
           "Outputs a thread sums along each large side of a tile (1 to 8)">,
    Option<"alignSlices", "align-slices", "bool", /*default=*/"false",
           "Slices that span the sum's innermost loops where they make 4 to "
           "32 terms (a convolution's window), instead of 8 terms across them">,
  ];
  let dependentDialects = ["scf::SCFDialect", "arith::ArithDialect",
                           "memref::MemRefDialect"];
}

def LaunchTiledLoops : Pass<"cnn-launch-tiled-loops", "func::FuncOp"> {
  let summary = "Make each tiled loop a gpu.launch with shared memory and barriers";
  let description = [{
    Runs on the loops of cnn-tile-contractions, after cnn-map-loops-to-gpu
    and before convert-parallel-loops-to-gpu (which takes one loop of
    threads per kernel, with no barriers).

    Each top-level `scf.parallel` that allocates block buffers (a loop over
    tiles) becomes a `gpu.launch` over its grid (up to 3 dimensions) of
    blocks of T threads, T the extent of the loops over threads inside. Its body is
    cloned in order: each loop over the block's threads (0 to T) becomes
    code every thread runs with its thread index, followed by
    `gpu.barrier`; an `scf.for` around such loops stays a loop, the same
    for every thread, so all reach each barrier. Allocations marked
    `cnn.memory = "workgroup"` become workgroup attributions (shared
    memory), those marked `"private"` private attributions without their
    leading thread dimension, which LLVM keeps in registers; their frees
    go.
  }];
  let dependentDialects = ["gpu::GPUDialect", "scf::SCFDialect"];
}

def SinkScalarsIntoKernels : Pass<"cnn-sink-scalars-into-kernels",
                                  "func::FuncOp"> {
  let summary = "Compute what a step derives from its scalars in its kernels";
  let description = [{
    Runs on the kernel-shaped loops, after cnn-map-loops-to-gpu.

    A training step's scalar arguments (`cnn.learning_rate`, `cnn.step`,
    `cnn.seed`) reach its kernels as launch arguments, and so does the host
    arithmetic on them: Adam's bias corrections `lr / (1 - beta1^step)` and
    `sqrt(1 - beta2^step)`. A step recorded as a CUDA graph would replay
    the values of the step it was recorded in. This pass clones that
    arithmetic (side-effect-free ops whose operands are the scalars,
    constants or each other) into every outermost `scf.parallel` or
    `gpu.launch` that reads its result and erases the host copies, so that
    the scalars themselves are all that kernels read from the host; a few
    floating-point operations per thread is the price.
    cnn-scalars-in-device-memory then reads them from device memory.

    Before:
    ```mlir
    %t = arith.sitofp %step : i64 to f64
    %p = math.powf %beta, %t : f64
    scf.parallel (%i) = ... { ... use %p ... }
    ```
    After:
    ```mlir
    scf.parallel (%i) = ... {
      %t = arith.sitofp %step : i64 to f64
      %p = math.powf %beta, %t : f64
      ... use %p ...
    }
    ```
  }];
}

def ScalarsInDeviceMemory : Pass<"cnn-scalars-in-device-memory",
                                 "func::FuncOp"> {
  let summary = "Read a step's scalars from device memory in its kernels";
  let description = [{
    Runs on host functions whose loops have become `gpu.launch`, after
    cnn-sink-scalars-into-kernels.

    Each scalar argument (`cnn.learning_rate`, `cnn.step`, `cnn.seed`)
    becomes a rank-0 memref the runtime fills in device memory before each
    call, and every `gpu.launch` that uses the scalar loads it once at its
    start. A recorded CUDA graph of the step then reads each step's
    learning rate, step number and seed. A scalar used outside a kernel is
    an error (it cannot be read there).

    Before:
    ```mlir
    func.func @step(..., %lr: f32 {cnn.learning_rate}) {
      gpu.launch ... { ... use %lr ... }
    ```
    After:
    ```mlir
    func.func @step(..., %lr: memref<f32> {cnn.learning_rate}) {
      gpu.launch ... {
        %0 = memref.load %lr[] : memref<f32>
        ... use %0 ...
    ```
  }];
  let dependentDialects = ["memref::MemRefDialect"];
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

    The kernels index memory with 32 bits (Pipelines.cpp), so every buffer
    the function takes or allocates must have static shape of fewer than
    2^31 elements, or elements of 32 bits or more (the runtime refuses to
    allocate more than 2^31 - 1 of 4 bytes); the pass fails on any other.

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

def AlignSharedMemory : Pass<"cnn-align-shared-memory", "gpu::GPUModuleOp"> {
  let summary = "Declare every kernel's shared memory 16-byte aligned";
  let description = [{
    Runs on the kernels' `gpu.module`, before convert-gpu-to-nvvm.

    Each workgroup attribution of a `gpu.func` (a tile of
    cnn-tile-contractions) gets `llvm.align = 16`, which
    convert-gpu-to-nvvm gives the global it becomes. LLVM takes a global
    of more than 16 bytes defined in its module to be 16-byte aligned (its
    preferred alignment), and so turns a thread's reads of 4 neighbouring
    floats of a tile into one `ld.shared.v4.f32`. But LLVM 19's NVPTX
    printer declares the global with its element's alignment, `.align 4`,
    and a vector load from an address `ptxas` placed only 4-byte aligned
    fails with "misaligned address". With the alignment stated, the PTX
    says `.align 16`, what the loads assume.

    Before:
    ```mlir
    gpu.func @k(...) workgroup(%tiles : memref<2x8x17x4xf32, 3>) kernel
    ```
    After:
    ```mlir
    gpu.func @k(...) workgroup(%tiles : memref<2x8x17x4xf32, 3>
                               {llvm.align = 16 : i64}) kernel
    ```
  }];
}

def ContractMultiplyAdds : Pass<"cnn-contract-multiply-adds",
                                "gpu::GPUModuleOp"> {
  let summary = "Let each multiply and the add that takes it be one fma";
  let description = [{
    Runs on the kernels' `gpu.module`, before the arith dialect becomes
    LLVM.

    Every `arith.mulf`, `arith.addf` and `arith.subf` of the kernels gets
    the `contract` fast-math flag, which LLVM's NVPTX backend needs on both
    the multiply and the add to fuse them into one `fma.rn.f32`. Without
    it, it writes `mul.rn.f32` and `add.rn.f32`, whose explicit rounding
    also keeps `ptxas` from fusing them: two instructions for each term of
    every convolution and matrix product, where the tiled kernels' inner
    loops are nothing else. This is what `nvcc` does by default
    (`--fmad=true`), and what cuDNN's kernels do. An fma rounds once where
    the two operations round twice, so sums change in their last bits; the
    order of the terms is unchanged.

    Only the kernels: the host code, and the same loops when they run on
    the CPU (`--gpu-loops-on-cpu`), keep separate roundings.

    Before:
    ```mlir
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    ```
    After:
    ```mlir
    %p = arith.mulf %a, %b fastmath<contract> : f32
    %s = arith.addf %acc, %p fastmath<contract> : f32
    ```
  }];
  let dependentDialects = ["arith::ArithDialect"];
}

#endif // CNNC_COMPILER_GPU_PASSES_TD
