//===- RunState.h - what a checkpoint records about a run -------*- C++ -*-===//
//
// A resumed run continues exactly, bit for bit, only with the settings the
// run started with (the same batches in the same order, the same rates),
// so the checkpoint records them next to the position in the data and the
// epoch's running sums; cnnc-train restores them from there.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TOOLS_CNNC_TRAIN_RUNSTATE_H
#define CNNC_TOOLS_CNNC_TRAIN_RUNSTATE_H

#include "Schedule.h"

#include "runtime/loader/Checkpoint.h"

#include <cstdint>
#include <string>

namespace cnnc::train {

/// The settings that decide what each step computes.
struct RunSettings {
  double lr = 0;        // the schedule's base rate
  std::string schedule; // constant, step or cosine
  int64_t batch = 0;
  uint64_t seed = 0;
  double valSplit = 0;
  bool augment = false;
  int64_t limit = -1; // the first `limit` training images only; -1: all
};

/// Where the run stands: the epoch in progress (from 0), its batches done,
/// and their loss and accuracy so far, so that the epoch's summary after a
/// resume is the one an uninterrupted run prints.
struct Position {
  int64_t epoch = 0, batch = 0;
  double lossSum = 0; // the sum of each image's loss
  int64_t correct = 0, seen = 0;
};

/// The checkpoint's metadata for `settings` and `position`; the schedule
/// and the rate of the current epoch are recorded for the reader.
rt::TrainingProgress toProgress(const RunSettings &settings,
                                const Position &position,
                                const Schedule &schedule);

/// The settings and position a checkpoint recorded; an error naming
/// `source` when one is missing or malformed (a checkpoint cnnc-train did
/// not write).
rt::Status fromProgress(const rt::TrainingProgress &progress,
                        const std::string &source, RunSettings &settings,
                        Position &position);

} // namespace cnnc::train

#endif // CNNC_TOOLS_CNNC_TRAIN_RUNSTATE_H
