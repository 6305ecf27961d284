//===- InterpreterSupport.h - pieces shared by the interpreter --*- C++ -*-===//
//
// Internal to test/reference: the runtime values of an interpretation and
// the operand and attribute checks that the evaluators of forward ops
// (InterpreterForward.cpp) and of backward and optimizer ops
// (InterpreterGradients.cpp) share. Tests use Interpreter.h instead.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_REFERENCE_INTERPRETERSUPPORT_H
#define CNNC_TEST_REFERENCE_INTERPRETERSUPPORT_H

#include "test/reference/HostTensor.h"
#include "test/reference/Interpreter.h"
#include "test/reference/ReferenceOps.h"

#include "dialects/cnn/CNNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace cnnc::test::interp {

/// A runtime value: a tensor, an integer scalar (a dropout seed, an
/// optimizer step) or an f32 scalar (a learning rate).
struct RtValue {
  enum class Kind { Tensor, Integer, Float };
  Kind kind = Kind::Integer;
  std::shared_ptr<const HostTensor> tensor; // for Kind::Tensor
  int64_t integer = 0;                      // for Kind::Integer
  float real = 0;                           // for Kind::Float

  static RtValue of(HostTensor t) {
    RtValue v;
    v.kind = Kind::Tensor;
    v.tensor = std::make_shared<const HostTensor>(std::move(t));
    return v;
  }
  /// A tensor the caller keeps alive (a function argument).
  static RtValue borrowed(const HostTensor &t) {
    RtValue v;
    v.kind = Kind::Tensor;
    v.tensor = std::shared_ptr<const HostTensor>(
        std::shared_ptr<const HostTensor>(), &t);
    return v;
  }
  static RtValue ofInteger(int64_t value) {
    RtValue v;
    v.integer = value;
    return v;
  }
  static RtValue ofFloat(float value) {
    RtValue v;
    v.kind = Kind::Float;
    v.real = value;
    return v;
  }
};

/// The results of one op, in order.
using Results = llvm::SmallVector<RtValue, 3>;

/// The runtime value of each SSA value evaluated so far.
class ValueTable {
public:
  void bind(mlir::Value value, RtValue runtime) {
    values[value] = std::move(runtime);
  }
  void erase(mlir::Value value) { values.erase(value); }
  const RtValue *lookup(mlir::Value value) const {
    auto it = values.find(value);
    return it == values.end() ? nullptr : &it->second;
  }

  /// The tensor bound to `value` (an f32 one unless `allowInt`).
  llvm::Expected<const HostTensor *> tensor(mlir::Value value, const char *what,
                                            bool allowInt = false) const;
  /// tensor(), or nullptr for an absent optional operand (a null `value`).
  llvm::Expected<const HostTensor *> optionalTensor(mlir::Value value,
                                                    const char *what) const;
  llvm::Expected<int64_t> integer(mlir::Value value, const char *what) const;
  llvm::Expected<float> real(mlir::Value value, const char *what) const;

private:
  llvm::DenseMap<mlir::Value, RtValue> values;
};

/// Integer scalar types: the i64 seeds and steps, index.
inline bool isIntegerScalar(mlir::Type type) {
  return mlir::isa<mlir::IntegerType, mlir::IndexType>(type);
}

/// The bit width an integer scalar of `type` wraps at.
inline unsigned integerWidth(mlir::Type type) {
  if (auto integer = mlir::dyn_cast<mlir::IntegerType>(type))
    return integer.getWidth();
  return 64; // index
}

llvm::Error fail(const llvm::Twine &message);
std::string formatShape(llvm::ArrayRef<int64_t> shape);
std::string typeString(mlir::Type type);

llvm::Error checkRank(const HostTensor &t, size_t rank, const char *what,
                      const char *layout);

/// A tensor operand to read: its value, its name in messages, and the rank
/// it must have with the layout that names its dimensions (no check where
/// `layout` is null).
struct TensorOperand {
  mlir::Value value;
  const char *name;
  size_t rank = 0;
  const char *layout = nullptr;
};

/// Reads f32 tensor operands in order, then checks their ranks in order.
llvm::Expected<llvm::SmallVector<const HostTensor *, 4>>
tensors(const ValueTable &values, llvm::ArrayRef<TensorOperand> operands);

/// Reads f32 tensor operands that must all have the first one's shape.
llvm::Expected<llvm::SmallVector<const HostTensor *, 4>>
sameShapes(const ValueTable &values, llvm::ArrayRef<TensorOperand> operands);

/// A [height, width] attribute whose values are at least `minimum`.
llvm::Expected<ref::Pair> pairAttr(llvm::ArrayRef<int64_t> values,
                                   const char *what, int64_t minimum);

/// kernel (at least 1), stride (at least 1) and padding of a pooling op.
llvm::Expected<ref::Pool2DParams>
poolAttributes(llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> stride,
               llvm::ArrayRef<int64_t> padding);

/// Checks that a window of `kernel` (dilated) fits `x` [N, C, H, W]
/// spatially.
llvm::Error checkWindow(const HostTensor &x, ref::Pair kernel,
                        ref::Pair padding, ref::Pair dilation,
                        const char *what);

/// The convolution attributes of conv2d, fused_conv_act_pool and the conv
/// backward ops, checked against `f` output and `c` input maps: stride,
/// padding and dilation pairs, groups dividing `f` (the caller checks `c`
/// against the weight), and a connection table of [f][c] (with groups 1)
/// unpacked.
llvm::Expected<ref::Conv2DParams>
convAttributes(llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> padding,
               llvm::ArrayRef<int64_t> dilation, int64_t groups,
               std::optional<mlir::DenseIntElementsAttr> table, int64_t f,
               int64_t c);

/// Reads logits [N, C] and i32 labels [N] in [0, C) (cross_entropy and its
/// backward op).
llvm::Expected<std::pair<const HostTensor *, const HostTensor *>>
logitsAndLabels(const ValueTable &values, mlir::Value logits,
                mlir::Value labels);

ref::Activation toRef(mlir::cnn::Activation act);

/// Evaluates a forward cnn op, or the scalar arithmetic and constants the
/// front end emits; std::nullopt for any other op.
std::optional<llvm::Expected<RtValue>>
evaluateForwardOp(mlir::Operation *op, const ValueTable &values,
                  const InterpretOptions &options);

/// Evaluates a backward or optimizer op of CNNGradientOps.td; std::nullopt
/// for any other op.
std::optional<llvm::Expected<Results>>
evaluateGradientOp(mlir::Operation *op, const ValueTable &values);

} // namespace cnnc::test::interp

#endif // CNNC_TEST_REFERENCE_INTERPRETERSUPPORT_H
