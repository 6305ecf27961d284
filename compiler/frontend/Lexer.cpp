//===- Lexer.cpp - tokens of the .mdl language ----------------------------===//

#include "compiler/frontend/Lexer.h"

#include "compiler/frontend/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

using namespace cnnc;
using Kind = Token::Kind;

static bool isIdentifierStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentifierChar(char c) { return llvm::isAlnum(c) || c == '_'; }

llvm::StringRef cnnc::describe(Kind kind) {
  switch (kind) {
  case Kind::Eof:
    return "end of file";
  case Kind::Error:
    return "invalid text";
  case Kind::Identifier:
    return "a name";
  case Kind::Integer:
    return "an integer";
  case Kind::Real:
    return "a number";
  case Kind::KwModel:
    return "'model'";
  case Kind::KwInput:
    return "'input'";
  case Kind::KwOutput:
    return "'output'";
  case Kind::KwTrain:
    return "'train'";
  case Kind::KwTrue:
    return "'true'";
  case Kind::KwFalse:
    return "'false'";
  case Kind::LBrace:
    return "'{'";
  case Kind::RBrace:
    return "'}'";
  case Kind::LParen:
    return "'('";
  case Kind::RParen:
    return "')'";
  case Kind::LBracket:
    return "'['";
  case Kind::RBracket:
    return "']'";
  case Kind::Comma:
    return "','";
  case Kind::Equal:
    return "'='";
  case Kind::Colon:
    return "':'";
  }
  return "a token";
}

Lexer::Lexer(llvm::StringRef buffer, Diagnostics &diags)
    : buffer(buffer), current(buffer.begin()), diags(diags) {}

Token Lexer::make(Kind kind, const char *start) {
  Token token;
  token.kind = kind;
  token.text = llvm::StringRef(start, current - start);
  return token;
}

void Lexer::skipSpaceAndComments() {
  while (current != buffer.end()) {
    if (*current == '#') {
      while (current != buffer.end() && *current != '\n')
        ++current;
    } else if (llvm::isSpace(*current)) {
      ++current;
    } else {
      return;
    }
  }
}

Token Lexer::next() {
  skipSpaceAndComments();
  const char *start = current;
  if (current == buffer.end())
    return make(Kind::Eof, start);

  char c = *current++;
  switch (c) {
  case '{':
    return make(Kind::LBrace, start);
  case '}':
    return make(Kind::RBrace, start);
  case '(':
    return make(Kind::LParen, start);
  case ')':
    return make(Kind::RParen, start);
  case '[':
    return make(Kind::LBracket, start);
  case ']':
    return make(Kind::RBracket, start);
  case ',':
    return make(Kind::Comma, start);
  case '=':
    return make(Kind::Equal, start);
  case ':':
    return make(Kind::Colon, start);
  default:
    break;
  }
  if (llvm::isDigit(c) || c == '-' || c == '.')
    return lexNumber(start);
  if (isIdentifierStart(c))
    return lexIdentifier(start);

  // A run of bytes that cannot start a token is one error, not one per byte.
  while (current != buffer.end() && !llvm::isSpace(*current) &&
         !llvm::isAlnum(*current) &&
         !llvm::StringRef("{}()[],=:#").contains(*current))
    ++current;
  Token bad = make(Kind::Error, start);
  unsigned char byte = static_cast<unsigned char>(c);
  if (llvm::isPrint(c))
    diags.error(bad.range(), "unexpected character '" + llvm::Twine(c) + "'");
  else
    diags.error(bad.range(),
                "unexpected byte 0x" +
                    llvm::utohexstr(byte, /*LowerCase=*/true,
                                    /*Width=*/2) +
                    (byte >= 0x80 ? " (non-ASCII text is allowed only in "
                                    "comments)"
                                  : ""));
  return bad;
}

Token Lexer::lexIdentifier(const char *start) {
  while (current != buffer.end() && isIdentifierChar(*current))
    ++current;
  llvm::StringRef text(start, current - start);
  Kind kind = llvm::StringSwitch<Kind>(text)
                  .Case("model", Kind::KwModel)
                  .Case("input", Kind::KwInput)
                  .Case("output", Kind::KwOutput)
                  .Case("train", Kind::KwTrain)
                  .Case("true", Kind::KwTrue)
                  .Case("false", Kind::KwFalse)
                  .Default(Kind::Identifier);
  return make(kind, start);
}

/// `-`? digits (`.` digits?)? ([eE] [+-]? digits)?, or `-`? `.` digits ...
Token Lexer::lexNumber(const char *start) {
  auto digits = [&] {
    const char *from = current;
    while (current != buffer.end() && llvm::isDigit(*current))
      ++current;
    return current != from;
  };
  current = start;
  if (*current == '-')
    ++current;
  bool hasDigits = digits();
  bool isReal = false;
  if (current != buffer.end() && *current == '.') {
    ++current;
    isReal = true;
    hasDigits |= digits();
  }
  if (hasDigits && current != buffer.end() &&
      (*current == 'e' || *current == 'E')) {
    const char *exponent = current++;
    if (current != buffer.end() && (*current == '+' || *current == '-'))
      ++current;
    if (digits())
      isReal = true;
    else
      current = exponent; // `2e` is the number 2 followed by a name
  }
  // A number glued to letters (`5x5`, `1.0f`) is a typo, not two tokens.
  while (current != buffer.end() && isIdentifierChar(*current))
    ++current, hasDigits = false;

  Token token = make(isReal ? Kind::Real : Kind::Integer, start);
  if (!hasDigits) {
    diags.error(token.range(), "invalid number '" + token.text + "'");
    token.kind = Kind::Error;
    return token;
  }
  // strtod/strtoll need a terminator; the buffer may not have one here.
  std::string text = token.text.str();
  errno = 0;
  token.real = std::strtod(text.c_str(), nullptr);
  if (!isReal) {
    errno = 0;
    token.integer = std::strtoll(text.c_str(), nullptr, 10);
    if (errno == ERANGE) {
      diags.error(token.range(),
                  "integer '" + token.text + "' does not fit in 64 bits");
      token.kind = Kind::Error;
    }
  } else if (!std::isfinite(token.real)) {
    diags.error(token.range(), "number '" + token.text + "' is out of range");
    token.kind = Kind::Error;
  }
  return token;
}
