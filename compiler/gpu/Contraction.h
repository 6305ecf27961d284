//===- Contraction.h - a kernel-shaped loop that sums products ------------===//
//
// What cnn-tile-contractions recognizes before it tiles a loop: the loop's
// sum of products, the nest of loops it runs over, which of the loop's
// indices each factor depends on, and how to compute a factor (or the
// sum's start) at other indices than the loop's.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_GPU_CONTRACTION_H
#define CNNC_COMPILER_GPU_CONTRACTION_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SmallBitVector.h"

#include <optional>

namespace mlir::cnn {

/// A kernel-shaped loop in which every iteration sums `lhs * rhs` over a
/// perfect nest of `scf.for` loops, starting from a value computed from its
/// indices, and then does what it likes with the sum (the activation, the
/// store).
class Contraction {
public:
  /// The contraction `loop` is, if it is one whose factors are read before
  /// any output is written.
  static std::optional<Contraction> match(scf::ParallelOp loop);

  scf::ParallelOp loop() const { return kernelLoop; }
  /// The loops over the sum's terms, outermost first.
  ArrayRef<scf::ForOp> nest() const { return loops; }
  /// The outermost of them, which starts the sum and whose result is it.
  scf::ForOp outermost() const { return loops.front(); }
  arith::MulFOp mul() const { return multiply; }
  arith::AddFOp add() const { return accumulate; }
  /// The parallel dimensions only the left factor depends on (m), only the
  /// right one (n), and the others (a batch of independent products).
  ArrayRef<unsigned> mDims() const { return mDimensions; }
  ArrayRef<unsigned> nDims() const { return nDimensions; }
  ArrayRef<unsigned> batchDims() const { return batchDimensions; }

  /// Whether the operand computed into `factor` reads memory contiguously
  /// along the reduction: its last index moves with the innermost loop and
  /// with no output index (an image's column moves with both the output
  /// column and the window's: neighbouring outputs are the longer run).
  bool contiguousAlongReduction(Value factor);

  /// How a factor that is one load reads memory along the sum: at the
  /// sum's place k (its loops' indices taken row-major, outermost first),
  /// either through its last indices, which are the sum's loop indices
  /// (`trailing`: w[o, c, kh, kw] over c, kh, kw), or through its last
  /// index, `stride` x k plus a value of the parallel indices (a
  /// convolution's weights among the packed parameters). Its buffer and
  /// other indices depend on no loop of the sum.
  struct ReadAlongSum {
    memref::LoadOp load;
    bool trailing;
    int64_t stride;
  };
  std::optional<ReadAlongSum> readAlongReduction(Value factor);

  /// `value` at the indices `mapping` gives the loop's: its computation is
  /// cloned at `builder`'s point, once.
  Value materialize(Value value, IRMapping &mapping, OpBuilder &builder);
  /// `op` cloned at `builder`'s point after what it computes from.
  void cloneWithOperands(Operation *op, IRMapping &mapping, OpBuilder &builder);

private:
  explicit Contraction(scf::ParallelOp loop) : kernelLoop(loop) {}

  /// The loop's parallel (`parallel`) and reduction (`reduction`) indices
  /// `value` depends on, through the code inside the loop that computes it.
  struct Dependences {
    llvm::SmallBitVector parallel, reduction;
    bool valid = true;
  };
  Dependences dependencesOf(Value value);
  void collectDependences(Value value, Dependences &deps,
                          DenseSet<Value> &seen);
  /// The coefficient of each of the sum's loop indices in `index`, where it
  /// is a sum of their multiples by constants and of values they do not
  /// change; else nullopt.
  std::optional<SmallVector<int64_t>> reductionCoefficients(Value index);
  /// The memref.load ops inside the loop that `value` is computed from.
  void collectLoads(Value value, SmallVectorImpl<memref::LoadOp> &loads,
                    DenseSet<Value> &seen);

  scf::ParallelOp kernelLoop;
  SmallVector<scf::ForOp> loops;
  arith::MulFOp multiply;
  arith::AddFOp accumulate;
  SmallVector<unsigned> mDimensions, nDimensions, batchDimensions;
};

} // namespace mlir::cnn

#endif // CNNC_COMPILER_GPU_CONTRACTION_H
