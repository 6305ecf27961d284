//===- AST.cpp - printing the syntax tree ---------------------------------===//
//
// `cnnc --emit=ast` output: one node per line, indented by depth, values in
// source syntax so a reader can match them to the file.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/AST.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace cnnc::ast;

static void printValue(const Value &value, llvm::raw_ostream &os);

static void printCall(const Call &call, llvm::raw_ostream &os) {
  os << call.callee << "(";
  llvm::interleaveComma(call.arguments, os, [&](const Argument &argument) {
    if (!argument.keyword.empty())
      os << argument.keyword << "=";
    printValue(argument.value, os);
  });
  os << ")";
}

static void printValue(const Value &value, llvm::raw_ostream &os) {
  switch (value.kind) {
  case Value::Kind::Integer:
    os << value.integer;
    return;
  case Value::Kind::Real:
    os << value.real;
    return;
  case Value::Kind::Boolean:
    os << (value.boolean ? "true" : "false");
    return;
  case Value::Kind::Name:
    os << value.name;
    return;
  case Value::Kind::Call:
    printCall(*value.call, os);
    return;
  case Value::Kind::List:
    os << "[";
    llvm::interleaveComma(value.elements, os, [&](const Value &element) {
      printValue(element, os);
    });
    os << "]";
    return;
  }
}

void cnnc::ast::print(const Model &model, llvm::raw_ostream &os) {
  os << "Model " << model.name << "\n";
  for (const InputDecl &input : model.inputs) {
    os << "  Input " << input.name << ": "
       << (input.elementType == InputDecl::ElementType::F32 ? "f32" : "i32")
       << "[";
    llvm::interleaveComma(input.dims, os);
    os << "]\n";
  }
  for (const LayerDef &layer : model.layers) {
    os << "  Layer " << layer.name << " = ";
    printCall(layer.call, os);
    os << "\n";
  }
  for (const OutputRef &output : model.outputs)
    os << "  Output " << output.name << "\n";
  if (model.trainRange.isValid()) {
    os << "  Train\n";
    for (const TrainSetting &setting : model.train) {
      os << "    " << setting.key << " = ";
      printValue(setting.value, os);
      os << "\n";
    }
  }
}
