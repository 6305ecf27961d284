//===- ParameterLayout.h - where each parameter sits in the flat buffer ---===//
//
// One rule, used by cnn-pack-parameters (which makes the views) and by the
// model description the .so carries (which tells the runtime the offsets).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_TRANSFORMS_PARAMETERLAYOUT_H
#define CNNC_COMPILER_TRANSFORMS_PARAMETERLAYOUT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace cnnc {

/// Each parameter starts at a multiple of this many elements (64 bytes).
constexpr int64_t kParameterAlignment = 16;

struct ParameterSlot {
  unsigned argIndex; // the function argument marked cnn.param
  llvm::StringRef name;
  mlir::RankedTensorType type;
  int64_t offset; // in elements
};

struct ParameterLayout {
  llvm::SmallVector<ParameterSlot> slots;
  int64_t totalElements = 0; // the flat buffer's size, padding included
};

/// The layout of `func`'s `cnn.param` arguments, in argument order. Fails,
/// with an error at the function, on a parameter that is not a statically
/// shaped f32 tensor (the front end never makes one; hand-written IR can).
mlir::FailureOr<ParameterLayout>
computeParameterLayout(mlir::func::FuncOp func);

} // namespace cnnc

#endif // CNNC_COMPILER_TRANSFORMS_PARAMETERLAYOUT_H
