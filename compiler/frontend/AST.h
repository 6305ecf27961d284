//===- AST.h - syntax tree of a .mdl model ----------------------*- C++ -*-===//
//
// What the parser produces and semantic analysis consumes: the model exactly
// as written, with the source range of every piece so any later error can
// point at it. No meaning is attached here (names are not resolved, layers
// not looked up); see Sema.h for that.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_FRONTEND_AST_H
#define CNNC_COMPILER_FRONTEND_AST_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace cnnc::ast {

struct Call;

/// A value written in the source: a number, a boolean, a name, a call or a
/// list of values.
struct Value {
  enum class Kind { Integer, Real, Boolean, Name, Call, List };

  Kind kind;
  llvm::SMRange range;
  int64_t integer = 0;         // Kind::Integer
  double real = 0;             // Kind::Real (also set for Integer)
  bool boolean = false;        // Kind::Boolean
  std::string name;            // Kind::Name
  std::unique_ptr<Call> call;  // Kind::Call
  std::vector<Value> elements; // Kind::List

  bool isNumber() const { return kind == Kind::Integer || kind == Kind::Real; }
};

/// One argument of a call: positional (`keyword` empty) or `keyword=value`.
struct Argument {
  std::string keyword;
  llvm::SMRange keywordRange; // empty for positional arguments
  Value value;
};

/// `callee(arg, ..., key=value, ...)`: a layer, a loss, an optimizer or a
/// schedule, depending on where it appears.
struct Call {
  std::string callee;
  llvm::SMRange calleeRange;
  llvm::SMRange range; // from the callee to the closing parenthesis
  std::vector<Argument> arguments;
};

/// `input name: f32[1, 28, 28]`; `dims` is the shape of one example.
struct InputDecl {
  std::string name;
  llvm::SMRange nameRange;
  enum class ElementType { F32, I32 } elementType;
  llvm::SMRange typeRange;
  std::vector<int64_t> dims;
};

/// `name = call`.
struct LayerDef {
  std::string name;
  llvm::SMRange nameRange;
  Call call;
};

/// One name of an `output a, b` statement.
struct OutputRef {
  std::string name;
  llvm::SMRange range;
};

/// `key = value` inside `train { ... }`.
struct TrainSetting {
  std::string key;
  llvm::SMRange keyRange;
  Value value;
};

/// A whole `model name { ... }`, statements in source order by kind.
struct Model {
  std::string name;
  llvm::SMRange nameRange;
  std::vector<InputDecl> inputs;
  std::vector<LayerDef> layers;
  std::vector<OutputRef> outputs;
  std::vector<TrainSetting> train;
  llvm::SMRange trainRange; // the `train` keyword; empty without a section
};

/// Prints the tree as indented text (`cnnc --emit=ast`).
void print(const Model &model, llvm::raw_ostream &os);

} // namespace cnnc::ast

#endif // CNNC_COMPILER_FRONTEND_AST_H
