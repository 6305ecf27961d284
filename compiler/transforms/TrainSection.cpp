//===- TrainSection.cpp - the model's `train` settings, read once ---------===//

#include "compiler/transforms/TrainSection.h"

using namespace mlir;

llvm::SmallVector<llvm::StringRef> cnnc::TrainSection::stateNames() const {
  if (optimizer == "adam")
    return {"exp_avg", "exp_avg_sq"};
  if (optimizer == "sgd" && momentum != 0)
    return {"momentum_buffer"};
  return {};
}

cnnc::TrainSection cnnc::readTrainSection(DictionaryAttr train) {
  TrainSection s;
  auto text = [&](StringRef key, std::string &out) {
    if (auto attr = train.getAs<StringAttr>(key))
      out = attr.getValue().str();
  };
  auto real = [&](StringRef key, double &out) {
    if (auto attr = train.getAs<FloatAttr>(key))
      out = attr.getValueAsDouble();
  };
  auto integer = [&](StringRef key, int64_t &out) {
    if (auto attr = train.getAs<IntegerAttr>(key))
      out = attr.getInt();
  };
  text("loss", s.loss);
  text("optimizer", s.optimizer);
  text("schedule", s.schedule);
  text("init", s.init);
  real("lr", s.lr);
  real("momentum", s.momentum);
  real("weight_decay", s.weightDecay);
  real("eps", s.eps);
  real("gamma", s.gamma);
  real("eta_min", s.etaMin);
  integer("step_size", s.stepSize);
  integer("t_max", s.tMax);
  integer("batch", s.batch);
  integer("epochs", s.epochs);
  int64_t seed = 0;
  integer("seed", seed);
  s.seed = static_cast<uint64_t>(seed);
  if (auto betas = train.getAs<DenseF64ArrayAttr>("betas");
      betas && betas.size() == 2) {
    s.beta1 = betas[0];
    s.beta2 = betas[1];
  }
  if (auto nesterov = train.getAs<BoolAttr>("nesterov"))
    s.nesterov = nesterov.getValue();
  return s;
}
