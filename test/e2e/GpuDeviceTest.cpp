//===- GpuDeviceTest.cpp - models on a CUDA device, and without one -------===//
//
// Three kinds of tests of cnnc_set_device and the CUDA half of a model:
//
//  - Everywhere: a CPU-only library, a machine without a CUDA driver and
//    bad device names are reported, and the instance stays on the CPU.
//  - Everywhere, on the stand-in driver of test/unit/FakeCudaDriver.c with
//    one device in host memory (kernels only counted, never run): the
//    parameters and optimizer state follow the instance between devices,
//    the generated host code loads its kernels once, launches them and
//    frees what it allocates.
//  - On a real GPU only (skipped with the driver's reason elsewhere): every
//    model's inference and training step agree with the CPU's.
//
// The CUDA layer loads its driver once per loaded .so (CNNC_CUDA_DRIVER is
// read then), so each driver setting gets its own copy of the library.
//
//===----------------------------------------------------------------------===//

#include "E2ETestUtil.h"
#include "GpuCompare.h"

#include "cnnc/cnnc.h"
#include "runtime/loader/ModelLibrary.h"

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

using namespace cnnc::test;
using namespace cnnc::rt;

namespace {

constexpr const char *kTinyModel = R"(model tiny {
  input image: f32[1, 6, 6]
  input label: i32[]
  c1 = conv2d(image, filters=2, kernel=3)
  logits = dense(flatten(tanh(c1)), units=3)
  output logits

  train {
    loss = cross_entropy(logits, label)
    optimizer = adam(lr=1e-2)
  }
}
)";

/// A copy of `so` named `<so>-<tag>.so`: loaded on its own, with its own
/// CUDA driver state.
std::string copyOf(const std::string &so, const std::string &tag) {
  std::string copy = so.substr(0, so.size() - 3) + "-" + tag + ".so";
  std::filesystem::copy_file(so, copy,
                             std::filesystem::copy_options::overwrite_existing);
  return copy;
}

/// Sets an environment variable for one test.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const std::string &value) : name_(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name_); }

private:
  const char *name_;
};

class TinyOnDevice : public ::testing::Test {
protected:
  /// The tiny model compiled with `args`, as a copy tagged `tag`.
  void open(const std::string &args, const std::string &tag) {
    std::string so =
        compileModel(writeScratchFile("tiny-gpu.mdl", kTinyModel), args);
    ASSERT_FALSE(so.empty());
    auto opened = ModelLibrary::open(copyOf(so, tag));
    ASSERT_TRUE(opened) << opened.error().message;
    lib = *opened;
    auto created = lib->createInstance();
    ASSERT_TRUE(created) << created.error().message;
    instance = std::move(*created);
    ASSERT_TRUE(instance->initParams(3));
    std::mt19937 rng(3);
    for (float &v : images.f32)
      v = static_cast<float>(rng() % 256) / 255.0f;
    for (int32_t &label : labels.i32)
      label = static_cast<int32_t>(rng() % 3);
  }

  /// Inference on the CPU must still work after a refused move.
  void expectStillOnCpu() {
    EXPECT_EQ(instance->device(), "cpu");
    auto out = instance->infer({&images});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_TRUE(std::isfinite((*out)[0].f32[0]));
  }

  std::shared_ptr<ModelLibrary> lib;
  std::unique_ptr<ModelInstance> instance;
  Tensor images = Tensor::zerosF32({4, 1, 6, 6});
  Tensor labels = Tensor::zerosI32({4});
};

TEST_F(TinyOnDevice, CpuOnlyLibraryRefusesCuda) {
  open("--no-cuda", "cpu-only");
  EXPECT_TRUE(lib->cudaArch().empty());
  Status moved = instance->setDevice("cuda");
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().message.find("the library has no CUDA code"),
            std::string::npos)
      << moved.error().message;
  expectStillOnCpu();
}

TEST_F(TinyOnDevice, RejectsUnknownDeviceNames) {
  open("--no-cuda", "names");
  for (const char *name : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CPU", ""}) {
    Status moved = instance->setDevice(name);
    ASSERT_FALSE(moved) << name;
    EXPECT_NE(moved.error().message.find("expected cpu, cuda or cuda:N"),
              std::string::npos)
        << moved.error().message;
  }
  EXPECT_TRUE(instance->setDevice("cpu"));
  expectStillOnCpu();
}

TEST_F(TinyOnDevice, MissingDriverIsReported) {
  ScopedEnv driver("CNNC_CUDA_DRIVER", scratchDir() + "/no-libcuda.so.1");
  open("", "no-driver");
  EXPECT_EQ(lib->cudaArch(), "sm_90");
  Status moved = instance->setDevice("cuda");
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().message.find("no CUDA driver on this machine"),
            std::string::npos)
      << moved.error().message;
  expectStillOnCpu();
}

/// The stand-in driver with one device, and its counters.
class TinyOnFakeDevice : public TinyOnDevice {
protected:
  void SetUp() override {
    open("", "fake");
    fake = dlopen(FAKE_CUDA_DRIVER_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(fake, nullptr) << dlerror();
    for (auto &[name, start] : graphCountersAtStart)
      start = counter(name);
  }
  void TearDown() override {
    instance.reset();
    if (fake)
      dlclose(fake);
  }
  long counter(const char *name) {
    auto *value = static_cast<long *>(dlsym(fake, name));
    EXPECT_NE(value, nullptr) << name;
    return value ? *value : -1;
  }
  /// A graph counter's change since the test began (the stand-in stays
  /// loaded from test to test).
  long since(const char *name) {
    for (auto &[counted, start] : graphCountersAtStart)
      if (std::string(counted) == name)
        return counter(name) - start;
    ADD_FAILURE() << name << " is not a graph counter";
    return -1;
  }

  ScopedEnv driver{"CNNC_CUDA_DRIVER", FAKE_CUDA_DRIVER_PATH};
  ScopedEnv devices{"FAKE_CUDA_DEVICES", "1"};
  std::pair<const char *, long> graphCountersAtStart[3] = {
      {"fakeCudaCaptures", 0},
      {"fakeCudaGraphLaunches", 0},
      {"fakeCudaGraphs", 0}};
  // On the CPU a batch of 16 or more would be split across threads; on the
  // device it must not be.
  ScopedEnv threads{"CNNC_NUM_THREADS", "2"};
  void *fake = nullptr;
};

TEST_F(TinyOnFakeDevice, ParametersAndStateFollowTheInstance) {
  auto before = instance->getParam(0);
  ASSERT_TRUE(before);
  ASSERT_TRUE(instance->setDevice("cuda"));
  EXPECT_EQ(instance->device(), "cuda:0");
  // The device copy is read back as it was placed.
  auto onDevice = instance->getParam(0);
  ASSERT_TRUE(onDevice);
  EXPECT_EQ(onDevice->f32, before->f32);
  // Written while on the device, kept when the instance moves back.
  Tensor weight = *before;
  for (float &v : weight.f32)
    v += 0.5f;
  ASSERT_TRUE(instance->setParam(0, weight));
  Tensor state = weight;
  for (float &v : state.f32)
    v = 0.25f;
  ASSERT_TRUE(instance->setOptimizerState(1, 0, state));
  ASSERT_TRUE(instance->setDevice("cuda:0")); // already there: no change
  ASSERT_TRUE(instance->setDevice("cpu"));
  EXPECT_EQ(instance->device(), "cpu");
  auto back = instance->getParam(0);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->f32, weight.f32);
  auto backState = instance->getOptimizerState(1, 0);
  ASSERT_TRUE(backState);
  EXPECT_EQ(backState->f32, state.f32);
  auto bias = instance->getParam(1);
  ASSERT_TRUE(bias);
  EXPECT_NE(bias->f32, std::vector<float>(bias->f32.size(), 0.0f));
}

// When the two copies are brought in step: a write on the host is uploaded
// before the next GPU call (parameters and states, two copies), a training
// step's results are downloaded when first read, and not again.
TEST_F(TinyOnFakeDevice, CopiesAreRefreshedWhenStale) {
  ASSERT_TRUE(instance->setDevice("cuda"));
  long copies = counter("fakeCudaCopies");
  ASSERT_TRUE(instance->infer({&images}));
  long perInference = counter("fakeCudaCopies") - copies;
  EXPECT_GT(perInference, 0);
  auto weight = instance->getParam(0);
  ASSERT_TRUE(weight);
  ASSERT_TRUE(instance->setParam(0, *weight));
  copies = counter("fakeCudaCopies");
  ASSERT_TRUE(instance->infer({&images}));
  EXPECT_EQ(counter("fakeCudaCopies") - copies, perInference + 2);

  ASSERT_TRUE(instance->trainStep({&images}, {&labels}, 1e-2f));
  copies = counter("fakeCudaCopies");
  ASSERT_TRUE(instance->getParam(0));
  EXPECT_EQ(counter("fakeCudaCopies") - copies, 2);
  copies = counter("fakeCudaCopies");
  ASSERT_TRUE(instance->getParam(1));
  ASSERT_TRUE(instance->getOptimizerState(0, 0));
  EXPECT_EQ(counter("fakeCudaCopies"), copies);
}

TEST_F(TinyOnFakeDevice, NoSuchDevice) {
  Status moved = instance->setDevice("cuda:1");
  ASSERT_FALSE(moved);
  EXPECT_NE(moved.error().message.find(
                "CUDA device 1 does not exist: this machine has 1"),
            std::string::npos)
      << moved.error().message;
  expectStillOnCpu();
  // A failed move from a device leaves the instance on that device.
  ASSERT_TRUE(instance->setDevice("cuda"));
  ASSERT_FALSE(instance->setDevice("cuda:1"));
  EXPECT_EQ(instance->device(), "cuda:0");
}

// The generated host code, run against the stand-in: the kernels' module is
// loaded once per instance, each call launches kernels, and device memory
// does not grow from one call to the next (results are freed into the
// cache and reused).
TEST_F(TinyOnFakeDevice, HostCodeLaunchesKernelsAndFreesWhatItAllocates) {
  // Every call as it comes: a recorded one keeps its buffers (checked in
  // RepeatedCallsAreReplayedAsGraphs).
  ScopedEnv eager{"CNNC_CUDA_GRAPHS", "0"};
  ASSERT_TRUE(instance->setDevice("cuda"));
  long loads = counter("fakeCudaModuleLoads");
  long launches = counter("fakeCudaLaunches");
  ASSERT_TRUE(instance->infer({&images}));
  EXPECT_EQ(counter("fakeCudaModuleLoads"), loads + 1);
  long perInference = counter("fakeCudaLaunches") - launches;
  EXPECT_GT(perInference, 0);

  auto step = instance->trainStep({&images}, {&labels}, 1e-2f);
  ASSERT_TRUE(step) << step.error().message;
  EXPECT_EQ(step->count, 4);
  EXPECT_EQ(instance->step(), 1);
  // A batch the CPU would split runs on the device as one call.
  Tensor batch32 = Tensor::zerosF32({32, 1, 6, 6});
  Tensor labels32 = Tensor::zerosI32({32});
  launches = counter("fakeCudaLaunches");
  ASSERT_TRUE(instance->trainStep({&batch32}, {&labels32}, 1e-2f));
  long perStep = counter("fakeCudaLaunches") - launches;
  EXPECT_GT(perStep, perInference);
  launches = counter("fakeCudaLaunches");
  ASSERT_TRUE(instance->evaluate({&batch32}, {&labels32}));
  EXPECT_GT(counter("fakeCudaLaunches") - launches, 0);
  launches = counter("fakeCudaLaunches");
  ASSERT_TRUE(instance->infer({&batch32}));
  EXPECT_EQ(counter("fakeCudaLaunches") - launches, perInference);
  long inUse = counter("fakeCudaBytesInUse");
  ASSERT_TRUE(instance->trainStep({&images}, {&labels}, 1e-2f));
  ASSERT_TRUE(instance->evaluate({&images}, {&labels}));

  // More calls than the cache holds blocks: a leak would show.
  for (int call = 0; call < 100; ++call) {
    launches = counter("fakeCudaLaunches");
    ASSERT_TRUE(instance->infer({&images}));
    EXPECT_EQ(counter("fakeCudaLaunches") - launches, perInference);
  }
  EXPECT_EQ(counter("fakeCudaBytesInUse"), inUse);
  EXPECT_EQ(counter("fakeCudaModuleLoads"), loads + 1);
  EXPECT_EQ(instance->step(), 3);
}

// Inference, evaluation and training steps are recorded as a CUDA graph
// the second time they are made with the same shapes and replayed from then
// on: one graph launch a call, as many kernels as before (the stand-in
// counts a graph's kernels at each launch), no memory growth. (A step reads
// its learning rate, step and seed from device memory, written before each
// call.) Leaving the device frees the graphs.
TEST_F(TinyOnFakeDevice, RepeatedCallsAreReplayedAsGraphs) {
  ASSERT_TRUE(instance->setDevice("cuda"));
  long launches = counter("fakeCudaLaunches");
  ASSERT_TRUE(instance->infer({&images}));
  long perInference = counter("fakeCudaLaunches") - launches;
  EXPECT_EQ(since("fakeCudaCaptures"), 0);
  long inUse = 0;
  for (int call = 1; call <= 20; ++call) {
    launches = counter("fakeCudaLaunches");
    ASSERT_TRUE(instance->infer({&images}));
    EXPECT_EQ(counter("fakeCudaLaunches") - launches, perInference);
    EXPECT_EQ(since("fakeCudaCaptures"), 1);
    EXPECT_EQ(since("fakeCudaGraphLaunches"), call);
    if (call == 2)
      inUse = counter("fakeCudaBytesInUse");
  }
  EXPECT_EQ(counter("fakeCudaBytesInUse"), inUse);

  // Another batch size is another call, recorded on its own.
  Tensor batch8 = Tensor::zerosF32({8, 1, 6, 6});
  Tensor labels8 = Tensor::zerosI32({8});
  for (int call = 0; call < 3; ++call)
    ASSERT_TRUE(instance->infer({&batch8}));
  EXPECT_EQ(since("fakeCudaCaptures"), 2);
  EXPECT_EQ(since("fakeCudaGraphLaunches"), 22);
  for (int call = 0; call < 3; ++call) {
    auto evaluated = instance->evaluate({&batch8}, {&labels8});
    ASSERT_TRUE(evaluated) << evaluated.error().message;
    EXPECT_EQ(evaluated->count, 8);
  }
  EXPECT_EQ(since("fakeCudaCaptures"), 3);
  EXPECT_EQ(since("fakeCudaGraphLaunches"), 24);
  for (int call = 0; call < 3; ++call)
    ASSERT_TRUE(instance->trainStep({&batch8}, {&labels8}, 1e-2f));
  EXPECT_EQ(since("fakeCudaCaptures"), 4);
  EXPECT_EQ(since("fakeCudaGraphLaunches"), 26);
  EXPECT_EQ(instance->step(), 3);
  EXPECT_EQ(since("fakeCudaGraphs"), 4);
  // The whole step is the graph: with the copies of the new parameters
  // and Adam's two states into the instance's buffers.
  inUse = counter("fakeCudaBytesInUse");
  long graphCopies = counter("fakeCudaGraphCopies");
  for (int call = 0; call < 20; ++call)
    ASSERT_TRUE(instance->trainStep({&batch8}, {&labels8}, 1e-2f));
  EXPECT_EQ(counter("fakeCudaBytesInUse"), inUse);
  EXPECT_EQ(since("fakeCudaGraphLaunches"), 46);
  EXPECT_EQ(counter("fakeCudaGraphCopies") - graphCopies, 20 * 3);

  ASSERT_TRUE(instance->setDevice("cpu"));
  EXPECT_EQ(since("fakeCudaGraphs"), 0);
  EXPECT_EQ(counter("fakeCudaBytesInUse"), 0);
}

// Queued training steps from pinned batches: the first runs as it comes,
// the second is recorded, and every later one replays with its batch
// uploaded on the upload stream into one of two sets of buffers, which the
// step's stream waits for before copying it into the graph's. The stand-in
// runs an upload only when something waits for it, and counts as a race
// any work that touches its buffer before: there must be none.
TEST_F(TinyOnFakeDevice, QueuedStepsUploadBesideTheStepBefore) {
  ASSERT_TRUE(instance->setDevice("cuda"));
  // 512 images of 36 floats, 73 KB: large enough to need pinned memory.
  Tensor batches[2] = {Tensor::zerosF32({512, 1, 6, 6}),
                       Tensor::zerosF32({512, 1, 6, 6})};
  Tensor labels512 = Tensor::zerosI32({512});
  long ranges = counter("fakeCudaPinnedRanges");
  for (Tensor &b : batches)
    ASSERT_TRUE(instance->pinHostMemory(b.f32.data(), b.f32.size() * 4));
  EXPECT_EQ(counter("fakeCudaPinnedRanges"), ranges + 2);
  long waits = counter("fakeCudaStreamWaits");
  long races = counter("fakeCudaRaces");
  long direct = counter("fakeCudaRegisteredUploads");
  long pinned = counter("fakeCudaPinnedUploads");
  for (int step = 0; step < 8; ++step) {
    if (step >= 2) {
      auto r = instance->waitTrainStep();
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(r->count, 512);
    }
    auto queued =
        instance->queueTrainStep({&batches[step % 2]}, {&labels512}, 1e-2f);
    ASSERT_TRUE(queued) << queued.error().message;
    if (step == 1) {
      auto third = instance->queueTrainStep({&batches[0]}, {&labels512}, 1e-2f);
      ASSERT_FALSE(third);
      EXPECT_NE(
          third.error().message.find("2 training steps are queued already"),
          std::string::npos)
          << third.error().message;
      auto moved = instance->setDevice("cpu");
      ASSERT_FALSE(moved);
      EXPECT_NE(moved.error().message.find("2 queued training steps have "
                                           "not been waited for"),
                std::string::npos)
          << moved.error().message;
    }
  }
  for (int left = 0; left < 2; ++left)
    ASSERT_TRUE(instance->waitTrainStep());
  EXPECT_EQ(instance->step(), 8);
  EXPECT_EQ(since("fakeCudaCaptures"), 1);
  EXPECT_EQ(since("fakeCudaGraphLaunches"), 7);
  // Every batch went from the caller's memory, without a staging copy, and
  // every step's scalars from the instance's pinned memory (a copy from
  // pageable memory may wait for the stream): all uploads but the labels.
  EXPECT_EQ(counter("fakeCudaRegisteredUploads") - direct, 8);
  EXPECT_EQ(counter("fakeCudaPinnedUploads") - pinned, 8 + 8);
  // The six replays: the step's stream waits for each upload, and each
  // upload into a set used before waits for the copy out of it.
  EXPECT_EQ(counter("fakeCudaStreamWaits") - waits, 6 + 4);
  EXPECT_EQ(counter("fakeCudaRaces"), races);

  for (Tensor &b : batches)
    ASSERT_TRUE(instance->unpinHostMemory(b.f32.data()));
  EXPECT_EQ(counter("fakeCudaPinnedRanges"), ranges);
  auto again = instance->unpinHostMemory(batches[0].f32.data());
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("no memory is pinned at"),
            std::string::npos)
      << again.error().message;
}

// Queued inferences from pinned batches run like queued steps: the first
// as it comes, the second recorded, every later one replayed with its batch
// uploaded beside the inference before, without a race. Each downloads its
// logits into the instance's pinned memory; the caller's outputs are
// written only when it is waited for, with what cnnc_infer gives.
TEST_F(TinyOnFakeDevice, QueuedInferencesUploadBesideTheCallBefore) {
  ASSERT_TRUE(instance->setDevice("cuda"));
  Tensor batches[2] = {Tensor::zerosF32({512, 1, 6, 6}),
                       Tensor::zerosF32({512, 1, 6, 6})};
  for (Tensor &b : batches)
    ASSERT_TRUE(instance->pinHostMemory(b.f32.data(), b.f32.size() * 4));
  std::vector<Tensor> outputs[2] = {instance->outputTensors(512),
                                    instance->outputTensors(512)};
  ASSERT_EQ(outputs[0].size(), 1u);
  EXPECT_EQ(outputs[0][0].shape, (std::vector<int64_t>{512, 3}));
  long waits = counter("fakeCudaStreamWaits");
  long races = counter("fakeCudaRaces");
  long direct = counter("fakeCudaRegisteredUploads");
  constexpr float kUnwritten = -7.0f;
  for (int call = 0; call < 8; ++call) {
    std::vector<Tensor> &out = outputs[call % 2];
    if (call >= 2) {
      ASSERT_TRUE(instance->waitInfer());
      auto again = instance->infer({&batches[call % 2]});
      ASSERT_TRUE(again) << again.error().message;
      EXPECT_EQ(out[0].f32, (*again)[0].f32) << "call " << call - 2;
    }
    std::fill(out[0].f32.begin(), out[0].f32.end(), kUnwritten);
    auto queued = instance->queueInfer({&batches[call % 2]}, {&out[0]});
    ASSERT_TRUE(queued) << queued.error().message;
    EXPECT_EQ(out[0].f32.front(), kUnwritten);
    if (call == 1) {
      auto step = instance->trainStep({&images}, {&labels}, 1e-2f);
      ASSERT_FALSE(step);
      EXPECT_NE(step.error().message.find("2 queued inferences have not been "
                                          "waited for (cnnc_infer_wait)"),
                std::string::npos)
          << step.error().message;
      auto waitStep = instance->waitTrainStep();
      ASSERT_FALSE(waitStep);
      EXPECT_NE(waitStep.error().message.find("the oldest queued call is an "
                                              "inference"),
                std::string::npos)
          << waitStep.error().message;
    }
  }
  for (int left = 0; left < 2; ++left)
    ASSERT_TRUE(instance->waitInfer());
  auto none = instance->waitInfer();
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no inference is queued"),
            std::string::npos)
      << none.error().message;
  // One capture; the recorded call's launch, then six queued replays and
  // the six synchronous ones between them, each behind a queued inference.
  EXPECT_EQ(since("fakeCudaCaptures"), 1);
  EXPECT_EQ(since("fakeCudaGraphLaunches"), 1 + 12);
  // Every batch from the caller's memory, without a staging copy.
  EXPECT_EQ(counter("fakeCudaRegisteredUploads") - direct, 8 + 6);
  // The twelve replays: the stream waits for each upload, and each upload
  // into a set used before waits for the copy out of it.
  EXPECT_EQ(counter("fakeCudaStreamWaits") - waits, 12 + 10);
  EXPECT_EQ(counter("fakeCudaRaces"), races);
  for (Tensor &b : batches)
    ASSERT_TRUE(instance->unpinHostMemory(b.f32.data()));
}

// An instance destroyed with steps queued and memory pinned waits for them
// and gives everything back.
TEST_F(TinyOnFakeDevice, DestroyedWithQueuedStepsLeavesNothing) {
  ASSERT_TRUE(instance->setDevice("cuda"));
  long ranges = counter("fakeCudaPinnedRanges");
  ASSERT_TRUE(instance->pinHostMemory(images.f32.data(), 4 * 36 * 4));
  for (int step = 0; step < 5; ++step) {
    ASSERT_TRUE(instance->queueTrainStep({&images}, {&labels}, 1e-2f));
    if (step < 4) {
      ASSERT_TRUE(instance->waitTrainStep());
    }
  }
  ASSERT_TRUE(instance->queueTrainStep({&images}, {&labels}, 1e-2f));
  instance.reset();
  EXPECT_EQ(counter("fakeCudaBytesInUse"), 0);
  EXPECT_EQ(counter("fakeCudaPinnedRanges"), ranges);
  EXPECT_EQ(since("fakeCudaGraphs"), 0);
}

// The driver's refusal to pin is reported; what the instance pinned is
// unpinned when it leaves the device.
TEST_F(TinyOnFakeDevice, PinningIsReportedAndUndone) {
  ASSERT_TRUE(instance->setDevice("cuda"));
  long ranges = counter("fakeCudaPinnedRanges");
  ASSERT_TRUE(instance->pinHostMemory(images.f32.data(), 64));
  auto overlap = instance->pinHostMemory(images.f32.data() + 8, 64);
  ASSERT_FALSE(overlap);
  EXPECT_NE(overlap.error().message.find("cannot pin 64 bytes of host memory "
                                         "for cuda:0 (Fake GPU)"),
            std::string::npos)
      << overlap.error().message;
  EXPECT_EQ(counter("fakeCudaPinnedRanges"), ranges + 1);
  // The instance still works after the refusal.
  ASSERT_TRUE(instance->trainStep({&images}, {&labels}, 1e-2f));
  ASSERT_TRUE(instance->setDevice("cpu"));
  EXPECT_EQ(counter("fakeCudaPinnedRanges"), ranges);
}

// More shapes than an instance keeps recorded calls for: the least
// recently used is dropped, with its graph and buffers.
TEST_F(TinyOnFakeDevice, OldRecordedCallsMakeWay) {
  ASSERT_TRUE(instance->setDevice("cuda"));
  for (int64_t batch = 1; batch <= 10; ++batch) {
    Tensor input = Tensor::zerosF32({batch, 1, 6, 6});
    for (int call = 0; call < 2; ++call)
      ASSERT_TRUE(instance->infer({&input}));
  }
  EXPECT_EQ(since("fakeCudaCaptures"), 10);
  EXPECT_EQ(since("fakeCudaGraphs"), 8);
  Tensor first = Tensor::zerosF32({1, 1, 6, 6});
  ASSERT_TRUE(instance->infer({&first})); // dropped: run as it comes
  ASSERT_TRUE(instance->infer({&first})); // and recorded again
  EXPECT_EQ(since("fakeCudaCaptures"), 11);
  EXPECT_EQ(since("fakeCudaGraphs"), 8);
}

// A call the driver cannot record runs as it comes, correctly and without
// an error, and is not tried again; CNNC_CUDA_GRAPHS=0 records nothing.
TEST_F(TinyOnFakeDevice, CallsThatCannotBeRecordedRunAsTheyCome) {
  ScopedEnv broken{"FAKE_CUDA_BREAK_CAPTURE", "1"};
  ASSERT_TRUE(instance->setDevice("cuda"));
  long launches = counter("fakeCudaLaunches");
  ASSERT_TRUE(instance->infer({&images}));
  long perInference = counter("fakeCudaLaunches") - launches;
  for (int call = 0; call < 3; ++call) {
    launches = counter("fakeCudaLaunches");
    auto outputs = instance->infer({&images});
    ASSERT_TRUE(outputs) << outputs.error().message;
    EXPECT_EQ(counter("fakeCudaLaunches") - launches, perInference);
  }
  EXPECT_EQ(since("fakeCudaCaptures"), 1);
  EXPECT_EQ(since("fakeCudaGraphLaunches"), 0);
  EXPECT_EQ(since("fakeCudaGraphs"), 0);
}

TEST_F(TinyOnFakeDevice, GraphsTurnedOffRecordNothing) {
  ScopedEnv off{"CNNC_CUDA_GRAPHS", "0"};
  ASSERT_TRUE(instance->setDevice("cuda"));
  for (int call = 0; call < 3; ++call)
    ASSERT_TRUE(instance->infer({&images}));
  EXPECT_EQ(since("fakeCudaCaptures"), 0);
  EXPECT_EQ(since("fakeCudaGraphLaunches"), 0);
}

// CNNC_CUDA_PROFILE: each launch is timed between two events (on the
// stand-in a launch takes a microsecond), calls are not recorded as graphs
// meanwhile, and when the instance leaves the device a table of its
// kernels is appended to the file.
TEST_F(TinyOnFakeDevice, ProfileTimesEachKernel) {
  std::string path = scratchDir() + "/profile.txt";
  std::filesystem::remove(path);
  ScopedEnv profile{"CNNC_CUDA_PROFILE", path.c_str()};
  ASSERT_TRUE(instance->setDevice("cuda"));
  long before = counter("fakeCudaLaunches");
  for (int call = 0; call < 3; ++call)
    ASSERT_TRUE(instance->infer({&images}));
  long launches = counter("fakeCudaLaunches") - before;
  ASSERT_GT(launches, 3);
  EXPECT_EQ(since("fakeCudaCaptures"), 0);
  ASSERT_TRUE(instance->setDevice("cpu"));

  std::ifstream file(path);
  ASSERT_TRUE(file) << path;
  std::string header, columns, row;
  std::getline(file, header);
  EXPECT_EQ(header,
            "# kernel times on cuda:0 (Fake GPU): " + std::to_string(launches) +
                " launches, " + std::to_string(launches) +
                ".0 us in kernels, 0 not timed");
  std::getline(file, columns);
  EXPECT_EQ(columns.rfind("kernel ", 0), 0u) << columns;
  long rows = 0, counted = 0;
  std::set<std::string> names;
  while (std::getline(file, row)) {
    std::istringstream fields(row);
    std::string name, share;
    long blocks = 0, threads = 0, calls = 0;
    double total = 0, mean = 0;
    fields >> name >> blocks >> threads >> calls >> total >> mean >> share;
    names.insert(name);
    EXPECT_GE(blocks, 1) << row;
    EXPECT_TRUE(threads >= 1 && threads <= 256) << row;
    EXPECT_EQ(calls, 3) << row; // each of the call's kernels, once a call
    EXPECT_DOUBLE_EQ(mean, 1.0) << row;
    ++rows;
    counted += calls;
  }
  EXPECT_EQ(counted, launches);
  EXPECT_EQ(rows * 3, launches);
  // Named after the statements they compute for: c1's convolution with
  // logits' tanh, then the dense layer.
  EXPECT_EQ(names,
            (std::set<std::string>{"tiny_k0_c1_logits", "tiny_k1_logits"}));
}

struct GpuCase {
  const char *file;
  int64_t batch;
};

std::string modelPath(const char *file) {
  return std::string(CNNC_SOURCE_DIR) + "/models/" + file;
}

class ModelsOnCuda : public ::testing::TestWithParam<GpuCase> {};

TEST_P(ModelsOnCuda, MatchTheCpu) {
  expectCudaSameAsCpu(modelPath(GetParam().file), GetParam().batch);
}

// The whole model through the GPU pipeline's kernel-shaped loops, run on
// the CPU (cnnc --gpu-loops-on-cpu): the GPU mapping of every op, the host
// code moved into one-thread loops and the packing of the step, checked
// without a GPU.
class ModelsInGpuLoops : public ::testing::TestWithParam<GpuCase> {};

TEST_P(ModelsInGpuLoops, MatchTheCpu) {
  expectGpuLoopsSameAsCpu(modelPath(GetParam().file), GetParam().batch, "");
}

// LeNet-5's batch of 70 is summed in three chunks, the last one short
// (cnn-split-long-sums); the others fit in one.
INSTANTIATE_TEST_SUITE_P(Models, ModelsInGpuLoops,
                         ::testing::Values(GpuCase{"lenet5.mdl", 70},
                                           GpuCase{"lenet5-1998.mdl", 16},
                                           GpuCase{"lenet5-modern.mdl", 16},
                                           GpuCase{"cifar10-lenet.mdl", 16},
                                           GpuCase{"alexnet.mdl", 2}),
                         [](const ::testing::TestParamInfo<GpuCase> &info) {
                           return modelTestName(info.param.file);
                         });

// The builds bench/gpu.sh times against the default one: tiles of 8 x 8
// outputs per thread (cnnc --gpu-tile-outputs=8: LeNet-5's forward dense
// and convolution kernels and its weight gradients take them), and slices
// along the convolutions' windows (--gpu-aligned-slices: LeNet-5's 5 x 5
// windows a row a slice).
struct BuildVariant {
  const char *name;
  const char *flag;
};

class VariantsInGpuLoops : public ::testing::TestWithParam<BuildVariant> {};

TEST_P(VariantsInGpuLoops, Lenet5MatchesTheCpu) {
  expectGpuLoopsSameAsCpu(modelPath("lenet5.mdl"), 70, "", GetParam().flag);
}

class VariantsOnCuda : public ::testing::TestWithParam<BuildVariant> {};

TEST_P(VariantsOnCuda, Lenet5MatchesTheCpu) {
  expectCudaSameAsCpu(modelPath("lenet5.mdl"), 70, GetParam().flag);
}

TEST_P(VariantsOnCuda, AlexnetMatchesTheCpu) {
  expectCudaSameAsCpu(modelPath("alexnet.mdl"), 2, GetParam().flag);
}

const BuildVariant kBuildVariants[] = {
    {"LargeTiles", "--gpu-tile-outputs=8"},
    {"AlignedSlices", "--gpu-aligned-slices"},
};

std::string variantName(const ::testing::TestParamInfo<BuildVariant> &info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Builds, VariantsInGpuLoops,
                         ::testing::ValuesIn(kBuildVariants), variantName);
INSTANTIATE_TEST_SUITE_P(Builds, VariantsOnCuda,
                         ::testing::ValuesIn(kBuildVariants), variantName);

INSTANTIATE_TEST_SUITE_P(Models, ModelsOnCuda,
                         ::testing::Values(GpuCase{"lenet5.mdl", 70},
                                           GpuCase{"lenet5-1998.mdl", 16},
                                           GpuCase{"lenet5-modern.mdl", 16},
                                           GpuCase{"cifar10-lenet.mdl", 16},
                                           GpuCase{"alexnet.mdl", 2}),
                         [](const ::testing::TestParamInfo<GpuCase> &info) {
                           return modelTestName(info.param.file);
                         });

} // namespace
