//===- IOSupport.h - checked sizes shared by the file formats -*- C++ -*-===//
//
// Every reader multiplies sizes a file announces before it compares them with
// the bytes the file holds; these helpers make that multiplication safe and
// keep the little-endian decoding and the writers' tensor check in one place.
// Internal to runtime/io.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_IO_IOSUPPORT_H
#define CNNC_RUNTIME_IO_IOSUPPORT_H

#include "runtime/support/Tensor.h"

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace cnnc::rt::io_detail {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the runtime's file readers copy little-endian data as is");

/// a * b, or nothing when it does not fit in 64 bits.
inline std::optional<uint64_t> mulChecked(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    return std::nullopt;
  return r;
}

/// The number of elements of `shape` times `elementSize` bytes, or nothing
/// when a dimension is negative or the product leaves int64 (so that the
/// element count also fits the Tensor's int64 arithmetic).
inline std::optional<uint64_t> shapeBytes(const std::vector<int64_t> &shape,
                                          uint64_t elementSize) {
  uint64_t n = elementSize;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    std::optional<uint64_t> m = mulChecked(n, static_cast<uint64_t>(d));
    if (!m || *m > static_cast<uint64_t>(INT64_MAX))
      return std::nullopt;
    n = *m;
  }
  return n;
}

/// The element count of `shape`, or nothing when a dimension is negative or
/// the product overflows int64.
inline std::optional<uint64_t>
shapeElements(const std::vector<int64_t> &shape) {
  return shapeBytes(shape, 1);
}

inline uint32_t loadBigEndian32(const unsigned char *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

template <typename T> T loadLittle(const unsigned char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

/// "1 byte", "4096 bytes".
inline std::string bytesText(uint64_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

/// Whether `s` is well-formed UTF-8 (no overlong forms, no surrogates).
inline bool isValidUtf8(const std::string &s) {
  const auto *p = reinterpret_cast<const unsigned char *>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t length;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      length = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < length)
      return false;
    for (size_t k = 1; k < length; ++k) {
      if ((p[i + k] & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    static const uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < minimum[length] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

/// `text` from a file, safe to quote in a message: control bytes (and, when
/// the text is not UTF-8, every byte above 0x7f) become \xNN, and text
/// longer than `limit` bytes is cut with "...".
inline std::string printable(const std::string &text, size_t limit = 80) {
  bool utf8 = isValidUtf8(text);
  std::string out;
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == limit) {
      // Do not leave half a UTF-8 sequence before the ellipsis.
      while (!out.empty() &&
             (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80)
        out.pop_back();
      if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xc0)
        out.pop_back();
      return out + "...";
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

/// Why `t` cannot be written (a negative or overflowing shape, or a data
/// vector whose length is not the shape's element count), or nothing.
inline std::optional<std::string> tensorProblem(const Tensor &t) {
  std::optional<uint64_t> n = shapeElements(t.shape);
  if (!n)
    return "its shape " + formatShape(t.shape) +
           " has a negative dimension or too many elements";
  size_t held = t.dtype == DType::F32 ? t.f32.size() : t.i32.size();
  if (held != *n)
    return "its shape " + formatShape(t.shape) + " has " + std::to_string(*n) +
           " elements but it holds " + std::to_string(held) + " " +
           dtypeName(t.dtype) + " values";
  return std::nullopt;
}

} // namespace cnnc::rt::io_detail

#endif // CNNC_RUNTIME_IO_IOSUPPORT_H
