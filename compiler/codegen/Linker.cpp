//===- Linker.cpp - an object file into a shared library ------------------===//

#include "compiler/codegen/Linker.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace llvm;

std::string cnnc::findModelRuntimeArchive(const char *argv0,
                                          void *mainAddress) {
  SmallString<256> path(sys::fs::getMainExecutable(argv0, mainAddress));
  sys::path::remove_filename(path); // .../bin
  sys::path::remove_filename(path); // ...
  sys::path::append(path, "lib", "libcnnc_model.a");
  return std::string(path);
}

Error cnnc::linkSharedLibrary(const std::string &objectPath,
                              const std::string &runtimeArchive,
                              const std::string &outputPath) {
  if (!sys::fs::exists(runtimeArchive))
    return createStringError(inconvertibleErrorCode(),
                             "the model runtime '" + runtimeArchive +
                                 "' is missing; cnnc is not installed "
                                 "completely (build the cnnc_model target)");
  ErrorOr<std::string> driver = sys::findProgramByName("cc");
  if (!driver)
    return createStringError(inconvertibleErrorCode(),
                             "cannot link '" + outputPath +
                                 "': no C compiler driver 'cc' on PATH "
                                 "(install gcc), or stop at --emit=obj");

  SmallString<256> temp;
  StringRef dir = sys::path::parent_path(outputPath);
  SmallString<256> model(dir.empty() ? "." : dir);
  sys::path::append(model, sys::path::filename(outputPath) + ".tmp-%%%%%%");
  if (std::error_code ec = sys::fs::createUniqueFile(model, temp))
    return createStringError(ec, "cannot write '" + outputPath +
                                     "': " + ec.message());

  std::string errorText;
  SmallString<256> log;
  sys::fs::createTemporaryFile("cnnc-link", "log", log);
  // --no-undefined: a symbol the generated code needs and nothing provides
  // is a cnnc bug, reported now rather than at dlopen.
  // --whole-archive: nothing in the model's object calls the ABI functions;
  // they are what the .so is for.
  SmallVector<StringRef> args = {*driver,
                                 "-shared",
                                 "-o",
                                 temp,
                                 objectPath,
                                 "-Wl,--whole-archive",
                                 runtimeArchive,
                                 "-Wl,--no-whole-archive",
                                 "-lm",
                                 "-Wl,--no-undefined",
                                 "-Wl,-z,noexecstack"};
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                          StringRef(log)};
  int rc = sys::ExecuteAndWait(*driver, args, std::nullopt, redirects, 0, 0,
                               &errorText);
  if (rc != 0) {
    std::string output;
    if (auto buffer = MemoryBuffer::getFile(log))
      output = (*buffer)->getBuffer().str();
    sys::fs::remove(temp);
    sys::fs::remove(log);
    return createStringError(inconvertibleErrorCode(),
                             "linking '" + outputPath + "' failed (" + *driver +
                                 " exited with " + std::to_string(rc) + ")" +
                                 (errorText.empty() ? "" : ": " + errorText) +
                                 (output.empty() ? "" : ":\n" + output));
  }
  sys::fs::remove(log);
  if (std::error_code ec = sys::fs::rename(temp, outputPath)) {
    sys::fs::remove(temp);
    return createStringError(ec, "cannot write '" + outputPath +
                                     "': " + ec.message());
  }
  return Error::success();
}
