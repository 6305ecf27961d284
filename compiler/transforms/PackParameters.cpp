//===- PackParameters.cpp - parameters as views of one flat buffer --------===//

#include "compiler/transforms/ParameterLayout.h"
#include "compiler/transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/StringMap.h"

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

/// Replaces the results marked `cnn.grad` (cnn-differentiate's) by one
/// flat `tensor<Nxf32> {cnn.grads}` in the parameters' layout, in the place
/// of the first: the optimizer then updates every parameter in one pass.
/// The padding between parameters is zero.
LogicalResult packGradients(func::FuncOp func,
                            const cnnc::ParameterLayout &layout) {
  llvm::StringMap<const cnnc::ParameterSlot *> slots;
  for (const cnnc::ParameterSlot &slot : layout.slots)
    slots[slot.name] = &slot;
  SmallVector<unsigned> gradResults;
  for (unsigned i = 0; i < func.getNumResults(); ++i)
    if (func.getResultAttr(i, "cnn.grad"))
      gradResults.push_back(i);
  if (gradResults.empty())
    return success();

  MLIRContext *context = func.getContext();
  auto ret = llvm::cast<func::ReturnOp>(func.front().getTerminator());
  OpBuilder builder(ret);
  Location loc = ret.getLoc();
  auto flatType =
      RankedTensorType::get({layout.totalElements}, Float32Type::get(context));
  Value flat = builder.create<arith::ConstantOp>(
      loc, DenseElementsAttr::get(flatType, builder.getF32FloatAttr(0)));
  for (unsigned i : gradResults) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "cnn.grad");
    const cnnc::ParameterSlot *slot = slots.lookup(name.getValue());
    if (!slot)
      return func.emitError()
             << "result " << i << " is the gradient of '" << name.getValue()
             << "', which is not a parameter of the function";
    Value grad = ret.getOperand(i);
    int64_t size = slot->type.getNumElements();
    // Where the gradient is computed: a collapse that must copy (of a
    // strided convolution's gradient, gathered from its phases) is part of
    // its layer's backward work.
    if (slot->type.getRank() != 1)
      grad = builder.create<tensor::CollapseShapeOp>(
          grad.getLoc(), grad, collapseAll(slot->type.getRank()));
    flat = builder.create<tensor::InsertSliceOp>(
        loc, grad, flat, ValueRange{}, ValueRange{}, ValueRange{},
        builder.getDenseI64ArrayAttr({slot->offset}),
        builder.getDenseI64ArrayAttr({size}),
        builder.getDenseI64ArrayAttr({1}));
  }

  SmallVector<Value> results;
  SmallVector<DictionaryAttr> attrs;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    if (i == gradResults.front()) {
      results.push_back(flat);
      attrs.push_back(DictionaryAttr::get(
          context, {NamedAttribute(StringAttr::get(context, "cnn.grads"),
                                   UnitAttr::get(context))}));
    }
    if (func.getResultAttr(i, "cnn.grad"))
      continue;
    results.push_back(ret.getOperand(i));
    attrs.push_back(func.getResultAttrDict(i));
  }
  builder.create<func::ReturnOp>(loc, results);
  ret.erase();
  func.setFunctionType(FunctionType::get(context, func.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
  func.setAllResultAttrs(attrs);
  return success();
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
  return packGradients(func, *layout);
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
