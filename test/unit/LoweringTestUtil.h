//===- LoweringTestUtil.h - run cnn IR through the CPU pipeline -*- C++ -*-===//
//
// The numeric lowering tests compile a small cnn-dialect function @f all the
// way to native code (cnn-to-linalg, one-shot bufferization, loops, LLVM) in
// the CPU pass order of MLIR19-NOTES.md, JIT it with mlir::ExecutionEngine,
// and compare its single result with the plain C++ references of
// test/reference/ReferenceOps.h. Arguments and results travel as strided memref
// descriptors through the `_mlir_ciface_f` wrapper that `llvm.emit_c_interface`
// asks for.
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
    auto resultType =
        mlir::cast<mlir::RankedTensorType>(func.getResultTypes()[0]);
    int64_t rank = resultType.getRank();

    // The pipelines cnnc itself runs for --emit=llvm-dialect.
    mlir::PassManager pm(&context);
    cnnc::buildCnnToLinalgPipeline(pm);
    cnnc::buildLinalgToLLVMPipeline(pm);
    if (mlir::failed(pm.run(*module))) {
      ADD_FAILURE() << "pipeline failed on:\n" << source;
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

    // Descriptors as words: {allocated, aligned, offset, sizes, strides}.
    std::vector<std::vector<int64_t>> descs;
    for (const HostTensor &in : inputs) {
      std::vector<int64_t> d;
      auto ptr = reinterpret_cast<int64_t>(
          in.isInt ? static_cast<const void *>(in.ints.data())
                   : static_cast<const void *>(in.data.data()));
      d = {ptr, ptr, 0};
      d.insert(d.end(), in.shape.begin(), in.shape.end());
      std::vector<int64_t> strides(in.shape.size(), 1);
      for (int64_t i = static_cast<int64_t>(in.shape.size()) - 2; i >= 0; --i)
        strides[i] = strides[i + 1] * in.shape[i + 1];
      d.insert(d.end(), strides.begin(), strides.end());
      descs.push_back(std::move(d));
    }
    std::vector<int64_t> result(3 + 2 * rank, 0);
    std::vector<void *> pointers;
    pointers.push_back(result.data());
    for (auto &d : descs)
      pointers.push_back(d.data());
    llvm::SmallVector<void *> packed;
    for (void *&p : pointers)
      packed.push_back(&p);
    if (llvm::Error err = (*engine)->invokePacked("_mlir_ciface_f", packed)) {
      ADD_FAILURE() << "call failed: " << llvm::toString(std::move(err));
      return {};
    }

    HostTensor out;
    out.shape.assign(result.begin() + 3, result.begin() + 3 + rank);
    for (int64_t i = 0; i < rank; ++i) {
      if (!resultType.isDynamicDim(i)) {
        EXPECT_EQ(out.shape[i], resultType.getDimSize(i)) << "dimension " << i;
      }
    }
    out.data.assign(out.numElements(), 0.0f);
    const float *base = reinterpret_cast<const float *>(result[1]) + result[2];
    const int64_t *strides = result.data() + 3 + rank;
    for (int64_t flat = 0, e = out.numElements(); flat < e; ++flat) {
      int64_t rest = flat, offset = 0;
      for (int64_t i = rank - 1; i >= 0; --i) {
        offset += (rest % out.shape[i]) * strides[i];
        rest /= out.shape[i];
      }
      out.data[flat] = base[offset];
    }
    // The result is the caller's to free unless it is a view of an input.
    void *allocated = reinterpret_cast<void *>(result[0]);
    bool aliasesInput = false;
    for (auto &d : descs)
      aliasesInput |= d[0] == result[0];
    if (!aliasesInput)
      std::free(allocated);
    return out;
  }

  mlir::MLIRContext context;
};

} // namespace cnnc::test

#endif // CNNC_TEST_UNIT_LOWERINGTESTUTIL_H
