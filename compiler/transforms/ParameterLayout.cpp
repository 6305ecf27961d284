//===- ParameterLayout.cpp - where each parameter sits --------------------===//

#include "compiler/transforms/ParameterLayout.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/MathExtras.h"

mlir::FailureOr<cnnc::ParameterLayout>
cnnc::computeParameterLayout(mlir::func::FuncOp func) {
  ParameterLayout layout;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    auto name = func.getArgAttrOfType<mlir::StringAttr>(i, "cnn.param");
    if (!name)
      continue;
    auto type =
        llvm::dyn_cast<mlir::RankedTensorType>(func.getArgument(i).getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
      return func.emitError()
             << "parameter '" << name.getValue()
             << "' must be a statically shaped f32 tensor, got "
             << func.getArgument(i).getType();
    int64_t offset = llvm::alignTo(layout.totalElements, kParameterAlignment);
    layout.slots.push_back({i, name.getValue(), type, offset});
    layout.totalElements = offset + type.getNumElements();
  }
  return layout;
}
