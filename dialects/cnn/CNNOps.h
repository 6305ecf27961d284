//===- CNNOps.h - cnn dialect operations ------------------------*- C++ -*-===//
//
// The generated op classes, plus what their ODS base classes call: the
// ShapeRulesFirst trait and the helpers that turn a shape rule's result into
// a verifier error or an inferred result type.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECTS_CNN_CNNOPS_H
#define CNNC_DIALECTS_CNN_CNNOPS_H

#include "dialects/cnn/CNNDialect.h"
#include "dialects/cnn/ShapeInference.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::cnn {
namespace OpTrait {

/// Verifies an op's shape rules (its `verifyShapeRules`) before
/// InferTypeOpInterface checks the written result type against the inferred
/// one. Without it, a bad operand would read "failed to infer returned types"
/// instead of the rule that was broken.
template <typename ConcreteType>
class ShapeRulesFirst
    : public mlir::OpTrait::TraitBase<ConcreteType, ShapeRulesFirst> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return llvm::cast<ConcreteType>(op).verifyShapeRules();
  }
};

} // namespace OpTrait

namespace detail {

/// Reports a failed shape rule as an op error ("'cnn.conv2d' op input has 3
/// channels but weight expects 1"), or a written result type that differs
/// from the inferred one; succeeds when both hold.
LogicalResult verifyShapeRules(Operation *op, llvm::Expected<Shape> shape);

/// Turns a shape rule's result into the op's f32 tensor result type, or
/// reports the rule's error at `location` when there is one.
LogicalResult inferF32Result(MLIRContext *context,
                             std::optional<Location> location,
                             llvm::StringRef opName,
                             llvm::Expected<Shape> shape,
                             llvm::SmallVectorImpl<Type> &types);

/// Runs `OpTy::inferShape` on an adaptor whose attributes are complete: the
/// parser and the builders infer result types before the operation exists,
/// while attributes written in the attribute dictionary are not yet in the
/// properties and defaults are not yet filled in.
template <typename OpTy>
llvm::Expected<Shape> inferShapeWithDefaults(MLIRContext *context,
                                             std::optional<Location> location,
                                             typename OpTy::Adaptor adaptor) {
  if constexpr (OpTy::hasProperties()) {
    typename OpTy::Properties properties = adaptor.getProperties();
    if (DictionaryAttr attributes = adaptor.getAttributes()) {
      auto emitError = [&] {
        return mlir::emitError(location ? *location : UnknownLoc::get(context));
      };
      if (failed(
              OpTy::setPropertiesFromAttr(properties, attributes, emitError)))
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "has an attribute of the wrong kind");
    }
    OperationName(OpTy::getOperationName(), context)
        .populateDefaultProperties(OpaqueProperties(&properties));
    return OpTy::inferShape(typename OpTy::Adaptor(
        adaptor.getOperands(), adaptor.getAttributes(), properties));
  } else {
    return OpTy::inferShape(adaptor);
  }
}

} // namespace detail
} // namespace mlir::cnn

#define GET_OP_CLASSES
#include "dialects/cnn/CNNOps.h.inc"

#endif // CNNC_DIALECTS_CNN_CNNOPS_H
