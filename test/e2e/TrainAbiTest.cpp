//===- TrainAbiTest.cpp - the training half of the C ABI ------------------===//
//
// Models with a `train` section compiled by the real cnnc: the training
// functions of cnnc.h called directly (dlsym) with a C user's mistakes,
// which must be reported before anything is updated; a few steps on a tiny
// problem that must lower the loss; evaluation that must not update; then
// the loader's training API, training checkpoints and a bit-for-bit resume.
//
//===----------------------------------------------------------------------===//

#include "E2ETestUtil.h"

#include "cnnc/cnnc.h"
#include "runtime/loader/Checkpoint.h"
#include "runtime/loader/ModelLibrary.h"

#include <dlfcn.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace cnnc::test;
using namespace cnnc::rt;

namespace {

// Adam with dropout: two optimizer states, and a step whose result depends
// on the seed and the step number.
constexpr const char *kTraineeModel = R"(model trainee {
  input image: f32[1, 6, 6]
  input label: i32[]
  c1 = conv2d(image, filters=2, kernel=3)
  h = dropout(relu(c1), rate=0.25)
  logits = dense(flatten(h), units=3)
  output logits
  train {
    loss = cross_entropy(logits, label)
    optimizer = adam(lr=0.01)
    batch = 4
    seed = 9
  }
}
)";

// Plain SGD on an mse loss: no optimizer state, no labels to count.
constexpr const char *kRegressionModel = R"(model regression {
  input image: f32[1, 6, 6]
  input target: f32[3]
  out = dense(flatten(image), units=3)
  output out
  train {
    loss = mse(out, target)
    optimizer = sgd(lr=0.1)
  }
}
)";

constexpr const char *kInferenceModel = R"(model inference_only {
  input image: f32[1, 6, 6]
  logits = dense(flatten(image), units=3)
  output logits
}
)";

constexpr int64_t kBatch = 6;
constexpr int kParamElements = 2 * 9 + 2 + 3 * 32 + 3; // trainee's

/// Image i of class i % 3: a bright band of two rows at 2 * class, plus a
/// deterministic ripple so no two images are equal.
void makeProblem(std::vector<float> &images, std::vector<int32_t> &labels,
                 int64_t n, int offset = 0) {
  images.assign(static_cast<size_t>(n * 36), 0.0f);
  labels.assign(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    int32_t c = static_cast<int32_t>((i + offset) % 3);
    labels[i] = c;
    for (int p = 0; p < 36; ++p)
      images[i * 36 + p] = (p / 6 / 2 == c ? 1.0f : 0.0f) +
                           0.05f * std::sin(float(i * 37 + p + offset));
  }
}

/// The trainee's .so through dlsym, as a C or ctypes user calls it.
class TrainAbi : public LoadedModelTest {
protected:
  void SetUp() override {
    load("trainee.mdl", kTraineeModel);
    if (HasFatalFailure())
      return;
    ASSERT_EQ(fn<decltype(&cnnc_init_params)>("cnnc_init_params")(model, 1),
              CNNC_OK);
    makeProblem(images, labels, kBatch);
  }
  cnnc_status step(const cnnc_tensor *in, int32_t nin, const cnnc_tensor *tg,
                   int32_t ntg, float lr, cnnc_step_result *r) {
    return fn<decltype(&cnnc_train_step)>("cnnc_train_step")(model, in, nin, tg,
                                                             ntg, lr, r);
  }
  cnnc_status evaluate(cnnc_step_result *r) {
    return fn<decltype(&cnnc_evaluate)>("cnnc_evaluate")(
        model, &imageTensor(), 1, &labelTensor(), 1, r);
  }
  const cnnc_tensor &imageTensor() {
    in = {images.data(), CNNC_F32, 4, imageShape};
    return in;
  }
  const cnnc_tensor &labelTensor() {
    tg = {labels.data(), CNNC_I32, 1, labelShape};
    return tg;
  }
  /// The number of elements of parameter `p`.
  int64_t paramElements(int32_t p) {
    cnnc_tensor_info info;
    EXPECT_EQ(fn<decltype(&cnnc_param_info)>("cnnc_param_info")(p, &info),
              CNNC_OK);
    int64_t n = 1;
    for (int32_t d = 0; d < info.rank; ++d)
      n *= info.shape[d];
    return n;
  }
  /// Every parameter and optimizer state value, and the step.
  std::vector<float> snapshot() {
    std::vector<float> all;
    auto get = fn<decltype(&cnnc_get_param)>("cnnc_get_param");
    auto state =
        fn<decltype(&cnnc_get_optimizer_state)>("cnnc_get_optimizer_state");
    for (int32_t p = 0; p < 4; ++p) {
      int64_t n = paramElements(p);
      std::vector<float> v(static_cast<size_t>(n));
      EXPECT_EQ(get(model, p, v.data(), n), CNNC_OK);
      all.insert(all.end(), v.begin(), v.end());
      for (int32_t s = 0; s < 2; ++s) {
        EXPECT_EQ(state(model, s, p, v.data(), n), CNNC_OK) << lastError();
        all.insert(all.end(), v.begin(), v.end());
      }
    }
    all.push_back(float(fn<decltype(&cnnc_get_step)>("cnnc_get_step")(model)));
    return all;
  }

  std::vector<float> images;
  std::vector<int32_t> labels;
  int64_t imageShape[4] = {kBatch, 1, 6, 6};
  int64_t labelShape[1] = {kBatch};
  cnnc_tensor in{}, tg{};
};

TEST_F(TrainAbi, DescribesTraining) {
  EXPECT_EQ(fn<decltype(&cnnc_has_training)>("cnnc_has_training")(), 1);
  const cnnc_train_config *config =
      fn<decltype(&cnnc_training_config)>("cnnc_training_config")();
  ASSERT_NE(config, nullptr);
  EXPECT_STREQ(config->loss, "cross_entropy");
  EXPECT_STREQ(config->optimizer, "adam");
  EXPECT_STREQ(config->schedule, "constant");
  EXPECT_DOUBLE_EQ(config->lr, 0.01);
  EXPECT_EQ(config->batch, 4);
  EXPECT_EQ(config->seed, 9u);
  EXPECT_EQ(fn<decltype(&cnnc_num_targets)>("cnnc_num_targets")(), 1);
  cnnc_tensor_info info;
  ASSERT_EQ(fn<decltype(&cnnc_target_info)>("cnnc_target_info")(0, &info),
            CNNC_OK);
  EXPECT_STREQ(info.name, "label");
  EXPECT_EQ(info.dtype, CNNC_I32);
  EXPECT_EQ(info.rank, 1);
  EXPECT_EQ(info.shape[0], -1);
  EXPECT_EQ(fn<decltype(&cnnc_target_info)>("cnnc_target_info")(1, &info),
            CNNC_INVALID_ARGUMENT);
  auto name =
      fn<decltype(&cnnc_optimizer_state_name)>("cnnc_optimizer_state_name");
  ASSERT_EQ(
      fn<decltype(&cnnc_num_optimizer_states)>("cnnc_num_optimizer_states")(),
      2);
  EXPECT_STREQ(name(0), "exp_avg");
  EXPECT_STREQ(name(1), "exp_avg_sq");
  EXPECT_EQ(name(2), nullptr);
  EXPECT_EQ(lastError(), "trainee: optimizer state index 2 is out of range: "
                         "the optimizer has 2");
  EXPECT_EQ(fn<decltype(&cnnc_get_step)>("cnnc_get_step")(model), 0);
}

TEST_F(TrainAbi, TrainStepRejectsMisuseBeforeAnyUpdate) {
  std::vector<float> before = snapshot();
  cnnc_step_result r;
  const cnnc_tensor &x = imageTensor();
  const cnnc_tensor &y = labelTensor();
  EXPECT_EQ(fn<decltype(&cnnc_train_step)>("cnnc_train_step")(nullptr, &x, 1,
                                                              &y, 1, 0.1f, &r),
            CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: train_step: the model is null");
  EXPECT_EQ(step(&x, 1, &y, 1, 0.1f, nullptr), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: train_step: the result pointer is null");
  EXPECT_EQ(step(nullptr, 1, &y, 1, 0.1f, &r), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(step(&x, 1, &y, 0, 0.1f, &r), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: train_step: the loss takes 1 target(s), "
                         "got 0");

  int64_t otherBatch[1] = {kBatch - 1};
  cnnc_tensor shortLabels{labels.data(), CNNC_I32, 1, otherBatch};
  EXPECT_EQ(step(&x, 1, &shortLabels, 1, 0.1f, &r), CNNC_SHAPE_MISMATCH);
  EXPECT_EQ(lastError(),
            "trainee: target 'label' must have shape [6], got [5]");
  cnnc_tensor floatLabels{images.data(), CNNC_F32, 1, labelShape};
  EXPECT_EQ(step(&x, 1, &floatLabels, 1, 0.1f, &r), CNNC_SHAPE_MISMATCH);
  EXPECT_EQ(lastError(), "trainee: target 'label' is i32, got f32");
  int64_t wrongImage[4] = {kBatch, 1, 6, 5};
  cnnc_tensor narrow{images.data(), CNNC_F32, 4, wrongImage};
  EXPECT_EQ(step(&narrow, 1, &y, 1, 0.1f, &r), CNNC_SHAPE_MISMATCH);

  labels[4] = 3;
  EXPECT_EQ(step(&x, 1, &y, 1, 0.1f, &r), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: train_step: target 'label': label 3 at "
                         "index 4 is out of range: the model has 3 classes "
                         "(0 to 2)");
  labels[4] = 1;
  labels[2] = -1;
  EXPECT_EQ(
      fn<decltype(&cnnc_evaluate)>("cnnc_evaluate")(model, &x, 1, &y, 1, &r),
      CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: evaluate: target 'label': label -1 at "
                         "index 2 is out of range: the model has 3 classes "
                         "(0 to 2)");
  labels[2] = 2;
  EXPECT_EQ(step(&x, 1, &y, 1, -0.5f, &r), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(step(&x, 1, &y, 1, NAN, &r), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: train_step: the learning rate must be "
                         "finite and at least 0, got nan");
  EXPECT_EQ(snapshot(), before) << "a rejected step changed the instance";
}

TEST_F(TrainAbi, StepsLowerTheLossAndCountSteps) {
  cnnc_step_result first{}, r{};
  ASSERT_EQ(step(&imageTensor(), 1, &labelTensor(), 1, 0.05f, &first), CNNC_OK)
      << lastError();
  EXPECT_EQ(first.count, kBatch);
  EXPECT_GE(first.correct, 0);
  EXPECT_LE(first.correct, kBatch);
  for (int i = 1; i < 40; ++i)
    ASSERT_EQ(step(&imageTensor(), 1, &labelTensor(), 1, 0.05f, &r), CNNC_OK)
        << lastError();
  EXPECT_EQ(fn<decltype(&cnnc_get_step)>("cnnc_get_step")(model), 40);
  EXPECT_TRUE(std::isfinite(r.loss));
  EXPECT_LT(r.loss, 0.5f * first.loss) << "first loss " << first.loss;
  cnnc_step_result scored{};
  ASSERT_EQ(evaluate(&scored), CNNC_OK) << lastError();
  EXPECT_EQ(scored.correct, kBatch) << "loss " << scored.loss;
}

// Queued steps (ABI 4) are the steps cnnc_train_step takes, in the order
// queued: the same results and the same instance after them, bit for bit on
// the CPU; misuse is refused without a change.
TEST_F(TrainAbi, QueuedStepsAreTheStepsInTurn) {
  auto queue = fn<decltype(&cnnc_train_step_queue)>("cnnc_train_step_queue");
  auto wait = fn<decltype(&cnnc_train_step_wait)>("cnnc_train_step_wait");
  const cnnc_tensor &x = imageTensor();
  const cnnc_tensor &y = labelTensor();
  std::vector<float> start = snapshot();
  std::vector<cnnc_step_result> inTurn(5);
  for (cnnc_step_result &r : inTurn)
    ASSERT_EQ(step(&x, 1, &y, 1, 0.05f, &r), CNNC_OK) << lastError();
  std::vector<float> after = snapshot();

  // Back to the start, then the same five steps queued two at a time.
  ASSERT_EQ(fn<decltype(&cnnc_init_params)>("cnnc_init_params")(model, 1),
            CNNC_OK);
  ASSERT_EQ(fn<decltype(&cnnc_set_step)>("cnnc_set_step")(model, 0), CNNC_OK);
  auto setState =
      fn<decltype(&cnnc_set_optimizer_state)>("cnnc_set_optimizer_state");
  for (int32_t p = 0; p < 4; ++p) {
    int64_t n = paramElements(p);
    std::vector<float> zeros(static_cast<size_t>(n), 0.0f);
    for (int32_t st = 0; st < 2; ++st)
      ASSERT_EQ(setState(model, st, p, zeros.data(), n), CNNC_OK);
  }
  ASSERT_EQ(snapshot(), start);
  std::vector<cnnc_step_result> queued;
  cnnc_step_result r{};
  EXPECT_EQ(wait(model, &r), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: train_step_wait: no training step is "
                         "queued");
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(queue(model, &x, 1, &y, 1, 0.05f), CNNC_OK) << lastError();
    if (i == 0) {
      // While a step is queued: no step or evaluation may overtake it, and
      // the instance cannot move.
      EXPECT_EQ(step(&x, 1, &y, 1, 0.05f, &r), CNNC_INVALID_ARGUMENT);
      EXPECT_EQ(lastError(), "trainee: train_step: 1 queued training step "
                             "has not been waited for (cnnc_train_step_wait)");
      EXPECT_EQ(evaluate(&r), CNNC_INVALID_ARGUMENT);
      EXPECT_EQ(fn<decltype(&cnnc_set_device)>("cnnc_set_device")(model, "cpu"),
                CNNC_INVALID_ARGUMENT);
      EXPECT_EQ(lastError(), "trainee: set_device: 1 queued training step "
                             "has not been waited for (cnnc_train_step_wait)");
      // A step with a bad label is refused when queued, and not queued.
      labels[1] = 7;
      EXPECT_EQ(queue(model, &x, 1, &y, 1, 0.05f), CNNC_INVALID_ARGUMENT);
      labels[1] = 1;
      continue;
    }
    if (i == 1) {
      EXPECT_EQ(queue(model, &x, 1, &y, 1, 0.05f), CNNC_INVALID_ARGUMENT);
      EXPECT_EQ(lastError(), "trainee: train_step_queue: 2 training steps "
                             "are queued already, the most there may be; "
                             "wait for the oldest first "
                             "(cnnc_train_step_wait)");
    }
    ASSERT_EQ(wait(model, &r), CNNC_OK) << lastError();
    queued.push_back(r);
  }
  for (int left = 0; left < 1; ++left) {
    ASSERT_EQ(wait(model, &r), CNNC_OK) << lastError();
    queued.push_back(r);
  }
  EXPECT_EQ(wait(model, &r), CNNC_INVALID_ARGUMENT);
  ASSERT_EQ(queued.size(), inTurn.size());
  for (size_t i = 0; i < queued.size(); ++i) {
    EXPECT_EQ(queued[i].loss, inTurn[i].loss) << "step " << i;
    EXPECT_EQ(queued[i].correct, inTurn[i].correct) << "step " << i;
    EXPECT_EQ(queued[i].count, kBatch);
  }
  EXPECT_EQ(snapshot(), after);
  // Pinning does nothing on the CPU.
  auto pin = fn<decltype(&cnnc_pin_host_memory)>("cnnc_pin_host_memory");
  EXPECT_EQ(pin(model, images.data(), 4), CNNC_OK);
  EXPECT_EQ(pin(model, nullptr, 4), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: pin_host_memory: the address is null");
}

// Queued inferences (ABI 5) share the steps' queue: each runs in its turn,
// sees the parameters the steps before it leave, and gives what cnnc_infer
// gives then, bit for bit on the CPU. A wait for the wrong kind of call,
// a full queue and a bad shape are refused without a change.
TEST_F(TrainAbi, QueuedInferencesTakeTheirTurn) {
  auto queue = fn<decltype(&cnnc_infer_queue)>("cnnc_infer_queue");
  auto wait = fn<decltype(&cnnc_infer_wait)>("cnnc_infer_wait");
  auto queueStep =
      fn<decltype(&cnnc_train_step_queue)>("cnnc_train_step_queue");
  auto waitStep = fn<decltype(&cnnc_train_step_wait)>("cnnc_train_step_wait");
  auto infer = fn<decltype(&cnnc_infer)>("cnnc_infer");
  const cnnc_tensor &x = imageTensor();
  const cnnc_tensor &y = labelTensor();
  int64_t logitsShape[2] = {kBatch, 3};
  std::vector<float> before(kBatch * 3), after(kBatch * 3);
  std::vector<float> first(kBatch * 3), second(kBatch * 3);
  cnnc_tensor out{before.data(), CNNC_F32, 2, logitsShape};
  ASSERT_EQ(infer(model, &x, 1, &out, 1), CNNC_OK) << lastError();

  EXPECT_EQ(wait(model), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: infer_wait: no inference is queued");
  out.data = first.data();
  ASSERT_EQ(queue(model, &x, 1, &out, 1), CNNC_OK) << lastError();
  EXPECT_EQ(fn<decltype(&cnnc_set_device)>("cnnc_set_device")(model, "cpu"),
            CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: set_device: 1 queued inference has not "
                         "been waited for (cnnc_infer_wait)");
  ASSERT_EQ(queueStep(model, &x, 1, &y, 1, 0.05f), CNNC_OK) << lastError();
  cnnc_step_result r{};
  EXPECT_EQ(waitStep(model, &r), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: train_step_wait: the oldest queued call "
                         "is an inference; take it first (cnnc_infer_wait)");
  EXPECT_EQ(queue(model, &x, 1, &out, 1), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: infer_queue: 2 calls are queued already, "
                         "the most there may be; wait for the oldest first "
                         "(cnnc_infer_wait)");
  EXPECT_EQ(evaluate(&r), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: evaluate: 2 queued calls have not been "
                         "waited for (cnnc_infer_wait)");
  ASSERT_EQ(wait(model), CNNC_OK) << lastError();
  EXPECT_EQ(first, before);

  // Behind the step: the parameters it leaves.
  out.data = second.data();
  ASSERT_EQ(queue(model, &x, 1, &out, 1), CNNC_OK) << lastError();
  EXPECT_EQ(wait(model), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "trainee: infer_wait: the oldest queued call is a "
                         "training step; take it first "
                         "(cnnc_train_step_wait)");
  ASSERT_EQ(waitStep(model, &r), CNNC_OK) << lastError();
  EXPECT_EQ(r.count, kBatch);
  // One bad output shape: refused when queued, and not queued.
  int64_t wrongShape[2] = {kBatch, 4};
  cnnc_tensor wrong{after.data(), CNNC_F32, 2, wrongShape};
  EXPECT_EQ(queue(model, &x, 1, &wrong, 1), CNNC_SHAPE_MISMATCH);
  ASSERT_EQ(wait(model), CNNC_OK) << lastError();
  EXPECT_EQ(wait(model), CNNC_INVALID_ARGUMENT);
  out.data = after.data();
  ASSERT_EQ(infer(model, &x, 1, &out, 1), CNNC_OK) << lastError();
  EXPECT_EQ(second, after);
  EXPECT_NE(second, before);
}

TEST_F(TrainAbi, EvaluateNeitherUpdatesNorDrawsDropout) {
  std::vector<float> before = snapshot();
  cnnc_step_result a{}, b{};
  ASSERT_EQ(evaluate(&a), CNNC_OK) << lastError();
  ASSERT_EQ(evaluate(&b), CNNC_OK);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.count, kBatch);
  EXPECT_EQ(snapshot(), before);
  // ln 3 = 1.0986: an untrained 3-class model is about that unsure.
  EXPECT_NEAR(a.loss, std::log(3.0f), 0.5f);
}

TEST_F(TrainAbi, OptimizerStateAndStepAccess) {
  auto get =
      fn<decltype(&cnnc_get_optimizer_state)>("cnnc_get_optimizer_state");
  auto set =
      fn<decltype(&cnnc_set_optimizer_state)>("cnnc_set_optimizer_state");
  float bias[2] = {0.25f, -4.0f}, back[2] = {1, 1};
  ASSERT_EQ(get(model, 1, 1, back, 2), CNNC_OK);
  EXPECT_EQ(back[0], 0.0f) << "state is zero after create";
  ASSERT_EQ(set(model, 1, 1, bias, 2), CNNC_OK);
  ASSERT_EQ(get(model, 1, 1, back, 2), CNNC_OK);
  EXPECT_EQ(back[1], -4.0f);
  ASSERT_EQ(get(model, 0, 1, back, 2), CNNC_OK);
  EXPECT_EQ(back[1], 0.0f) << "states are separate buffers";
  EXPECT_EQ(get(model, 2, 1, back, 2), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(get(model, 0, 4, back, 2), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(set(model, 0, 1, bias, 3), CNNC_SHAPE_MISMATCH);
  EXPECT_EQ(lastError(), "trainee: set_optimizer_state 'c1.bias': the "
                         "parameter has shape [2] (2 elements), got 3 "
                         "elements");
  EXPECT_EQ(set(model, 0, 1, nullptr, 2), CNNC_INVALID_ARGUMENT);

  auto setStep = fn<decltype(&cnnc_set_step)>("cnnc_set_step");
  EXPECT_EQ(setStep(model, -1), CNNC_INVALID_ARGUMENT);
  ASSERT_EQ(setStep(model, 41), CNNC_OK);
  EXPECT_EQ(fn<decltype(&cnnc_get_step)>("cnnc_get_step")(model), 41);
  EXPECT_EQ(fn<decltype(&cnnc_get_step)>("cnnc_get_step")(nullptr), -1);
  EXPECT_EQ(fn<decltype(&cnnc_set_training_seed)>("cnnc_set_training_seed")(
                model, 77),
            CNNC_OK);
}

TEST(TrainAbiWithout, EveryTrainingFunctionSaysThereIsNoTrainSection) {
  std::string so =
      compileModel(writeScratchFile("inference.mdl", kInferenceModel));
  ASSERT_FALSE(so.empty());
  auto lib = ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_FALSE((*lib)->hasTraining());
  EXPECT_TRUE((*lib)->targets().empty());
  auto instance = (*lib)->createInstance();
  ASSERT_TRUE(instance);
  Tensor image = Tensor::zerosF32({1, 1, 6, 6}), label = Tensor::zerosI32({1});
  Result<StepResult> r = (*instance)->trainStep({&image}, {&label}, 0.1f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            so + ": the training step failed: inference_only: train_step: "
                 "the model was compiled without a train section");
  EXPECT_FALSE((*instance)->evaluate({&image}, {&label}));
  EXPECT_FALSE((*instance)->setStep(1));
  EXPECT_FALSE((*instance)->getOptimizerState(0, 0));
  EXPECT_EQ((*instance)->step(), -1);
  Result<Checkpoint> saved = saveTraining(**instance, {});
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().message,
            so + ": the model was compiled without a train section");
}

TEST(TrainLoader, MseModelWithoutStateCountsNothing) {
  std::string so =
      compileModel(writeScratchFile("regression.mdl", kRegressionModel));
  ASSERT_FALSE(so.empty());
  auto lib = ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  ASSERT_TRUE((*lib)->hasTraining());
  EXPECT_EQ((*lib)->trainConfig().loss, "mse");
  EXPECT_EQ((*lib)->trainConfig().optimizer, "sgd");
  EXPECT_TRUE((*lib)->optimizerStates().empty());
  EXPECT_EQ((*lib)->numClasses(), 0);
  ASSERT_EQ((*lib)->targets().size(), 1u);
  EXPECT_EQ((*lib)->targets()[0].shape, (std::vector<int64_t>{-1, 3}));
  auto instance = (*lib)->createInstance();
  ASSERT_TRUE(instance && (*instance)->initParams(2));
  std::vector<float> pixels;
  std::vector<int32_t> classes;
  makeProblem(pixels, classes, 4);
  Tensor image = Tensor::zerosF32({4, 1, 6, 6});
  image.f32 = pixels;
  Tensor target = Tensor::zerosF32({4, 3});
  for (int i = 0; i < 4; ++i)
    target.f32[i * 3 + classes[i]] = 1.0f;
  Result<StepResult> first = (*instance)->trainStep({&image}, {&target}, 0.1f);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->correct, -1);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE((*instance)->trainStep({&image}, {&target}, 0.1f));
  Result<StepResult> last = (*instance)->evaluate({&image}, {&target});
  ASSERT_TRUE(last);
  EXPECT_LT(last->loss, first->loss);
  EXPECT_EQ((*instance)->step(), 21);
}

/// The trainee through the loader, initialised from seed 1.
struct Trainee {
  std::shared_ptr<ModelLibrary> lib;
  std::unique_ptr<ModelInstance> instance;
};

Trainee openTrainee() {
  std::string so = compileModel(writeScratchFile("trainee.mdl", kTraineeModel));
  Trainee t;
  if (so.empty())
    return t;
  auto lib = ModelLibrary::open(so);
  EXPECT_TRUE(lib) << lib.error().message;
  if (!lib)
    return t;
  t.lib = *lib;
  auto instance = t.lib->createInstance();
  EXPECT_TRUE(instance && (*instance)->initParams(1) &&
              (*instance)->setTrainingSeed(9));
  if (instance)
    t.instance = std::move(*instance);
  return t;
}

/// Trains one step on batch `b` (a different batch per b).
void trainOn(ModelInstance &m, int b) {
  std::vector<float> pixels;
  std::vector<int32_t> classes;
  makeProblem(pixels, classes, kBatch, b);
  Tensor image = Tensor::zerosF32({kBatch, 1, 6, 6});
  image.f32 = pixels;
  Tensor label = Tensor::zerosI32({kBatch});
  label.i32 = classes;
  Result<StepResult> r = m.trainStep({&image}, {&label}, 0.01f);
  ASSERT_TRUE(r) << r.error().message;
}

std::vector<float> everything(const ModelInstance &m) {
  std::vector<float> all;
  for (int p = 0; p < 4; ++p) {
    Result<Tensor> v = m.getParam(p);
    EXPECT_TRUE(v);
    all.insert(all.end(), v->f32.begin(), v->f32.end());
    for (int s = 0; s < 2; ++s) {
      Result<Tensor> st = m.getOptimizerState(s, p);
      EXPECT_TRUE(st) << st.error().message;
      all.insert(all.end(), st->f32.begin(), st->f32.end());
    }
  }
  return all;
}

TEST(TrainCheckpoint, RoundTripsOptimizerStateAndResumesBitForBit) {
  Trainee straight = openTrainee(), stopped = openTrainee(),
          resumed = openTrainee();
  ASSERT_TRUE(straight.instance && stopped.instance && resumed.instance);
  EXPECT_EQ(straight.lib->optimizerStates(),
            (std::vector<std::string>{"exp_avg", "exp_avg_sq"}));
  EXPECT_EQ(straight.lib->numClasses(), 3);
  EXPECT_EQ(everything(*straight.instance).size(), 3u * kParamElements);
  trainOn(*straight.instance, 0);
  trainOn(*straight.instance, 1);

  trainOn(*stopped.instance, 0);
  TrainingProgress progress;
  progress.epoch = 3;
  progress.batchInEpoch = 17;
  progress.seed = 9;
  progress.settings["lr"] = "0.01";
  std::string file = scratchDir() + "/trainee-step1.safetensors";
  ASSERT_TRUE(saveTrainingFile(*stopped.instance, progress, file));

  Result<TrainingProgress> loaded = loadTrainingFile(*resumed.instance, file);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->epoch, 3);
  EXPECT_EQ(loaded->batchInEpoch, 17);
  EXPECT_EQ(loaded->seed, 9u);
  EXPECT_EQ(loaded->settings.at("lr"), "0.01");
  EXPECT_EQ(resumed.instance->step(), 1);
  EXPECT_EQ(everything(*resumed.instance), everything(*stopped.instance));

  trainOn(*resumed.instance, 1);
  EXPECT_EQ(resumed.instance->step(), 2);
  std::vector<float> a = everything(*straight.instance),
                     b = everything(*resumed.instance);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
      << "two steps straight and one + save + load + one differ";

  // The checkpoint's parameters still load for inference.
  Trainee plain = openTrainee();
  ASSERT_TRUE(plain.instance);
  Status params = loadParamsFile(*plain.instance, file);
  EXPECT_TRUE(params) << params.error().message;
}

TEST(TrainCheckpoint, RejectsOtherModelsAndIncompleteState) {
  Trainee t = openTrainee();
  ASSERT_TRUE(t.instance);
  trainOn(*t.instance, 0);
  Result<Checkpoint> saved = saveTraining(*t.instance, {});
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_NE(find(*saved, "optimizer.exp_avg_sq.logits.weight"), nullptr);

  Trainee fresh = openTrainee();
  ASSERT_TRUE(fresh.instance);
  std::vector<float> before = everything(*fresh.instance);
  Checkpoint other = *saved;
  other.metadata["cnnc.model"] = "alexnet";
  Result<TrainingProgress> r = loadTraining(*fresh.instance, other, "a.st");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "a.st: checkpoint of model 'alexnet', this is "
                               "'trainee' (" +
                                   fresh.lib->path() + ")");

  Checkpoint partial = *saved;
  partial.tensors.erase(partial.tensors.begin() +
                        4);                     // optimizer.exp_avg.c1.weight
  partial.tensors.back().tensor.shape = {1, 3}; // exp_avg_sq of logits.bias
  partial.metadata["epoch"] = "x";
  r = loadTraining(*fresh.instance, partial, "p.st");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "p.st: does not fit model 'trainee' (" + fresh.lib->path() +
                "):\n  optimizer state 'optimizer.exp_avg.c1.weight' [2, 1, "
                "3, 3] is missing\n  'optimizer.exp_avg_sq.logits.bias' is "
                "f32 [1, 3], the model's optimizer state is f32 [3]\n  the "
                "metadata's 'epoch' is 'x', not an integer from 0 to "
                "9223372036854775807");
  EXPECT_EQ(everything(*fresh.instance), before);
  EXPECT_EQ(fresh.instance->step(), 0);
}

} // namespace

namespace {

// Plain SGD with labels, conv + pool + dense, no dropout: a step is linear
// in the gradient, which is the mean over the batch.
constexpr const char *kSplitModel = R"(model split {
  input image: f32[1, 12, 12]
  input label: i32[]
  c1 = conv2d(image, filters=4, kernel=3)
  s1 = avg_pool2d(tanh(c1), kernel=2)
  logits = dense(flatten(s1), units=5)
  output logits
  train {
    loss = cross_entropy(logits, label)
    optimizer = sgd(lr=0.1)
  }
}
)";

/// Every parameter of `instance`, concatenated.
std::vector<float> allParams(const ModelInstance &instance) {
  std::vector<float> all;
  for (size_t i = 0; i < instance.library().params().size(); ++i) {
    Result<Tensor> p = instance.getParam(static_cast<int>(i));
    EXPECT_TRUE(p) << p.error().message;
    if (p)
      all.insert(all.end(), p->f32.begin(), p->f32.end());
  }
  return all;
}

/// With plain SGD, a step's update on `batch` images must equal the sum of
/// the updates of 1/`parts` the rate on each of `parts` equal parts of the
/// batch, within f32 rounding: 1e-6 + 1e-4 of the update, per parameter.
void expectStepEqualsTheSumOfItsParts(int64_t batch, int64_t parts) {
  std::string so = compileModel(writeScratchFile("split.mdl", kSplitModel));
  ASSERT_FALSE(so.empty());
  auto lib = ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  auto instance = (*lib)->createInstance();
  ASSERT_TRUE(instance && (*instance)->initParams(5));
  std::vector<Tensor> start;
  for (size_t i = 0; i < (*lib)->params().size(); ++i)
    start.push_back(*(*instance)->getParam(static_cast<int>(i)));
  auto restart = [&] {
    for (size_t i = 0; i < start.size(); ++i)
      ASSERT_TRUE((*instance)->setParam(static_cast<int>(i), start[i]));
  };

  const int64_t part = batch / parts;
  Tensor images = Tensor::zerosF32({batch, 1, 12, 12});
  Tensor labels = Tensor::zerosI32({batch});
  for (size_t k = 0; k < images.f32.size(); ++k)
    images.f32[k] = static_cast<float>((k * 7919) % 1000) / 1000.0f;
  for (int64_t k = 0; k < batch; ++k)
    labels.i32[k] = static_cast<int32_t>((k * 3) % 5);
  auto slice = [&](int64_t first) {
    Tensor im = Tensor::zerosF32({part, 1, 12, 12});
    Tensor lb = Tensor::zerosI32({part});
    size_t perImage = im.f32.size() / part;
    std::copy_n(images.f32.begin() + first * perImage, im.f32.size(),
                im.f32.begin());
    std::copy_n(labels.i32.begin() + first, part, lb.i32.begin());
    return std::make_pair(im, lb);
  };
  std::vector<float> before = allParams(**instance);

  ASSERT_TRUE((*instance)->trainStep({&images}, {&labels}, 0.1f));
  std::vector<float> whole = allParams(**instance);

  std::vector<float> sum(before.size(), 0.0f);
  for (int64_t first = 0; first < batch; first += part) {
    restart();
    auto [im, lb] = slice(first);
    ASSERT_TRUE(
        (*instance)->trainStep({&im}, {&lb}, 0.1f / static_cast<float>(parts)));
    std::vector<float> after = allParams(**instance);
    for (size_t k = 0; k < after.size(); ++k)
      sum[k] += after[k] - before[k];
  }
  int reported = 0;
  double largest = 0;
  for (size_t k = 0; k < before.size(); ++k) {
    double update = whole[k] - before[k];
    largest = std::max(largest, std::fabs(update));
    if (!(std::fabs(update - sum[k]) <= 1e-6 + 1e-4 * std::fabs(update)) &&
        reported++ < 5)
      ADD_FAILURE() << "parameter " << k << ": whole-batch update " << update
                    << ", sum of the parts' " << sum[k];
  }
  EXPECT_GT(largest, 1e-4) << "the step must move the parameters";
}

/// A step on a batch of 16 splits into two slices of 8 across the model's
/// threads (runtime/model/TrainAbi.cpp) when it has two or more; each half
/// (8 images) is too few to split. On one thread this checks the
/// whole-batch step the same way.
TEST(TrainSplit, StepEqualsTheSumOfItsHalves) {
  expectStepEqualsTheSumOfItsParts(16, 2);
}

/// A batch of 96 is three slices of 32 (TrainAbi.cpp's
/// kMaxImagesPerStepSlice): with two threads, one runs two of them one after
/// the other and sums their weighted gradients itself.
TEST(TrainSplit, MoreSlicesThanThreadsSumLikeTheirParts) {
  expectStepEqualsTheSumOfItsParts(96, 3);
}

/// Like kSplitModel, but its dense layer's 8.2M weights make a gradient of
/// 33 MB, more than glibc keeps on its heap: malloc maps such a block anew,
/// page by page, every time. `units` sets the dense layer's width.
std::string wideModel(int units) {
  return R"(model wide {
  input image: f32[1, 12, 12]
  input label: i32[]
  c1 = conv2d(image, filters=4, kernel=3)
  s1 = avg_pool2d(tanh(c1), kernel=2)
  logits = dense(flatten(s1), units=)" +
         std::to_string(units) + R"()
  output logits
  train {
    loss = cross_entropy(logits, label)
    optimizer = sgd(lr=0.1)
  }
}
)";
}

long minorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

/// The minor page faults of 5 warm training steps (after 3) of a model of
/// `units` classes at `batch`, on two threads so that the step splits: the
/// fewest of three such runs of 5 steps. How many gradients two threads
/// have alive at once depends on how their slices overlap in time, so a
/// step may still reach a new peak, and map one more block, after the
/// warm-up (seen once on a loaded machine: 8,001 faults); memory mapped
/// anew at every step shows in every run.
long warmStepFaults(int units, int64_t batch) {
  // Read when the library starts its pool.
  const char *previous = std::getenv("CNNC_NUM_THREADS");
  std::string saved = previous ? previous : "";
  setenv("CNNC_NUM_THREADS", "2", 1);
  std::string so = compileModel(writeScratchFile(
      "wide" + std::to_string(units) + ".mdl", wideModel(units)));
  long faults = -1;
  auto lib = ModelLibrary::open(so);
  if (!so.empty() && lib) {
    auto instance = (*lib)->createInstance();
    Tensor images = Tensor::zerosF32({batch, 1, 12, 12});
    Tensor labels = Tensor::zerosI32({batch});
    for (size_t k = 0; k < images.f32.size(); ++k)
      images.f32[k] = static_cast<float>((k * 7919) % 1000) / 1000.0f;
    for (int64_t k = 0; k < batch; ++k)
      labels.i32[k] = static_cast<int32_t>((k * 37) % units);
    bool ok = instance && (*instance)->initParams(5);
    for (int step = 0; ok && step < 3; ++step)
      ok = bool((*instance)->trainStep({&images}, {&labels}, 0.01f));
    for (int run = 0; ok && run < 3; ++run) {
      long before = minorFaults();
      for (int step = 0; ok && step < 5; ++step)
        ok = bool((*instance)->trainStep({&images}, {&labels}, 0.01f));
      long these = minorFaults() - before;
      if (ok && (faults < 0 || these < faults))
        faults = these;
    }
    if (!ok)
      faults = -1;
  }
  if (previous)
    setenv("CNNC_NUM_THREADS", saved.c_str(), 1);
  else
    unsetenv("CNNC_NUM_THREADS");
  return faults;
}

/// A split step's slice gradients are allocated on the model's threads and
/// freed by the caller; once warm, steps must reuse that memory
/// (runtime/model/WorkspaceAllocator.cpp) rather than map it again. One
/// gradient mapped anew is about 8,000 pages, so 5 steps under 2,000 minor
/// page faults in all leave none of them room to.
TEST(TrainSplit, WarmStepsMapNoNewMemory) {
  long faults = warmStepFaults(81920, 32);
  ASSERT_GE(faults, 0) << "the model did not compile or train";
  EXPECT_LT(faults, 2000) << "warm steps mapped new memory";
}

/// With more slices than threads (batch 160: five slices of 32, the
/// gradient 4 MB, about 1,000 pages), a thread sums its later slices'
/// gradients into its first and frees them itself, two on one thread here;
/// a block freed and handed out again to its next slice must be freed
/// again, not taken for one already freed (a leak of a gradient a step,
/// which 5 steps under 2,000 faults leave no room for).
TEST(TrainSplit, WarmStepsWithMoreSlicesThanThreadsMapNoNewMemory) {
  long faults = warmStepFaults(10240, 160);
  ASSERT_GE(faults, 0) << "the model did not compile or train";
  EXPECT_LT(faults, 2000) << "warm steps mapped new memory";
}

} // namespace
