//===- ElementAt.h - one element of a generic, where it is read -*- C++ -*-===//
//
// What cnn-fuse-kernels and cnn-compute-where-read share to compute an
// element of a linalg.generic's result where a tensor.extract reads it
// rather than write the whole result to memory: indices mapped through a
// reshape, and the generic's body cloned at them.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_GPU_ELEMENTAT_H
#define CNNC_COMPILER_GPU_ELEMENTAT_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::cnn {

/// Whether each group of a reshape is static past its first dimension (of
/// the expanded `shape`), so an index into it maps to the other side's with
/// constants.
bool staticPastFirst(ArrayRef<ReassociationIndices> groups,
                     ArrayRef<int64_t> shape);

/// The indices into an expand_shape's source of `indices` into its result
/// (of `sizes`, static past each group's first dimension): each group's
/// indices as one, the last fastest.
SmallVector<Value> linearize(OpBuilder &b, Location loc, ValueRange indices,
                             ArrayRef<ReassociationIndices> groups,
                             ArrayRef<int64_t> sizes);

/// The generic whose result `op` reads an element of, directly or through
/// a tensor.collapse_shape (`collapse`, else null) whose groups are static
/// past their first dimension; null when `op` reads something else.
linalg::GenericOp extractedGeneric(tensor::ExtractOp op,
                                   tensor::CollapseShapeOp &collapse);

/// The indices in the generic's result of the element `op` reads (through
/// `collapse` unless it is null), built at `b`'s insertion point.
SmallVector<Value> indicesInGeneric(OpBuilder &b, tensor::ExtractOp op,
                                    tensor::CollapseShapeOp collapse);

/// Whether `generic` computes each element of its one result on its own, so
/// that computeElementAt can compute it anywhere from its indices: it is
/// all-parallel, writes an identity-mapped output it does not read, reads
/// its inputs at projected permutations and takes each linalg.index in its
/// body's block, not in a nested region.
bool computableAnywhere(linalg::GenericOp generic);

/// The element of `generic`'s one result at `indices` (computableAnywhere),
/// computed by a copy of its body built at `b`'s insertion point: its
/// inputs read there with tensor.extract, each linalg.index its index.
Value computeElementAt(OpBuilder &b, Location loc, linalg::GenericOp generic,
                       ArrayRef<Value> indices);

} // namespace mlir::cnn

#endif // CNNC_COMPILER_GPU_ELEMENTAT_H
