//===- Trainer.h - cnnc-train's epochs --------------------------*- C++ -*-===//
//
// The training loop: per epoch, every batch through the model's compiled
// training step with the schedule's rate and a progress line, then the
// validation and test splits through its evaluation, a summary line, a CSV
// row, the plot and a checkpoint with the position to resume from. SIGINT
// finishes the step in progress and saves where it stopped.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TOOLS_CNNC_TRAIN_TRAINER_H
#define CNNC_TOOLS_CNNC_TRAIN_TRAINER_H

#include "RunState.h"

#include "runtime/data/Dataset.h"
#include "runtime/loader/ModelLibrary.h"

#include <cstdint>
#include <string>

namespace cnnc::train {

/// The exit status of an interrupted run, as a shell reports SIGINT.
constexpr int kInterruptedExit = 130;

struct TrainerOptions {
  RunSettings settings;
  Schedule schedule;
  int64_t epochs = 1;
  /// 0: the loss takes class labels (i32 [N]); C: it takes one-hot f32
  /// [N, C] targets built from the labels (an mse model).
  int64_t oneHotClasses = 0;
  std::string checkpoint, log, plot; // "" when not asked for
  std::string resumedFrom; // the checkpoint resumed from; "" for a new run
  bool quiet = false;
  /// Raise SIGINT after this many steps (tests of the interruption); -1:
  /// never.
  int64_t interruptAfter = -1;
};

/// Trains `instance` on `splits` from `start` to the end of epoch
/// `options.epochs`; returns the process's exit status (0, 1 after an error
/// it has reported, kInterruptedExit).
int runTraining(rt::ModelInstance &instance, const rt::DataSplits &splits,
                const TrainerOptions &options, Position start);

} // namespace cnnc::train

#endif // CNNC_TOOLS_CNNC_TRAIN_TRAINER_H
