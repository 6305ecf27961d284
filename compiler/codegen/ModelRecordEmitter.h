//===- ModelRecordEmitter.h - the model record inside the object -*- C++
//-*-===//
//
// Adds to the translated LLVM module what runtime/model/ModelAbi.cpp reads:
// the constant `cnnc_model_record_v5` (layout: runtime/model/ModelRecord.h)
// and the packed entry point it names.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_CODEGEN_MODELRECORDEMITTER_H
#define CNNC_COMPILER_CODEGEN_MODELRECORDEMITTER_H

#include "compiler/codegen/ModelDescription.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace llvm {
class Module;
} // namespace llvm

namespace cnnc {

/// Emits the record and an entry `void cnnc_infer_packed(void **args)` that
/// unpacks `args` (ModelRecord.h says how) into a call of
/// `_mlir_ciface_<model>`, and likewise for the training entries. With a
/// `cudaArch`, the module also holds the CUDA entries (`<function>_gpu`),
/// recorded next to the CPU ones. Fails if a function is missing (the module
/// was lowered without `llvm.emit_c_interface`).
llvm::Error emitModelRecord(llvm::Module &module, const ModelDescription &model,
                            llvm::StringRef cudaArch = "");

/// Gives every symbol the module defines hidden visibility: the .so exports
/// the ABI of cnnc.h and nothing of the generated code.
void hideGeneratedSymbols(llvm::Module &module);

} // namespace cnnc

#endif // CNNC_COMPILER_CODEGEN_MODELRECORDEMITTER_H
