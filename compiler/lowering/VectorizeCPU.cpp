//===- VectorizeCPU.cpp - vector code for the CPU -------------------------===//
//
// The pass that turns a model's linalg on tensors into vector code for the
// host: convolutions, their weight gradients and the dense layers' matrix
// products and poolings become loops over vector rows (ConvToVector.cpp,
// MatmulToVector.cpp, PoolToVector.cpp), element-wise generics are vectorized
// row by row (ElementwiseToVector.cpp), and tanh, exp and log become
// polynomials, which vectorize where libm calls do not. What it does not
// rewrite stays linalg and becomes scalar loops.
//
//===----------------------------------------------------------------------===//

#include "compiler/lowering/Passes.h"
#include "compiler/lowering/VectorPatterns.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::cnn {
#define GEN_PASS_DEF_VECTORIZECPU
#include "compiler/lowering/Passes.h.inc"
} // namespace mlir::cnn

using namespace mlir;

namespace {

struct VectorizeCPUPass : cnn::impl::VectorizeCPUBase<VectorizeCPUPass> {
  using VectorizeCPUBase::VectorizeCPUBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    cnn::lowering::populateConvToVectorPatterns(patterns);
    cnn::lowering::populateMatmulToVectorPatterns(patterns);
    cnn::lowering::populatePoolToVectorPatterns(patterns);
    cnn::lowering::populateChannelSumToVectorPatterns(patterns);
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    cnn::lowering::vectorizeElementwiseRows(getOperation());

    // The vectorizer's rows are vector<1x...x1xW>: make them vector<W>, and
    // reductions 1-D, folding the slices tiling made into the transfers.
    RewritePatternSet cleanup(ctx);
    vector::populateCastAwayVectorLeadingOneDimPatterns(cleanup);
    vector::populateVectorTransferDropUnitDimsPatterns(cleanup);
    vector::populateVectorMultiReductionLoweringPatterns(
        cleanup, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateVectorShapeCastLoweringPatterns(cleanup);
    vector::populateVectorBroadcastLoweringPatterns(cleanup);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(cleanup);
    populateMathPolynomialApproximationPatterns(cleanup);
    if (failed(
            applyPatternsAndFoldGreedily(getOperation(), std::move(cleanup))))
      signalPassFailure();
  }
};

} // namespace
