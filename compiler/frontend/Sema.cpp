//===- Sema.cpp - names and the graph of a .mdl model ---------------------===//
//
// Resolves every name a model uses, walks the layer statements in source
// order (which, since a layer reads only values defined above it, is a
// topological order) and turns each call into CheckedLayers. Uses of later
// values are reported as cycles when the later value depends back on the
// statement, otherwise as uses before definition.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/SemaImpl.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"

#include <algorithm>

using namespace cnnc;
using namespace cnnc::sema;
using llvm::SMRange;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Analyzer
//===----------------------------------------------------------------------===//

/// True when both locations are known and `a` comes after `b` in the source.
static bool isAfter(llvm::SMLoc a, llvm::SMLoc b) {
  return a.isValid() && b.isValid() && a.getPointer() > b.getPointer();
}

Analyzer::Analyzer(const ast::Model &model, Diagnostics &diags)
    : model(model), diags(diags) {
  result.name = model.name;
  result.range = model.nameRange;
}

std::unique_ptr<CheckedModel> Analyzer::run() {
  unsigned errorsBefore = diags.errorCount();
  declareNames();
  for (unsigned i = 0; i < model.layers.size() && !diags.tooManyErrors(); ++i)
    analyzeStatement(i);
  analyzeOutputs();
  analyzeTrain();
  checkUnusedInputs();
  checkTotals();
  if (diags.errorCount() != errorsBefore || diags.tooManyErrors())
    return nullptr;
  return std::make_unique<CheckedModel>(std::move(result));
}

void Analyzer::declareNames() {
  for (const ast::InputDecl &decl : model.inputs) {
    CheckedInput input;
    input.name = decl.name;
    input.range = decl.nameRange;
    input.isInteger = decl.elementType == ast::InputDecl::ElementType::I32;
    input.shape.push_back(mlir::ShapedType::kDynamic);
    input.shape.append(decl.dims.begin(), decl.dims.end());
    result.inputs.push_back(std::move(input));
  }
  inputUsed.assign(model.inputs.size(), false);
  statements.resize(model.layers.size());

  // Definitions in source order, so the note points at the first one
  // whichever kind of statement it is.
  struct Definition {
    const char *position;
    bool isInput;
    unsigned index;
  };
  std::vector<Definition> definitions;
  for (auto [i, decl] : llvm::enumerate(model.inputs))
    definitions.push_back(
        {decl.nameRange.Start.getPointer(), true, static_cast<unsigned>(i)});
  for (auto [i, def] : llvm::enumerate(model.layers))
    definitions.push_back(
        {def.nameRange.Start.getPointer(), false, static_cast<unsigned>(i)});
  std::stable_sort(definitions.begin(), definitions.end(),
                   [](const Definition &a, const Definition &b) {
                     return std::less<const char *>()(a.position, b.position);
                   });

  for (const Definition &def : definitions) {
    const std::string &name = def.isInput ? model.inputs[def.index].name
                                          : model.layers[def.index].name;
    SMRange range = def.isInput ? model.inputs[def.index].nameRange
                                : model.layers[def.index].nameRange;
    auto [it, inserted] =
        symbols.try_emplace(name, Symbol{def.isInput, def.index, range});
    if (inserted)
      continue;
    if (def.isInput) {
      reportRedefinition(name, range, it->second.range);
      inputUsed[def.index] = true; // not "unused" on top of "redefined"
    } else {
      // Reported when the statement is reached, to keep errors in order.
      statements[def.index].duplicate = true;
      statements[def.index].previous = it->second.range;
    }
  }
}

void Analyzer::reportRedefinition(StringRef name, SMRange range,
                                  SMRange previous) {
  diags.error(range, "redefinition of '" + name + "'");
  diags.note(previous, "previous definition is here");
}

void Analyzer::analyzeStatement(unsigned index) {
  const ast::LayerDef &def = model.layers[index];
  if (statements[index].duplicate)
    reportRedefinition(def.name, def.nameRange, statements[index].previous);
  std::optional<ValueRef> value =
      resolveCall(def.call, index, /*outermost=*/true);
  if (!statements[index].duplicate)
    statements[index].value = value;
}

std::optional<ValueRef> Analyzer::resolveCall(const ast::Call &call,
                                              unsigned statement,
                                              bool outermost) {
  const LayerInfo *info = lookupLayer(call.callee);
  if (!info) {
    reportUnknownLayer(call);
    // Still resolve the tensors it reads: undefined names and inner calls
    // have errors of their own, and inputs read here are not unused. What an
    // unknown layer accepts is unknown, so inputs are not checked further.
    for (const ast::Argument &arg : call.arguments) {
      if (!arg.keyword.empty())
        continue;
      auto it = arg.value.kind == ast::Value::Kind::Name
                    ? symbols.find(arg.value.name)
                    : symbols.end();
      if (it != symbols.end() && it->second.isInput)
        inputUsed[it->second.index] = true;
      else if (arg.value.kind == ast::Value::Kind::Name ||
               arg.value.kind == ast::Value::Kind::Call)
        resolveOperand(arg.value, statement);
    }
    return std::nullopt;
  }

  // Operands first: inner layers precede this one in the topological order.
  llvm::SmallVector<ValueRef, 2> operands;
  llvm::SmallVector<const ast::Value *, 2> positional;
  bool valid = true;
  for (const ast::Argument &arg : call.arguments) {
    if (!arg.keyword.empty())
      continue;
    positional.push_back(&arg.value);
    if (arg.value.kind != ast::Value::Kind::Name &&
        arg.value.kind != ast::Value::Kind::Call) {
      diags.error(arg.value.range,
                  call.callee + " reads tensors as positional arguments, got " +
                      describe(arg.value) + "; write parameters as name=value");
      valid = false;
      continue;
    }
    if (std::optional<ValueRef> operand = resolveOperand(arg.value, statement))
      operands.push_back(*operand);
    else
      valid = false;
  }

  unsigned count = positional.size();
  if (count < info->minOperands || count > info->maxOperands) {
    std::string expected = info->maxOperands == UINT_MAX
                               ? std::string("two or more tensors")
                               : std::string("one tensor");
    std::string got = count == 0 ? std::string("none") : std::to_string(count);
    SMRange where = count > info->maxOperands
                        ? positional[info->maxOperands]->range
                        : call.range;
    diags.error(where, call.callee + " reads " + expected + ", got " + got);
    valid = false;
  }

  Statement &state = statements[statement];
  if (info->hasParams) {
    if (state.paramLayer) {
      diags.error(call.calleeRange,
                  "'" + model.layers[statement].name +
                      "' already has a layer with parameters; a statement "
                      "holds at most one, so give this " +
                      call.callee + " a statement of its own");
      diags.note(state.paramLayer->calleeRange,
                 "the first layer with parameters is here");
      valid = false;
    } else {
      state.paramLayer = &call;
    }
  }

  BoundParams args;
  bool bound = bindParams(call, info->params, /*positional=*/false, args);

  CheckedLayer layer;
  layer.name = outermost ? model.layers[statement].name
                         : innerLayerName(statement, call.callee);
  layer.kind = info->kind;
  layer.range = call.range;
  layer.operands = operands;
  // Parameters are named after the statement (`c1.weight` for
  // `c1 = tanh(conv2d(...))`), which the one-per-statement rule keeps unique.
  bool checked =
      checkLayer(*info, call, args, valid, model.layers[statement].name, layer);
  if (!checked || !valid || !bound)
    return std::nullopt;
  result.layers.push_back(std::move(layer));
  return ValueRef::layer(result.layers.size() - 1);
}

void Analyzer::reportUnknownLayer(const ast::Call &call) {
  StringRef callee = call.callee;
  if (callee == "cross_entropy" || callee == "mse") {
    diags.error(call.calleeRange,
                "'" + callee +
                    "' is a loss, not a layer; write it in the train "
                    "section as 'loss = " +
                    callee + "(...)'");
    return;
  }
  diags.error(call.calleeRange, "unknown layer '" + callee + "'" +
                                    didYouMean(callee, layerNames()));
}

std::string Analyzer::innerLayerName(unsigned statement, StringRef callee) {
  unsigned &uses = statements[statement].innerNames[callee];
  ++uses;
  std::string name = model.layers[statement].name + "." + callee.str();
  if (uses > 1)
    name += "_" + std::to_string(uses);
  return name;
}

std::optional<ValueRef> Analyzer::resolveOperand(const ast::Value &value,
                                                 unsigned statement) {
  if (value.kind == ast::Value::Kind::Call)
    return resolveCall(*value.call, statement, /*outermost=*/false);

  auto it = symbols.find(value.name);
  if (it == symbols.end()) {
    llvm::SmallVector<StringRef> names;
    for (const auto &entry : symbols)
      names.push_back(entry.getKey());
    diags.error(value.range, "undefined name '" + value.name + "'" +
                                 didYouMean(value.name, names));
    return std::nullopt;
  }
  const Symbol &symbol = it->second;
  if (!symbol.isInput)
    return resolveStatementName(value, statement, symbol.index);

  inputUsed[symbol.index] = true;
  if (isAfter(symbol.range.Start, model.layers[statement].nameRange.Start)) {
    diags.error(value.range,
                "input '" + value.name + "' is used before its declaration");
    diags.note(symbol.range, "'" + value.name + "' is declared here");
    return std::nullopt;
  }
  CheckedInput &input = result.inputs[symbol.index];
  if (input.isInteger) {
    diags.error(value.range, "input '" + value.name +
                                 "' is i32 and layers read f32 tensors; an "
                                 "i32[] input holds labels for the loss");
    return std::nullopt;
  }
  input.forward = true;
  return ValueRef::input(symbol.index);
}

std::optional<ValueRef> Analyzer::resolveStatementName(const ast::Value &value,
                                                       unsigned statement,
                                                       unsigned defined) {
  if (defined < statement)
    return statements[defined].value; // none: its error is already reported

  const std::string &name = value.name;
  if (defined == statement) {
    diags.error(value.range, "'" + name + "' is used in its own definition");
    return std::nullopt;
  }
  if (onReportedCycle.count(statement) && onReportedCycle.count(defined))
    return std::nullopt;
  llvm::SmallVector<unsigned> path = dependencyPath(defined, statement);
  if (path.empty()) {
    diags.error(value.range,
                "'" + name +
                    "' is used before its definition; a layer reads only "
                    "values defined above it");
  } else {
    // path runs from `defined` back to `statement`.
    std::string cycle = "cycle in the graph: " + model.layers[statement].name +
                        " reads " + name;
    for (unsigned step : llvm::drop_begin(path))
      cycle += ", which reads " + model.layers[step].name;
    diags.error(value.range, cycle);
    onReportedCycle.insert(path.begin(), path.end());
  }
  diags.note(model.layers[defined].nameRange, "'" + name + "' is defined here");
  return std::nullopt;
}

void Analyzer::collectReads(const ast::Call &call,
                            llvm::SmallVectorImpl<unsigned> &out) {
  for (const ast::Argument &arg : call.arguments) {
    if (!arg.keyword.empty())
      continue;
    if (arg.value.kind == ast::Value::Kind::Call) {
      collectReads(*arg.value.call, out);
    } else if (arg.value.kind == ast::Value::Kind::Name) {
      auto it = symbols.find(arg.value.name);
      if (it != symbols.end() && !it->second.isInput)
        out.push_back(it->second.index);
    }
  }
}

llvm::SmallVector<unsigned> Analyzer::dependencyPath(unsigned from,
                                                     unsigned to) {
  // Depth-first search over "statement reads statement", iterative so a long
  // chain cannot exhaust the stack.
  std::vector<int> parent(model.layers.size(), -1);
  std::vector<bool> visited(model.layers.size(), false);
  llvm::SmallVector<unsigned> stack{from};
  visited[from] = true;
  while (!stack.empty()) {
    unsigned current = stack.pop_back_val();
    if (current == to) {
      llvm::SmallVector<unsigned> path;
      for (int at = static_cast<int>(to); at != -1; at = parent[at])
        path.push_back(static_cast<unsigned>(at));
      std::reverse(path.begin(), path.end());
      return path;
    }
    llvm::SmallVector<unsigned> reads;
    collectReads(model.layers[current].call, reads);
    for (unsigned next : reads) {
      if (visited[next])
        continue;
      visited[next] = true;
      parent[next] = static_cast<int>(current);
      stack.push_back(next);
    }
  }
  return {};
}

std::optional<ValueRef> Analyzer::lookupValue(const std::string &name,
                                              SMRange range, bool forward) {
  auto it = symbols.find(name);
  if (it == symbols.end()) {
    llvm::SmallVector<StringRef> names;
    for (const auto &entry : symbols)
      names.push_back(entry.getKey());
    diags.error(range,
                "undefined name '" + name + "'" + didYouMean(name, names));
    return std::nullopt;
  }
  const Symbol &symbol = it->second;
  if (!symbol.isInput)
    return statements[symbol.index].value;
  inputUsed[symbol.index] = true;
  if (forward)
    result.inputs[symbol.index].forward = true;
  return ValueRef::input(symbol.index);
}

void Analyzer::analyzeOutputs() {
  if (model.outputs.empty())
    diags.error(model.nameRange,
                "model '" + model.name +
                    "' has no output; add 'output <name>' naming the values "
                    "inference returns");
  llvm::StringMap<SMRange> listed;
  for (const ast::OutputRef &output : model.outputs) {
    auto [it, inserted] = listed.try_emplace(output.name, output.range);
    if (!inserted) {
      diags.error(output.range, "'" + output.name + "' is already an output");
      diags.note(it->second, "first listed here");
      continue;
    }
    if (std::optional<ValueRef> value =
            lookupValue(output.name, output.range, /*forward=*/true))
      result.outputs.push_back({*value, output.range});
  }
}

void Analyzer::checkUnusedInputs() {
  if (lossFailed)
    return;
  for (auto [i, input] : llvm::enumerate(model.inputs))
    if (!inputUsed[i])
      diags.error(input.nameRange,
                  "input '" + input.name +
                      "' is never used; every input must feed a layer or "
                      "the loss");
}

bool Analyzer::checkTotals() {
  int64_t trainable = 0, stored = 0;
  for (const CheckedLayer &layer : result.layers) {
    for (const ParamTensor &param : layer.params) {
      std::optional<int64_t> t = llvm::checkedAdd(trainable, param.trainable);
      std::optional<int64_t> s = llvm::checkedAdd(stored, param.elements);
      if (!t || !s) {
        diags.error(model.nameRange,
                    "model '" + model.name +
                        "' has more parameters than fit in 64 bits");
        return false;
      }
      trainable = *t;
      stored = *s;
    }
  }
  return true;
}

std::unique_ptr<CheckedModel> cnnc::analyze(const ast::Model &model,
                                            Diagnostics &diags) {
  return Analyzer(model, diags).run();
}
