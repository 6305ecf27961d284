//===- Parser.h - .mdl source to syntax tree --------------------*- C++ -*-===//
//
// A recursive-descent parser for the grammar in docs/language.md. After a
// syntax error it skips to the next statement and goes on, so one run reports
// several errors. Nesting is bounded so that no input can exhaust the stack.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_FRONTEND_PARSER_H
#define CNNC_COMPILER_FRONTEND_PARSER_H

#include "compiler/frontend/AST.h"

#include <optional>

namespace llvm {
class SourceMgr;
} // namespace llvm

namespace cnnc {

class Diagnostics;

/// Parses the main buffer of `sourceMgr`. Returns the model, or nothing if a
/// syntax error was reported.
std::optional<ast::Model> parseModel(llvm::SourceMgr &sourceMgr,
                                     Diagnostics &diags);

} // namespace cnnc

#endif // CNNC_COMPILER_FRONTEND_PARSER_H
