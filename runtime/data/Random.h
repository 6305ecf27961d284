//===- Random.h - reproducible random numbers for training data -*- C++ -*-===//
//
// Shuffles, validation splits and augmentations must come out the same on
// every machine, standard library and thread count, so that a run can be
// repeated and resumed exactly. std::shuffle and the std distributions are
// implementation-defined; these are not: splitmix64 (Steele, Lea and Flood,
// 2014) both as the generator and to derive one independent stream per
// (seed, purpose, epoch, image).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_DATA_RANDOM_H
#define CNNC_RUNTIME_DATA_RANDOM_H

#include <cstdint>
#include <utility>
#include <vector>

namespace cnnc::rt {

/// The splitmix64 finaliser: a bijective mix of 64 bits.
inline uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// What a stream of random numbers is for; part of its key, so that the
/// shuffle of epoch 3 and the augmentation of image 3 never share numbers.
enum class RandomPurpose : uint64_t {
  ValidationSplit = 1,
  EpochShuffle = 2,
  Augmentation = 3,
};

/// A splitmix64 generator. Its whole output is a function of its key.
class Rng {
public:
  explicit Rng(uint64_t state) : state_(state) {}

  /// The stream for (seed, purpose, a, b): e.g. (seed, Augmentation, epoch,
  /// image index).
  static Rng forKey(uint64_t seed, RandomPurpose purpose, uint64_t a = 0,
                    uint64_t b = 0) {
    uint64_t k = mix64(seed ^ 0x6a09e667f3bcc909ULL);
    k = mix64(k ^ static_cast<uint64_t>(purpose));
    k = mix64(k ^ a);
    return Rng(mix64(k ^ (b + 0x9e3779b97f4a7c15ULL)));
  }

  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }

  /// Uniform in [0, 1), with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  /// Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject);
  /// n must be at least 1.
  uint64_t below(uint64_t n) {
    unsigned __int128 m = (unsigned __int128)next() * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      uint64_t threshold = -n % n;
      while (low < threshold) {
        m = (unsigned __int128)next() * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

private:
  uint64_t state_;
};

/// Fisher-Yates shuffle of `items` with `rng`: the same permutation for the
/// same key everywhere.
template <typename T> void shuffleInPlace(std::vector<T> &items, Rng &rng) {
  for (size_t i = items.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng.below(i));
    std::swap(items[i - 1], items[j]);
  }
}

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_DATA_RANDOM_H
