//===- ModelsEndToEndTest.cpp - every shipped model, compiled, is right ---===//
//
// For each model in models/: `cnnc model.mdl -o model.so`, load it through
// the runtime (the C ABI), initialise the parameters from a seed, run a
// random batch, and compare the outputs with the reference interpreter
// (test/reference: plain C++ loops, no code shared with the lowering) run on
// the same parameters, read back through the ABI.
//
// Tolerance: |compiled - reference| <= 1e-5 + 1e-4 * |reference| for every
// element (f32 code against double-accumulating loops).
//
//===----------------------------------------------------------------------===//

#include "E2ETestUtil.h"
#include "ModelSource.h"

#include "compiler/codegen/ModelDescription.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Sema.h"
#include "runtime/loader/ModelLibrary.h"
#include "test/reference/Interpreter.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <fstream>
#include <optional>
#include <random>
#include <regex>
#include <sstream>

using namespace cnnc;
using namespace cnnc::test;
using cnnc::rt::ModelInstance;
using cnnc::rt::ModelLibrary;
using cnnc::rt::Result;
using cnnc::rt::Tensor;

namespace {

struct ModelCase {
  const char *file;
  int64_t batch;
  const char *cnncArgs = "";
};

std::ostream &operator<<(std::ostream &os, const ModelCase &c) {
  return os << c.file << " batch " << c.batch << " " << c.cnncArgs;
}

HostTensor toHost(const Tensor &t) {
  HostTensor h;
  h.shape = t.shape;
  h.data = t.f32;
  return h;
}

Tensor randomBatch(const std::vector<int64_t> &sampleShape, int64_t batch,
                   unsigned seed) {
  std::vector<int64_t> shape = sampleShape;
  shape[0] = batch;
  Tensor t = Tensor::zerosF32(shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float &v : t.f32)
    v = pixel(rng);
  return t;
}

void expectClose(const std::vector<float> &got, const std::vector<float> &want,
                 const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    double tolerance = 1e-5 + 1e-4 * std::fabs(want[i]);
    if (!(std::fabs(got[i] - want[i]) <= tolerance) && reported++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: compiled " << got[i]
                    << ", reference " << want[i];
  }
}

class ModelsEndToEnd : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ModelsEndToEnd, MatchesReferenceInterpreter) {
  const ModelCase &c = GetParam();
  std::string source = std::string(CNNC_SOURCE_DIR) + "/models/" + c.file;
  std::string so = compileModel(source, c.cnncArgs);
  ASSERT_FALSE(so.empty());
  Result<std::shared_ptr<ModelLibrary>> lib = ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  Result<std::unique_ptr<ModelInstance>> instance = (*lib)->createInstance();
  ASSERT_TRUE(instance) << instance.error().message;
  ASSERT_TRUE((*instance)->initParams(42));
  ASSERT_EQ((*lib)->inputs().size(), 1u);
  Tensor input = randomBatch((*lib)->inputs()[0].shape, c.batch, 7);
  Result<std::vector<Tensor>> outputs = (*instance)->infer({&input});
  ASSERT_TRUE(outputs) << outputs.error().message;

  ModelSource reference(source);
  mlir::func::FuncOp forward = reference.forward();
  ASSERT_TRUE(forward) << reference.messages;
  std::vector<HostTensor> args;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    if (forward.getArgAttr(i, "cnn.input")) {
      args.push_back(toHost(input));
    } else if (auto name =
                   forward.getArgAttrOfType<mlir::StringAttr>(i, "cnn.param")) {
      int index = (*lib)->findParam(name.getValue().str());
      ASSERT_GE(index, 0) << name.getValue().str();
      Result<Tensor> value = (*instance)->getParam(index);
      ASSERT_TRUE(value) << value.error().message;
      args.push_back(toHost(*value));
    }
  }
  auto expected = interpret(forward, args);
  ASSERT_TRUE(static_cast<bool>(expected))
      << llvm::toString(expected.takeError());
  ASSERT_EQ(expected->size(), outputs->size());
  for (size_t i = 0; i < outputs->size(); ++i) {
    EXPECT_EQ((*outputs)[i].shape, (*expected)[i].shape);
    expectClose((*outputs)[i].f32, (*expected)[i].data,
                (*lib)->outputs()[i].name);
  }

  // The batch size changes nothing per sample: the first image alone gives
  // the first row of the batch's output.
  Tensor first = input;
  first.shape[0] = 1;
  first.f32.resize(input.f32.size() / c.batch);
  Result<std::vector<Tensor>> single = (*instance)->infer({&first});
  ASSERT_TRUE(single) << single.error().message;
  std::vector<float> firstRow((*outputs)[0].f32.begin(),
                              (*outputs)[0].f32.begin() +
                                  (*single)[0].f32.size());
  expectClose((*single)[0].f32, firstRow, "batch of one");
}

/// The outputs of `so` on `input` with parameters from seed 42.
std::vector<Tensor> inferWithSeed42(const std::string &so,
                                    const Tensor &input) {
  Result<std::shared_ptr<ModelLibrary>> lib = ModelLibrary::open(so);
  EXPECT_TRUE(lib) << lib.error().message;
  if (!lib)
    return {};
  Result<std::unique_ptr<ModelInstance>> instance = (*lib)->createInstance();
  EXPECT_TRUE(instance) << instance.error().message;
  if (!instance || !(*instance)->initParams(42))
    return {};
  Result<std::vector<Tensor>> outputs = (*instance)->infer({&input});
  EXPECT_TRUE(outputs) << outputs.error().message;
  return outputs ? *outputs : std::vector<Tensor>{};
}

/// One training step from the parameters of seed 42: its loss and each
/// parameter's change.
struct StepChange {
  float loss = 0;
  std::vector<std::vector<float>> updates;
};

std::optional<StepChange> stepWithSeed42(const std::string &so,
                                         const Tensor &input,
                                         const Tensor &labels) {
  Result<std::shared_ptr<ModelLibrary>> lib = ModelLibrary::open(so);
  EXPECT_TRUE(lib) << lib.error().message;
  if (!lib)
    return std::nullopt;
  Result<std::unique_ptr<ModelInstance>> instance = (*lib)->createInstance();
  EXPECT_TRUE(instance) << instance.error().message;
  if (!instance || !(*instance)->initParams(42))
    return std::nullopt;
  ModelInstance &m = **instance;
  std::vector<Tensor> before;
  for (size_t p = 0; p < (*lib)->params().size(); ++p)
    before.push_back(*m.getParam(static_cast<int>(p)));
  auto step = m.trainStep({&input}, {&labels},
                          static_cast<float>((*lib)->trainConfig().lr));
  EXPECT_TRUE(step) << step.error().message;
  if (!step)
    return std::nullopt;
  StepChange change{step->loss, {}};
  for (size_t p = 0; p < before.size(); ++p) {
    std::vector<float> update = m.getParam(static_cast<int>(p))->f32;
    for (size_t i = 0; i < update.size(); ++i)
      update[i] -= before[p].f32[i];
    change.updates.push_back(std::move(update));
  }
  return change;
}

/// The model's source with an Adam optimizer replaced by plain SGD, whose
/// update is -lr·g: Adam's first update is g / (|g| + eps), which near-zero
/// gradients (sums that cancel) turn from last-bit differences into
/// differences of a good part of lr.
std::string withSgd(const std::string &path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  static const std::regex adam(R"(optimizer\s*=\s*adam\([^)]*\))");
  return std::regex_replace(text.str(), adam, "optimizer = sgd(lr=0.05)");
}

/// Fusion (cnn-fuse-conv-act-pool, cnn-fused-to-vector) changes the order of
/// a few additions at most: fused and --no-fuse builds agree within 1e-5
/// relative to the largest output (plus 1e-7), on the same parameters and
/// batch, and so do one training step's loss and each parameter's update
/// (the training step fuses conv, activation and pool, keeping the
/// activation map). The models train with SGD here (withSgd), so the
/// updates compare their gradients.
TEST_P(ModelsEndToEnd, FusedMatchesUnfused) {
  const ModelCase &c = GetParam();
  std::string source = writeScratchFile(
      std::string("sgd-") + c.file,
      withSgd(std::string(CNNC_SOURCE_DIR) + "/models/" + c.file));
  std::string args = c.cnncArgs;
  std::string fused = compileModel(source, args);
  std::string unfused = compileModel(source, args + " --no-fuse");
  ASSERT_FALSE(fused.empty());
  ASSERT_FALSE(unfused.empty());
  Result<std::shared_ptr<ModelLibrary>> lib = ModelLibrary::open(fused);
  ASSERT_TRUE(lib) << lib.error().message;
  Tensor input = randomBatch((*lib)->inputs()[0].shape, c.batch, 11);
  std::vector<Tensor> a = inferWithSeed42(fused, input);
  std::vector<Tensor> b = inferWithSeed42(unfused, input);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].f32.size(), b[i].f32.size());
    double largest = 0;
    for (float v : b[i].f32)
      largest = std::max(largest, double(std::fabs(v)));
    double tolerance = 1e-7 + 1e-5 * largest;
    int reported = 0;
    for (size_t k = 0; k < a[i].f32.size(); ++k)
      if (!(std::fabs(a[i].f32[k] - b[i].f32[k]) <= tolerance) &&
          reported++ < 5)
        ADD_FAILURE() << "output " << i << "[" << k << "]: fused "
                      << a[i].f32[k] << ", unfused " << b[i].f32[k];
  }

  Tensor labels = Tensor::zerosI32({c.batch});
  for (int64_t i = 0; i < c.batch; ++i)
    labels.i32[i] = static_cast<int32_t>((3 * i + 1) % (*lib)->numClasses());
  std::optional<StepChange> fusedStep = stepWithSeed42(fused, input, labels);
  std::optional<StepChange> unfusedStep =
      stepWithSeed42(unfused, input, labels);
  ASSERT_TRUE(fusedStep && unfusedStep);
  EXPECT_NEAR(fusedStep->loss, unfusedStep->loss,
              1e-7 + 1e-5 * std::fabs(unfusedStep->loss));
  for (size_t p = 0; p < (*lib)->params().size(); ++p) {
    const std::vector<float> &got = fusedStep->updates[p];
    const std::vector<float> &want = unfusedStep->updates[p];
    double largest = 0;
    for (float v : want)
      largest = std::max(largest, double(std::fabs(v)));
    double tolerance = 1e-9 + 1e-5 * largest;
    int reported = 0;
    for (size_t k = 0; k < want.size(); ++k)
      if (!(std::fabs(got[k] - want[k]) <= tolerance) && reported++ < 5)
        ADD_FAILURE() << (*lib)->params()[p].name << " update [" << k
                      << "]: fused " << got[k] << ", unfused " << want[k];
  }
}

/// A batch of 40 is split across the model's threads when it has two or
/// more (runtime/model/ModelAbi.cpp); every row of its output must equal
/// that image run alone (batch 1, never split), within 1e-6 + 1e-5 of it.
TEST(ModelsSplitInference, BatchRowsEqualImagesRunAlone) {
  std::string source = std::string(CNNC_SOURCE_DIR) + "/models/lenet5.mdl";
  std::string so = compileModel(source);
  ASSERT_FALSE(so.empty());
  Result<std::shared_ptr<ModelLibrary>> lib = ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  Result<std::unique_ptr<ModelInstance>> instance = (*lib)->createInstance();
  ASSERT_TRUE(instance && (*instance)->initParams(42));
  constexpr int64_t kBatch = 40;
  Tensor input = randomBatch((*lib)->inputs()[0].shape, kBatch, 13);
  Result<std::vector<Tensor>> whole = (*instance)->infer({&input});
  ASSERT_TRUE(whole) << whole.error().message;
  size_t perImage = input.f32.size() / kBatch;
  size_t perRow = (*whole)[0].f32.size() / kBatch;
  for (int64_t n = 0; n < kBatch; ++n) {
    Tensor one = input;
    one.shape[0] = 1;
    one.f32.assign(input.f32.begin() + n * perImage,
                   input.f32.begin() + (n + 1) * perImage);
    Result<std::vector<Tensor>> alone = (*instance)->infer({&one});
    ASSERT_TRUE(alone) << alone.error().message;
    for (size_t k = 0; k < perRow; ++k) {
      float want = (*alone)[0].f32[k];
      float got = (*whole)[0].f32[n * perRow + k];
      ASSERT_LE(std::fabs(got - want), 1e-6 + 1e-5 * std::fabs(want))
          << "image " << n << ", output " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelsEndToEnd,
                         ::testing::Values(ModelCase{"lenet5.mdl", 5},
                                           ModelCase{"lenet5.mdl", 3,
                                                     "--cpu=generic"},
                                           ModelCase{"lenet5-1998.mdl", 3},
                                           ModelCase{"lenet5-modern.mdl", 4},
                                           ModelCase{"cifar10-lenet.mdl", 3},
                                           ModelCase{"alexnet.mdl", 2}),
                         [](const ::testing::TestParamInfo<ModelCase> &info) {
                           return modelTestName(info.param.file) +
                                  (info.param.cnncArgs[0] ? "_generic" : "");
                         });

} // namespace
