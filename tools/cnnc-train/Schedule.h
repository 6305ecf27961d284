//===- Schedule.h - learning rates per epoch --------------------*- C++ -*-===//
//
// The schedules a model's `train` section names, computed per epoch as
// PyTorch's schedulers give them when stepped once per epoch, in closed
// form so that a resumed run needs only the epoch number.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TOOLS_CNNC_TRAIN_SCHEDULE_H
#define CNNC_TOOLS_CNNC_TRAIN_SCHEDULE_H

#include "runtime/loader/ModelLibrary.h"

#include <cstdint>
#include <string>

namespace cnnc::train {

struct Schedule {
  std::string kind = "constant"; // "constant", "step" or "cosine"
  double lr = 0;                 // the base rate
  double gamma = 0.1;            // step: the factor every stepSize epochs
  int64_t stepSize = 1;          // step
  double etaMin = 0;             // cosine: the floor
  int64_t tMax = 1;              // cosine: epochs of a half period
};

/// The schedule of `config` starting from the base rate `lr`; an error for
/// an unknown kind or a step size or period below 1.
rt::Result<Schedule> scheduleOf(const rt::TrainConfig &config, double lr);

/// The rate of `epoch` (from 0):
///   constant  lr
///   step      lr * gamma^floor(epoch / stepSize)            (StepLR)
///   cosine    etaMin + (lr - etaMin) (1 + cos(pi epoch / tMax)) / 2
///             (CosineAnnealingLR's closed form; it keeps oscillating past
///             tMax, as PyTorch's does)
double learningRate(const Schedule &s, int64_t epoch);

/// "cosine(t_max=2, eta_min=1e-05)", "step(step_size=30, gamma=0.1)",
/// "constant".
std::string describe(const Schedule &s);

/// `v` as printf's %g writes it with `digits` significant digits: 6 for
/// what the user reads, 17 for what must read back as the same double.
std::string formatReal(double v, int digits = 6);

} // namespace cnnc::train

#endif // CNNC_TOOLS_CNNC_TRAIN_SCHEDULE_H
