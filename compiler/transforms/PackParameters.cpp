//===- PackParameters.cpp - parameters as views of one flat buffer --------===//

#include "compiler/transforms/ParameterLayout.h"
#include "compiler/transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/BitVector.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_PACKPARAMETERS
#include "compiler/transforms/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

/// `tensor<NxDxf32>` → `[[0, 1, ..., rank-1]]`: every result dimension comes
/// from the one source dimension.
SmallVector<ReassociationIndices> collapseAll(int64_t rank) {
  ReassociationIndices all;
  for (int64_t i = 0; i < rank; ++i)
    all.push_back(i);
  return {all};
}

LogicalResult packParameters(func::FuncOp func) {
  FailureOr<cnnc::ParameterLayout> layout = cnnc::computeParameterLayout(func);
  if (failed(layout))
    return failure();
  if (layout->slots.empty())
    return success();

  Block &entry = func.front();
  Location loc = func.getLoc();
  MLIRContext *context = func.getContext();
  auto flatType =
      RankedTensorType::get({layout->totalElements}, Float32Type::get(context));
  unsigned flatIndex = layout->slots.front().argIndex;
  func.insertArgument(
      flatIndex, flatType,
      DictionaryAttr::get(
          context, {NamedAttribute(StringAttr::get(context, "cnn.params"),
                                   UnitAttr::get(context))}),
      loc);
  Value flat = entry.getArgument(flatIndex);

  OpBuilder builder = OpBuilder::atBlockBegin(&entry);
  llvm::BitVector erase(func.getNumArguments());
  for (const cnnc::ParameterSlot &slot : layout->slots) {
    unsigned argIndex = slot.argIndex + 1; // shifted by the flat argument
    Value param = entry.getArgument(argIndex);
    Location at = param.getLoc();
    int64_t size = slot.type.getNumElements();
    Value view = builder.create<tensor::ExtractSliceOp>(
        at, RankedTensorType::get({size}, slot.type.getElementType()), flat,
        ValueRange{}, ValueRange{}, ValueRange{},
        builder.getDenseI64ArrayAttr({slot.offset}),
        builder.getDenseI64ArrayAttr({size}),
        builder.getDenseI64ArrayAttr({1}));
    if (slot.type.getRank() != 1)
      view = builder.create<tensor::ExpandShapeOp>(
          at, slot.type, view, collapseAll(slot.type.getRank()));
    param.replaceAllUsesWith(view);
    erase.set(argIndex);
  }
  func.eraseArguments(erase);
  return success();
}

struct PackParametersPass
    : mlir::cnn::impl::PackParametersBase<PackParametersPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(packParameters(func)))
        return signalPassFailure();
  }
};

} // namespace
