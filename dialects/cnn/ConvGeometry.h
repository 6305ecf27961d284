//===- ConvGeometry.h - facts about a convolution's window ------*- C++ -*-===//
//
// Questions about a convolution's shapes and attributes that several passes
// ask and must answer the same way.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECTS_CNN_CONVGEOMETRY_H
#define CNNC_DIALECTS_CNN_CONVGEOMETRY_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/ArrayRef.h"

namespace mlir::cnn {

/// Whether a convolution of `input` [N, C, H, W] by `weight` [F, C, KH, KW]
/// reads its whole input at every output: ungrouped, without a connection
/// table, padding or dilation, with the kernel as large as the image. Such a
/// convolution (LeNet-5's c5) is a dense layer over the flattened input;
/// WholeInputConvToLinalg lowers it as one, and the fusion pass leaves it
/// unfused for that lowering. Both shapes must be ranked; the batch may be
/// dynamic, the rest must be static.
bool kernelCoversWholeInput(Type input, Type weight,
                            llvm::ArrayRef<int64_t> padding,
                            llvm::ArrayRef<int64_t> dilation, int64_t groups,
                            bool hasConnections);

} // namespace mlir::cnn

#endif // CNNC_DIALECTS_CNN_CONVGEOMETRY_H
