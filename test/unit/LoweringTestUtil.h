//===- LoweringTestUtil.h - run cnn IR through the CPU pipeline -*- C++ -*-===//
//
// The numeric lowering tests compile a small cnn-dialect function @f all the
// way to native code (cnn-to-linalg, one-shot bufferization, loops, LLVM) in
// the CPU pass order of MLIR19-NOTES.md, JIT it with mlir::ExecutionEngine,
// and compare its results with the plain C++ references of
// test/reference/ReferenceOps.h and ReferenceGradients.h. Tensor arguments and
// results travel as strided memref descriptors (scalars by value) through the
// `_mlir_ciface_f` wrapper that `llvm.emit_c_interface` asks for.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_UNIT_LOWERINGTESTUTIL_H
#define CNNC_TEST_UNIT_LOWERINGTESTUTIL_H

#include "compiler/driver/Pipelines.h"
#include "compiler/driver/Registration.h"
#include "test/reference/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace cnnc::test {

/// Checks every element within 1e-5 absolute or 1e-4 relative.
inline void expectClose(const HostTensor &got, const HostTensor &want) {
  ASSERT_EQ(got.shape, want.shape);
  ASSERT_EQ(got.data.size(), want.data.size());
  int mismatches = 0;
  for (size_t i = 0; i < want.data.size(); ++i) {
    float g = got.data[i], w = want.data[i];
    float tol = std::max(1e-5f, 1e-4f * std::fabs(w));
    if (!(std::fabs(g - w) <= tol) && ++mismatches <= 5)
      ADD_FAILURE() << "element " << i << ": got " << g << ", want " << w;
  }
  EXPECT_EQ(mismatches, 0) << "of " << want.data.size() << " elements";
}

class LoweringNumericsTest : public testing::Test {
protected:
  static void SetUpTestSuite() {
    static bool once = [] {
      cnnc::registerPasses();
      llvm::InitializeNativeTarget();
      llvm::InitializeNativeTargetAsmPrinter();
      return true;
    }();
    (void)once;
  }

  LoweringNumericsTest() {
    mlir::DialectRegistry registry;
    cnnc::registerDialects(registry);
    mlir::registerBuiltinDialectTranslation(registry);
    mlir::registerLLVMDialectTranslation(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Compiles @f of `source` and runs it on `inputs`; returns its result.
  HostTensor run(const std::string &source,
                 const std::vector<HostTensor> &inputs) {
    std::vector<Arg> args(inputs.begin(), inputs.end());
    std::vector<HostTensor> results = runAll(source, std::move(args));
    return results.empty() ? HostTensor{} : std::move(results[0]);
  }

  /// An argument of @f: a tensor (passed as a memref descriptor) or an f32
  /// or i64 scalar (passed by value).
  struct Arg {
    enum class Kind { Tensor, F32, I64 } kind = Kind::Tensor;
    HostTensor tensor;
    float f32 = 0.0f;
    int64_t i64 = 0;
    Arg(HostTensor t) : tensor(std::move(t)) {}
    static Arg f32Value(float v) {
      Arg a{HostTensor{}};
      a.kind = Kind::F32;
      a.f32 = v;
      return a;
    }
    static Arg i64Value(int64_t v) {
      Arg a{HostTensor{}};
      a.kind = Kind::I64;
      a.i64 = v;
      return a;
    }
  };

  /// Compiles @f of `source`, runs it on `args` and returns all its results
  /// (ranked f32 tensors). The tensors are copies, so compiled code that
  /// updates an argument in place leaves the caller's tensors alone; an
  /// empty vector means the failure has been reported.
  ///
  /// @f runs twice: compiled for the CPU, whose results are returned, and
  /// through the GPU pipeline's kernel-shaped loops run on the CPU
  /// (buildGPULoopsOnCPUPipeline), whose results must be the same within
  /// expectClose's tolerance. So every numerics test also checks the
  /// GPU-specific rewrites of the op it tests.
  std::vector<HostTensor> runAll(const std::string &source,
                                 std::vector<Arg> args) {
    std::vector<HostTensor> cpu = runWith(source, args, /*gpuLoops=*/false);
    std::vector<HostTensor> gpu =
        runWith(source, std::move(args), /*gpuLoops=*/true);
    EXPECT_EQ(gpu.size(), cpu.size()) << "results of the GPU's loops";
    for (size_t i = 0; i < gpu.size() && i < cpu.size(); ++i) {
      SCOPED_TRACE("result " + std::to_string(i) +
                   " of the GPU's loops (run on the CPU) against the CPU's");
      expectClose(gpu[i], cpu[i]);
    }
    return cpu;
  }

  std::vector<HostTensor> runWith(const std::string &source,
                                  std::vector<Arg> args, bool gpuLoops) {
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceString<mlir::ModuleOp>(source, &context);
    if (!module) {
      ADD_FAILURE() << "could not parse:\n" << source;
      return {};
    }
    auto func = module->lookupSymbol<mlir::func::FuncOp>("f");
    if (!func) {
      ADD_FAILURE() << "no @f";
      return {};
    }
    func->setAttr("llvm.emit_c_interface", mlir::UnitAttr::get(&context));
    std::vector<mlir::RankedTensorType> resultTypes;
    for (mlir::Type t : func.getResultTypes())
      resultTypes.push_back(mlir::cast<mlir::RankedTensorType>(t));

    // The pipelines cnnc itself runs for --emit=llvm-dialect, or the GPU's.
    mlir::PassManager pm(&context);
    if (gpuLoops) {
      cnnc::buildGPULoopsOnCPUPipeline(pm);
    } else {
      cnnc::buildCnnToLinalgPipeline(pm);
      cnnc::buildLinalgToLLVMPipeline(pm);
    }
    if (mlir::failed(pm.run(*module))) {
      ADD_FAILURE() << (gpuLoops ? "the GPU loops' " : "the CPU ")
                    << "pipeline failed on:\n"
                    << source;
      return {};
    }

    mlir::ExecutionEngineOptions options;
    llvm::StringRef libs[] = {CNNC_C_RUNNER_UTILS};
    options.sharedLibPaths = libs;
    auto engine = mlir::ExecutionEngine::create(*module, options);
    if (!engine) {
      ADD_FAILURE() << "JIT failed: " << llvm::toString(engine.takeError());
      return {};
    }
    // The generic allocation functions the pipeline calls: in a model's .so
    // the caching allocator of runtime/model, here plain libc, so results
    // are freed with free() below.
    (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
      llvm::orc::SymbolMap map;
      auto add = [&](const char *name, auto *fn) {
        map[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(fn),
                               llvm::JITSymbolFlags::Exported};
      };
      add("_mlir_memref_to_llvm_alloc", &std::malloc);
      add("_mlir_memref_to_llvm_aligned_alloc", &std::aligned_alloc);
      add("_mlir_memref_to_llvm_free", &std::free);
      return map;
    });

    // Descriptors as words: {allocated, aligned, offset, sizes, strides}.
    // Several results come back as one struct of consecutive descriptors.
    std::vector<std::vector<int64_t>> descs(args.size());
    // invokePacked takes, per parameter of the C wrapper, the address of its
    // value: for a memref the address of a pointer to its descriptor (the
    // results first), for a scalar the address of the scalar.
    std::vector<int64_t> results;
    for (const mlir::RankedTensorType &t : resultTypes)
      results.resize(results.size() + 3 + 2 * t.getRank(), 0);
    std::vector<void *> pointers(args.size() + 1, nullptr);
    pointers[0] = results.data();
    llvm::SmallVector<void *> packed = {&pointers[0]};
    for (size_t a = 0; a < args.size(); ++a) {
      Arg &arg = args[a];
      if (arg.kind == Arg::Kind::F32) {
        packed.push_back(&arg.f32);
        continue;
      }
      if (arg.kind == Arg::Kind::I64) {
        packed.push_back(&arg.i64);
        continue;
      }
      HostTensor &in = arg.tensor;
      auto ptr = reinterpret_cast<int64_t>(
          in.isInt ? static_cast<void *>(in.ints.data())
                   : static_cast<void *>(in.data.data()));
      std::vector<int64_t> &d = descs[a];
      d = {ptr, ptr, 0};
      d.insert(d.end(), in.shape.begin(), in.shape.end());
      std::vector<int64_t> strides(in.shape.size(), 1);
      for (int64_t i = static_cast<int64_t>(in.shape.size()) - 2; i >= 0; --i)
        strides[i] = strides[i + 1] * in.shape[i + 1];
      d.insert(d.end(), strides.begin(), strides.end());
      pointers[a + 1] = d.data();
      packed.push_back(&pointers[a + 1]);
    }
    if (llvm::Error err = (*engine)->invokePacked("_mlir_ciface_f", packed)) {
      ADD_FAILURE() << "call failed: " << llvm::toString(std::move(err));
      return {};
    }

    std::vector<HostTensor> outs;
    std::vector<void *> freed;
    const int64_t *desc = results.data();
    for (const mlir::RankedTensorType &type : resultTypes) {
      int64_t rank = type.getRank();
      HostTensor out;
      out.shape.assign(desc + 3, desc + 3 + rank);
      for (int64_t i = 0; i < rank; ++i) {
        if (!type.isDynamicDim(i)) {
          EXPECT_EQ(out.shape[i], type.getDimSize(i)) << "dimension " << i;
        }
      }
      out.data.assign(out.numElements(), 0.0f);
      const float *base = reinterpret_cast<const float *>(desc[1]) + desc[2];
      const int64_t *strides = desc + 3 + rank;
      for (int64_t flat = 0, e = out.numElements(); flat < e; ++flat) {
        int64_t rest = flat, offset = 0;
        for (int64_t i = rank - 1; i >= 0; --i) {
          offset += (rest % out.shape[i]) * strides[i];
          rest /= out.shape[i];
        }
        out.data[flat] = base[offset];
      }
      outs.push_back(std::move(out));
      // A result is the caller's to free unless it is a view of an
      // argument (or of a result already freed).
      void *allocated = reinterpret_cast<void *>(desc[0]);
      bool owned =
          std::find(freed.begin(), freed.end(), allocated) == freed.end();
      for (const std::vector<int64_t> &d : descs)
        owned &= d.empty() || d[0] != desc[0];
      if (owned) {
        freed.push_back(allocated);
        std::free(allocated);
      }
      desc += 3 + 2 * rank;
    }
    return outs;
  }

  /// runAll, failing the test unless @f returns `count` results; always
  /// returns `count` tensors, so callers can index them either way.
  std::vector<HostTensor> runN(const std::string &source, std::vector<Arg> args,
                               size_t count) {
    std::vector<HostTensor> results = runAll(source, std::move(args));
    EXPECT_EQ(results.size(), count);
    results.resize(count);
    return results;
  }

  mlir::MLIRContext context;
};

} // namespace cnnc::test

#endif // CNNC_TEST_UNIT_LOWERINGTESTUTIL_H
