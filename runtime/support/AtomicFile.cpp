//===- AtomicFile.cpp - whole-file reads and crash-safe writes ------------===//
//
// POSIX only: mkostemp + write + fsync + rename, and open/fstat/read. Every
// failure becomes a sentence naming the path and what went wrong.
//
//===----------------------------------------------------------------------===//

#include "runtime/support/AtomicFile.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace cnnc::rt {
namespace {

/// The system's text for `err`, thread-safe (GNU strerror_r).
std::string errnoText(int err) {
  char buf[256];
  const char *s = strerror_r(err, buf, sizeof buf);
  std::string text = s ? s : "unknown error";
  // "No such file or directory" reads better inside a sentence in lower case.
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z' &&
      (text.size() < 2 || !(text[1] >= 'A' && text[1] <= 'Z')))
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

std::string directoryOf(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

/// Why a file could not be opened or created, as the end of a sentence.
std::string openFailure(int err, const std::string &path, bool forWriting) {
  switch (err) {
  case ENOENT:
    return forWriting
               ? "the directory '" + directoryOf(path) + "' does not exist"
               : "no such file";
  case ENOTDIR:
    return "a component of the path is not a directory";
  case EACCES:
  case EPERM:
    return "permission denied";
  case EISDIR:
    return "it is a directory, not a file";
  default:
    return errnoText(err);
  }
}

int openRetrying(const char *path, int flags) {
  int fd;
  do
    fd = ::open(path, flags);
  while (fd < 0 && errno == EINTR);
  return fd;
}

/// Writes all of [data, data + size) to fd; false with errno set on failure.
bool writeAll(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

} // namespace

Status writeFileAtomically(const std::string &path, const std::string &bytes) {
  if (path.empty())
    return Error{"Cannot write a file with an empty path."};

  std::string tempName = path + ".tmp-XXXXXX";
  std::vector<char> temp(tempName.begin(), tempName.end());
  temp.push_back('\0');
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Error{path + ": cannot write it: creating the temporary file '" +
                 tempName + "' failed: " + openFailure(err, path, true) + "."};
  }
  tempName.assign(temp.data());

  // Everything after this point removes the temporary file on failure.
  auto fail = [&](const std::string &what, int err) -> Status {
    ::close(fd);
    ::unlink(tempName.c_str());
    return Error{path + ": cannot write it: " + what + " '" + tempName +
                 "' failed: " + errnoText(err) + "."};
  };

  // mkostemp creates the file 0600; give it the mode of the file it replaces,
  // or the usual 0644.
  mode_t mode = 0644;
  struct stat existing;
  if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode))
    mode = existing.st_mode & 07777;
  if (::fchmod(fd, mode) != 0)
    return fail("setting the mode of", errno);
  if (!writeAll(fd, bytes.data(), bytes.size()))
    return fail("writing " + std::to_string(bytes.size()) + " bytes to", errno);
  if (::fsync(fd) != 0)
    return fail("syncing", errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tempName.c_str());
    return Error{path + ": cannot write it: closing '" + tempName +
                 "' failed: " + errnoText(err) + "."};
  }
  if (::rename(tempName.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tempName.c_str());
    return Error{path + ": cannot write it: renaming '" + tempName +
                 "' over it failed: " + openFailure(err, path, true) + "."};
  }

  // Make the rename itself durable; a failure here loses nothing written.
  int dirFd = openRetrying(directoryOf(path).c_str(),
                           O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    (void)::fsync(dirFd);
    ::close(dirFd);
  }
  return Status::ok();
}

Result<std::string> readFile(const std::string &path) {
  if (path.empty())
    return Error{"Cannot read a file with an empty path."};
  int fd = openRetrying(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return Error{path + ": cannot read it: " + openFailure(err, path, false) +
                 "."};
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Error{path + ": cannot read it: " + errnoText(err) + "."};
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Error{path + ": cannot read it: it is a directory, not a file."};
  }

  // The size fstat reports is the file's real length, not a number inside
  // it; a file that grows or shrinks meanwhile is read to its actual end.
  std::string bytes;
  if (S_ISREG(st.st_mode) && st.st_size > 0)
    bytes.reserve(static_cast<size_t>(st.st_size));
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int err = errno;
      ::close(fd);
      return Error{path + ": cannot read it: " + openFailure(err, path, false) +
                   "."};
    }
    if (n == 0)
      break;
    bytes.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

} // namespace cnnc::rt
