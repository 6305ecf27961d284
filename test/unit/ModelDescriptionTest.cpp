//===- ModelDescriptionTest.cpp - what a compiled model reports -----------===//
//
// The description cnnc writes into every .so: names, shapes, parameter
// offsets in the flat buffer, and the initialiser bounds, worked out here
// from PyTorch's definitions (fan_in = channels * kh * kw, fan_out =
// filters * kh * kw; default U(+-1/sqrt(fan_in)), lecun sqrt(3/fan_in),
// xavier sqrt(6/(fan_in+fan_out)), kaiming sqrt(6/fan_in); biases always
// 1/sqrt(fan_in); subsample2d coefficient 1, bias 0).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/ModelDescription.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "compiler/frontend/Sema.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace cnnc;

namespace {

/// Describes the model in `source`; fails the test on a front-end error.
std::optional<ModelDescription> describe(llvm::StringRef source,
                                         mlir::MLIRContext &context) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, "test.mdl"), llvm::SMLoc());
  std::string messages;
  llvm::raw_string_ostream os(messages);
  Diagnostics diags(sourceMgr, os);
  std::optional<ast::Model> syntax = parseModel(sourceMgr, diags);
  std::unique_ptr<CheckedModel> checked =
      syntax ? analyze(*syntax, diags) : nullptr;
  mlir::OwningOpRef<mlir::ModuleOp> module =
      checked ? generateIR(*checked, context, diags) : nullptr;
  EXPECT_TRUE(module) << messages;
  if (!module)
    return std::nullopt;
  mlir::FailureOr<ModelDescription> model = describeModel(*module);
  EXPECT_TRUE(mlir::succeeded(model));
  if (mlir::failed(model))
    return std::nullopt;
  return *model;
}

void expectUniform(const ParameterDescription &p, double bound) {
  EXPECT_EQ(p.init.kind, Initialization::Kind::Uniform) << p.tensor.name;
  EXPECT_FLOAT_EQ(p.init.value, static_cast<float>(bound)) << p.tensor.name;
}

void expectConstant(const ParameterDescription &p, float value) {
  EXPECT_EQ(p.init.kind, Initialization::Kind::Constant) << p.tensor.name;
  EXPECT_EQ(p.init.value, value) << p.tensor.name;
}

TEST(ModelDescription, NamesShapesOffsetsAndInitialisers) {
  mlir::MLIRContext context;
  std::optional<ModelDescription> m = describe(R"(model m {
  input image: f32[2, 8, 8]
  c1 = conv2d(image, filters=3, kernel=3, init=xavier)
  s2 = subsample2d(c1, kernel=2)
  c3 = conv2d(s2, filters=4, kernel=3, init=kaiming)
  f4 = dense(flatten(c3), units=5, init=lecun)
  logits = dense(f4, units=2)
  output logits
})",
                                               context);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "m");
  ASSERT_EQ(m->inputs.size(), 1u);
  EXPECT_EQ(m->inputs[0].name, "image");
  EXPECT_EQ(m->inputs[0].shape, (std::vector<int64_t>{-1, 2, 8, 8}));
  ASSERT_EQ(m->outputs.size(), 1u);
  EXPECT_EQ(m->outputs[0].name, "logits");
  EXPECT_EQ(m->outputs[0].shape, (std::vector<int64_t>{-1, 2}));
  EXPECT_FALSE(m->hasSeed);

  ASSERT_EQ(m->params.size(), 10u);
  const char *names[] = {"c1.weight",  "c1.bias",   "s2.coefficient",
                         "s2.bias",    "c3.weight", "c3.bias",
                         "f4.weight",  "f4.bias",   "logits.weight",
                         "logits.bias"};
  // c3 gives 4x1x1, so f4 reads 4 features. Sizes 54, 3, 3, 3, 108, 4, 20,
  // 5, 10, 2; each offset rounded up to 16.
  int64_t offsets[] = {0, 64, 80, 96, 112, 224, 240, 272, 288, 304};
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(m->params[i].tensor.name, names[i]);
    EXPECT_EQ(m->params[i].offset, offsets[i]) << names[i];
  }
  EXPECT_EQ(m->paramElements, 306);

  expectUniform(m->params[0],
                std::sqrt(6.0 / (18 + 27))); // xavier 2*3*3, 3*3*3
  expectUniform(m->params[1], 1 / std::sqrt(18.0));
  expectConstant(m->params[2], 1.0f);
  expectConstant(m->params[3], 0.0f);
  expectUniform(m->params[4], std::sqrt(6.0 / 27)); // kaiming, fan_in 3*3*3
  expectUniform(m->params[5], 1 / std::sqrt(27.0));
  expectUniform(m->params[6], std::sqrt(3.0 / 4)); // lecun, 4 features
  expectUniform(m->params[7], 1 / std::sqrt(4.0));
  expectUniform(m->params[8], 1 / std::sqrt(5.0)); // default
  expectUniform(m->params[9], 1 / std::sqrt(5.0));
}

TEST(ModelDescription, TrainSectionInitAppliesToLayersWithoutTheirOwn) {
  mlir::MLIRContext context;
  std::optional<ModelDescription> m = describe(R"(model m {
  input image: f32[1, 4, 4]
  input label: i32[]
  c1 = conv2d(image, filters=2, kernel=3, init=default)
  logits = dense(flatten(c1), units=3)
  output logits
  train {
    loss = cross_entropy(logits, label)
    init = kaiming
  }
})",
                                               context);
  ASSERT_TRUE(m);
  // The label is read by the loss only: inference does not take it.
  ASSERT_EQ(m->inputs.size(), 1u);
  expectUniform(m->params[0], 1 / std::sqrt(9.0)); // own init: default
  expectUniform(m->params[2], std::sqrt(6.0 / 8)); // kaiming, 2*2*2
  expectUniform(m->params[3], 1 / std::sqrt(8.0)); // bias
}

} // namespace
