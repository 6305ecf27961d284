//===- Pipelines.cpp - the pass pipelines cnnc runs -----------------------===//
//
// The order follows MLIR19-NOTES.md ("CPU lowering that works") and is
// checked numerically by test/unit/LoweringNumericsTest.cpp, which runs these
// same pipelines. cnn-vectorize-cpu turns convolutions and matrix products
// into vector loops before bufferization; the other ops become scalar loops.
// Allocation goes through the generic functions, which the model's runtime
// (runtime/model/WorkspaceAllocator.cpp) serves from a per-thread cache.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

namespace {

constexpr const char *kCnnToLinalg =
    "func.func(cnn-remove-dropout,cnn-fuse-conv-act-pool,cnn-fuse-dense-act,"
    "cnn-fuse-pool-act-backward,cnn-fused-to-vector,cnn-to-linalg)";
constexpr const char *kCnnToLinalgUnfused =
    "func.func(cnn-remove-dropout,cnn-to-linalg)";

/// Differentiation comes first, on the unpacked loss function, so the
/// gradient rules see each parameter; packing then gives parameters and
/// gradients one layout, which the optimizer update walks in one pass.
constexpr const char *kModelEntries =
    "cnn-differentiate,cnn-pack-parameters,cnn-build-train-step";

/// Both devices' programs are bufferized the same way.
constexpr const char *kBufferize =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,convert-bufferization-to-memref";

/// CPU: vector loops before bufferization, scalar loops for the rest.
constexpr const char *kCPUVectorize =
    "func.func(cnn-vectorize-cpu,canonicalize,cse)";
constexpr const char *kCPULoops =
    "func.func(cnn-copy-to-linalg,convert-linalg-to-loops)";

/// GPU: sums split and loops ordered on tensors; each reduction then sums
/// in registers, and element-wise work fuses into the kernels around it;
/// then every linalg op is a loop nest in the shape of one kernel
/// (compiler/gpu/Passes.td).
constexpr const char *kGPUPrepare =
    "func.func(cnn-split-reductions,cnn-prepare-for-gpu,canonicalize,cse,"
    "linalg-generalize-named-ops,cnn-accumulate-in-registers,"
    "cnn-fuse-kernels,cnn-split-long-sums,cnn-compute-where-read,"
    "canonicalize,cse)";
constexpr const char *kGPULoops =
    "func.func(cnn-copy-to-linalg,convert-linalg-to-parallel-loops,"
    "canonicalize,{0}cnn-map-loops-to-gpu,cnn-sink-scalars-into-kernels)";
constexpr const char *kTileContractions =
    "cnn-tile-contractions{{outputs-per-thread={0} align-slices={1}},"
    "canonicalize,cse,";

/// Loops (and vector code) on the host to the llvm dialect. The GPU's
/// kernel-shaped loops go this way too when they run on the CPU.
constexpr const char *kLoopsToLLVM =
    "convert-vector-to-scf{full-unroll=true},convert-math-to-llvm,"
    "convert-math-to-libm,"
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "convert-vector-to-llvm,"
    "finalize-memref-to-llvm{use-generic-functions=true},convert-arith-to-llvm,"
    "convert-cf-to-llvm,"
    "convert-func-to-llvm,convert-index-to-llvm,reconcile-unrealized-casts";

/// The GPU loops as kernels, then upstream's gpu-lower-to-nvvm-pipeline,
/// except that gpu-module-to-binary is given the toolkit (MLIR19-NOTES.md:
/// else libdevice is not linked and ptxas not found), and that the kernels'
/// `index` is 32 bits wide (CudaOptions::indexBitwidth). A GPU has no 64-bit
/// integer unit: each 64-bit multiply or division by a constant (the kernels'
/// index arithmetic) is several 32-bit instructions. The host's arith is
/// lowered apart, as 64 bits; its launches still pass each index argument as 64
/// bits, of which the driver copies the 4 bytes the kernel declares
/// (cuLaunchKernel takes the parameters' sizes from the kernel's image): the
/// low half, on little-endian hosts. Buffers are kept within 32-bit element
/// offsets by cnn-gpu-device-memory and the runtime (docs/gpu.md).
constexpr const char *kGPULoopsToKernels =
    "func.func(cnn-launch-tiled-loops,gpu-map-parallel-loops,"
    "convert-parallel-loops-to-gpu,"
    "cnn-gpu-device-memory,cnn-scalars-in-device-memory,lower-affine,"
    "canonicalize,cse),"
    "gpu-launch-sink-index-computations,gpu-kernel-outlining,"
    "cnn-merge-gpu-modules,gpu.module(cnn-align-shared-memory,"
    "cnn-contract-multiply-adds),"
    "func.func(gpu-async-region),"
    "convert-scf-to-cf,convert-nvvm-to-llvm,expand-strided-metadata,"
    "nvvm-attach-target{{chip={0} features=+ptx80 O=3},lower-affine,"
    "func.func(convert-arith-to-llvm,convert-index-to-llvm),canonicalize,cse,"
    "gpu.module(strip-debuginfo,convert-gpu-to-nvvm{{index-bitwidth={3}},"
    "canonicalize,cse,"
    "reconcile-unrealized-casts),"
    "gpu-to-llvm,gpu-module-to-binary{{format={1} toolkit={2}},"
    "convert-math-to-llvm,canonicalize,cse,reconcile-unrealized-casts";

/// The texts above are ours, not the user's: failing to parse them is a bug
/// in cnnc (an unregistered pass), reported as such.
void addPipeline(mlir::OpPassManager &pm, llvm::StringRef text) {
  std::string error;
  llvm::raw_string_ostream os(error);
  if (mlir::failed(mlir::parsePassPipeline(text, pm, os)))
    llvm::report_fatal_error(llvm::Twine("cnnc: internal pipeline '") + text +
                             "' does not parse: " + error);
}

} // namespace

void cnnc::buildModelEntryPipeline(mlir::OpPassManager &pm) {
  addPipeline(pm, kModelEntries);
}

void cnnc::buildCnnToLinalgPipeline(mlir::OpPassManager &pm, bool fuse) {
  addPipeline(pm, fuse ? kCnnToLinalg : kCnnToLinalgUnfused);
}

void cnnc::buildLinalgToLLVMPipeline(mlir::OpPassManager &pm) {
  addPipeline(pm, kCPUVectorize);
  addPipeline(pm, kBufferize);
  addPipeline(pm, kCPULoops);
  addPipeline(pm, kLoopsToLLVM);
}

/// cnn ops to the GPU's kernel-shaped loops, on buffers; tiled with
/// `tileOutputsPerThread` (cnn-tile-contractions) unless it is 0, with
/// slices along convolutions' windows where `alignSlices`.
static void buildCnnToGPULoopsPipeline(mlir::OpPassManager &pm,
                                       int64_t tileOutputsPerThread,
                                       bool alignSlices) {
  cnnc::buildCnnToLinalgPipeline(pm, /*fuse=*/false);
  addPipeline(pm, kGPUPrepare);
  addPipeline(pm, kBufferize);
  std::string tiles =
      tileOutputsPerThread > 0
          ? llvm::formatv(kTileContractions, tileOutputsPerThread,
                          alignSlices ? "true" : "false")
                .str()
          : "";
  addPipeline(pm, llvm::formatv(kGPULoops, tiles).str());
}

void cnnc::buildCnnToGPUPipeline(mlir::OpPassManager &pm,
                                 const CudaOptions &cuda) {
  buildCnnToGPULoopsPipeline(pm, cuda.tileOutputsPerThread, cuda.alignSlices);
  addPipeline(pm, llvm::formatv(kGPULoopsToKernels, cuda.arch,
                                cuda.ptxOnly ? "isa" : "fatbin",
                                cuda.toolkitPath, cuda.indexBitwidth)
                      .str());
}

void cnnc::buildGPULoopsOnCPUPipeline(mlir::OpPassManager &pm,
                                      int64_t tileOutputsPerThread,
                                      bool alignSlices) {
  buildCnnToGPULoopsPipeline(pm, tileOutputsPerThread, alignSlices);
  addPipeline(pm, kLoopsToLLVM);
}

void cnnc::registerPipelines() {
  mlir::PassPipelineRegistration<>(
      "cnnc-cpu-to-linalg", "cnn ops to linalg on tensors (cnnc --emit=linalg)",
      [](mlir::OpPassManager &pm) { buildCnnToLinalgPipeline(pm); });
  mlir::PassPipelineRegistration<>(
      "cnnc-cpu-to-llvm",
      "cnn ops to the llvm dialect (cnnc --emit=llvm-dialect)",
      [](mlir::OpPassManager &pm) {
        buildCnnToLinalgPipeline(pm);
        buildLinalgToLLVMPipeline(pm);
      });
  mlir::PassPipelineRegistration<>(
      "cnnc-gpu-to-llvm",
      "cnn ops to host code launching CUDA kernels (sm_90, /usr/local/cuda)",
      [](mlir::OpPassManager &pm) {
        CudaOptions cuda;
        cuda.toolkitPath = "/usr/local/cuda";
        buildCnnToGPUPipeline(pm, cuda);
      });
  mlir::PassPipelineRegistration<>(
      "cnnc-gpu-loops-on-cpu",
      "cnn ops to the GPU's kernel-shaped loops, run on the CPU",
      [](mlir::OpPassManager &pm) { buildGPULoopsOnCPUPipeline(pm); });
}
