//===- TrainSection.h - the model's `train` settings, read once -*- C++ -*-===//
//
// The front end writes a model's `train` section as the module attribute
// `cnn.train`. cnn-build-train-step takes the optimizer from it and the model
// record reports all of it (cnnc_train_config); both read it here.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_TRANSFORMS_TRAINSECTION_H
#define CNNC_COMPILER_TRANSFORMS_TRAINSECTION_H

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <string>

namespace cnnc {

struct TrainSection {
  std::string loss, optimizer, schedule = "constant", init;
  double lr = 0, momentum = 0, weightDecay = 0, beta1 = 0.9, beta2 = 0.999,
         eps = 1e-8, gamma = 0.1, etaMin = 0;
  int64_t stepSize = 0, tMax = 0, batch = 0, epochs = 0;
  uint64_t seed = 0;
  bool nesterov = false;

  /// The optimizer's per-parameter state buffers, in PyTorch's names and
  /// the order the training step takes them.
  llvm::SmallVector<llvm::StringRef> stateNames() const;
};

/// The settings of `train`; absent keys keep the defaults above (PyTorch's
/// where it has one).
TrainSection readTrainSection(mlir::DictionaryAttr train);

} // namespace cnnc

#endif // CNNC_COMPILER_TRANSFORMS_TRAINSECTION_H
