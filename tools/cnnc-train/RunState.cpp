//===- RunState.cpp - what a checkpoint records about a run ---------------===//
//
// Numbers are written with 17 significant digits, which read back as the
// same double, so a resumed run's rates and sums are the saved ones.
//
//===----------------------------------------------------------------------===//

#include "RunState.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

using namespace cnnc;
using namespace cnnc::train;

namespace {

std::string exact(double v) { return formatReal(v, 17); }

/// Reads `key` of `settings` into `out` with `parse`; records a problem.
template <typename T, typename Parse>
void read(const std::map<std::string, std::string> &settings, const char *key,
          T &out, Parse parse, std::string &problems) {
  auto it = settings.find(key);
  if (it == settings.end()) {
    problems += std::string(problems.empty() ? "" : ", ") + "no '" + key + "'";
    return;
  }
  const char *text = it->second.c_str();
  char *end = nullptr;
  errno = 0;
  auto value = parse(text, &end);
  if (errno || end == text || *end) {
    problems += std::string(problems.empty() ? "" : ", ") + "'" + key +
                "' is '" + it->second + "'";
    return;
  }
  out = static_cast<T>(value);
}

double parseDouble(const char *text, char **end) {
  return std::strtod(text, end);
}
long long parseSigned(const char *text, char **end) {
  return std::strtoll(text, end, 10);
}

} // namespace

rt::TrainingProgress train::toProgress(const RunSettings &settings,
                                       const Position &position,
                                       const Schedule &schedule) {
  rt::TrainingProgress p;
  p.epoch = position.epoch;
  p.batchInEpoch = position.batch;
  p.seed = settings.seed;
  std::map<std::string, std::string> &m = p.settings;
  m["lr"] = exact(settings.lr);
  m["lr_schedule"] = describe(schedule);
  m["schedule"] = settings.schedule;
  m["lr_epoch"] = exact(learningRate(schedule, position.epoch));
  m["batch"] = std::to_string(settings.batch);
  m["val_split"] = exact(settings.valSplit);
  m["augment"] = settings.augment ? "1" : "0";
  m["limit"] = std::to_string(settings.limit);
  m["epoch_loss_sum"] = exact(position.lossSum);
  m["epoch_correct"] = std::to_string(position.correct);
  m["epoch_seen"] = std::to_string(position.seen);
  return p;
}

rt::Status train::fromProgress(const rt::TrainingProgress &progress,
                               const std::string &source, RunSettings &settings,
                               Position &position) {
  const std::map<std::string, std::string> &m = progress.settings;
  std::string problems;
  int64_t augment = 0;
  read(m, "lr", settings.lr, parseDouble, problems);
  if (auto it = m.find("schedule"); it != m.end())
    settings.schedule = it->second;
  else
    problems += std::string(problems.empty() ? "" : ", ") + "no 'schedule'";
  read(m, "batch", settings.batch, parseSigned, problems);
  read(m, "val_split", settings.valSplit, parseDouble, problems);
  read(m, "augment", augment, parseSigned, problems);
  read(m, "limit", settings.limit, parseSigned, problems);
  read(m, "epoch_loss_sum", position.lossSum, parseDouble, problems);
  read(m, "epoch_correct", position.correct, parseSigned, problems);
  read(m, "epoch_seen", position.seen, parseSigned, problems);
  if (problems.empty() && (settings.batch < 1 || settings.valSplit < 0 ||
                           settings.valSplit >= 1 || settings.lr < 0))
    problems = "batch " + std::to_string(settings.batch) + ", val_split " +
               exact(settings.valSplit) + ", lr " + exact(settings.lr) +
               " are out of range";
  if (!problems.empty())
    return rt::Error{source +
                     ": not a checkpoint cnnc-train can resume from: its "
                     "metadata has " +
                     problems};
  settings.seed = progress.seed;
  settings.augment = augment != 0;
  position.epoch = progress.epoch;
  position.batch = progress.batchInEpoch;
  return rt::Status::ok();
}
