//===- Linker.h - an object file into a shared library ----------*- C++ -*-===//
//
// A model's .so is its object file plus libcnnc_model.a (the ABI functions,
// runtime/model/), linked by the system's C compiler driver against libc
// and libm. Code generation stays in process; linking uses the platform's
// linker, as every native compiler does.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_CODEGEN_LINKER_H
#define CNNC_COMPILER_CODEGEN_LINKER_H

#include "llvm/Support/Error.h"

#include <string>

namespace cnnc {

/// Where libcnnc_model.a is: `lib/` next to the `bin/` holding the running
/// cnnc (`argv0` and an address in the executable locate it).
std::string findModelRuntimeArchive(const char *argv0, void *mainAddress);

/// Links `objectPath` and `runtimeArchive` into the shared library
/// `outputPath`, written through a temporary file so that a failed link
/// leaves no partial output (and an existing file untouched).
llvm::Error linkSharedLibrary(const std::string &objectPath,
                              const std::string &runtimeArchive,
                              const std::string &outputPath);

} // namespace cnnc

#endif // CNNC_COMPILER_CODEGEN_LINKER_H
