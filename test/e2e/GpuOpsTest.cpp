//===- GpuOpsTest.cpp - each op through the GPU pipeline ------------------===//
//
// One small model per op (or optimizer), its forward and its backward in
// the training step, compared with the CPU code from the same parameters
// (GpuCompare.h, issue 8's tolerances):
//
//  - OpsInGpuLoops, everywhere: through the GPU pipeline's kernel-shaped
//    loops run on the CPU (cnnc --gpu-loops-on-cpu), which checks how each
//    op is mapped to kernels and its host code moved into them.
//  - OpsOnCuda, on a real GPU only (skipped with the driver's reason
//    elsewhere): the CUDA code itself, so a wrong kernel names its op.
//
// Each model puts its op between an image of 3 x 12 x 12 and a dense layer
// of 4 classes; the batch of 5 leaves the last block of every kernel
// partial.
//
//===----------------------------------------------------------------------===//

#include "E2ETestUtil.h"
#include "GpuCompare.h"

#include <string>

using namespace cnnc::test;

namespace {

struct OpCase {
  const char *name;
  const char *layers; // statements that define `x`
  const char *optimizer;
};

constexpr int64_t kBatch = 5;

/// The model of `op`, written to the scratch folder; its path.
std::string writeOpModel(const OpCase &op) {
  std::string source = std::string("model op_") + op.name + " {\n" +
                       "  input image: f32[3, 12, 12]\n"
                       "  input label: i32[]\n  " +
                       op.layers +
                       "\n  logits = dense(flatten(x), units=4)\n"
                       "  output logits\n\n"
                       "  train {\n"
                       "    loss = cross_entropy(logits, label)\n"
                       "    optimizer = " +
                       op.optimizer + "\n  }\n}\n";
  return writeScratchFile(std::string("op-") + op.name + ".mdl", source);
}

class OpsInGpuLoops : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpsInGpuLoops, MatchTheCpu) {
  expectGpuLoopsSameAsCpu(writeOpModel(GetParam()), kBatch, "--no-cuda");
}

class OpsOnCuda : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpsOnCuda, MatchTheCpu) {
  expectCudaSameAsCpu(writeOpModel(GetParam()), kBatch);
}

const OpCase kOps[] = {
    {"conv_strided_dilated",
     "x = conv2d(image, filters=4, kernel=3, stride=2, padding=1, "
     "dilation=2)",
     "sgd(lr=0.05)"},
    {"conv_grouped_relu",
     "x = relu(conv2d(image, filters=6, kernel=3, groups=3))", "sgd(lr=0.05)"},
    {"conv_table_sigmoid",
     "x = sigmoid(conv2d(image, filters=3, kernel=3, connections=[[0], [1, "
     "2], [0, 1, 2]]))",
     "sgd(lr=0.05)"},
    {"avg_pool_padded",
     "x = avg_pool2d(tanh(conv2d(image, filters=4, kernel=3)), kernel=3, "
     "stride=2, padding=1)",
     "sgd(lr=0.05)"},
    {"max_pool_overlapping",
     "x = max_pool2d(relu(conv2d(image, filters=4, kernel=3, padding=1)), "
     "kernel=3, stride=2)",
     "sgd(lr=0.05)"},
    {"subsample_scaled_tanh",
     "c = conv2d(image, filters=4, kernel=3)\n"
     "  x = scaled_tanh(subsample2d(scaled_tanh(c), kernel=2))",
     "sgd(lr=0.05)"},
    {"lrn", "x = lrn(relu(conv2d(image, filters=6, kernel=3)), size=5)",
     "sgd(lr=0.05)"},
    {"dropout",
     "x = dropout(relu(conv2d(image, filters=4, kernel=3)), rate=0.5)",
     "sgd(lr=0.05)"},
    {"dense_softmax", "x = softmax(dense(flatten(image), units=8, bias=false))",
     "sgd(lr=0.05)"},
    {"dense_log_softmax",
     "x = log_softmax(tanh(dense(flatten(image), units=8)))", "sgd(lr=0.05)"},
    {"add",
     "a = conv2d(image, filters=2, kernel=3, padding=1)\n"
     "  b = conv2d(image, filters=2, kernel=3, padding=1)\n"
     "  x = tanh(add(a, b))",
     "sgd(lr=0.05)"},
    {"concat",
     "a = relu(conv2d(image, filters=3, kernel=3, padding=1))\n"
     "  b = tanh(conv2d(image, filters=2, kernel=1))\n"
     "  x = max_pool2d(concat(a, image, b), kernel=2)",
     "sgd(lr=0.05)"},
    {"sgd_nesterov_decay", "x = tanh(conv2d(image, filters=4, kernel=3))",
     "sgd(lr=0.05, momentum=0.9, nesterov=true, weight_decay=1e-4)"},
    {"adam_decay", "x = tanh(conv2d(image, filters=4, kernel=3))",
     "adam(lr=1e-2, weight_decay=1e-4)"},
};

std::string opName(const ::testing::TestParamInfo<OpCase> &info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(Ops, OpsInGpuLoops, ::testing::ValuesIn(kOps), opName);
INSTANTIATE_TEST_SUITE_P(Ops, OpsOnCuda, ::testing::ValuesIn(kOps), opName);

} // namespace
