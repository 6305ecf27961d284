//===- cnnc.cpp - the cnnc compiler ---------------------------------------===//
//
// `cnnc model.mdl [-o model.so] [--emit=<stage>] [--cpu=<name>] [--no-fuse]
// [--no-cuda | --cuda-arch=sm_XX --cuda-path=DIR] [--summary]`:
// parses the command line and hands over to the driver
// (compiler/driver/Driver.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Linker.h"
#include "compiler/driver/Driver.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

namespace cl = llvm::cl;

static cl::OptionCategory category("cnnc options");

static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.mdl>"),
                                      cl::Required, cl::cat(category));

static cl::opt<std::string>
    outputPath("o",
               cl::desc("Output file ('-' for stdout; default: <model>.so "
                        "or <model>.o for the binary stages, stdout else)"),
               cl::value_desc("file"), cl::cat(category));

static cl::opt<cnnc::EmitStage> emit(
    "emit", cl::desc("The stage to stop at"), cl::init(cnnc::EmitStage::So),
    cl::values(clEnumValN(cnnc::EmitStage::Ast, "ast", "the syntax tree"),
               clEnumValN(cnnc::EmitStage::Cnn, "cnn", "the cnn dialect IR"),
               clEnumValN(cnnc::EmitStage::Linalg, "linalg",
                          "lowered to linalg on tensors"),
               clEnumValN(cnnc::EmitStage::LLVMDialect, "llvm-dialect",
                          "lowered to the llvm dialect"),
               clEnumValN(cnnc::EmitStage::LLVM, "llvm", "optimised LLVM IR"),
               clEnumValN(cnnc::EmitStage::Ptx, "ptx",
                          "the CUDA kernels' PTX (needs the CUDA toolkit)"),
               clEnumValN(cnnc::EmitStage::Asm, "asm", "assembly"),
               clEnumValN(cnnc::EmitStage::Obj, "obj", "an object file"),
               clEnumValN(cnnc::EmitStage::So, "so",
                          "the model's shared library (default)")),
    cl::cat(category));

static cl::opt<std::string>
    cpu("cpu",
        cl::desc("The CPU to generate code for: 'host' (this machine, the "
                 "default), 'generic' (portable), or an LLVM CPU name such "
                 "as 'x86-64-v3'"),
        cl::value_desc("name"), cl::init("host"), cl::cat(category));

static cl::opt<bool>
    summary("summary",
            cl::desc("Print a per-layer table: output shapes, parameter "
                     "counts, totals and a memory estimate"),
            cl::cat(category));

static cl::opt<bool>
    noFuse("no-fuse",
           cl::desc("Do not fuse conv + activation (+ pool) or dense + "
                    "activation, nor their backward in training (to compare "
                    "fused and unfused code)"),
           cl::cat(category));

static cl::opt<bool>
    noCuda("no-cuda",
           cl::desc("Leave the CUDA code out: a CPU-only library (the default "
                    "includes it when a CUDA toolkit is found)"),
           cl::cat(category));

static cl::opt<std::string>
    cudaArch("cuda-arch",
             cl::desc("The NVIDIA GPU to compile kernels for (default sm_90; "
                      "the PTX in the library also runs on newer GPUs)"),
             cl::value_desc("sm_XX"), cl::init("sm_90"), cl::cat(category));

static cl::opt<std::string>
    cudaPath("cuda-path",
             cl::desc("The CUDA toolkit's folder (default: $CUDA_PATH, else "
                      "/usr/local/cuda)"),
             cl::value_desc("dir"), cl::cat(category));

static cl::opt<bool> noGpuTiles(
    "no-gpu-tiles",
    cl::desc("Run every GPU kernel with one thread per output, without the "
             "shared-memory tiles of convolutions and matrix products (to "
             "compare tiled and untiled kernels)"),
    cl::cat(category));

static cl::opt<int64_t> gpuTileOutputs(
    "gpu-tile-outputs",
    cl::desc("Outputs each thread of a tiled GPU kernel sums along each "
             "large side of its tile: 4 (4 x 4 per thread, 64 x 64 tiles; the "
             "default) or 8 (8 x 8, 128 x 128 tiles: fewer reads of shared "
             "memory per multiply-add, fewer tiles; to compare)"),
    cl::value_desc("4|8"), cl::init(4), cl::cat(category));

static cl::opt<bool> gpuAlignedSlices(
    "gpu-aligned-slices",
    cl::desc("Tiled GPU kernels sum a convolution's window a slice at a time "
             "(3 x 3: 9 terms, 5 x 5: 25) instead of 8 terms across it: "
             "fewer instructions a term, more registers; to compare"),
    cl::cat(category));

static cl::opt<int64_t> gpuIndexBits(
    "gpu-index-bits",
    cl::desc("The width of the GPU kernels' index arithmetic: 32 (the "
             "default) or 64 (as before; to compare)"),
    cl::value_desc("32|64"), cl::init(32), cl::cat(category));

static cl::opt<bool> gpuLoopsOnCpu(
    "gpu-loops-on-cpu",
    cl::desc("For testing: build the CPU code from the GPU pipeline's "
             "kernel-shaped loops, run one after another (slow)"),
    cl::Hidden, cl::cat(category));

/// Refuses `option` given `other`, with which it does nothing (`why`);
/// returns the exit code.
static int refuseUseless(const char *option, const char *other,
                         const char *why) {
  llvm::errs() << "cnnc: error: " << option << " has no effect with " << other
               << ": " << why << "\n";
  return 1;
}

static void printVersion(llvm::raw_ostream &os) {
  os << "cnnc " CNNC_VERSION " (LLVM/MLIR " LLVM_VERSION_STRING ")\n";
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(printVersion);
  cl::ParseCommandLineOptions(
      argc, argv,
      "cnnc: compile a .mdl convolutional network\n\n"
      "  cnnc lenet5.mdl -o lenet5.so    the model as a shared library\n"
      "  cnnc lenet5.mdl --summary       the layers, shapes and parameters\n"
      "  cnnc lenet5.mdl --emit=cnn      the model in the cnn dialect\n");
  cnnc::DriverOptions options;
  options.inputPath = inputPath;
  options.outputPath = outputPath;
  options.emit = emit;
  options.summary = summary;
  options.cpu = cpu;
  options.fuse = !noFuse;
  options.gpuLoopsOnCpu = gpuLoopsOnCpu;
  options.cuda = !noCuda;
  options.cudaRequired =
      cudaArch.getNumOccurrences() > 0 || cudaPath.getNumOccurrences() > 0;
  options.cudaArch = cudaArch;
  options.cudaPath = cudaPath;
  options.gpuTileOutputs = noGpuTiles ? 0 : gpuTileOutputs;
  if (gpuTileOutputs != 4 && gpuTileOutputs != 8) {
    llvm::errs() << "cnnc: error: --gpu-tile-outputs must be 4 or 8, got "
                 << gpuTileOutputs << "\n";
    return 1;
  }
  if (gpuTileOutputs.getNumOccurrences() > 0 && noGpuTiles)
    return refuseUseless("--gpu-tile-outputs", "--no-gpu-tiles",
                         "no kernel is tiled");
  options.gpuAlignedSlices = gpuAlignedSlices;
  if (gpuAlignedSlices && noGpuTiles)
    return refuseUseless("--gpu-aligned-slices", "--no-gpu-tiles",
                         "no kernel is tiled");
  options.gpuIndexBits = gpuIndexBits;
  if (gpuIndexBits != 32 && gpuIndexBits != 64) {
    llvm::errs() << "cnnc: error: --gpu-index-bits must be 32 or 64, got "
                 << gpuIndexBits << "\n";
    return 1;
  }
  if (noCuda && options.cudaRequired) {
    llvm::errs() << "cnnc: error: --no-cuda cannot be combined with "
                    "--cuda-arch or --cuda-path\n";
    return 1;
  }
  if (noCuda && noGpuTiles)
    return refuseUseless("--no-gpu-tiles", "--no-cuda",
                         "there are no GPU kernels");
  if (noCuda && gpuIndexBits.getNumOccurrences() > 0)
    return refuseUseless("--gpu-index-bits", "--no-cuda",
                         "there are no GPU kernels");
  options.modelRuntimeArchive = cnnc::findModelRuntimeArchive(
      argv[0], reinterpret_cast<void *>(&printVersion));
  return cnnc::runDriver(options);
}
