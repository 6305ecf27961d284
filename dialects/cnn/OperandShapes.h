//===- OperandShapes.h - operand shapes for the shape rules -----*- C++ -*-===//
//
// Internal to the dialect: what the ops' `inferShape` methods share to turn
// operands and attributes into the plain values ShapeInference.h takes.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECTS_CNN_OPERANDSHAPES_H
#define CNNC_DIALECTS_CNN_OPERANDSHAPES_H

#include "dialects/cnn/ShapeInference.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"

namespace mlir::cnn::detail {

/// The shape of a ranked tensor operand; ODS guarantees rankedness before the
/// shape rules run, but builders may call inference on anything.
inline llvm::Expected<llvm::ArrayRef<int64_t>> shapeOf(Value value,
                                                       const char *name) {
  if (auto type = llvm::dyn_cast<RankedTensorType>(value.getType()))
    return type.getShape();
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 llvm::Twine(name) +
                                     " must be a ranked tensor");
}

inline std::optional<llvm::ArrayRef<int64_t>> optionalShape(Value value) {
  if (!value)
    return std::nullopt;
  if (auto type = llvm::dyn_cast<RankedTensorType>(value.getType()))
    return type.getShape();
  return std::nullopt;
}

/// Owns the unpacked values of a connection table attribute while a shape
/// rule looks at them.
struct ConnectionTableStorage {
  llvm::SmallVector<bool> connected;
  std::optional<ConnectionTable> table;

  explicit ConnectionTableStorage(DenseIntElementsAttr attr) {
    if (!attr)
      return;
    // A splat can describe a table of any size in a few bytes: expand only
    // what the rules accept, and let them report the rest.
    if (attr.getNumElements() <= kMaxConnectionTableEntries)
      connected = llvm::to_vector(attr.getValues<bool>());
    table = ConnectionTable{attr.getType().getShape(), connected};
  }
};

} // namespace mlir::cnn::detail

#endif // CNNC_DIALECTS_CNN_OPERANDSHAPES_H
