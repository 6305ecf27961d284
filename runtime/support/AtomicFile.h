//===- AtomicFile.h - whole-file reads and crash-safe writes ----*- C++ -*-===//
//
// Checkpoints, predictions and images the runtime writes must never be left
// half-written: a write goes to a temporary file next to the target, is
// synced, and is renamed over the target only when complete. Reads return the
// whole file with a message a user understands when it cannot be read.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_SUPPORT_ATOMICFILE_H
#define CNNC_RUNTIME_SUPPORT_ATOMICFILE_H

#include "runtime/support/Result.h"

#include <string>

namespace cnnc::rt {

/// Writes `bytes` to `<path>.tmp-XXXXXX` in the directory of `path`, syncs
/// it and renames it over `path`. On any failure the temporary file is
/// removed and an existing `path` is left as it was. A new file gets mode
/// 0644; a replaced file keeps its mode.
Status writeFileAtomically(const std::string &path, const std::string &bytes);

/// The whole content of the file at `path`. Errors name the path and say
/// whether it is missing, a directory, unreadable for permissions, or failed
/// with another system error.
Result<std::string> readFile(const std::string &path);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_SUPPORT_ATOMICFILE_H
