//===- ShapeInference.h - shape rules of the cnn layers ---------*- C++ -*-===//
//
// The shape rules of every cnn layer, as plain functions of operand shapes and
// attribute values. The cnn ops call them to infer and verify their result
// types; the front end calls them to check model source before building IR.
// Each rule either returns the result shape or an error whose message names
// the operand or attribute at fault and the numbers involved, e.g. "input has
// 3 channels but weight expects 1".
//
// Dimensions use mlir::ShapedType::kDynamic for an unknown size; a dynamic
// input dimension gives a dynamic output dimension where it flows.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECTS_CNN_SHAPEINFERENCE_H
#define CNNC_DIALECTS_CNN_SHAPEINFERENCE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::cnn {

/// A tensor shape; ShapedType::kDynamic marks an unknown dimension.
using Shape = llvm::SmallVector<int64_t, 4>;

/// Renders a shape as "[?, 6, 28, 28]" for messages.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// The largest connection table the rules accept: far above any real layer
/// (LeNet-5's C3 has 96 entries), low enough that expanding one is cheap.
constexpr int64_t kMaxConnectionTableEntries = int64_t{1} << 20;

/// A channel connection table: `connected[o * inputs + i]` says whether output
/// map `o` reads input map `i`. `shape` is the table's shape as written, which
/// the rules check to be [output maps, input maps].
struct ConnectionTable {
  llvm::ArrayRef<int64_t> shape;
  llvm::ArrayRef<bool> connected;
};

/// Attributes of a 2-D convolution (cnn.conv2d and the fused op).
struct Conv2DParams {
  llvm::ArrayRef<int64_t> stride;   // [sh, sw], each >= 1
  llvm::ArrayRef<int64_t> padding;  // [ph, pw], each >= 0, both sides
  llvm::ArrayRef<int64_t> dilation; // [dh, dw], each >= 1
  int64_t groups = 1;
  std::optional<ConnectionTable> connections;
};

/// Attributes of a 2-D pooling window.
struct Pool2DParams {
  llvm::ArrayRef<int64_t> kernel;  // [kh, kw], each >= 1
  llvm::ArrayRef<int64_t> stride;  // [sh, sw], each >= 1
  llvm::ArrayRef<int64_t> padding; // [ph, pw], at most half the kernel
};

/// input [N, C, H, W], weight [F, C/groups, KH, KW] (static), bias [F]
/// -> [N, F, OH, OW].
llvm::Expected<Shape>
inferConv2DShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                 std::optional<llvm::ArrayRef<int64_t>> bias,
                 const Conv2DParams &params);

/// input [N, C, H, W] -> [N, C, OH, OW]; shared by avg and max pooling.
llvm::Expected<Shape> inferPool2DShape(llvm::ArrayRef<int64_t> input,
                                       const Pool2DParams &params);

/// LeNet-5's trainable subsampling: input [N, C, H, W], coefficient [C],
/// bias [C] -> [N, C, OH, OW], unpadded windows.
llvm::Expected<Shape> inferSubsample2DShape(llvm::ArrayRef<int64_t> input,
                                            llvm::ArrayRef<int64_t> coefficient,
                                            llvm::ArrayRef<int64_t> bias,
                                            llvm::ArrayRef<int64_t> kernel,
                                            llvm::ArrayRef<int64_t> stride);

/// input [N, K], weight [M, K] (static), bias [M] -> [N, M].
llvm::Expected<Shape>
inferDenseShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                std::optional<llvm::ArrayRef<int64_t>> bias);

/// [N, d1, ..., dk] -> [N, d1 * ... * dk].
llvm::Expected<Shape> inferFlattenShape(llvm::ArrayRef<int64_t> input);

/// Two operands of compatible shapes -> their common shape.
llvm::Expected<Shape> inferAddShape(llvm::ArrayRef<int64_t> lhs,
                                    llvm::ArrayRef<int64_t> rhs);

/// Two or more operands of one rank, equal but along `axis` -> the operands
/// joined along `axis`.
llvm::Expected<Shape>
inferConcatShape(llvm::ArrayRef<llvm::ArrayRef<int64_t>> inputs, int64_t axis);

/// input [N, C, H, W] -> same; size >= 1, alpha >= 0, beta >= 0, k > 0.
llvm::Expected<Shape> inferLocalResponseNormShape(llvm::ArrayRef<int64_t> input,
                                                  int64_t size, double alpha,
                                                  double beta, double k);

/// Any shape -> same; rate in [0, 1).
llvm::Expected<Shape> inferDropoutShape(llvm::ArrayRef<int64_t> input,
                                        double rate);

/// Any shape of rank >= 1 -> same; 0 <= axis < rank.
llvm::Expected<Shape> inferSoftmaxShape(llvm::ArrayRef<int64_t> input,
                                        int64_t axis);

/// logits [N, C], labels [N] -> [] (a scalar loss).
llvm::Expected<Shape> inferCrossEntropyShape(llvm::ArrayRef<int64_t> logits,
                                             llvm::ArrayRef<int64_t> labels);

/// prediction and target of one shape -> [] (a scalar loss).
llvm::Expected<Shape> inferMSEShape(llvm::ArrayRef<int64_t> prediction,
                                    llvm::ArrayRef<int64_t> target);

/// conv2d followed, when `pool` is given, by pooling of the conv's output.
llvm::Expected<Shape> inferFusedConvActPoolShape(
    llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
    std::optional<llvm::ArrayRef<int64_t>> bias, const Conv2DParams &conv,
    std::optional<Pool2DParams> pool);

} // namespace mlir::cnn

#endif // CNNC_DIALECTS_CNN_SHAPEINFERENCE_H
