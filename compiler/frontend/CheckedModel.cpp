//===- CheckedModel.cpp - the analysed model's helpers --------------------===//
//
// Names of layer kinds and initialisers as source spells them, and the
// lookups and totals that IR generation and the summary use. Kept apart from
// the analysis (Sema*.cpp): this is all that a consumer of a CheckedModel
// needs.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Sema.h"

#include "llvm/ADT/STLExtras.h"

using namespace cnnc;
using llvm::StringRef;

StringRef cnnc::layerKindName(LayerKind kind) {
  switch (kind) {
  case LayerKind::Conv2D:
    return "conv2d";
  case LayerKind::AvgPool2D:
    return "avg_pool2d";
  case LayerKind::MaxPool2D:
    return "max_pool2d";
  case LayerKind::Subsample2D:
    return "subsample2d";
  case LayerKind::Tanh:
    return "tanh";
  case LayerKind::ScaledTanh:
    return "scaled_tanh";
  case LayerKind::Relu:
    return "relu";
  case LayerKind::Sigmoid:
    return "sigmoid";
  case LayerKind::Dense:
    return "dense";
  case LayerKind::Flatten:
    return "flatten";
  case LayerKind::LocalResponseNorm:
    return "lrn";
  case LayerKind::Dropout:
    return "dropout";
  case LayerKind::Softmax:
    return "softmax";
  case LayerKind::LogSoftmax:
    return "log_softmax";
  case LayerKind::Add:
    return "add";
  case LayerKind::Concat:
    return "concat";
  }
  return "?";
}

StringRef cnnc::initializerName(Initializer init) {
  switch (init) {
  case Initializer::Default:
    return "default";
  case Initializer::LeCun:
    return "lecun";
  case Initializer::Xavier:
    return "xavier";
  case Initializer::Kaiming:
    return "kaiming";
  }
  return "?";
}

// The sums below cannot overflow: analyze() checked the model's totals.
int64_t CheckedLayer::trainableParams() const {
  int64_t total = 0;
  for (const ParamTensor &param : params)
    total += param.trainable;
  return total;
}

const Shape &CheckedModel::shapeOf(ValueRef value) const {
  return value.kind == ValueRef::Kind::Input ? inputs[value.index].shape
                                             : layers[value.index].shape;
}

StringRef CheckedModel::nameOf(ValueRef value) const {
  return value.kind == ValueRef::Kind::Input ? inputs[value.index].name
                                             : layers[value.index].name;
}

bool CheckedModel::hasDropout() const {
  return llvm::any_of(layers, [](const CheckedLayer &layer) {
    return layer.kind == LayerKind::Dropout;
  });
}

int64_t CheckedModel::trainableParams() const {
  int64_t total = 0;
  for (const CheckedLayer &layer : layers)
    total += layer.trainableParams();
  return total;
}

int64_t CheckedModel::storedParams() const {
  int64_t total = 0;
  for (const CheckedLayer &layer : layers)
    for (const ParamTensor &param : layer.params)
      total += param.elements;
  return total;
}
