//===- CommandLine.h - what the runtime's tools share on the command line -===//
//
// cnnc-train, cnnc-run and the benchmarks read their arguments by hand (they
// link no LLVM); these helpers keep their numbers, positional arguments and
// error lines alike.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_SUPPORT_COMMANDLINE_H
#define CNNC_RUNTIME_SUPPORT_COMMANDLINE_H

#include "runtime/support/Result.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

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

/// A finite decimal number with nothing after it; false otherwise.
inline bool parseReal(const char *text, double &out) {
  char *end = nullptr;
  errno = 0;
  double v = std::strtod(text, &end);
  if (errno || !end || *end || end == text || !std::isfinite(v))
    return false;
  out = v;
  return true;
}

/// Prints "TOOL: error: MESSAGE" and where usage is shown; returns 1, the
/// exit code.
inline int usageError(const char *tool, const std::string &message) {
  std::fprintf(stderr, "%s: error: %s\n(%s --help shows usage)\n", tool,
               message.c_str(), tool);
  return 1;
}

/// Prints "TOOL: error: MESSAGE"; returns 1, the exit code.
inline int failure(const char *tool, const Error &error) {
  std::fprintf(stderr, "%s: error: %s\n", tool, error.message.c_str());
  return 1;
}

/// Takes `arg`, an argument that is no known option, as the model path:
/// the first one that does not start with '-'. Otherwise the usage error to
/// report (an unknown option, or a second positional argument, with `hint`
/// in parentheses when there is one).
inline std::optional<std::string>
takeModelArgument(const std::string &arg, std::string &model,
                  const char *hint = nullptr) {
  if (!arg.empty() && arg[0] == '-')
    return "unknown option '" + arg + "'";
  if (!model.empty())
    return "unexpected argument '" + arg + "'" +
           (hint ? std::string(" (") + hint + ")" : std::string());
  model = arg;
  return std::nullopt;
}

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_SUPPORT_COMMANDLINE_H
