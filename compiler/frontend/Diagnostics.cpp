//===- Diagnostics.cpp - clang-style errors on .mdl source ----------------===//

#include "compiler/frontend/Diagnostics.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

using namespace cnnc;

Diagnostics::Diagnostics(llvm::SourceMgr &sourceMgr, llvm::raw_ostream &os)
    : sources(sourceMgr), os(os) {}

void Diagnostics::report(llvm::SMRange range, llvm::SourceMgr::DiagKind kind,
                         const llvm::Twine &message) {
  if (tooManyErrors()) {
    if (!reportedLimit)
      os << "cnnc: too many errors, stopping\n";
    reportedLimit = true;
    return;
  }
  if (kind == llvm::SourceMgr::DK_Error)
    ++errors;
  llvm::ArrayRef<llvm::SMRange> ranges;
  if (range.isValid() && range.Start != range.End)
    ranges = range;
  sources.PrintMessage(os, range.Start, kind, message, ranges);
}

void Diagnostics::error(llvm::SMRange range, const llvm::Twine &message) {
  report(range, llvm::SourceMgr::DK_Error, message);
}

void Diagnostics::note(llvm::SMRange range, const llvm::Twine &message) {
  report(range, llvm::SourceMgr::DK_Note, message);
}

void Diagnostics::error(const llvm::Twine &message) {
  llvm::SMLoc start;
  if (sources.getNumBuffers() != 0)
    start = llvm::SMLoc::getFromPointer(
        sources.getMemoryBuffer(sources.getMainFileID())->getBufferStart());
  report(llvm::SMRange(start, start), llvm::SourceMgr::DK_Error, message);
}

mlir::Location Diagnostics::location(mlir::MLIRContext &context,
                                     llvm::SMLoc loc) const {
  unsigned buffer = sources.FindBufferContainingLoc(loc);
  if (buffer == 0)
    return mlir::UnknownLoc::get(&context);
  auto [line, column] = sources.getLineAndColumn(loc, buffer);
  return mlir::FileLineColLoc::get(
      &context, sources.getMemoryBuffer(buffer)->getBufferIdentifier(), line,
      column);
}
