//===- GradientRules.cpp - one backward rule per forward cnn op -----------===//
//
// Each rule is the textbook derivative of its layer, written with the
// backward ops of CNNGradientOps.td; their descriptions give the formulas.
// Activations, softmax and log-softmax differentiate from their forward
// *output*, so the forward pre-activation maps need not stay alive.
//
//===----------------------------------------------------------------------===//

#include "compiler/transforms/GradientRules.h"

#include "dialects/cnn/CNNOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::cnn;

namespace {

/// [H, W] of an NCHW value, which the shape rules guarantee static.
SmallVector<int64_t, 2> spatialSize(Value nchw) {
  auto shape = llvm::cast<RankedTensorType>(nchw.getType()).getShape();
  return {shape[2], shape[3]};
}

Value activationGradient(OpBuilder &b, Operation *op, Value gy,
                         Activation act) {
  return b.create<ActivationBackwardOp>(op->getLoc(), gy, op->getResult(0),
                                        act);
}

/// conv2d and its input/weight/bias gradients.
void convGradient(OpBuilder &b, Conv2DOp op, Value gy,
                  cnnc::NeedsGradient needs, cnnc::AddGradient add) {
  Location loc = op.getLoc();
  if (needs(op.getInput()))
    add(op.getInput(), b.create<Conv2DBackwardInputOp>(
                           loc, gy, op.getWeight(), spatialSize(op.getInput()),
                           op.getStride(), op.getPadding(), op.getDilation(),
                           op.getGroups(), op.getConnectionsAttr()));
  if (needs(op.getWeight()))
    add(op.getWeight(), b.create<Conv2DBackwardWeightOp>(
                            loc, op.getInput(), gy, spatialSize(op.getWeight()),
                            op.getStride(), op.getPadding(), op.getDilation(),
                            op.getGroups(), op.getConnectionsAttr()));
  if (op.getBias() && needs(op.getBias()))
    add(op.getBias(), b.create<BiasBackwardOp>(loc, gy));
}

void denseGradient(OpBuilder &b, DenseOp op, Value gy,
                   cnnc::NeedsGradient needs, cnnc::AddGradient add) {
  Location loc = op.getLoc();
  if (needs(op.getInput()))
    add(op.getInput(), b.create<DenseBackwardInputOp>(loc, gy, op.getWeight()));
  if (needs(op.getWeight()))
    add(op.getWeight(),
        b.create<DenseBackwardWeightOp>(loc, gy, op.getInput()));
  if (op.getBias() && needs(op.getBias()))
    add(op.getBias(), b.create<BiasBackwardOp>(loc, gy));
}

void subsampleGradient(OpBuilder &b, Subsample2DOp op, Value gy,
                       cnnc::NeedsGradient needs, cnnc::AddGradient add) {
  Location loc = op.getLoc();
  if (needs(op.getInput()))
    add(op.getInput(), b.create<Subsample2DBackwardInputOp>(
                           loc, gy, op.getCoefficient(), op.getKernel(),
                           op.getStride(), spatialSize(op.getInput())));
  if (needs(op.getCoefficient()))
    add(op.getCoefficient(),
        b.create<Subsample2DBackwardCoefficientOp>(
            loc, gy, op.getInput(), op.getKernel(), op.getStride()));
  if (needs(op.getBias()))
    add(op.getBias(), b.create<BiasBackwardOp>(loc, gy));
}

/// Each input's gradient is the slice of `gy` its values were copied to.
LogicalResult concatGradient(OpBuilder &b, ConcatOp op, Value gy,
                             cnnc::NeedsGradient needs, cnnc::AddGradient add) {
  int64_t axis = op.getAxis();
  SmallVector<int64_t> sizes;
  for (Value input : op.getInputs()) {
    sizes.push_back(
        llvm::cast<RankedTensorType>(input.getType()).getDimSize(axis));
    if (ShapedType::isDynamic(sizes.back()))
      return op->emitOpError("joins along axis ")
             << axis << ", whose size is unknown: it has no gradient rule";
  }
  int64_t offset = 0;
  for (auto [input, size] : llvm::zip_equal(op.getInputs(), sizes)) {
    if (needs(input))
      add(input,
          b.create<ConcatBackwardOp>(op.getLoc(), gy, axis, offset, size));
    offset += size;
  }
  return success();
}

} // namespace

LogicalResult cnnc::emitGradient(OpBuilder &b, Operation *op, Value gy,
                                 NeedsGradient needs, AddGradient add) {
  Location loc = op->getLoc();
  // Rules of one-input ops hand back the input's gradient; the others call
  // `add` themselves.
  auto unary = [&](Value input, Value gradient) {
    if (needs(input))
      add(input, gradient);
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](Conv2DOp conv) {
        convGradient(b, conv, gy, needs, add);
        return success();
      })
      .Case([&](DenseOp dense) {
        denseGradient(b, dense, gy, needs, add);
        return success();
      })
      .Case([&](Subsample2DOp subsample) {
        subsampleGradient(b, subsample, gy, needs, add);
        return success();
      })
      .Case([&](AvgPool2DOp pool) {
        if (needs(pool.getInput()))
          add(pool.getInput(),
              b.create<AvgPool2DBackwardOp>(loc, gy, pool.getKernel(),
                                            pool.getStride(), pool.getPadding(),
                                            spatialSize(pool.getInput())));
        return success();
      })
      .Case([&](MaxPool2DOp pool) {
        if (needs(pool.getInput()))
          add(pool.getInput(), b.create<MaxPool2DBackwardOp>(
                                   loc, gy, pool.getInput(), pool.getKernel(),
                                   pool.getStride(), pool.getPadding()));
        return success();
      })
      .Case([&](TanhOp act) {
        unary(act.getInput(), activationGradient(b, op, gy, Activation::Tanh));
        return success();
      })
      .Case([&](ScaledTanhOp act) {
        unary(act.getInput(),
              activationGradient(b, op, gy, Activation::ScaledTanh));
        return success();
      })
      .Case([&](ReluOp act) {
        unary(act.getInput(), activationGradient(b, op, gy, Activation::Relu));
        return success();
      })
      .Case([&](SigmoidOp act) {
        unary(act.getInput(),
              activationGradient(b, op, gy, Activation::Sigmoid));
        return success();
      })
      .Case([&](FlattenOp flatten) {
        auto shape = llvm::cast<RankedTensorType>(flatten.getInput().getType())
                         .getShape();
        unary(flatten.getInput(),
              b.create<UnflattenOp>(loc, gy, shape.drop_front()));
        return success();
      })
      .Case([&](AddOp sum) {
        unary(sum.getLhs(), gy);
        unary(sum.getRhs(), gy);
        return success();
      })
      .Case([&](ConcatOp concat) {
        return concatGradient(b, concat, gy, needs, add);
      })
      .Case([&](LocalResponseNormOp lrn) {
        unary(lrn.getInput(),
              b.create<LocalResponseNormBackwardOp>(
                  loc, gy, lrn.getInput(), lrn.getSizeAttr(),
                  lrn.getAlphaAttr(), lrn.getBetaAttr(), lrn.getKAttr()));
        return success();
      })
      .Case([&](DropoutOp dropout) {
        // The mask is a pure function of the seed and the element index, so
        // dropping the gradient with the same seed applies the same mask.
        unary(dropout.getInput(),
              b.create<DropoutOp>(loc, gy, dropout.getSeed(),
                                  dropout.getRateAttr()));
        return success();
      })
      .Case([&](SoftmaxOp softmax) {
        unary(softmax.getInput(),
              b.create<SoftmaxBackwardOp>(loc, gy, softmax.getResult(),
                                          softmax.getAxis()));
        return success();
      })
      .Case([&](LogSoftmaxOp logSoftmax) {
        unary(logSoftmax.getInput(),
              b.create<LogSoftmaxBackwardOp>(loc, gy, logSoftmax.getResult(),
                                             logSoftmax.getAxis()));
        return success();
      })
      .Case([&](FusedConvActPoolOp) {
        return op->emitOpError("has no gradient rule: differentiate the "
                               "program before fusion");
      })
      .Default(
          [&](Operation *) { return op->emitOpError("has no gradient rule"); });
}

FailureOr<Value> cnnc::emitLossGradient(OpBuilder &b, Operation *lossOp) {
  if (auto ce = llvm::dyn_cast<CrossEntropyOp>(lossOp))
    return b
        .create<CrossEntropyBackwardOp>(ce.getLoc(), ce.getLogits(),
                                        ce.getLabels())
        .getResult();
  if (auto mse = llvm::dyn_cast<MSEOp>(lossOp))
    return b
        .create<MSEBackwardOp>(mse.getLoc(), mse.getPrediction(),
                               mse.getTarget())
        .getResult();
  return lossOp->emitOpError(
      "computes the loss but is not cross_entropy or mse, the losses "
      "cnn-differentiate knows");
}
