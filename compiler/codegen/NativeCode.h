//===- NativeCode.h - LLVM IR to optimised machine code, in process -------===//
//
// The last compiler steps for the CPU: translate the llvm-dialect module to
// LLVM IR, optimise it at -O3 for the chosen CPU and emit assembly or an
// object file with llvm::TargetMachine. Nothing is shelled out.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_CODEGEN_NATIVECODE_H
#define CNNC_COMPILER_CODEGEN_NATIVECODE_H

#include "llvm/Support/CodeGen.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace cnnc {

/// `cpu` is "host" (this machine's CPU and features, the default),
/// "generic" (the target's baseline: a portable .so), or an LLVM CPU name
/// such as "x86-64-v3" or "znver4". Fails with a message for an unknown
/// name.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const std::string &cpu);

/// Sets the module's triple and data layout from `machine`, then runs
/// LLVM's -O3 pipeline tuned for it.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine);

/// Writes assembly or an object file.
llvm::Error emitMachineCode(llvm::Module &module, llvm::TargetMachine &machine,
                            llvm::CodeGenFileType type,
                            llvm::raw_pwrite_stream &os);

} // namespace cnnc

#endif // CNNC_COMPILER_CODEGEN_NATIVECODE_H
