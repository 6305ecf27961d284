//===- E2ETestUtil.h - compile models with cnnc for a test ------*- C++ -*-===//
//
// End-to-end tests run the real `cnnc` binary (as a user does) into a
// temporary directory and load the .so through the runtime. Each model is
// compiled once per test binary.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_E2E_E2ETESTUTIL_H
#define CNNC_TEST_E2E_E2ETESTUTIL_H

#include "cnnc/cnnc.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <map>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace cnnc::test {

/// A fresh directory for this test binary's files, removed at exit. The
/// path is never destroyed, so the exit handler can still read it.
inline const std::string &scratchDir() {
  static const std::string *dir = [] {
    std::string pattern = ::testing::TempDir() + "cnnc-e2e-XXXXXX";
    auto *made = new std::string(mkdtemp(pattern.data()) ? pattern : "");
    if (!made->empty())
      std::atexit([] {
        std::string cmd = "rm -rf '" + scratchDir() + "'";
        if (std::system(cmd.c_str()) != 0)
          std::fprintf(stderr, "could not remove %s\n", scratchDir().c_str());
      });
    return made;
  }();
  return *dir;
}

/// Runs a shell command; returns its exit status (or -1).
inline int runCommand(const std::string &command) {
  int status = std::system(command.c_str());
  return status == -1 ? -1 : WEXITSTATUS(status);
}

/// Compiles `source` (a path) with cnnc to `<scratch>/<stem>.so` once and
/// returns the .so's path; "" after a failure (reported as a test failure).
inline std::string compileModel(const std::string &source,
                                const std::string &extraArgs = "") {
  static std::map<std::string, std::string> cache;
  std::string key = source + "|" + extraArgs;
  if (auto it = cache.find(key); it != cache.end())
    return it->second;
  std::string stem = source.substr(source.find_last_of('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  std::string out =
      scratchDir() + "/" + stem +
      (extraArgs.empty() ? "" : "-" + std::to_string(cache.size())) + ".so";
  std::string command = std::string(CNNC_BIN_DIR) + "/cnnc '" + source +
                        "' -o '" + out + "' " + extraArgs + " 2>&1";
  int rc = runCommand(command);
  EXPECT_EQ(rc, 0) << command;
  return cache[key] = rc == 0 ? out : "";
}

/// A test name from a model file: "lenet5-1998.mdl" becomes "lenet5_1998".
inline std::string modelTestName(const std::string &file) {
  std::string name = file.substr(0, file.find('.'));
  for (char &ch : name)
    if (ch == '-')
      ch = '_';
  return name;
}

/// Writes `text` to `<scratch>/<name>` and returns the path.
inline std::string writeScratchFile(const std::string &name,
                                    const std::string &text) {
  std::string path = scratchDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

/// A compiled model's .so opened with dlopen and one instance of it, called
/// through dlsym as a C or ctypes user calls it; closed after each test.
class LoadedModelTest : public ::testing::Test {
protected:
  /// Compiles `source` (written as `name`), opens the .so and creates an
  /// instance; fatal failures on the way.
  void load(const std::string &name, const char *source) {
    path = compileModel(writeScratchFile(name, source));
    ASSERT_FALSE(path.empty());
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << dlerror();
    ASSERT_EQ(
        fn<decltype(&cnnc_create)>("cnnc_create")(CNNC_ABI_VERSION, &model),
        CNNC_OK);
  }
  void TearDown() override {
    if (model)
      fn<decltype(&cnnc_destroy)>("cnnc_destroy")(model);
    if (handle)
      dlclose(handle);
  }
  template <typename F> F fn(const char *name) {
    void *symbol = dlsym(handle, name);
    EXPECT_NE(symbol, nullptr) << name;
    return reinterpret_cast<F>(symbol);
  }
  std::string lastError() {
    return fn<decltype(&cnnc_last_error)>("cnnc_last_error")();
  }

  std::string path;
  void *handle = nullptr;
  cnnc_model *model = nullptr;
};

} // namespace cnnc::test

#endif // CNNC_TEST_E2E_E2ETESTUTIL_H
