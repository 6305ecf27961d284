//===- GpuCompare.h - a GPU-side instance against the CPU's ---*- C++ -*-===//
//
// What the GPU tests check, with issue 8's tolerances: the same parameters
// give the same inference and the same training step on the CPU and on a
// GPU (or on the GPU pipeline's loops run on the CPU).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_E2E_GPUCOMPARE_H
#define CNNC_TEST_E2E_GPUCOMPARE_H

#include "E2ETestUtil.h"

#include "runtime/loader/ModelLibrary.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace cnnc::test {

/// The largest |a - b| over the largest |b|, at least 1e-6.
inline double relativeError(const std::vector<float> &a,
                            const std::vector<float> &b) {
  double diff = 0, scale = 1e-6;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    diff = std::max(diff, std::fabs(double(a[i]) - double(b[i])));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return diff / scale;
}

/// Checks that every parameter of `other` is `cpu`'s within 1e-3 relative
/// to its largest value.
inline void expectSameParams(const rt::ModelLibrary &lib,
                             rt::ModelInstance &cpu, rt::ModelInstance &other,
                             const char *when) {
  for (size_t p = 0; p < lib.params().size(); ++p) {
    auto a = other.getParam(static_cast<int>(p));
    auto b = cpu.getParam(static_cast<int>(p));
    ASSERT_TRUE(a && b);
    EXPECT_LE(relativeError(a->f32, b->f32), 1e-3)
        << lib.params()[p].name << " " << when;
  }
}

/// Queues on `m`, as a program keeping a GPU busy does: an inference, a
/// step, the same inference again (behind the step, it sees the parameters
/// the step leaves), then two more inferences; returns the four inferences'
/// first outputs.
inline std::vector<std::vector<float>>
queuedInferences(rt::ModelInstance &m, const rt::Tensor (&batches)[2],
                 const rt::Tensor &labels, float lr) {
  std::vector<std::vector<float>> firstOutputs;
  std::vector<rt::Tensor> outputs[4];
  auto queue = [&](int i, const rt::Tensor &batch) {
    outputs[i] = m.outputTensors(batch.shape[0]);
    std::vector<rt::Tensor *> out;
    for (rt::Tensor &t : outputs[i])
      out.push_back(&t);
    rt::Status s = m.queueInfer({&batch}, out);
    EXPECT_TRUE(s) << s.error().message;
  };
  auto take = [&](int i) {
    rt::Status s = m.waitInfer();
    EXPECT_TRUE(s) << s.error().message;
    firstOutputs.push_back(outputs[i][0].f32);
  };
  queue(0, batches[0]);
  EXPECT_TRUE(m.queueTrainStep({&batches[1]}, {&labels}, lr));
  take(0);
  queue(1, batches[0]);
  EXPECT_TRUE(m.waitTrainStep());
  take(1);
  queue(2, batches[1]);
  queue(3, batches[0]);
  take(2);
  take(3);
  return firstOutputs;
}

/// Checks that `other` computes what `cpu` computes from the same
/// parameters: inference within 1e-4 and the parameters after one training
/// step, then after four queued ones, within 1e-3, relative to the largest
/// value (issue 8's tolerances); then queued inferences, between queued
/// steps, within 1e-4.
inline void expectSameAsCpu(const rt::ModelLibrary &lib, rt::ModelInstance &cpu,
                            rt::ModelInstance &other, int64_t batch) {
  ASSERT_TRUE(cpu.initParams(11));
  ASSERT_TRUE(other.initParams(11));
  std::vector<int64_t> shape = lib.inputs()[0].shape;
  shape[0] = batch;
  rt::Tensor images = rt::Tensor::zerosF32(shape);
  rt::Tensor labels = rt::Tensor::zerosI32({batch});
  std::mt19937 rng(11);
  // Three batches: on a GPU the first call runs as it comes, the second is
  // recorded as a CUDA graph and the third replays it (GpuCalls.h).
  for (int call = 0; call < 3; ++call) {
    for (float &v : images.f32)
      v = static_cast<float>(rng() % 256) / 255.0f;
    for (int32_t &label : labels.i32)
      label = static_cast<int32_t>(rng() % lib.numClasses());
    auto want = cpu.infer({&images});
    auto got = other.infer({&images});
    ASSERT_TRUE(want && got) << (got ? want.error() : got.error()).message;
    EXPECT_LE(relativeError((*got)[0].f32, (*want)[0].f32), 1e-4)
        << "call " << call;
    if (!lib.hasTraining())
      continue;
    auto wantScore = cpu.evaluate({&images}, {&labels});
    auto gotScore = other.evaluate({&images}, {&labels});
    ASSERT_TRUE(wantScore && gotScore)
        << (gotScore ? wantScore.error() : gotScore.error()).message;
    EXPECT_NEAR(gotScore->loss, wantScore->loss,
                1e-4 * std::max(1.0f, std::fabs(wantScore->loss)))
        << "call " << call;
    EXPECT_EQ(gotScore->correct, wantScore->correct) << "call " << call;
  }
  float lr = static_cast<float>(lib.trainConfig().lr);
  auto cpuStep = cpu.trainStep({&images}, {&labels}, lr);
  auto otherStep = other.trainStep({&images}, {&labels}, lr);
  ASSERT_TRUE(cpuStep && otherStep)
      << (otherStep ? cpuStep.error() : otherStep.error()).message;
  EXPECT_NEAR(otherStep->loss, cpuStep->loss,
              1e-4 * std::max(1.0f, std::fabs(cpuStep->loss)));
  EXPECT_EQ(otherStep->correct, cpuStep->correct);
  expectSameParams(lib, cpu, other, "after one step");

  // Queued steps, two at a time, from pinned batches on a GPU: the first
  // is recorded, the others replay with their batch uploaded beside the
  // step before (GpuCalls.h).
  rt::Tensor batches[2] = {images, images}, targets[2] = {labels, labels};
  for (rt::Tensor &b : batches)
    ASSERT_TRUE(other.pinHostMemory(b.f32.data(), b.f32.size() * 4));
  std::vector<rt::StepResult> cpuSteps, otherSteps;
  auto take = [&](rt::ModelInstance &m, std::vector<rt::StepResult> &out) {
    auto r = m.waitTrainStep();
    ASSERT_TRUE(r) << r.error().message;
    out.push_back(*r);
  };
  for (int step = 0; step < 4; ++step) {
    rt::Tensor &b = batches[step % 2], &t = targets[step % 2];
    if (step >= 2) {
      take(cpu, cpuSteps);
      take(other, otherSteps);
    }
    for (float &v : b.f32)
      v = static_cast<float>(rng() % 256) / 255.0f;
    for (int32_t &label : t.i32)
      label = static_cast<int32_t>(rng() % lib.numClasses());
    ASSERT_TRUE(cpu.queueTrainStep({&b}, {&t}, lr));
    ASSERT_TRUE(other.queueTrainStep({&b}, {&t}, lr));
  }
  for (int left = 0; left < 2; ++left) {
    take(cpu, cpuSteps);
    take(other, otherSteps);
  }
  for (rt::Tensor &b : batches)
    ASSERT_TRUE(other.unpinHostMemory(b.f32.data()));
  ASSERT_EQ(otherSteps.size(), cpuSteps.size());
  for (size_t i = 0; i < cpuSteps.size(); ++i) {
    EXPECT_NEAR(otherSteps[i].loss, cpuSteps[i].loss,
                1e-3 * std::max(1.0f, std::fabs(cpuSteps[i].loss)))
        << "queued step " << i;
    EXPECT_EQ(otherSteps[i].count, batch);
  }
  expectSameParams(lib, cpu, other, "after four queued steps");

  // Queued inferences from the pinned batches: on a GPU replays whose
  // batch is uploaded beside the call before, one of them behind a step.
  for (rt::Tensor &b : batches)
    ASSERT_TRUE(other.pinHostMemory(b.f32.data(), b.f32.size() * 4));
  std::vector<std::vector<float>> want =
      queuedInferences(cpu, batches, labels, lr);
  std::vector<std::vector<float>> got =
      queuedInferences(other, batches, labels, lr);
  for (rt::Tensor &b : batches)
    ASSERT_TRUE(other.unpinHostMemory(b.f32.data()));
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_LE(relativeError(got[i], want[i]), 1e-4) << "queued inference " << i;
  expectSameParams(lib, cpu, other, "after the queued inferences");
}

/// Why there can be no GPU here, before anything is compiled for one: the
/// driver library's loader error; empty when it loads (setDevice then
/// tells whether there is a device).
inline std::string missingDriver() {
  void *driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!driver)
    return dlerror();
  dlclose(driver);
  return "";
}

/// The model in `source` through the GPU pipeline's kernel-shaped loops run
/// on the CPU (cnnc --gpu-loops-on-cpu, and `loopsArgs`) against its CPU
/// code, compiled with `cpuArgs`.
inline void expectGpuLoopsSameAsCpu(const std::string &source, int64_t batch,
                                    const std::string &cpuArgs,
                                    const std::string &loopsArgs = "") {
  std::string so = compileModel(source, cpuArgs);
  std::string loops =
      compileModel(source, "--gpu-loops-on-cpu --no-cuda " + loopsArgs);
  ASSERT_FALSE(so.empty() || loops.empty());
  auto lib = rt::ModelLibrary::open(so);
  auto loopsLib = rt::ModelLibrary::open(loops);
  ASSERT_TRUE(lib && loopsLib);
  auto cpu = (*lib)->createInstance();
  auto other = (*loopsLib)->createInstance();
  ASSERT_TRUE(cpu && other);
  expectSameAsCpu(**lib, **cpu, **other, batch);
}

/// The model in `source`, compiled with `cnncArgs`, on the first CUDA
/// device against its CPU code; skipped, before compiling when it can,
/// where there is no GPU.
inline void expectCudaSameAsCpu(const std::string &source, int64_t batch,
                                const std::string &cnncArgs = "") {
  if (std::string why = missingDriver(); !why.empty())
    GTEST_SKIP() << "no GPU to compare with: no CUDA driver (" << why << ")";
  std::string so = compileModel(source, cnncArgs);
  ASSERT_FALSE(so.empty());
  auto lib = rt::ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  auto cpu = (*lib)->createInstance();
  auto gpu = (*lib)->createInstance();
  ASSERT_TRUE(cpu && gpu);
  if (rt::Status s = (*gpu)->setDevice("cuda"); !s)
    GTEST_SKIP() << "no GPU to compare with: " << s.error().message;
  expectSameAsCpu(**lib, **cpu, **gpu, batch);
}

} // namespace cnnc::test

#endif // CNNC_TEST_E2E_GPUCOMPARE_H
