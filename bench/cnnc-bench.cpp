//===- cnnc-bench.cpp - time inference or training of a compiled model ---===//
//
// `cnnc-bench MODEL.so --batch B [--train] [--iterations N | --min-time S]
// [--seed S] [--save-params DIR]`: loads a model compiled by cnnc through its
// C ABI, draws its parameters from a seed, makes one fixed pseudo-random
// input batch with values in [0, 1) (and labels, for --train), warms up, then
// times repeated inference calls, or training steps, on that batch with
// std::chrono::steady_clock and prints one JSON line.
// bench/torch_inference.py and bench/torch_train.py print the same line for
// PyTorch.
//
// With --save-params DIR it also writes every parameter, the input batch and
// the output as .npy files, so that `torch_inference.py --check DIR` can run
// PyTorch on exactly the same numbers.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Npy.h"
#include "runtime/loader/ModelLibrary.h"
#include "runtime/support/CommandLine.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace cnnc::rt;

namespace {

constexpr const char *kTool = "cnnc-bench";

constexpr const char *kUsage =
    R"(usage: cnnc-bench MODEL.so --batch B [options]

Times inference, or training steps, of a model compiled by cnnc (cnnc
model.mdl -o model.so) on one fixed pseudo-random batch and prints one JSON
line:
  {"harness": "cnnc", "mode": "infer", "model": ..., "batch": ...,
   "iterations": ..., "median_ms": ..., "min_ms": ..., "images_per_s": ...}
Times are per call (one batch); images_per_s and us_per_image are derived
from the median.

  --batch B          images per call (default 1)
  --train            time training steps (forward, loss, backward and the
                     optimizer update at the train section's learning rate)
                     on the batch and pseudo-random labels, not inference
  --pinned           pin the input batch (cnnc_pin_host_memory), so on a GPU
                     the copy engine reads it directly rather than through
                     the library's staging buffer; nothing on the CPU
  --queued           keep two calls queued from pinned input memory, as
                     cnnc-train queues its steps (cnnc_train_step_queue) and
                     cnnc-run its batches (cnnc_infer_queue); a timed call
                     queues one and waits for the one before, so on a GPU
                     the batch's upload overlaps that call
  --iterations N     time exactly N calls (N >= 0)
  --min-time S       otherwise: time calls until S seconds have passed and
                     at least --min-iterations calls were made (default 2)
  --min-iterations N with --min-time (default 3)
  --warmup N         untimed calls first; the first call is always one
                     (default: more until 0.2 s have passed, at most 100)
  --seed S           parameters from cnnc_init_params(S); the input from a
                     generator seeded with S too (default 0)
  --device D         cpu (default), cuda or cuda:N; times include the
                     upload of the batch and the download of the results
  --save-params DIR  write DIR/param.<name>.npy for every parameter,
                     DIR/input.<name>.npy, DIR/output.<name>.npy (of the
                     first call) and DIR/meta.json
  --help             this text
)";

struct Options {
  std::string model, saveDir;
  std::string device = "cpu";
  int64_t batch = 1;
  int64_t iterations = -1; // -1: by time
  double minTime = 2.0;
  int64_t minIterations = 3;
  int64_t warmup = -1; // -1: automatic
  uint64_t seed = 0;
  bool train = false;
  bool pinned = false;
  bool queued = false;
};

bool parseSeconds(const char *text, double &out) {
  double v = 0;
  if (!parseReal(text, v) || v < 0 || v > 1e6)
    return false;
  out = v;
  return true;
}

/// Returns -1 to continue, else the exit code.
int parseArgs(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--train") {
      o.train = true;
      continue;
    }
    if (arg == "--queued") {
      o.queued = true;
      continue;
    }
    if (arg == "--pinned") {
      o.pinned = true;
      continue;
    }
    if (!arg.empty() && arg[0] == '-') {
      if (arg != "--batch" && arg != "--iterations" && arg != "--min-time" &&
          arg != "--min-iterations" && arg != "--warmup" && arg != "--seed" &&
          arg != "--save-params" && arg != "--device")
        return usageError(kTool, "unknown option '" + arg + "'");
      if (i + 1 >= argc)
        return usageError(kTool, arg + " needs a value");
      const char *v = argv[++i];
      int64_t n = 0;
      bool ok = true;
      if (arg == "--batch")
        ok = parseInteger(v, 1, o.batch);
      else if (arg == "--iterations")
        ok = parseInteger(v, 0, o.iterations);
      else if (arg == "--min-time")
        ok = parseSeconds(v, o.minTime);
      else if (arg == "--min-iterations")
        ok = parseInteger(v, 1, o.minIterations);
      else if (arg == "--warmup")
        ok = parseInteger(v, 0, o.warmup);
      else if (arg == "--seed" && (ok = parseInteger(v, 0, n)))
        o.seed = static_cast<uint64_t>(n);
      else if (arg == "--device")
        o.device = v;
      else if (arg == "--save-params")
        o.saveDir = v;
      if (!ok)
        return usageError(kTool,
                          arg + " expects " +
                              (arg == "--min-time" ? "a number of seconds >= 0"
                               : arg == "--batch" || arg == "--min-iterations"
                                   ? "a positive integer"
                                   : "a non-negative integer") +
                              ", got '" + v + "'");
    } else if (std::optional<std::string> problem =
                   takeModelArgument(arg, o.model)) {
      return usageError(kTool, *problem);
    }
  }
  if (o.model.empty())
    return usageError(kTool, "no model given");
  // A queued call's batch is uploaded while the call before runs only from
  // pinned memory.
  o.pinned = o.pinned || o.queued;
  return -1;
}

/// SplitMix64: a small generator whose stream is the same on every platform
/// (std::uniform_real_distribution's is not).
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  /// A float in [0, 1) with 24 random bits.
  float uniform() { return static_cast<float>(next() >> 40) * 0x1.0p-24f; }
};

/// One tensor of `info`'s shape with `batch` as its batch dimension, filled
/// from `rng`: values in [0, 1) for f32; for i32, labels below `classes`
/// (0 when there are none).
Tensor makeInput(const TensorInfo &info, int64_t batch, SplitMix64 &rng,
                 int64_t classes = 0) {
  std::vector<int64_t> shape = info.shape;
  shape[0] = batch;
  if (info.dtype == DType::I32) {
    Tensor t = Tensor::zerosI32(shape);
    if (classes > 0)
      for (int32_t &label : t.i32)
        label =
            static_cast<int32_t>(rng.next() % static_cast<uint64_t>(classes));
    return t;
  }
  Tensor t = Tensor::zerosF32(shape);
  for (float &x : t.f32)
    x = rng.uniform();
  return t;
}

/// The `.npy` files of --save-params, and a meta.json naming the model.
Status saveAll(const std::string &dir, const ModelInstance &instance,
               const std::vector<Tensor> &inputs,
               const std::vector<Tensor> &outputs, const Options &o) {
  const ModelLibrary &lib = instance.library();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return Error{dir + ": cannot create the directory: " + ec.message()};
  for (size_t i = 0; i < lib.params().size(); ++i) {
    Result<Tensor> value = instance.getParam(static_cast<int>(i));
    if (!value)
      return value.error();
    if (Status s =
            writeNpy(dir + "/param." + lib.params()[i].name + ".npy", *value);
        !s)
      return s;
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    if (Status s = writeNpy(dir + "/input." + lib.inputs()[i].name + ".npy",
                            inputs[i]);
        !s)
      return s;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (Status s = writeNpy(dir + "/output." + lib.outputs()[i].name + ".npy",
                            outputs[i]);
        !s)
      return s;
  std::ofstream meta(dir + "/meta.json");
  meta << "{\"model\": \"" << lib.name() << "\", \"batch\": " << o.batch
       << ", \"seed\": " << o.seed << "}\n";
  if (!meta)
    return Error{dir + "/meta.json: cannot write"};
  return Status::ok();
}

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// The threads a model's .so uses (runtime/model/ThreadPool.h):
/// CNNC_NUM_THREADS when set to 1..64, else the CPUs online.
int modelThreads() {
  if (const char *text = std::getenv("CNNC_NUM_THREADS")) {
    char *end = nullptr;
    long n = std::strtol(text, &end, 10);
    if (end != text && *end == '\0' && n >= 1 && n <= 64)
      return static_cast<int>(n);
  }
  unsigned cpus = std::thread::hardware_concurrency();
  return cpus == 0 ? 1 : static_cast<int>(std::min(cpus, 64u));
}

/// The median of `ms` (not empty).
double median(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  return n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
}

/// Times calls of `call` as the options say (warm-up included) and prints
/// the JSON line; returns the exit code.
template <typename Call>
int timeCalls(const Options &o, const std::string &model, const char *mode,
              Call call) {
  Clock::time_point warmStart = Clock::now();
  int64_t warmups = 0;
  while (o.warmup < 0
             ? warmups < 1 || (warmups < 100 && secondsSince(warmStart) < 0.2)
             : warmups < std::max<int64_t>(o.warmup, 1)) {
    if (Status s = call(); !s)
      return failure(kTool, s.error());
    ++warmups;
  }
  std::vector<double> ms;
  Clock::time_point benchStart = Clock::now();
  for (;;) {
    bool done = o.iterations >= 0
                    ? static_cast<int64_t>(ms.size()) >= o.iterations
                    : static_cast<int64_t>(ms.size()) >= o.minIterations &&
                          secondsSince(benchStart) >= o.minTime;
    if (done)
      break;
    Clock::time_point start = Clock::now();
    Status s = call();
    Clock::time_point end = Clock::now();
    if (!s)
      return failure(kTool, s.error());
    ms.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }
  if (ms.empty()) {
    std::printf("{\"harness\": \"cnnc\", \"mode\": \"%s\", \"model\": "
                "\"%s\", \"batch\": %lld, \"iterations\": 0}\n",
                mode, model.c_str(), static_cast<long long>(o.batch));
    return 0;
  }
  double mid = median(ms), mean = 0;
  for (double t : ms)
    mean += t / static_cast<double>(ms.size());
  double batch = static_cast<double>(o.batch);
  std::printf("{\"harness\": \"cnnc\", \"mode\": \"%s\", \"model\": "
              "\"%s\", \"device\": \"%s\", \"batch\": %lld, \"threads\": %d, "
              "\"warmup\": %lld, "
              "\"iterations\": %zu, \"median_ms\": %.6g, \"min_ms\": %.6g, "
              "\"max_ms\": %.6g, \"mean_ms\": %.6g, \"us_per_image\": %.6g, "
              "\"images_per_s\": %.6g}\n",
              mode, model.c_str(), o.device.c_str(),
              static_cast<long long>(o.batch), modelThreads(),
              static_cast<long long>(warmups), ms.size(), mid,
              *std::min_element(ms.begin(), ms.end()),
              *std::max_element(ms.begin(), ms.end()), mean,
              mid * 1000.0 / batch, batch / (mid / 1000.0));
  return 0;
}

/// --train: training steps on one batch with pseudo-random labels, at the
/// train section's learning rate.
int benchTraining(const Options &o, const ModelLibrary &lib,
                  ModelInstance &instance,
                  const std::vector<const Tensor *> &inputs, SplitMix64 &rng) {
  if (lib.targets().empty())
    return failure(kTool, Error{o.model + ": the model has no train section "
                                          "(compile it from a .mdl with one)"});
  std::vector<Tensor> targets;
  for (const TensorInfo &info : lib.targets())
    targets.push_back(makeInput(info, o.batch, rng, lib.numClasses()));
  std::vector<const Tensor *> targetPtrs;
  for (const Tensor &t : targets)
    targetPtrs.push_back(&t);
  float lr = static_cast<float>(lib.trainConfig().lr);
  if (!o.queued)
    return timeCalls(o, lib.name(), "train", [&]() -> Status {
      Result<StepResult> r = instance.trainStep(inputs, targetPtrs, lr);
      if (!r)
        return r.error();
      return Status::ok();
    });

  // The first (untimed) call queues one step more, which stays in flight.
  bool primed = false;
  int rc = timeCalls(o, lib.name(), "train", [&]() -> Status {
    for (int queue = primed ? 1 : 2; queue > 0; --queue)
      if (Status s = instance.queueTrainStep(inputs, targetPtrs, lr); !s)
        return s;
    primed = true;
    Result<StepResult> r = instance.waitTrainStep();
    if (!r)
      return r.error();
    return Status::ok();
  });
  if (rc == 0 && primed)
    if (Result<StepResult> r = instance.waitTrainStep(); !r)
      return failure(kTool, r.error());
  return rc;
}

/// Inference calls on the batch, which must give the first call's output
/// every time.
int benchInference(const Options &o, const ModelLibrary &lib,
                   ModelInstance &instance, const std::vector<Tensor> &inputs,
                   const std::vector<const Tensor *> &inputPtrs) {
  // The first call gives the reference output; --save-params writes it.
  Result<std::vector<Tensor>> first = instance.infer(inputPtrs);
  if (!first)
    return failure(kTool, first.error());
  if (!o.saveDir.empty())
    if (Status s = saveAll(o.saveDir, instance, inputs, *first, o); !s)
      return failure(kTool, s.error());

  auto expectFirst = [&](const std::vector<Tensor> &r) -> Status {
    for (size_t i = 0; i < r.size(); ++i)
      if (r[i].f32 != (*first)[i].f32 || r[i].i32 != (*first)[i].i32)
        return Error{o.model + ": output " + lib.outputs()[i].name +
                     " differs between two calls on the same input"};
    return Status::ok();
  };
  if (!o.queued)
    return timeCalls(o, lib.name(), "infer", [&]() -> Status {
      Result<std::vector<Tensor>> r = instance.infer(inputPtrs);
      if (!r)
        return r.error();
      return expectFirst(*r);
    });

  // Two sets of outputs, used in turn. The first (untimed) call queues one
  // inference more, which stays in flight.
  std::vector<Tensor> sets[2] = {instance.outputTensors(o.batch),
                                 instance.outputTensors(o.batch)};
  int64_t queued = 0, taken = 0;
  auto takeOldest = [&]() -> Status {
    if (Status s = instance.waitInfer(); !s)
      return s;
    return expectFirst(sets[taken++ % 2]);
  };
  int rc = timeCalls(o, lib.name(), "infer", [&]() -> Status {
    for (; queued - taken < 2; ++queued) {
      std::vector<Tensor *> outputs;
      for (Tensor &t : sets[queued % 2])
        outputs.push_back(&t);
      if (Status s = instance.queueInfer(inputPtrs, outputs); !s)
        return s;
    }
    return takeOldest();
  });
  while (rc == 0 && taken < queued)
    if (Status s = takeOldest(); !s)
      return failure(kTool, s.error());
  return rc;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (int rc = parseArgs(argc, argv, o); rc >= 0)
    return rc;

  Result<std::shared_ptr<ModelLibrary>> lib = ModelLibrary::open(o.model);
  if (!lib)
    return failure(kTool, lib.error());
  Result<std::unique_ptr<ModelInstance>> created = (*lib)->createInstance();
  if (!created)
    return failure(kTool, created.error());
  ModelInstance &instance = **created;
  if (Status s = instance.initParams(o.seed); !s)
    return failure(kTool, s.error());
  if (Status s = instance.setDevice(o.device); !s)
    return failure(kTool, s.error());

  // The input stream is seeded apart from the parameters' initialiser.
  SplitMix64 rng{o.seed ^ 0x696e707574ull}; // "input"
  std::vector<Tensor> inputs;
  std::vector<const Tensor *> inputPtrs;
  for (const TensorInfo &info : (*lib)->inputs())
    inputs.push_back(makeInput(info, o.batch, rng));
  for (const Tensor &t : inputs)
    inputPtrs.push_back(&t);

  // Unpinned before the inputs are freed (declared after them).
  std::deque<PinnedMemory> pinned;
  for (const Tensor &t : inputs)
    if (o.pinned && !t.f32.empty())
      if (Status s = pinned.emplace_back(instance).pin(
              t.f32.data(), t.f32.size() * sizeof(float));
          !s)
        return failure(kTool, s.error());
  return o.train ? benchTraining(o, **lib, instance, inputPtrs, rng)
                 : benchInference(o, **lib, instance, inputs, inputPtrs);
}
