//===- Tensor.h - a dense host tensor in the ABI's layout -------*- C++ -*-===//
//
// What crosses the runtime's interfaces: a contiguous row-major (NCHW for
// images) tensor of f32 values, or of i32 values for class labels.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_SUPPORT_TENSOR_H
#define CNNC_RUNTIME_SUPPORT_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace cnnc::rt {

enum class DType { F32, I32 };

struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<float> f32;   // when dtype == F32
  std::vector<int32_t> i32; // when dtype == I32

  static Tensor zerosF32(std::vector<int64_t> shape) {
    Tensor t;
    t.shape = std::move(shape);
    t.f32.assign(static_cast<size_t>(t.numElements()), 0.0f);
    return t;
  }
  static Tensor zerosI32(std::vector<int64_t> shape) {
    Tensor t;
    t.dtype = DType::I32;
    t.shape = std::move(shape);
    t.i32.assign(static_cast<size_t>(t.numElements()), 0);
    return t;
  }

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// "[64, 1, 28, 28]"
inline std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

inline const char *dtypeName(DType t) {
  return t == DType::F32 ? "f32" : "i32";
}

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_SUPPORT_TENSOR_H
