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
#include "llvm/Support/raw_ostream.h"

namespace {

constexpr const char *kCnnToLinalg =
    "func.func(cnn-remove-dropout,cnn-fuse-conv-act-pool,cnn-fused-to-vector,"
    "cnn-to-linalg)";
constexpr const char *kCnnToLinalgUnfused =
    "func.func(cnn-remove-dropout,cnn-to-linalg)";

/// Differentiation comes first, on the unpacked loss function, so the
/// gradient rules see each parameter; packing then gives parameters and
/// gradients one layout, which the optimizer update walks in one pass.
constexpr const char *kModelEntries =
    "cnn-differentiate,cnn-pack-parameters,cnn-build-train-step";

constexpr const char *kLinalgToLLVM =
    "func.func(cnn-vectorize-cpu,canonicalize,cse),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
    "func.func(cnn-copy-to-linalg,convert-linalg-to-loops),"
    "convert-vector-to-scf{full-unroll=true},convert-math-to-llvm,"
    "convert-math-to-libm,"
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "convert-vector-to-llvm,"
    "finalize-memref-to-llvm{use-generic-functions=true},convert-arith-to-llvm,"
    "convert-cf-to-llvm,"
    "convert-func-to-llvm,convert-index-to-llvm,reconcile-unrealized-casts";

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
  addPipeline(pm, kLinalgToLLVM);
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
}
