//===- ModelAbiTest.cpp - the C ABI reports misuse, never crashes ---------===//
//
// Calls the functions of cnnc.h in a compiled .so directly (dlsym), as a C
// or ctypes user would, with the mistakes such users make: null pointers,
// wrong shapes, dtypes, counts and ABI versions. Then the loader's and the
// checkpoint loader's errors.
//
//===----------------------------------------------------------------------===//

#include "E2ETestUtil.h"

#include "cnnc/cnnc.h"
#include "runtime/loader/Checkpoint.h"
#include "runtime/loader/ModelLibrary.h"

#include <dlfcn.h>

#include <cmath>
#include <cstring>

using namespace cnnc::test;
using namespace cnnc::rt;

namespace {

constexpr const char *kTinyModel = R"(model tiny {
  input image: f32[1, 6, 6]
  c1 = conv2d(image, filters=2, kernel=3)
  logits = dense(flatten(relu(c1)), units=3)
  output logits
}
)";

/// The tiny model's .so opened with dlopen, its functions by name.
class ModelAbi : public LoadedModelTest {
protected:
  void SetUp() override { load("tiny.mdl", kTinyModel); }
  cnnc_status infer(const cnnc_tensor *in, int32_t nin, const cnnc_tensor *out,
                    int32_t nout) {
    return fn<decltype(&cnnc_infer)>("cnnc_infer")(model, in, nin, out, nout);
  }

  float image[2 * 36] = {};
  float logits[2 * 3] = {};
  int64_t imageShape[4] = {2, 1, 6, 6};
  int64_t logitsShape[2] = {2, 3};
};

TEST_F(ModelAbi, DescribesTheModel) {
  EXPECT_EQ(fn<decltype(&cnnc_abi_version)>("cnnc_abi_version")(),
            CNNC_ABI_VERSION);
  EXPECT_STREQ(fn<decltype(&cnnc_model_name)>("cnnc_model_name")(), "tiny");
  cnnc_tensor_info info;
  ASSERT_EQ(fn<decltype(&cnnc_input_info)>("cnnc_input_info")(0, &info),
            CNNC_OK);
  EXPECT_STREQ(info.name, "image");
  EXPECT_EQ(info.rank, 4);
  EXPECT_EQ(info.shape[0], -1);
  EXPECT_EQ(info.shape[3], 6);
  ASSERT_EQ(fn<decltype(&cnnc_param_info)>("cnnc_param_info")(2, &info),
            CNNC_OK);
  EXPECT_STREQ(info.name, "logits.weight");
  EXPECT_EQ(info.shape[0], 3);
  EXPECT_EQ(info.shape[1], 32);
  EXPECT_EQ(fn<decltype(&cnnc_param_info)>("cnnc_param_info")(4, &info),
            CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(),
            "tiny: parameter index 4 is out of range: the model has 4");
  EXPECT_EQ(fn<decltype(&cnnc_output_info)>("cnnc_output_info")(0, nullptr),
            CNNC_INVALID_ARGUMENT);
}

TEST_F(ModelAbi, RejectsAnotherAbiVersion) {
  cnnc_model *other = reinterpret_cast<cnnc_model *>(&image);
  EXPECT_EQ(
      fn<decltype(&cnnc_create)>("cnnc_create")(CNNC_ABI_VERSION + 1, &other),
      CNNC_ABI_MISMATCH);
  EXPECT_EQ(other, nullptr);
  EXPECT_NE(lastError().find("ABI version 6, this library implements "
                             "version 5"),
            std::string::npos)
      << lastError();
  EXPECT_EQ(
      fn<decltype(&cnnc_create)>("cnnc_create")(CNNC_ABI_VERSION, nullptr),
      CNNC_INVALID_ARGUMENT);
}

TEST_F(ModelAbi, InferChecksEveryTensor) {
  cnnc_tensor in{image, CNNC_F32, 4, imageShape};
  cnnc_tensor out{logits, CNNC_F32, 2, logitsShape};
  EXPECT_EQ(infer(&in, 1, &out, 1), CNNC_OK) << lastError();

  EXPECT_EQ(fn<decltype(&cnnc_infer)>("cnnc_infer")(nullptr, &in, 1, &out, 1),
            CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(infer(nullptr, 1, &out, 1), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(infer(&in, 2, &out, 1), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "tiny: infer: the model takes 1 input(s), got 2");
  EXPECT_EQ(infer(&in, 1, &out, 0), CNNC_INVALID_ARGUMENT);

  cnnc_tensor nullData{nullptr, CNNC_F32, 4, imageShape};
  EXPECT_EQ(infer(&nullData, 1, &out, 1), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(lastError(), "tiny: input 'image': the data pointer is null");

  cnnc_tensor ints{image, CNNC_I32, 4, imageShape};
  EXPECT_EQ(infer(&ints, 1, &out, 1), CNNC_SHAPE_MISMATCH);
  EXPECT_EQ(lastError(), "tiny: input 'image' is f32, got i32");

  int64_t wrongSize[4] = {2, 1, 7, 6};
  cnnc_tensor big{image, CNNC_F32, 4, wrongSize};
  EXPECT_EQ(infer(&big, 1, &out, 1), CNNC_SHAPE_MISMATCH);
  EXPECT_EQ(lastError(),
            "tiny: input 'image' must have shape [2, 1, 6, 6], got [2, 1, 7, "
            "6]");

  cnnc_tensor rank3{image, CNNC_F32, 3, imageShape + 1};
  EXPECT_EQ(infer(&rank3, 1, &out, 1), CNNC_SHAPE_MISMATCH);
  cnnc_tensor noShape{image, CNNC_F32, 4, nullptr};
  EXPECT_EQ(infer(&noShape, 1, &out, 1), CNNC_SHAPE_MISMATCH);

  int64_t zeroBatch[4] = {0, 1, 6, 6};
  cnnc_tensor empty{image, CNNC_F32, 4, zeroBatch};
  EXPECT_EQ(infer(&empty, 1, &out, 1), CNNC_SHAPE_MISMATCH);
  EXPECT_EQ(lastError(),
            "tiny: input 'image': the batch size must be at least 1, got 0");

  int64_t otherBatch[2] = {3, 3};
  cnnc_tensor mismatched{logits, CNNC_F32, 2, otherBatch};
  EXPECT_EQ(infer(&in, 1, &mismatched, 1), CNNC_SHAPE_MISMATCH);
  EXPECT_EQ(lastError(), "tiny: output 'logits' must have shape [2, 3], got "
                         "[3, 3]");
}

TEST_F(ModelAbi, ParametersRoundTripAndCheckCounts) {
  auto init = fn<decltype(&cnnc_init_params)>("cnnc_init_params");
  auto get = fn<decltype(&cnnc_get_param)>("cnnc_get_param");
  auto set = fn<decltype(&cnnc_set_param)>("cnnc_set_param");
  ASSERT_EQ(init(model, 3), CNNC_OK);
  float weight[18], again[18];
  ASSERT_EQ(get(model, 0, weight, 18), CNNC_OK);
  // PyTorch's default conv init: uniform in +-1/sqrt(fan_in), fan_in = 9.
  for (float w : weight)
    EXPECT_LE(std::fabs(w), 1.0f / 3.0f);
  ASSERT_EQ(init(model, 3), CNNC_OK);
  ASSERT_EQ(get(model, 0, again, 18), CNNC_OK);
  EXPECT_EQ(std::memcmp(weight, again, sizeof weight), 0) << "same seed";
  ASSERT_EQ(init(model, 4), CNNC_OK);
  ASSERT_EQ(get(model, 0, again, 18), CNNC_OK);
  EXPECT_NE(std::memcmp(weight, again, sizeof weight), 0) << "other seed";

  EXPECT_EQ(set(model, 0, weight, 18), CNNC_OK);
  ASSERT_EQ(get(model, 0, again, 18), CNNC_OK);
  EXPECT_EQ(std::memcmp(weight, again, sizeof weight), 0);
  EXPECT_EQ(get(model, 0, weight, 17), CNNC_SHAPE_MISMATCH);
  EXPECT_EQ(lastError(), "tiny: get_param 'c1.weight': the parameter has "
                         "shape [2, 1, 3, 3] (18 elements), got 17 elements");
  EXPECT_EQ(set(model, 9, weight, 18), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(set(model, 0, nullptr, 18), CNNC_INVALID_ARGUMENT);
  EXPECT_EQ(init(nullptr, 1), CNNC_INVALID_ARGUMENT);
}

TEST(ModelLoader, ReportsFilesThatAreNotModels) {
  Result<std::shared_ptr<ModelLibrary>> missing =
      ModelLibrary::open(scratchDir() + "/missing.so");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("missing.so: cannot load the model"),
            std::string::npos)
      << missing.error().message;

  std::string text = writeScratchFile("text.so", "not a library\n");
  Result<std::shared_ptr<ModelLibrary>> notElf = ModelLibrary::open(text);
  ASSERT_FALSE(notElf);
  EXPECT_NE(notElf.error().message.find("text.so: cannot load the model"),
            std::string::npos);

  Result<std::shared_ptr<ModelLibrary>> libm =
      ModelLibrary::open("/lib/x86_64-linux-gnu/libm.so.6");
  ASSERT_FALSE(libm);
  EXPECT_NE(libm.error().message.find("not a model compiled by cnnc"),
            std::string::npos)
      << libm.error().message;
}

TEST(Checkpoint, RoundTripsAndRejectsOtherModels) {
  std::string so = compileModel(writeScratchFile("tiny.mdl", kTinyModel));
  ASSERT_FALSE(so.empty());
  auto lib = ModelLibrary::open(so);
  ASSERT_TRUE(lib) << lib.error().message;
  auto a = (*lib)->createInstance(), b = (*lib)->createInstance();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE((*a)->initParams(11));
  Result<Checkpoint> saved = saveParams(**a);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(saved->metadata.at("cnnc.model"), "tiny");
  std::string file = scratchDir() + "/tiny.safetensors";
  ASSERT_TRUE(writeSafetensors(file, *saved));
  Status loaded = loadParamsFile(**b, file);
  ASSERT_TRUE(loaded) << loaded.error().message;
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ((*(*a)->getParam(i)).f32, (*(*b)->getParam(i)).f32);

  // Missing, misshapen and unknown tensors are all listed; nothing changes.
  Checkpoint wrong = *saved;
  wrong.tensors.erase(wrong.tensors.begin() + 1); // c1.bias
  wrong.tensors[0].tensor.shape = {2, 9};         // c1.weight
  wrong.tensors.push_back({"c9.weight", Tensor::zerosF32({1})});
  ASSERT_TRUE((*b)->initParams(12));
  Result<Tensor> before = (*b)->getParam(0);
  Status s = loadParams(**b, wrong, "wrong.safetensors");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            "wrong.safetensors: does not fit model 'tiny' (" + so +
                "):\n  'c1.weight' is f32 [2, 9], the model's parameter is "
                "f32 [2, 1, 3, 3]\n  parameter 'c1.bias' [2] is missing\n  "
                "'c9.weight' is not a parameter of model 'tiny'");
  EXPECT_EQ((*(*b)->getParam(0)).f32, before->f32);
}

} // namespace
