//===- Lexer.h - tokens of the .mdl language --------------------*- C++ -*-===//
//
// Splits a .mdl buffer into tokens. Any byte sequence is accepted: what is
// not a token becomes an error token (reported once per run of bad bytes) so
// the parser can go on.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_FRONTEND_LEXER_H
#define CNNC_COMPILER_FRONTEND_LEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>

namespace cnnc {

class Diagnostics;

struct Token {
  enum class Kind {
    Eof,
    Error, // bad bytes, already reported
    Identifier,
    Integer,
    Real,
    // Keywords.
    KwModel,
    KwInput,
    KwOutput,
    KwTrain,
    KwTrue,
    KwFalse,
    // Punctuation.
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Equal,
    Colon,
  };

  Kind kind = Kind::Eof;
  llvm::StringRef text;
  int64_t integer = 0; // Kind::Integer
  double real = 0;     // Kind::Integer and Kind::Real

  bool is(Kind k) const { return kind == k; }
  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.begin()); }
  llvm::SMRange range() const {
    return {loc(), llvm::SMLoc::getFromPointer(text.end())};
  }
};

/// How a token kind reads in messages: "'{'", "identifier", "end of file".
llvm::StringRef describe(Token::Kind kind);

class Lexer {
public:
  Lexer(llvm::StringRef buffer, Diagnostics &diags);

  Token next();

private:
  Token make(Token::Kind kind, const char *start);
  Token lexNumber(const char *start);
  Token lexIdentifier(const char *start);
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  const char *current;
  Diagnostics &diags;
};

} // namespace cnnc

#endif // CNNC_COMPILER_FRONTEND_LEXER_H
