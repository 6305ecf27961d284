//===- ParseNumber.h - command-line numbers, checked ------------*- C++ -*-===//
//
// The runtime's tools (cnnc-run, the benchmarks) read counts and seeds from
// their command lines: the whole text must be a number in range.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_SUPPORT_PARSENUMBER_H
#define CNNC_RUNTIME_SUPPORT_PARSENUMBER_H

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace cnnc::rt {

/// A decimal integer >= `min`, with nothing after it; false otherwise.
inline bool parseInteger(const char *text, int64_t min, int64_t &out) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text, &end, 10);
  if (errno || !end || *end || end == text || v < min)
    return false;
  out = v;
  return true;
}

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_SUPPORT_PARSENUMBER_H
