//===- Schedule.cpp - learning rates per epoch ----------------------------===//

#include "Schedule.h"

#include <cmath>
#include <cstdio>

using namespace cnnc;
using namespace cnnc::train;

rt::Result<Schedule> train::scheduleOf(const rt::TrainConfig &config,
                                       double lr) {
  Schedule s;
  s.kind = config.schedule.empty() ? "constant" : config.schedule;
  s.lr = lr;
  if (s.kind == "step") {
    s.gamma = config.gamma;
    s.stepSize = config.stepSize;
    if (s.stepSize < 1)
      return rt::Error{"the model's step schedule has step_size " +
                       std::to_string(s.stepSize) + "; it must be at least 1"};
  } else if (s.kind == "cosine") {
    s.etaMin = config.etaMin;
    s.tMax = config.tMax;
    if (s.tMax < 1)
      return rt::Error{"the model's cosine schedule has t_max " +
                       std::to_string(s.tMax) + "; it must be at least 1"};
  } else if (s.kind != "constant") {
    return rt::Error{"the model's schedule '" + s.kind +
                     "' is not one cnnc-train knows (constant, step, cosine)"};
  }
  return s;
}

double train::learningRate(const Schedule &s, int64_t epoch) {
  if (s.kind == "step")
    return s.lr * std::pow(s.gamma, static_cast<double>(epoch / s.stepSize));
  if (s.kind == "cosine")
    return s.etaMin + (s.lr - s.etaMin) *
                          (1 + std::cos(M_PI * static_cast<double>(epoch) /
                                        static_cast<double>(s.tMax))) /
                          2;
  return s.lr;
}

std::string train::describe(const Schedule &s) {
  if (s.kind == "step")
    return "step(step_size=" + std::to_string(s.stepSize) +
           ", gamma=" + formatReal(s.gamma) + ")";
  if (s.kind == "cosine")
    return "cosine(t_max=" + std::to_string(s.tMax) +
           ", eta_min=" + formatReal(s.etaMin) + ")";
  return s.kind;
}

std::string train::formatReal(double v, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*g", digits, v);
  return text;
}
