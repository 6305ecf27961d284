//===- Parser.cpp - .mdl source to syntax tree ----------------------------===//
//
// Each parse function reports its own errors and returns failure; statement
// parsing then resynchronises at the next token that can start a statement
// outside any bracket.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Parser.h"

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Lexer.h"

#include "llvm/Support/SourceMgr.h"

using namespace cnnc;
using Kind = Token::Kind;

namespace {

/// Calls and lists may nest; deeper than this is not a model anyone writes,
/// and stopping here keeps recursion off the end of the stack.
constexpr unsigned kMaxNesting = 64;

class Parser {
public:
  Parser(llvm::StringRef buffer, Diagnostics &diags)
      : lexer(buffer, diags), diags(diags) {
    token = lexer.next();
  }

  std::optional<ast::Model> parseFile();

private:
  // Token handling.
  void consume() {
    previousEnd = token.range().End;
    token = lexer.next();
  }
  bool consumeIf(Kind kind) {
    if (!token.is(kind))
      return false;
    consume();
    return true;
  }
  /// Reports "expected X <context>" at the current token, unless the lexer
  /// already reported it as bad text.
  bool expected(const llvm::Twine &what);
  bool expect(Kind kind, const llvm::Twine &context);
  bool parseName(std::string &name, llvm::SMRange &range,
                 const llvm::Twine &what);

  // Grammar.
  bool parseStatement(ast::Model &model);
  bool parseInput(ast::Model &model);
  bool parseOutput(ast::Model &model);
  bool parseTrain(ast::Model &model);
  bool parseLayer(ast::Model &model);
  bool parseCall(ast::Call &call, std::string callee, llvm::SMRange calleeRange,
                 unsigned depth);
  bool parseValue(ast::Value &value, unsigned depth);
  bool parseList(ast::Value &value, unsigned depth);
  void skipToNextStatement();

  llvm::SMRange rangeFrom(llvm::SMLoc start) const {
    return {start, previousEnd};
  }

  Lexer lexer;
  Diagnostics &diags;
  Token token;
  llvm::SMLoc previousEnd;
};

} // namespace

bool Parser::expected(const llvm::Twine &what) {
  if (!token.is(Kind::Error)) {
    std::string found = token.is(Kind::Eof) ? describe(Kind::Eof).str()
                                            : ("'" + token.text + "'").str();
    diags.error(token.range(), "expected " + what + ", found " + found);
  }
  return false;
}

bool Parser::expect(Kind kind, const llvm::Twine &context) {
  if (consumeIf(kind))
    return true;
  return expected(describe(kind) + " " + context);
}

bool Parser::parseName(std::string &name, llvm::SMRange &range,
                       const llvm::Twine &what) {
  if (!token.is(Kind::Identifier))
    return expected(what);
  name = token.text.str();
  range = token.range();
  consume();
  return true;
}

std::optional<ast::Model> Parser::parseFile() {
  ast::Model model;
  if (token.is(Kind::Eof)) {
    diags.error(token.range(),
                "empty model file; expected 'model <name> { ... }'");
    return std::nullopt;
  }
  if (!expect(Kind::KwModel, "at the start of the file") ||
      !parseName(model.name, model.nameRange, "a model name after 'model'") ||
      !expect(Kind::LBrace, "after the model name"))
    return std::nullopt;

  while (!token.is(Kind::RBrace) && !token.is(Kind::Eof) &&
         !diags.tooManyErrors())
    if (!parseStatement(model))
      skipToNextStatement();

  if (diags.tooManyErrors())
    return std::nullopt;
  if (!token.is(Kind::RBrace)) {
    diags.error(token.range(), "expected '}' to close model '" + model.name +
                                   "', found end of file");
    diags.note(model.nameRange, "model starts here");
    return std::nullopt;
  }
  consume();
  if (!token.is(Kind::Eof)) {
    diags.error(token.range(), "unexpected text after the end of model '" +
                                   model.name + "'; a file holds one model");
    return std::nullopt;
  }
  if (diags.hadError())
    return std::nullopt;
  return model;
}

void Parser::skipToNextStatement() {
  unsigned depth = 0;
  while (!token.is(Kind::Eof)) {
    if (depth == 0 && (token.is(Kind::KwInput) || token.is(Kind::KwOutput) ||
                       token.is(Kind::KwTrain) || token.is(Kind::RBrace)))
      return;
    if (token.is(Kind::LParen) || token.is(Kind::LBracket) ||
        token.is(Kind::LBrace))
      ++depth;
    else if ((token.is(Kind::RParen) || token.is(Kind::RBracket) ||
              token.is(Kind::RBrace)) &&
             depth > 0)
      --depth;
    Token previous = token;
    consume();
    // A name right after the end of a value, outside brackets, starts the
    // next layer (`... ) c3 = conv2d(...)`).
    bool endsValue = previous.is(Kind::RParen) || previous.is(Kind::RBracket) ||
                     previous.is(Kind::Integer) || previous.is(Kind::Real) ||
                     previous.is(Kind::KwTrue) || previous.is(Kind::KwFalse);
    if (depth == 0 && endsValue && token.is(Kind::Identifier))
      return;
  }
}

bool Parser::parseStatement(ast::Model &model) {
  switch (token.kind) {
  case Kind::KwInput:
    return parseInput(model);
  case Kind::KwOutput:
    return parseOutput(model);
  case Kind::KwTrain:
    return parseTrain(model);
  case Kind::Identifier:
    return parseLayer(model);
  default:
    return expected("a statement ('input', 'output', 'train' or "
                    "'<name> = <layer>(...)')");
  }
}

bool Parser::parseInput(ast::Model &model) {
  consume(); // input
  ast::InputDecl input;
  if (!parseName(input.name, input.nameRange, "an input name after 'input'") ||
      !expect(Kind::Colon, "after the input name"))
    return false;

  llvm::SMLoc typeStart = token.loc();
  if (token.is(Kind::Identifier) && token.text == "f32")
    input.elementType = ast::InputDecl::ElementType::F32;
  else if (token.is(Kind::Identifier) && token.text == "i32")
    input.elementType = ast::InputDecl::ElementType::I32;
  else
    return expected("an element type ('f32' or 'i32')");
  consume();
  if (!expect(Kind::LBracket, "after the element type (the shape of one "
                              "example, e.g. f32[1, 28, 28])"))
    return false;
  if (!token.is(Kind::RBracket)) {
    do {
      if (!token.is(Kind::Integer))
        return expected("a dimension size");
      if (token.integer < 1) {
        diags.error(token.range(),
                    "dimension size must be at least 1, got " + token.text);
        return false;
      }
      input.dims.push_back(token.integer);
      consume();
    } while (consumeIf(Kind::Comma));
  }
  if (!expect(Kind::RBracket, "to close the shape"))
    return false;
  input.typeRange = rangeFrom(typeStart);
  model.inputs.push_back(std::move(input));
  return true;
}

bool Parser::parseOutput(ast::Model &model) {
  consume(); // output
  do {
    ast::OutputRef output;
    if (!parseName(output.name, output.range, "a value name after 'output'"))
      return false;
    model.outputs.push_back(std::move(output));
  } while (consumeIf(Kind::Comma));
  return true;
}

bool Parser::parseTrain(ast::Model &model) {
  if (model.trainRange.isValid()) {
    diags.error(token.range(), "a model has one 'train' section");
    diags.note(model.trainRange, "previous 'train' section is here");
  }
  model.trainRange = token.range();
  consume(); // train
  if (!expect(Kind::LBrace, "after 'train'"))
    return false;
  while (!token.is(Kind::RBrace) && !token.is(Kind::Eof) &&
         !diags.tooManyErrors()) {
    ast::TrainSetting setting;
    if (!parseName(setting.key, setting.keyRange,
                   "a setting name ('loss', 'optimizer', ...)") ||
        !expect(Kind::Equal, "after '" + setting.key + "'") ||
        !parseValue(setting.value, 0)) {
      // Resynchronise inside the section: skip to the next `name =`.
      while (!token.is(Kind::Eof) && !token.is(Kind::RBrace) &&
             !token.is(Kind::Identifier))
        consume();
      continue;
    }
    model.train.push_back(std::move(setting));
  }
  return expect(Kind::RBrace, "to close the 'train' section");
}

bool Parser::parseLayer(ast::Model &model) {
  ast::LayerDef layer;
  parseName(layer.name, layer.nameRange, "a name");
  if (!expect(Kind::Equal, "after '" + layer.name +
                               "' (a layer is written "
                               "'<name> = <layer>(...)')"))
    return false;
  std::string callee;
  llvm::SMRange calleeRange;
  if (!parseName(callee, calleeRange, "a layer name after '='"))
    return false;
  if (!parseCall(layer.call, std::move(callee), calleeRange, 0))
    return false;
  model.layers.push_back(std::move(layer));
  return true;
}

bool Parser::parseCall(ast::Call &call, std::string callee,
                       llvm::SMRange calleeRange, unsigned depth) {
  call.callee = std::move(callee);
  call.calleeRange = calleeRange;
  if (!expect(Kind::LParen, "after '" + call.callee + "'"))
    return false;
  if (!token.is(Kind::RParen)) {
    do {
      ast::Argument argument;
      if (token.is(Kind::Identifier)) {
        Token name = token;
        consume();
        if (consumeIf(Kind::Equal)) {
          argument.keyword = name.text.str();
          argument.keywordRange = name.range();
        } else if (token.is(Kind::LParen)) {
          argument.value.kind = ast::Value::Kind::Call;
          argument.value.call = std::make_unique<ast::Call>();
          if (depth + 1 >= kMaxNesting) {
            diags.error(name.range(), "calls nested more than " +
                                          llvm::Twine(kMaxNesting) + " deep");
            return false;
          }
          if (!parseCall(*argument.value.call, name.text.str(), name.range(),
                         depth + 1))
            return false;
          argument.value.range = argument.value.call->range;
          call.arguments.push_back(std::move(argument));
          continue;
        } else {
          argument.value.kind = ast::Value::Kind::Name;
          argument.value.name = name.text.str();
          argument.value.range = name.range();
          call.arguments.push_back(std::move(argument));
          continue;
        }
      }
      if (!parseValue(argument.value, depth + 1))
        return false;
      call.arguments.push_back(std::move(argument));
    } while (consumeIf(Kind::Comma));
  }
  if (!expect(Kind::RParen, "to close the arguments of '" + call.callee + "'"))
    return false;
  call.range = rangeFrom(calleeRange.Start);
  return true;
}

bool Parser::parseValue(ast::Value &value, unsigned depth) {
  if (depth >= kMaxNesting) {
    diags.error(token.range(), "values nested more than " +
                                   llvm::Twine(kMaxNesting) + " deep");
    return false;
  }
  value.range = token.range();
  switch (token.kind) {
  case Kind::Integer:
    value.kind = ast::Value::Kind::Integer;
    value.integer = token.integer;
    value.real = token.real;
    consume();
    return true;
  case Kind::Real:
    value.kind = ast::Value::Kind::Real;
    value.real = token.real;
    consume();
    return true;
  case Kind::KwTrue:
  case Kind::KwFalse:
    value.kind = ast::Value::Kind::Boolean;
    value.boolean = token.is(Kind::KwTrue);
    consume();
    return true;
  case Kind::LBracket:
    return parseList(value, depth);
  case Kind::Identifier: {
    Token name = token;
    consume();
    if (!token.is(Kind::LParen)) {
      value.kind = ast::Value::Kind::Name;
      value.name = name.text.str();
      return true;
    }
    value.kind = ast::Value::Kind::Call;
    value.call = std::make_unique<ast::Call>();
    if (!parseCall(*value.call, name.text.str(), name.range(), depth + 1))
      return false;
    value.range = value.call->range;
    return true;
  }
  default:
    return expected("a value (a number, a name, a call or a list)");
  }
}

bool Parser::parseList(ast::Value &value, unsigned depth) {
  llvm::SMLoc start = token.loc();
  consume(); // [
  value.kind = ast::Value::Kind::List;
  if (!token.is(Kind::RBracket)) {
    do {
      ast::Value element;
      if (!parseValue(element, depth + 1))
        return false;
      value.elements.push_back(std::move(element));
    } while (consumeIf(Kind::Comma));
  }
  if (!expect(Kind::RBracket, "to close the list"))
    return false;
  value.range = rangeFrom(start);
  return true;
}

std::optional<ast::Model> cnnc::parseModel(llvm::SourceMgr &sourceMgr,
                                           Diagnostics &diags) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  return Parser(buffer->getBuffer(), diags).parseFile();
}
