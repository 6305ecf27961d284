//===- CNNDialect.cpp - the cnn dialect -----------------------------------===//
//
// Registers the cnn ops and attributes.
//
//===----------------------------------------------------------------------===//

#include "dialects/cnn/CNNDialect.h"
#include "dialects/cnn/CNNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::cnn;

#include "dialects/cnn/CNNDialect.cpp.inc"
#include "dialects/cnn/CNNEnums.cpp.inc"

void CNNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/cnn/CNNOps.cpp.inc"
      >();
}
