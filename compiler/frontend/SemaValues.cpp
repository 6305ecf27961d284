//===- SemaValues.cpp - typed parameter values ----------------------------===//
//
// Reads the values written after `name=` as the type a parameter needs
// (integer, [h, w] pair, number, boolean, initialiser name) and binds call
// arguments to the parameters a callee accepts. Every mismatch is reported at
// the value itself and says what was expected and what was found.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/SemaImpl.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace cnnc;
using namespace cnnc::sema;
using llvm::SMRange;
using llvm::StringRef;

std::string sema::didYouMean(StringRef name,
                             llvm::ArrayRef<StringRef> candidates) {
  StringRef best;
  unsigned bestDistance = 3; // more edits than this is not a typo
  for (StringRef candidate : candidates) {
    unsigned distance =
        name.edit_distance(candidate, /*AllowReplacements=*/true,
                           /*MaxEditDistance=*/bestDistance);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  // One letter off a one-letter name is any other name.
  if (best.empty() || bestDistance >= name.size())
    return "";
  return "; did you mean '" + best.str() + "'?";
}

std::string sema::exampleShape(llvm::ArrayRef<int64_t> shape) {
  return mlir::cnn::formatShape(shape.empty() ? shape : shape.drop_front());
}

StringRef Analyzer::textOf(SMRange range) {
  if (!range.Start.isValid() || !range.End.isValid() ||
      range.End.getPointer() < range.Start.getPointer())
    return "";
  return StringRef(range.Start.getPointer(),
                   range.End.getPointer() - range.Start.getPointer());
}

std::string Analyzer::describe(const ast::Value &value) const {
  switch (value.kind) {
  case ast::Value::Kind::Integer:
  case ast::Value::Kind::Real: {
    StringRef text = textOf(value.range);
    if (!text.empty())
      return "the number " + text.str();
    return "the number " + (value.kind == ast::Value::Kind::Integer
                                ? std::to_string(value.integer)
                                : std::to_string(value.real));
  }
  case ast::Value::Kind::Boolean:
    return value.boolean ? "'true'" : "'false'";
  case ast::Value::Kind::Name:
    if (symbols.count(value.name))
      return "tensor '" + value.name + "'";
    return "the name '" + value.name + "'";
  case ast::Value::Kind::Call:
    return "a call to '" + value.call->callee + "'";
  case ast::Value::Kind::List:
    return "a list of " + std::to_string(value.elements.size()) +
           (value.elements.size() == 1 ? " value" : " values");
  }
  return "a value";
}

std::optional<int64_t> Analyzer::readInteger(const ast::Value &value,
                                             StringRef param, int64_t minimum) {
  if (value.kind != ast::Value::Kind::Integer) {
    diags.error(value.range,
                "'" + param + "' expects an integer, got " + describe(value));
    return std::nullopt;
  }
  if (value.integer < minimum) {
    diags.error(value.range, "'" + param + "' must be at least " +
                                 llvm::Twine(minimum) + ", got " +
                                 llvm::Twine(value.integer));
    return std::nullopt;
  }
  return value.integer;
}

std::optional<std::array<int64_t, 2>>
Analyzer::readPair(const ast::Value &value, StringRef param, int64_t minimum) {
  if (value.kind == ast::Value::Kind::Integer) {
    std::optional<int64_t> both = readInteger(value, param, minimum);
    if (!both)
      return std::nullopt;
    return std::array<int64_t, 2>{*both, *both};
  }
  if (value.kind != ast::Value::Kind::List || value.elements.size() != 2) {
    diags.error(value.range, "'" + param +
                                 "' expects an integer or a list [h, w], got " +
                                 describe(value));
    return std::nullopt;
  }
  std::optional<int64_t> h = readInteger(value.elements[0], param, minimum);
  std::optional<int64_t> w = readInteger(value.elements[1], param, minimum);
  if (!h || !w)
    return std::nullopt;
  return std::array<int64_t, 2>{*h, *w};
}

std::optional<double> Analyzer::readReal(const ast::Value &value,
                                         StringRef param) {
  double number;
  if (value.kind == ast::Value::Kind::Integer)
    number = static_cast<double>(value.integer);
  else if (value.kind == ast::Value::Kind::Real)
    number = value.real;
  else {
    diags.error(value.range,
                "'" + param + "' expects a number, got " + describe(value));
    return std::nullopt;
  }
  // The lexer rejects such numbers; a hand-built tree might not.
  if (!std::isfinite(number)) {
    diags.error(value.range, "'" + param + "' must be a finite number");
    return std::nullopt;
  }
  return number;
}

std::optional<bool> Analyzer::readBool(const ast::Value &value,
                                       StringRef param) {
  if (value.kind == ast::Value::Kind::Boolean)
    return value.boolean;
  diags.error(value.range,
              "'" + param + "' expects true or false, got " + describe(value));
  return std::nullopt;
}

std::optional<Initializer> Analyzer::readInit(const ast::Value &value,
                                              StringRef param) {
  static const Initializer all[] = {Initializer::Default, Initializer::LeCun,
                                    Initializer::Xavier, Initializer::Kaiming};
  if (value.kind == ast::Value::Kind::Name) {
    for (Initializer init : all)
      if (value.name == initializerName(init))
        return init;
    llvm::SmallVector<StringRef> names;
    for (Initializer init : all)
      names.push_back(initializerName(init));
    std::string hint = didYouMean(value.name, names);
    diags.error(value.range,
                "unknown initialiser '" + value.name + "'" +
                    (hint.empty() ? std::string("; expected default, lecun, "
                                                "xavier or kaiming")
                                  : hint));
    return std::nullopt;
  }
  diags.error(value.range, "'" + param +
                               "' expects an initialiser (default, lecun, "
                               "xavier or kaiming), got " +
                               describe(value));
  return std::nullopt;
}

bool Analyzer::bindParams(const ast::Call &call,
                          llvm::ArrayRef<ParamSpec> specs, bool positional,
                          BoundParams &bound) {
  bound.assign(specs.size(), nullptr);
  llvm::SmallVector<SMRange, 8> boundAt(specs.size());
  bool ok = true;
  size_t nextPositional = 0;
  for (const ast::Argument &arg : call.arguments) {
    size_t index;
    SMRange at;
    if (arg.keyword.empty()) {
      if (!positional)
        continue; // a tensor operand; the caller handles those
      if (nextPositional >= specs.size()) {
        diags.error(arg.value.range,
                    call.callee + " takes " +
                        (specs.empty()
                             ? std::string("no arguments")
                             : "at most " + std::to_string(specs.size()) +
                                   " arguments"));
        ok = false;
        continue;
      }
      index = nextPositional++;
      at = arg.value.range;
    } else {
      auto *spec = llvm::find_if(
          specs, [&](const ParamSpec &s) { return s.name == arg.keyword; });
      if (spec == specs.end()) {
        llvm::SmallVector<StringRef> names;
        for (const ParamSpec &s : specs)
          names.push_back(s.name);
        std::string hint = didYouMean(arg.keyword, names);
        if (specs.empty())
          hint = " (" + call.callee + " has no parameters)";
        diags.error(arg.keywordRange, "unknown parameter '" + arg.keyword +
                                          "' of " + call.callee + hint);
        ok = false;
        continue;
      }
      index = spec - specs.begin();
      at = arg.keywordRange;
    }
    if (bound[index]) {
      diags.error(at, "duplicate parameter '" + specs[index].name + "' of " +
                          call.callee);
      diags.note(boundAt[index], "previous value is here");
      ok = false;
      continue;
    }
    bound[index] = &arg.value;
    boundAt[index] = at;
  }
  for (auto [index, spec] : llvm::enumerate(specs)) {
    if (spec.required && !bound[index]) {
      diags.error(call.calleeRange, "missing required parameter '" + spec.name +
                                        "' of " + call.callee);
      ok = false;
    }
  }
  return ok;
}
