//===- Result.h - errors the runtime reports to its user --------*- C++ -*-===//
//
// The runtime never throws and never aborts on input: every operation that
// can fail on a user's file, path or shape returns a Result<T> whose error is
// a complete sentence for the user, naming the file or tensor it is about
// ("data/t10k-images-idx3-ubyte: truncated: the header announces 10000
// images of 28x28 (7840016 bytes), the file has 4096").
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_SUPPORT_RESULT_H
#define CNNC_RUNTIME_SUPPORT_RESULT_H

#include <optional>
#include <string>
#include <utility>

namespace cnnc::rt {

/// A failure with its message.
struct Error {
  std::string message;
};

/// Either a value or an Error. Test with `if (!r)`, read `r.error().message`
/// or `*r`.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : value_(std::move(value)) {}
  Result(Error error) : error_(std::move(error)) {}

  explicit operator bool() const { return value_.has_value(); }
  T &operator*() { return *value_; }
  const T &operator*() const { return *value_; }
  T *operator->() { return &*value_; }
  const T *operator->() const { return &*value_; }
  const Error &error() const { return error_; }

private:
  std::optional<T> value_;
  Error error_;
};

/// Result of an operation with no value.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}
  static Status ok() { return Status(); }

  explicit operator bool() const { return !failed_; }
  const Error &error() const { return error_; }

private:
  Error error_;
  bool failed_ = false;
};

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_SUPPORT_RESULT_H
