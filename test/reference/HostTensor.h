//===- HostTensor.h - dense row-major tensors on the host -------*- C++ -*-===//
//
// The tensor type of cnnc's tests: the numeric lowering tests pass it to
// JIT-compiled code, the reference interpreter (Interpreter.h) and the plain
// loop references (ReferenceOps.h) compute on it. Plain C++ only, so anything
// in test/ can use it without pulling in MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_REFERENCE_HOSTTENSOR_H
#define CNNC_TEST_REFERENCE_HOSTTENSOR_H

#include <cstdint>
#include <initializer_list>
#include <random>
#include <utility>
#include <vector>

namespace cnnc::test {

/// A dense row-major host tensor: f32 data, or i32 when `isInt` (labels).
/// A 0-d tensor (a loss) has an empty `shape` and one element.
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;
  std::vector<int32_t> ints;
  bool isInt = false;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  /// Element at a row-major multi-index.
  float &at(std::initializer_list<int64_t> index) {
    int64_t flat = 0, i = 0;
    for (int64_t x : index)
      flat = flat * shape[i++] + x;
    return data[flat];
  }
  float at(std::initializer_list<int64_t> index) const {
    return const_cast<HostTensor *>(this)->at(index);
  }
};

inline HostTensor zeros(std::vector<int64_t> shape) {
  HostTensor t;
  t.shape = std::move(shape);
  t.data.assign(t.numElements(), 0.0f);
  return t;
}

/// An f32 tensor of `shape` holding `values` in row-major order.
inline HostTensor floatTensor(std::vector<int64_t> shape,
                              std::vector<float> values) {
  HostTensor t;
  t.shape = std::move(shape);
  t.data = std::move(values);
  return t;
}

/// A 0-d f32 tensor holding `v` (what a loss returns).
inline HostTensor scalar(double v) {
  HostTensor t;
  t.data = {static_cast<float>(v)};
  return t;
}

/// Uniform values in [lo, hi) from `rng`.
inline HostTensor randomTensor(std::mt19937 &rng, std::vector<int64_t> shape,
                               float lo = -1.0f, float hi = 1.0f) {
  HostTensor t = zeros(std::move(shape));
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float &x : t.data)
    x = dist(rng);
  return t;
}

inline HostTensor intTensor(std::vector<int64_t> shape,
                            std::vector<int32_t> values) {
  HostTensor t;
  t.shape = std::move(shape);
  t.ints = std::move(values);
  t.isInt = true;
  return t;
}

} // namespace cnnc::test

#endif // CNNC_TEST_REFERENCE_HOSTTENSOR_H
