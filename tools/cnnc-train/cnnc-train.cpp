//===- cnnc-train.cpp - train a compiled model on a data set --------------===//
//
// `cnnc-train model.so --data dir [--epochs N] [--batch B] [--lr X] ...`:
// loads a model compiled by cnnc from a .mdl file with a `train` section,
// reads MNIST-format, CIFAR-10 or image-folder data fitted to its input, and
// trains it with the step compiled into the library, starting from the
// section's settings. Depends on the runtime only (no MLIR, no LLVM).
//
//===----------------------------------------------------------------------===//

#include "RunState.h"
#include "Trainer.h"

#include "runtime/data/DatasetReaders.h"
#include "runtime/loader/Checkpoint.h"
#include "runtime/loader/ModelLibrary.h"
#include "runtime/support/CommandLine.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <sys/stat.h>

using namespace cnnc;
using namespace cnnc::rt;
using namespace cnnc::train;

namespace {

constexpr const char *kTool = "cnnc-train";

constexpr const char *kUsage =
    R"(usage: cnnc-train MODEL.so --data DIR [options]

Trains a model compiled by cnnc from a .mdl file with a `train` section
(cnnc model.mdl -o model.so). Defaults come from that section.

  --data DIR           MNIST-format IDX files (MNIST, Fashion-MNIST), CIFAR-10
                       binary batches, or one folder of images per class;
                       images are fitted to the model's input
  --epochs N           epochs to train (to reach, when resuming)
  --batch B            images per step
  --lr X               the base learning rate of the schedule
  --schedule NAME      constant, step or cosine instead of the model's
                       schedule (step and cosine take the model's settings)
  --seed S             parameters, shuffles, augmentation and dropout
  --val-split F        hold out this share of the training images (0 to <1)
                       for validation after each epoch (default 0)
  --checkpoint FILE    save parameters, optimizer state and the position
                       (safetensors) after every epoch and on Ctrl-C
  --resume FILE        continue a run from its checkpoint, exactly as if it
                       had not stopped (with the settings it started with)
  --log FILE           append one CSV row per epoch
  --plot FILE          redraw the loss and accuracy curves (SVG) every epoch
  --limit N            train on the first N training images only
  --device D           where to train: cpu (default), cuda or cuda:N (a
                       library compiled with the CUDA toolkit, on an
                       NVIDIA GPU)
  --no-augment         no random augmentation (on by default for CIFAR-10
                       and image folders)
  --quiet              no progress line and no description, only summaries
  --help               this text

Ctrl-C finishes the current step, saves the checkpoint and exits with 130.
)";

struct Options {
  std::string model, data, checkpoint, resume, log, plot;
  std::string device = "cpu";
  std::optional<int64_t> epochs, batch, limit;
  std::optional<double> lr, valSplit;
  std::optional<std::string> schedule;
  std::optional<uint64_t> seed;
  bool noAugment = false, quiet = false;
  int64_t interruptAfter = -1; // undocumented: for the interruption tests
};

/// Returns -1 to continue, else the exit code.
int parseArgs(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    int64_t n = 0;
    double x = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--no-augment") {
      o.noAugment = true;
    } else if (arg == "--quiet") {
      o.quiet = true;
    } else if (arg == "--schedule") {
      if (i + 1 >= argc)
        return usageError(kTool, "--schedule needs a value");
      std::string v = argv[++i];
      if (v != "constant" && v != "step" && v != "cosine")
        return usageError(kTool, "--schedule must be constant, step or cosine, "
                                 "got '" +
                                     v + "'");
      o.schedule = v;
    } else if (arg == "--data" || arg == "--checkpoint" || arg == "--resume" ||
               arg == "--log" || arg == "--plot" || arg == "--device") {
      if (i + 1 >= argc)
        return usageError(kTool, arg + " needs a value");
      std::string v = argv[++i];
      (arg == "--data"         ? o.data
       : arg == "--checkpoint" ? o.checkpoint
       : arg == "--resume"     ? o.resume
       : arg == "--log"        ? o.log
       : arg == "--device"     ? o.device
                               : o.plot) = v;
    } else if (arg == "--epochs" || arg == "--batch" || arg == "--limit" ||
               arg == "--seed" || arg == "--interrupt-after") {
      if (i + 1 >= argc)
        return usageError(kTool, arg + " needs a value");
      const char *v = argv[++i];
      int64_t min = arg == "--seed" ? 0 : 1;
      if (!parseInteger(v, min, n))
        return usageError(kTool, arg + " expects " +
                                     (min ? "a positive integer"
                                          : "a non-negative "
                                            "integer") +
                                     ", got '" + v + "'");
      if (arg == "--epochs")
        o.epochs = n;
      else if (arg == "--batch")
        o.batch = n;
      else if (arg == "--limit")
        o.limit = n;
      else if (arg == "--seed")
        o.seed = static_cast<uint64_t>(n);
      else
        o.interruptAfter = n;
    } else if (arg == "--lr" || arg == "--val-split") {
      if (i + 1 >= argc)
        return usageError(kTool, arg + " needs a value");
      const char *v = argv[++i];
      bool ok = parseReal(v, x) && x >= 0 && (arg == "--lr" || x < 1);
      if (!ok)
        return usageError(kTool,
                          arg + " expects " +
                              (arg == "--lr" ? "a finite number >= 0"
                                             : "a fraction from 0 to below 1") +
                              ", got '" + v + "'");
      (arg == "--lr" ? o.lr : o.valSplit) = x;
    } else if (std::optional<std::string> problem = takeModelArgument(
                   arg, o.model, "the data set is given with --data")) {
      return usageError(kTool, *problem);
    }
  }
  if (o.model.empty())
    return usageError(kTool, "no model given");
  if (o.data.empty())
    return usageError(kTool, "no --data given");
  return -1;
}

/// An error unless `path` can be written: its directory exists and it is
/// not itself a directory. Checked before training, so a typo does not
/// cost an epoch.
Status checkOutput(const char *flag, const std::string &path) {
  if (path.empty())
    return Status::ok();
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "."
                    : slash == 0               ? "/"
                                               : path.substr(0, slash);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error{std::string(flag) + " " + path + ": the directory '" + dir +
                 "' does not exist"};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Error{std::string(flag) + " " + path +
                 ": is a directory, not a file"};
  return Status::ok();
}

/// An error unless every label of `data` is below `classes`.
Status checkLabels(const Dataset &data, int64_t classes,
                   const ModelLibrary &lib, const std::string &what) {
  for (size_t i = 0; i < data.size(); ++i)
    if (data.labels[i] >= classes)
      return Error{data.origin + ": label " + std::to_string(data.labels[i]) +
                   " of " + what + " image " + std::to_string(i) +
                   " is out of range: model '" + lib.name() + "' has " +
                   std::to_string(classes) + " classes (0 to " +
                   std::to_string(classes - 1) + ")"};
  return Status::ok();
}

std::string text(double v) { return formatReal(v); }
std::string text(int64_t v) { return std::to_string(v); }
std::string text(uint64_t v) { return std::to_string(v); }
std::string text(const std::string &v) { return v; }

/// A flag given on the command line must agree with the resumed run's.
template <typename T>
Status agree(const char *flag, const std::optional<T> &given, T saved,
             const std::string &source) {
  if (!given || *given == saved)
    return Status::ok();
  return Error{std::string(flag) + " " + text(*given) + " differs from " +
               text(saved) + " in " + source +
               "; a resumed run keeps the settings it started with (leave " +
               flag + " out)"};
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (int rc = parseArgs(argc, argv, o); rc >= 0)
    return rc;
  for (auto [flag, path] : {std::pair{"--checkpoint", &o.checkpoint},
                            {"--log", &o.log},
                            {"--plot", &o.plot}})
    if (Status s = checkOutput(flag, *path); !s)
      return failure(kTool, s.error());

  Result<std::shared_ptr<ModelLibrary>> opened = ModelLibrary::open(o.model);
  if (!opened)
    return failure(kTool, opened.error());
  const ModelLibrary &lib = **opened;
  if (!lib.hasTraining())
    return failure(kTool,
                   Error{o.model +
                         ": the model was compiled without a train section; "
                         "add one to its .mdl file (train { loss = ..., "
                         "optimizer = ... }) and compile it again"});
  if (lib.inputs().size() != 1 || lib.targets().size() != 1)
    return failure(kTool,
                   Error{o.model + ": the model takes " +
                         std::to_string(lib.inputs().size()) +
                         " input(s) and its loss " +
                         std::to_string(lib.targets().size()) +
                         " target(s); cnnc-train feeds one image input and one "
                         "label target"});
  const TensorInfo &target = lib.targets()[0];
  int64_t classes = lib.numClasses(), oneHot = 0;
  if (target.dtype == DType::F32 && target.shape.size() == 2) {
    oneHot = classes = target.shape[1];
  } else if (target.dtype != DType::I32 || target.shape.size() != 1) {
    return failure(
        kTool, Error{o.model + ": the loss's target '" + target.name + "' is " +
                     dtypeName(target.dtype) + " " + formatShape(target.shape) +
                     "; cnnc-train feeds class labels (i32 [-1]) or one-hot "
                     "vectors (f32 [-1, classes])"});
  }
  Result<ImageShape> shape =
      imageShapeOfInput(lib.inputs()[0].shape, lib.inputs()[0].name);
  if (!shape)
    return failure(kTool, Error{o.model + ": " + shape.error().message});

  // The settings: the train section's, or the resumed run's, then flags.
  const TrainConfig &config = lib.trainConfig();
  RunSettings settings;
  settings.lr = o.lr.value_or(config.lr);
  settings.schedule = o.schedule.value_or(config.schedule);
  settings.batch = o.batch.value_or(config.batch > 0 ? config.batch : 64);
  settings.seed = o.seed.value_or(config.seed);
  settings.valSplit = o.valSplit.value_or(0.0);
  settings.limit = o.limit.value_or(-1);
  int64_t epochs = o.epochs.value_or(config.epochs > 0 ? config.epochs : 1);
  Position start;
  Result<std::unique_ptr<ModelInstance>> instance = (*opened)->createInstance();
  if (!instance)
    return failure(kTool, instance.error());
  if (Status s = (*instance)->setDevice(o.device); !s)
    return failure(kTool, s.error());
  if (!o.resume.empty()) {
    Result<TrainingProgress> progress = loadTrainingFile(**instance, o.resume);
    if (!progress)
      return failure(kTool, progress.error());
    if (Status s = fromProgress(*progress, o.resume, settings, start); !s)
      return failure(kTool, s.error());
    for (Status s :
         {agree("--batch", o.batch, settings.batch, o.resume),
          agree("--seed", o.seed, settings.seed, o.resume),
          agree("--limit", o.limit, settings.limit, o.resume),
          agree("--lr", o.lr, settings.lr, o.resume),
          agree("--schedule", o.schedule, settings.schedule, o.resume),
          agree("--val-split", o.valSplit, settings.valSplit, o.resume)})
      if (!s)
        return failure(kTool, s.error());
    if (o.noAugment && settings.augment)
      return failure(kTool,
                     Error{"--no-augment differs from " + o.resume +
                           ", which was trained with augmentation; a resumed "
                           "run keeps the settings it started with"});
  } else {
    if (Status s = (*instance)->initParams(settings.seed); !s)
      return failure(kTool, s.error());
    if (Status s = (*instance)->setTrainingSeed(settings.seed); !s)
      return failure(kTool, s.error());
  }
  TrainConfig scheduled = config;
  scheduled.schedule = settings.schedule;
  Result<Schedule> schedule = scheduleOf(scheduled, settings.lr);
  if (!schedule)
    return failure(kTool, Error{o.model + ": " + schedule.error().message});

  Result<DataSplits> splits = openDataset(o.data, *shape);
  if (!splits)
    return failure(kTool, splits.error());
  if (o.resume.empty())
    settings.augment = splits->augmentByDefault && !o.noAugment;
  Dataset &train = splits->train;
  std::string described = describeSplits(*splits, o.data);
  if (settings.limit > 0 &&
      static_cast<size_t>(settings.limit) < train.size()) {
    train.labels.resize(static_cast<size_t>(settings.limit));
    train.pixels.resize(static_cast<size_t>(settings.limit) *
                        static_cast<size_t>(train.stored.numElements()));
  }
  if (classes > 0) {
    if (Status s = checkLabels(train, classes, lib, "training"); !s)
      return failure(kTool, s.error());
    if (splits->test)
      if (Status s = checkLabels(*splits->test, classes, lib, splits->testName);
          !s)
        return failure(kTool, s.error());
  }

  if (!o.quiet) {
    std::printf(
        "model %s (%s): %s, %s lr %g %s, batch %lld, %lld epoch%s, "
        "seed %llu\n",
        lib.name().c_str(), o.model.c_str(), config.loss.c_str(),
        config.optimizer.c_str(), settings.lr, describe(*schedule).c_str(),
        static_cast<long long>(settings.batch), static_cast<long long>(epochs),
        epochs == 1 ? "" : "s", static_cast<unsigned long long>(settings.seed));
    if (settings.limit > 0)
      described += "; training on the first " + std::to_string(train.size());
    std::printf("%s\n", described.c_str());
    if (std::string device = (*instance)->device(); device != "cpu")
      std::printf("training on %s\n", device.c_str());
    if (!o.resume.empty())
      std::printf("resuming %s at epoch %lld, batch %lld (step %lld)\n",
                  o.resume.c_str(), static_cast<long long>(start.epoch + 1),
                  static_cast<long long>(start.batch),
                  static_cast<long long>((*instance)->step()));
    if (o.checkpoint.empty())
      std::fprintf(stderr, "cnnc-train: note: no --checkpoint: the trained "
                           "parameters will not be saved\n");
    std::fflush(stdout);
  }
  if (start.epoch >= epochs) {
    std::printf("nothing to train: %s is at the end of epoch %lld, --epochs "
                "is %lld\n",
                o.resume.c_str(), static_cast<long long>(start.epoch),
                static_cast<long long>(epochs));
    return 0;
  }

  TrainerOptions t;
  t.settings = settings;
  t.schedule = *schedule;
  t.epochs = epochs;
  t.oneHotClasses = oneHot;
  t.checkpoint = o.checkpoint;
  t.log = o.log;
  t.plot = o.plot;
  t.resumedFrom = o.resume;
  t.quiet = o.quiet;
  t.interruptAfter = o.interruptAfter;
  return runTraining(**instance, *splits, t, start);
}
