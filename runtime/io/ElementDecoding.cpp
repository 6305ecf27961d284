//===- ElementDecoding.cpp - little-endian arrays into runtime tensors ----===//

#include "runtime/io/ElementDecoding.h"

#include "runtime/io/IOSupport.h"

#include <cstring>
#include <string>

using namespace cnnc::rt;
using cnnc::rt::io_detail::loadLittle;

namespace {

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0 && mantissa == 0) {
    bits = sign;
  } else if (exponent == 0) {
    // Subnormal: shift the mantissa up until it has the implicit bit.
    uint32_t shift = 0;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3ffu) << 13);
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16ToFloat(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

bool isFloating(StoredElement type) {
  return type == StoredElement::F16 || type == StoredElement::BF16 ||
         type == StoredElement::F32 || type == StoredElement::F64;
}

} // namespace

Result<Tensor> cnnc::rt::decodeElements(StoredElement type,
                                        const unsigned char *p, size_t count,
                                        std::vector<int64_t> shape) {
  Tensor t;
  t.shape = std::move(shape);
  if (isFloating(type)) {
    t.f32.resize(count);
    if (type == StoredElement::F32) {
      if (count)
        std::memcpy(t.f32.data(), p, count * 4);
      return t;
    }
    for (size_t i = 0; i < count; ++i) {
      if (type == StoredElement::F64)
        t.f32[i] = static_cast<float>(loadLittle<double>(p + 8 * i));
      else if (type == StoredElement::F16)
        t.f32[i] = halfToFloat(loadLittle<uint16_t>(p + 2 * i));
      else
        t.f32[i] = bf16ToFloat(loadLittle<uint16_t>(p + 2 * i));
    }
    return t;
  }
  t.dtype = DType::I32;
  t.i32.resize(count);
  for (size_t i = 0; i < count; ++i) {
    int64_t v = 0;
    switch (type) {
    case StoredElement::U8:
      v = p[i];
      break;
    case StoredElement::I8:
      v = static_cast<int8_t>(p[i]);
      break;
    case StoredElement::I16:
      v = loadLittle<int16_t>(p + 2 * i);
      break;
    case StoredElement::U16:
      v = loadLittle<uint16_t>(p + 2 * i);
      break;
    case StoredElement::I32:
      v = loadLittle<int32_t>(p + 4 * i);
      break;
    default: // I64
      v = loadLittle<int64_t>(p + 8 * i);
      if (v < INT32_MIN || v > INT32_MAX)
        return Error{"element " + std::to_string(i) + " is " +
                     std::to_string(v) +
                     ", outside the i32 range the runtime holds integers in"};
    }
    t.i32[i] = static_cast<int32_t>(v);
  }
  return t;
}
