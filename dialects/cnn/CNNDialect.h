//===- CNNDialect.h - the cnn dialect ---------------------------*- C++ -*-===//
//
// The dialect class and its enum attributes (activation, pool kind).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECTS_CNN_CNNDIALECT_H
#define CNNC_DIALECTS_CNN_CNNDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/cnn/CNNDialect.h.inc"
#include "dialects/cnn/CNNEnums.h.inc"

#endif // CNNC_DIALECTS_CNN_CNNDIALECT_H
