//===- Diagnostics.h - clang-style errors on .mdl source --------*- C++ -*-===//
//
// Every front-end error goes through here: `file:line:col: error: message`,
// the source line, and a caret with tildes under the range, as clang prints
// them (llvm::SourceMgr does the rendering). Errors are counted so a phase
// can keep going after one and the driver can still fail at the end.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_FRONTEND_DIAGNOSTICS_H
#define CNNC_COMPILER_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
class Location;
class MLIRContext;
} // namespace mlir

namespace cnnc {

class Diagnostics {
public:
  /// Reports against the buffers of `sourceMgr`, printing to `os`.
  Diagnostics(llvm::SourceMgr &sourceMgr, llvm::raw_ostream &os);

  void error(llvm::SMRange range, const llvm::Twine &message);
  void note(llvm::SMRange range, const llvm::Twine &message);
  /// An error about the file as a whole (no line to show).
  void error(const llvm::Twine &message);

  unsigned errorCount() const { return errors; }
  bool hadError() const { return errors != 0; }

  /// Stops reporting after this many errors; one bad byte in a binary file
  /// should not print a million lines.
  static constexpr unsigned kMaxErrors = 20;
  bool tooManyErrors() const { return errors >= kMaxErrors; }

  /// The MLIR location (file, line, column) of `loc`, for the ops built from
  /// the source.
  mlir::Location location(mlir::MLIRContext &context, llvm::SMLoc loc) const;

  llvm::SourceMgr &sourceMgr() const { return sources; }

private:
  void report(llvm::SMRange range, llvm::SourceMgr::DiagKind kind,
              const llvm::Twine &message);

  llvm::SourceMgr &sources;
  llvm::raw_ostream &os;
  unsigned errors = 0;
  bool reportedLimit = false;
};

} // namespace cnnc

#endif // CNNC_COMPILER_FRONTEND_DIAGNOSTICS_H
