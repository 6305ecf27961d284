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
// Each model (test/e2e/Inputs/ops/, which scripts/gpu-check.sh runs on a
// GPU too) puts its op between an image of 3 x 12 x 12 and a dense layer of
// 10 classes; the batch of 5 leaves the last block of every kernel partial.
//
//===----------------------------------------------------------------------===//

#include "E2ETestUtil.h"
#include "GpuCompare.h"

#include <string>

using namespace cnnc::test;

namespace {

constexpr int64_t kBatch = 5;

/// test/e2e/Inputs/ops/<op>.mdl.
std::string opModelPath(const char *op) {
  return std::string(CNNC_SOURCE_DIR) + "/test/e2e/Inputs/ops/" + op + ".mdl";
}

class OpsInGpuLoops : public ::testing::TestWithParam<const char *> {};

TEST_P(OpsInGpuLoops, MatchTheCpu) {
  expectGpuLoopsSameAsCpu(opModelPath(GetParam()), kBatch, "--no-cuda");
}

class OpsOnCuda : public ::testing::TestWithParam<const char *> {};

TEST_P(OpsOnCuda, MatchTheCpu) {
  expectCudaSameAsCpu(opModelPath(GetParam()), kBatch);
}

// Convolutions (strided, dilated, grouped, with a connection table, wide
// enough that its weight gradient is summed in chunks of the batch), pools
// (padded, overlapping), subsampling, LRN, dropout, softmax, add, concat,
// and the optimizers' variants (SGD with Nesterov momentum, Adam, both
// with weight decay).
const char *const kOps[] = {
    "conv_strided_dilated",
    "conv_grouped_relu",
    "conv_table_sigmoid",
    "conv_wide",
    "avg_pool_padded",
    "max_pool_overlapping",
    "subsample_scaled_tanh",
    "lrn",
    "dropout",
    "dense_softmax",
    "dense_log_softmax",
    "dense_long",
    "add",
    "concat",
    "sgd_nesterov_decay",
    "adam_decay",
};

std::string opName(const ::testing::TestParamInfo<const char *> &info) {
  return info.param;
}

INSTANTIATE_TEST_SUITE_P(Ops, OpsInGpuLoops, ::testing::ValuesIn(kOps), opName);
INSTANTIATE_TEST_SUITE_P(Ops, OpsOnCuda, ::testing::ValuesIn(kOps), opName);

// With slices along the windows (cnnc --gpu-aligned-slices), the ops whose
// tiled kernels it changes: 3 x 3 windows, strided and dilated or with a
// connection table, a slice each.
class OpsInGpuLoopsWithAlignedSlices
    : public ::testing::TestWithParam<const char *> {};

TEST_P(OpsInGpuLoopsWithAlignedSlices, MatchTheCpu) {
  expectGpuLoopsSameAsCpu(opModelPath(GetParam()), kBatch, "--no-cuda",
                          "--gpu-aligned-slices");
}

const char *const kAlignedOps[] = {
    "conv_strided_dilated",
    "conv_table_sigmoid",
    "conv_wide",
    "avg_pool_padded",
    "concat",
    "adam_decay",
};

INSTANTIATE_TEST_SUITE_P(Ops, OpsInGpuLoopsWithAlignedSlices,
                         ::testing::ValuesIn(kAlignedOps), opName);

} // namespace
