//===- RuntimeIORobustnessTest.cpp - every reader on damaged files --------===//
//
// Each reader gets a valid file cut at every length and with bytes flipped
// at random (fixed seed). Whatever the damage, it must return a value or an
// Error whose message is a sentence about the file, never crash or read out
// of bounds; the sanitizer build runs these under ASan and UBSan.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Idx.h"
#include "runtime/io/Npy.h"
#include "runtime/io/Png.h"
#include "runtime/io/Safetensors.h"

#include "RuntimeIOTestUtil.h"

#include <gmock/gmock.h>

#include <functional>
#include <random>

using namespace cnnc::rt;
using namespace cnnc::rt::test;

namespace {

class RobustnessTest : public ScratchDirTest {
protected:
  /// Runs `read` on every prefix of `good` and on `mutations` copies with
  /// one to three random bytes replaced. Returns how many were accepted.
  template <typename T>
  int damage(const std::string &good,
             const std::function<Result<T>(const std::string &)> &read,
             int mutations = 400) {
    std::string file = path("damaged");
    int accepted = 0;
    auto check = [&](const std::string &bytes, const std::string &what) {
      writeBytes(file, bytes);
      Result<T> r = read(file);
      if (r) {
        ++accepted;
        return;
      }
      const std::string &m = r.error().message;
      EXPECT_EQ(m.rfind(file + ": ", 0), 0u) << what << ": " << m;
      EXPECT_EQ(m.back(), '.') << what << ": " << m;
    };
    for (size_t cut = 0; cut < good.size(); ++cut)
      check(good.substr(0, cut), "cut at " + std::to_string(cut));
    std::mt19937 rng(12345);
    for (int i = 0; i < mutations; ++i) {
      std::string bytes = good;
      int flips = 1 + int(rng() % 3);
      for (int k = 0; k < flips; ++k)
        bytes[rng() % bytes.size()] = char(rng() & 0xff);
      check(bytes, "mutation " + std::to_string(i));
    }
    return accepted;
  }
};

TEST_F(RobustnessTest, Npy) {
  Tensor t = Tensor::zerosF32({3, 4});
  ASSERT_TRUE(writeNpy(path("good.npy"), t));
  std::string good = readBytes(path("good.npy"));
  // Only the full file and data-byte mutations can be accepted.
  EXPECT_GT(damage<Tensor>(good, readNpy), 0);
}

TEST_F(RobustnessTest, IdxPlainAndGzipped) {
  std::string pixels;
  for (int i = 0; i < 2 * 5 * 4; ++i)
    pixels += char(i * 5);
  std::string plain = be32(0x803) + be32(2) + be32(5) + be32(4) + pixels;
  damage<Tensor>(plain, readIdxImages);
  damage<Tensor>(plain, readIdxLabels, 50);

  damage<Tensor>(gzipBytes(plain), readIdxImages);
}

TEST_F(RobustnessTest, Png) {
  for (int64_t c : {1, 3}) {
    Tensor t = Tensor::zerosF32({c, 6, 5});
    for (size_t i = 0; i < t.f32.size(); ++i)
      t.f32[i] = float(i % 11) / 10.0f;
    ASSERT_TRUE(writePng(path("good.png"), t));
    damage<Tensor>(readBytes(path("good.png")), readPng);
  }
}

TEST_F(RobustnessTest, Safetensors) {
  Checkpoint c;
  c.tensors = {{"w", Tensor::zerosF32({2, 3})}, {"n", Tensor::zerosI32({2})}};
  c.metadata = {{"k", "v"}};
  ASSERT_TRUE(writeSafetensors(path("good.safetensors"), c));
  damage<Checkpoint>(readBytes(path("good.safetensors")), readSafetensors,
                     1000);
}

} // namespace
