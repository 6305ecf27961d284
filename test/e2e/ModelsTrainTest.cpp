//===- ModelsTrainTest.cpp - every shipped model learns ------------------===//
//
// For each model in models/: compile it with the real cnnc, initialise it
// from a seed and take a few training steps on one fixed random batch with
// the model's own optimizer and learning rate. Fitting one batch is the
// simplest thing a working training step does, so the loss must end lower
// than it started (AlexNet: one image, 2 steps, its SGD with momentum; the
// LeNets: batch 8, 8 steps). The accuracy of real training is checked by
// MnistAccuracyTest.cpp and the gradients by GradientCheckTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "E2ETestUtil.h"

#include "runtime/io/Safetensors.h"
#include "runtime/loader/Checkpoint.h"
#include "runtime/loader/ModelLibrary.h"

#include <cstring>
#include <random>

using cnnc::rt::ModelLibrary;
using cnnc::rt::StepResult;
using cnnc::rt::Tensor;

namespace {

struct TrainCase {
  const char *file;
  int64_t batch;
  int steps;
};

std::ostream &operator<<(std::ostream &os, const TrainCase &c) {
  return os << c.file;
}

class ModelsTrain : public ::testing::TestWithParam<TrainCase> {};

TEST_P(ModelsTrain, LossFallsOnARepeatedBatch) {
  const TrainCase &c = GetParam();
  std::string so = cnnc::test::compileModel(std::string(CNNC_SOURCE_DIR) +
                                            "/models/" + c.file);
  ASSERT_FALSE(so.empty());
  auto lib = ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  ASSERT_TRUE((*lib)->hasTraining());
  auto instance = (*lib)->createInstance();
  ASSERT_TRUE(instance) << instance.error().message;
  ASSERT_TRUE((*instance)->initParams(3));
  ASSERT_TRUE((*instance)->setTrainingSeed(3));

  std::mt19937 rng(11);
  std::vector<int64_t> shape = (*lib)->inputs()[0].shape;
  shape[0] = c.batch;
  Tensor images = Tensor::zerosF32(shape);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float &v : images.f32)
    v = pixel(rng);
  int64_t classes = (*lib)->outputs()[0].shape[1];
  Tensor labels = Tensor::zerosI32({c.batch});
  for (int32_t &label : labels.i32)
    label = static_cast<int32_t>(rng() % classes);

  float lr = static_cast<float>((*lib)->trainConfig().lr);
  std::vector<float> losses;
  for (int step = 0; step < c.steps; ++step) {
    auto result = (*instance)->trainStep({&images}, {&labels}, lr);
    ASSERT_TRUE(result) << result.error().message;
    ASSERT_TRUE(std::isfinite(result->loss)) << "step " << step;
    losses.push_back(result->loss);
  }
  auto after = (*instance)->evaluate({&images}, {&labels});
  ASSERT_TRUE(after) << after.error().message;
  std::string trace;
  for (float loss : losses)
    trace += std::to_string(loss) + " ";
  EXPECT_LT(after->loss, losses.front()) << "losses: " << trace;
  EXPECT_EQ((*instance)->step(), c.steps);
}

// A LeNet-5 step from a checkpoint on disk, taken twice by two fresh
// instances: the same loss and the same parameters, bit for bit. (Compiled
// code is deterministic: no threads, no uninitialised reads.)
TEST(ModelsTrainReproducibly, LeNet5StepFromACheckpointIsBitForBit) {
  std::string so = cnnc::test::compileModel(std::string(CNNC_SOURCE_DIR) +
                                            "/models/lenet5.mdl");
  ASSERT_FALSE(so.empty());
  auto lib = ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  auto seeded = (*lib)->createInstance();
  ASSERT_TRUE(seeded);
  ASSERT_TRUE((*seeded)->initParams(5));
  auto saved = cnnc::rt::saveParams(**seeded);
  ASSERT_TRUE(saved);
  std::string path = cnnc::test::scratchDir() + "/lenet5-fixed.safetensors";
  ASSERT_TRUE(cnnc::rt::writeSafetensors(path, *saved));

  Tensor images = Tensor::zerosF32({16, 1, 28, 28});
  Tensor labels = Tensor::zerosI32({16});
  std::mt19937 rng(5);
  for (float &v : images.f32)
    v = static_cast<float>(rng() % 256) / 255.0f;
  for (int32_t &label : labels.i32)
    label = static_cast<int32_t>(rng() % 10);

  auto run = [&](std::vector<Tensor> &params) {
    auto instance = (*lib)->createInstance();
    ASSERT_TRUE(instance);
    ASSERT_TRUE(cnnc::rt::loadParamsFile(**instance, path));
    auto result = (*instance)->trainStep({&images}, {&labels}, 1e-3f);
    ASSERT_TRUE(result) << result.error().message;
    params.push_back(Tensor::zerosF32({}));
    params.back().f32 = {result->loss};
    for (size_t p = 0; p < (*lib)->params().size(); ++p) {
      auto value = (*instance)->getParam(static_cast<int>(p));
      ASSERT_TRUE(value);
      params.push_back(*value);
    }
  };
  std::vector<Tensor> first, second;
  run(first);
  run(second);
  ASSERT_EQ(first.size(), second.size());
  ASSERT_GT(first.size(), 1u);
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_EQ(first[i].f32.size(), second[i].f32.size());
    EXPECT_EQ(std::memcmp(first[i].f32.data(), second[i].f32.data(),
                          first[i].f32.size() * sizeof(float)),
              0)
        << (i == 0 ? std::string("the loss") : (*lib)->params()[i - 1].name);
  }
  // The step moved the parameters away from the checkpoint's.
  auto initial = (*seeded)->getParam(0);
  ASSERT_TRUE(initial);
  EXPECT_NE(initial->f32, first[1].f32);
}

INSTANTIATE_TEST_SUITE_P(Models, ModelsTrain,
                         ::testing::Values(TrainCase{"lenet5.mdl", 8, 8},
                                           TrainCase{"lenet5-1998.mdl", 8, 8},
                                           TrainCase{"lenet5-modern.mdl", 8, 8},
                                           TrainCase{"cifar10-lenet.mdl", 8, 8},
                                           TrainCase{"alexnet.mdl", 1, 2}),
                         [](const ::testing::TestParamInfo<TrainCase> &info) {
                           return cnnc::test::modelTestName(info.param.file);
                         });

} // namespace
