//===- Trainer.cpp - cnnc-train's epochs ----------------------------------===//
//
// Summaries go to stdout (a user's `| tee` keeps them), the progress line to
// stderr; on a terminal the progress line is cleared before a summary is
// printed, so the two never mix on one line.
//
//===----------------------------------------------------------------------===//

#include "Trainer.h"

#include "Batches.h"

#include "runtime/data/Batcher.h"
#include "runtime/loader/Checkpoint.h"
#include "runtime/report/ProgressLine.h"
#include "runtime/report/TrainingCsv.h"
#include "runtime/report/TrainingPlot.h"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <optional>

using namespace cnnc;
using namespace cnnc::rt;
using namespace cnnc::train;

namespace {

volatile std::sig_atomic_t interrupted = 0;

/// Training steps queued at once: the one running and the next, whose
/// batch a GPU uploads meanwhile (CNNC_MAX_QUEUED_STEPS).
constexpr int kQueuedSteps = 2;

void onInterrupt(int) { interrupted = 1; }

/// The first Ctrl-C asks for a clean stop; SA_RESETHAND lets a second one
/// end the process at once (the checkpoint on disk stays whole: saves are
/// atomic).
void installInterruptHandler() {
  struct sigaction action = {};
  action.sa_handler = onInterrupt;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

int report(const Error &error) {
  std::fprintf(stderr, "cnnc-train: error: %s\n", error.message.c_str());
  return 1;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// The mean loss and accuracy over a set; accuracy NaN without labels.
struct Score {
  double loss = NAN, accuracy = NAN;
};

Score scoreOf(double lossSum, int64_t correct, int64_t seen) {
  Score s;
  if (seen == 0)
    return s;
  s.loss = lossSum / static_cast<double>(seen);
  if (correct >= 0)
    s.accuracy = static_cast<double>(correct) / static_cast<double>(seen);
  return s;
}

/// Evaluates every batch of `batcher` (its validation images when
/// `validation`, else all of a test split's in order).
Result<Score> evaluateAll(ModelInstance &instance, const Batcher &batcher,
                          bool validation, BatchPrefetcher &batches) {
  double lossSum = 0;
  int64_t correct = 0, seen = 0;
  batches.start(batcher, 0,
                validation ? batcher.validationBatches() : batcher.batches(),
                validation);
  while (BatchBuffers *buffers = batches.next()) {
    Result<StepResult> r =
        instance.evaluate(buffers->inputs(), buffers->targets());
    if (!r)
      return r.error();
    lossSum += static_cast<double>(r->loss) * static_cast<double>(r->count);
    correct = r->correct < 0 || correct < 0 ? -1 : correct + r->correct;
    seen += r->count;
  }
  return scoreOf(lossSum, correct, seen);
}

std::string formatScore(const char *name, const Score &s) {
  char text[96];
  int n = std::snprintf(text, sizeof text, "  %s loss %.4f", name, s.loss);
  if (!std::isnan(s.accuracy))
    std::snprintf(text + n, sizeof text - n, " acc %.2f%%", 100.0 * s.accuracy);
  return text;
}

/// "epoch 3/5  train loss 0.0812 acc 97.51%  val ...  test ...  lr
/// 0.000500  12.3 s  4,870 img/s"
std::string summaryLine(int64_t epoch, int64_t epochs, const Score &train,
                        const std::optional<Score> &val,
                        const std::optional<Score> &test, double lr,
                        double seconds, double imagesPerSecond) {
  std::string line = "epoch " + std::to_string(epoch + 1) + "/" +
                     std::to_string(epochs) + formatScore("train", train);
  if (val)
    line += formatScore("val", *val);
  if (test)
    line += formatScore("test", *test);
  char tail[96];
  std::snprintf(tail, sizeof tail, "  lr %.6f  %.1f s  ", lr, seconds);
  line += tail;
  line += groupThousands(static_cast<uint64_t>(std::llround(imagesPerSecond))) +
          " img/s";
  return line;
}

} // namespace

int train::runTraining(ModelInstance &instance, const DataSplits &splits,
                       const TrainerOptions &o, Position at) {
  const RunSettings &settings = o.settings;
  BatchOptions batchOptions;
  batchOptions.batchSize = static_cast<size_t>(settings.batch);
  batchOptions.seed = settings.seed;
  batchOptions.validationFraction = settings.valSplit;
  batchOptions.normalization = splits.normalization;
  batchOptions.augment = settings.augment;
  Result<Batcher> trainBatches = Batcher::create(splits.train, batchOptions);
  if (!trainBatches)
    return report(trainBatches.error());
  std::optional<Batcher> testBatches;
  if (splits.test) {
    BatchOptions testOptions = batchOptions;
    testOptions.shuffle = false;
    testOptions.validationFraction = 0;
    testOptions.augment = false;
    Result<Batcher> test = Batcher::create(*splits.test, testOptions);
    if (!test)
      return report(test.error());
    testBatches = std::move(*test);
  }
  Batcher &batcher = *trainBatches;
  BatchPrefetcher batches(splits.train.shape, settings.batch, o.oneHotClasses);
  if (instance.device() != "cpu")
    if (Status s = batches.pin(instance); !s)
      std::fprintf(stderr,
                   "cnnc-train: warning: the batches stay in pageable memory, "
                   "each upload is copied once more: %s\n",
                   s.error().message.c_str());
  if (static_cast<size_t>(at.batch) > batcher.batches())
    return report(Error{o.resumedFrom + ": the checkpoint stands at batch " +
                        std::to_string(at.batch) + " of an epoch of " +
                        std::to_string(batcher.batches()) + " batches"});

  std::optional<TrainingCsv> csv;
  std::vector<EpochRecord> records;
  if (!o.log.empty()) {
    Result<TrainingCsv> opened = !o.resumedFrom.empty()
                                     ? TrainingCsv::resume(o.log, at.epoch)
                                     : TrainingCsv::create(o.log);
    if (!opened)
      return report(opened.error());
    csv = std::move(*opened);
  }
  const std::string &title = instance.library().name();
  auto save = [&](const Position &p) -> Status {
    if (o.checkpoint.empty())
      return Status::ok();
    return saveTrainingFile(instance, toProgress(settings, p, o.schedule),
                            o.checkpoint);
  };

  installInterruptHandler();
  ProgressLine progress = ProgressLine::forStderr();
  int64_t stepsThisRun = 0;
  for (; at.epoch < o.epochs;
       ++at.epoch, at.batch = 0, at.lossSum = 0, at.correct = 0, at.seen = 0) {
    auto epochStart = std::chrono::steady_clock::now();
    double lr = learningRate(o.schedule, at.epoch);
    batcher.setEpoch(static_cast<uint64_t>(at.epoch));
    if (!o.quiet)
      progress.startEpoch(at.epoch + 1, o.epochs, batcher.count());
    int64_t imagesThisRun = 0;
    // Each batch is assembled while the one before it trains, and its step
    // queued before that one's is waited for: on a GPU its upload runs
    // while the step before trains.
    int queued = 0;
    auto takeStep = [&]() -> Status {
      Result<StepResult> r = instance.waitTrainStep();
      --queued;
      if (!r)
        return r.error();
      ++at.batch;
      at.lossSum +=
          static_cast<double>(r->loss) * static_cast<double>(r->count);
      at.correct = r->correct < 0 ? -1 : at.correct + r->correct;
      at.seen += r->count;
      imagesThisRun += r->count;
      if (!o.quiet)
        progress.update(static_cast<uint64_t>(at.seen),
                        at.lossSum / static_cast<double>(at.seen));
      return Status::ok();
    };
    batches.start(batcher, static_cast<size_t>(at.batch), batcher.batches(),
                  false);
    BatchBuffers *buffers = batches.next();
    while (buffers) {
      if (Status s = instance.queueTrainStep(
              buffers->inputs(), buffers->targets(), static_cast<float>(lr));
          !s)
        return report(s.error());
      ++queued;
      if (++stepsThisRun == o.interruptAfter)
        std::raise(SIGINT);
      if (queued == kQueuedSteps)
        if (Status s = takeStep(); !s)
          return report(s.error());
      buffers = interrupted ? nullptr : batches.next();
    }
    while (queued > 0)
      if (Status s = takeStep(); !s)
        return report(s.error());
    double trainSeconds = secondsSince(epochStart);
    if (interrupted && at.batch < static_cast<int64_t>(batcher.batches())) {
      if (progress.terminal() && !o.quiet)
        std::fputs("\r\x1b[K", stderr);
      std::string where = "epoch " + std::to_string(at.epoch + 1) + ", batch " +
                          std::to_string(at.batch) + " of " +
                          std::to_string(batcher.batches()) + " (step " +
                          std::to_string(instance.step()) + ")";
      if (o.checkpoint.empty()) {
        std::fprintf(stderr,
                     "cnnc-train: interrupted at %s; no --checkpoint was "
                     "given, nothing saved\n",
                     where.c_str());
        return kInterruptedExit;
      }
      if (Status s = save(at); !s)
        return report(s.error());
      std::fprintf(stderr,
                   "cnnc-train: interrupted at %s; saved to %s (continue with "
                   "--resume %s)\n",
                   where.c_str(), o.checkpoint.c_str(), o.checkpoint.c_str());
      return kInterruptedExit;
    }

    Score train = scoreOf(at.lossSum, at.correct, at.seen);
    std::optional<Score> val, test;
    if (batcher.validationCount() > 0) {
      Result<Score> s = evaluateAll(instance, batcher, true, batches);
      if (!s)
        return report(s.error());
      val = *s;
    }
    if (testBatches) {
      Result<Score> s = evaluateAll(instance, *testBatches, false, batches);
      if (!s)
        return report(s.error());
      test = *s;
    }
    double seconds = secondsSince(epochStart);
    double rate = trainSeconds > 0
                      ? static_cast<double>(imagesThisRun) / trainSeconds
                      : 0;
    if (progress.terminal() && !o.quiet)
      std::fputs("\r\x1b[K", stderr);
    std::printf("%s\n", summaryLine(at.epoch, o.epochs, train, val, test, lr,
                                    seconds, rate)
                            .c_str());
    std::fflush(stdout);

    EpochRecord row;
    row.epoch = at.epoch + 1;
    row.trainLoss = train.loss;
    row.trainAccuracy = train.accuracy;
    if (val) {
      row.valLoss = val->loss;
      row.valAccuracy = val->accuracy;
    }
    if (test) {
      row.testLoss = test->loss;
      row.testAccuracy = test->accuracy;
    }
    row.learningRate = lr;
    row.seconds = seconds;
    if (csv) {
      if (Status s = csv->append(row); !s)
        return report(s.error());
    }
    records.push_back(row);
    if (!o.plot.empty()) {
      if (Status s =
              writeTrainingPlot(o.plot, csv ? csv->records() : records, title);
          !s)
        return report(s.error());
    }
    if (Status s = save({at.epoch + 1, 0, 0, 0, 0}); !s)
      return report(s.error());
    if (interrupted) {
      std::fprintf(stderr, "cnnc-train: interrupted after epoch %lld%s%s\n",
                   static_cast<long long>(at.epoch + 1),
                   o.checkpoint.empty() ? "; no --checkpoint was given"
                                        : "; saved to ",
                   o.checkpoint.c_str());
      return kInterruptedExit;
    }
  }
  if (!o.checkpoint.empty() && !o.quiet)
    std::printf("saved %s (epoch %lld, step %lld)\n", o.checkpoint.c_str(),
                static_cast<long long>(o.epochs),
                static_cast<long long>(instance.step()));
  return 0;
}
