//===- MnistAccuracyTest.cpp - LeNet-5 learns MNIST from 5,000 images -----===//
//
// The whole path a user takes: `cnnc models/lenet5.mdl -o lenet5.so`, then
// `cnnc-train` on the first 5,000 MNIST training images for one epoch, then
// the score on all 10,000 test images, which must exceed 90 %. Batch 10 at
// Adam lr 2e-3 (500 steps) gets the most out of one pass: on this machine
// seeds 1, 2, 3 scored 91.68, 90.96 and 91.34 % (the model's own batch 64
// at lr 1e-3 stops near 88 %). Training is deterministic, so the seed-1
// result repeats exactly on the same CPU.
//
// Needs data/mnist (scripts/fetch-data.sh, which scripts/test.sh runs).
// Without it the test is skipped, unless CNNC_REQUIRE_DATA is set (as
// scripts/test.sh sets it): then the missing data is a failure.
//
//===----------------------------------------------------------------------===//

#include "E2ETestUtil.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

namespace {

TEST(MnistAccuracy, LeNet5OneEpochOn5000ImagesScoresAbove90Percent) {
  std::string data = std::string(CNNC_SOURCE_DIR) + "/data/mnist";
  std::ifstream probe(data + "/t10k-labels-idx1-ubyte");
  std::ifstream probeGz(data + "/t10k-labels-idx1-ubyte.gz");
  if (!probe && !probeGz) {
    if (std::getenv("CNNC_REQUIRE_DATA"))
      FAIL() << data << " is missing: run scripts/fetch-data.sh";
    GTEST_SKIP() << data << " is missing: run scripts/fetch-data.sh";
  }
  std::string so = cnnc::test::compileModel(std::string(CNNC_SOURCE_DIR) +
                                            "/models/lenet5.mdl");
  ASSERT_FALSE(so.empty());
  std::string log = cnnc::test::scratchDir() + "/mnist-accuracy.txt";
  std::string command =
      std::string(CNNC_BIN_DIR) + "/cnnc-train '" + so + "' --data '" + data +
      "' --epochs 1 --limit 5000 --batch 10 --lr 2e-3 --seed 1 "
      "--quiet > '" +
      log + "' 2>&1";
  ASSERT_EQ(cnnc::test::runCommand(command), 0) << command;

  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  std::smatch match;
  std::string output = text.str();
  ASSERT_TRUE(std::regex_search(output, match,
                                std::regex(R"(test loss \S+ acc ([0-9.]+)%)")))
      << output;
  double accuracy = std::stod(match[1]);
  std::printf("LeNet-5, 5,000 MNIST images, 1 epoch: test accuracy %.2f%%\n",
              accuracy);
  EXPECT_GT(accuracy, 90.0) << output;
}

} // namespace
