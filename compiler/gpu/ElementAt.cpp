//===- ElementAt.cpp - one element of a generic, where it is read ---------===//

#include "compiler/gpu/ElementAt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace {

/// The indices into a collapse_shape's source (of `shape`, static past each
/// group's first dimension) of `indices` into its result: each group's
/// index split over its dimensions, the last fastest. The inverse of
/// linearize.
SmallVector<Value> delinearize(OpBuilder &b, Location loc,
                               ArrayRef<Value> indices,
                               ArrayRef<ReassociationIndices> groups,
                               ArrayRef<int64_t> shape) {
  SmallVector<Value> result(shape.size());
  for (auto [index, group] : llvm::zip(indices, groups)) {
    Value rest = index;
    for (int64_t dim : llvm::reverse(llvm::drop_begin(group))) {
      Value size = b.create<arith::ConstantIndexOp>(loc, shape[dim]);
      result[dim] = b.create<arith::RemUIOp>(loc, rest, size);
      rest = b.create<arith::DivUIOp>(loc, rest, size);
    }
    result[group.front()] = rest;
  }
  return result;
}

} // namespace

bool cnn::staticPastFirst(ArrayRef<ReassociationIndices> groups,
                          ArrayRef<int64_t> shape) {
  return llvm::all_of(groups, [&](const ReassociationIndices &group) {
    return llvm::none_of(llvm::drop_begin(group), [&](int64_t dim) {
      return ShapedType::isDynamic(shape[dim]);
    });
  });
}

SmallVector<Value> cnn::linearize(OpBuilder &b, Location loc,
                                  ValueRange indices,
                                  ArrayRef<ReassociationIndices> groups,
                                  ArrayRef<int64_t> sizes) {
  SmallVector<Value> linear;
  for (const ReassociationIndices &group : groups) {
    Value index = indices[group.front()];
    for (int64_t dim : llvm::drop_begin(group)) {
      Value size = b.create<arith::ConstantIndexOp>(loc, sizes[dim]);
      index = b.create<arith::AddIOp>(
          loc, b.create<arith::MulIOp>(loc, index, size), indices[dim]);
    }
    linear.push_back(index);
  }
  return linear;
}

linalg::GenericOp cnn::extractedGeneric(tensor::ExtractOp op,
                                        tensor::CollapseShapeOp &collapse) {
  Value source = op.getTensor();
  collapse = source.getDefiningOp<tensor::CollapseShapeOp>();
  if (collapse) {
    if (!staticPastFirst(collapse.getReassociationIndices(),
                         collapse.getSrcType().getShape()))
      return nullptr;
    source = collapse.getSrc();
  }
  return source.getDefiningOp<linalg::GenericOp>();
}

SmallVector<Value> cnn::indicesInGeneric(OpBuilder &b, tensor::ExtractOp op,
                                         tensor::CollapseShapeOp collapse) {
  SmallVector<Value> indices(op.getIndices());
  if (!collapse)
    return indices;
  return delinearize(b, op.getLoc(), indices,
                     collapse.getReassociationIndices(),
                     collapse.getSrcType().getShape());
}

bool cnn::computableAnywhere(linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1 || generic.getNumResults() != 1 ||
      generic.getNumReductionLoops() != 0 ||
      !generic.getMatchingIndexingMap(generic.getDpsInitOperand(0))
           .isIdentity() ||
      !generic.getBody()->getArguments().back().use_empty())
    return false;
  for (OpOperand *input : generic.getDpsInputOperands())
    if (!generic.getMatchingIndexingMap(input).isProjectedPermutation())
      return false;
  Block *body = generic.getBody();
  return !body->walk([&](linalg::IndexOp index) {
                return index->getBlock() == body ? WalkResult::advance()
                                                 : WalkResult::interrupt();
              })
              .wasInterrupted();
}

Value cnn::computeElementAt(OpBuilder &b, Location loc,
                            linalg::GenericOp generic,
                            ArrayRef<Value> indices) {
  Block *body = generic.getBody();
  IRMapping mapping;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    Value value = input->get();
    if (isa<RankedTensorType>(value.getType())) {
      SmallVector<Value> at;
      for (AffineExpr result :
           generic.getMatchingIndexingMap(input).getResults())
        at.push_back(indices[cast<AffineDimExpr>(result).getPosition()]);
      value = b.create<tensor::ExtractOp>(loc, value, at);
    }
    mapping.map(generic.getMatchingBlockArgument(input), value);
  }
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      mapping.map(index.getResult(), indices[index.getDim()]);
      continue;
    }
    b.clone(inner, mapping);
  }
  return mapping.lookupOrDefault(body->getTerminator()->getOperand(0));
}
