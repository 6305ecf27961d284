//===- NativeCode.cpp - LLVM IR to optimised machine code, in process -----===//

#include "compiler/codegen/NativeCode.h"

#include "llvm/Analysis/CGSCCPassManager.h"
#include "llvm/Analysis/LoopAnalysisManager.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

using namespace llvm;

Expected<std::unique_ptr<TargetMachine>>
cnnc::createTargetMachine(const std::string &cpu) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  std::string triple = sys::getDefaultTargetTriple();
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError(inconvertibleErrorCode(),
                             "no code generator for '" + triple +
                                 "': " + error);

  std::string cpuName = cpu;
  std::string features;
  if (cpu == "host") {
    cpuName = sys::getHostCPUName().str();
    SubtargetFeatures list;
    for (const auto &feature : sys::getHostCPUFeatures())
      list.AddFeature(feature.getKey(), feature.getValue());
    features = list.getString();
  }
  TargetOptions options;
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features, options, Reloc::PIC_, std::nullopt,
      CodeGenOptLevel::Aggressive));
  if (!machine)
    return createStringError(inconvertibleErrorCode(),
                             "cannot create a code generator for '" + triple +
                                 "'");
  if (!machine->getMCSubtargetInfo()->isCPUStringValid(cpuName))
    return createStringError(
        inconvertibleErrorCode(),
        "unknown CPU '" + cpu + "' for " + triple +
            "; use 'host', 'generic', or an LLVM CPU name such as "
            "'x86-64-v2', 'x86-64-v3', 'x86-64-v4', 'skylake-avx512' or "
            "'znver4' (llc -mcpu=help lists them)");
  return machine;
}

void cnnc::optimizeModule(Module &module, TargetMachine &machine) {
  module.setTargetTriple(machine.getTargetTriple().str());
  module.setDataLayout(machine.createDataLayout());

  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PassBuilder builder(&machine);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  ModulePassManager pm =
      builder.buildPerModuleDefaultPipeline(OptimizationLevel::O3);
  pm.run(module, mam);
}

Error cnnc::emitMachineCode(Module &module, TargetMachine &machine,
                            CodeGenFileType type, raw_pwrite_stream &os) {
  legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr, type))
    return createStringError(inconvertibleErrorCode(),
                             "the code generator cannot emit this file type");
  pm.run(module);
  return Error::success();
}
