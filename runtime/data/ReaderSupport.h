//===- ReaderSupport.h - what the data set readers share --------*- C++ -*-===//
//
// File system queries that report instead of throwing, and the argument and
// label checks every reader makes. Internal to runtime/data.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_DATA_READERSUPPORT_H
#define CNNC_RUNTIME_DATA_READERSUPPORT_H

#include "runtime/data/Dataset.h"
#include "runtime/support/Result.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace cnnc::rt::data_detail {

inline std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty() || dir.back() == '/')
    return dir + name;
  return dir + "/" + name;
}

inline bool isDirectory(const std::string &path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

inline bool isFile(const std::string &path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

/// An error unless `dir` is an existing directory.
inline Status checkDirectory(const std::string &dir) {
  std::error_code ec;
  std::filesystem::file_status st = std::filesystem::status(dir, ec);
  if (!std::filesystem::exists(st))
    return Error{dir + ": no such directory."};
  if (!std::filesystem::is_directory(st))
    return Error{dir + ": not a directory; a data set is a directory."};
  return Status::ok();
}

/// What every reader checks first: `dir` is an existing directory and
/// `model` a shape images can be fitted to (the error names `dir`).
inline Status checkReaderArguments(const std::string &dir,
                                   const ImageShape &model) {
  if (Status st = checkDirectory(dir); !st)
    return st;
  if (Status st = checkImageShape(model); !st)
    return Error{dir +
                 ": cannot fit the images to the model: " + st.error().message};
  return Status::ok();
}

/// An error naming `file` unless every label is in [0, numClasses).
inline Status checkLabels(const std::string &file,
                          const std::vector<int32_t> &labels, size_t first,
                          int32_t numClasses, const char *what) {
  for (size_t i = first; i < labels.size(); ++i)
    if (labels[i] < 0 || labels[i] >= numClasses)
      return Error{file + ": the label of " + what + " " +
                   std::to_string(i - first) + " is " +
                   std::to_string(labels[i]) + ", outside 0.." +
                   std::to_string(numClasses - 1) + " (this format has " +
                   std::to_string(numClasses) + " classes)."};
  return Status::ok();
}

} // namespace cnnc::rt::data_detail

#endif // CNNC_RUNTIME_DATA_READERSUPPORT_H
