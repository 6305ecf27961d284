//===- RuntimeIOAtomicFileTest.cpp - whole-file reads, atomic writes ------===//
//
// writeFileAtomically replaces a file only when the new content is complete:
// a write that fails half-way (here: past RLIMIT_FSIZE) leaves the old file
// as it was and no temporary file behind. readFile's messages per failure.
//
//===----------------------------------------------------------------------===//

#include "runtime/support/AtomicFile.h"

#include "RuntimeIOTestUtil.h"

#include <gmock/gmock.h>

#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

class AtomicFileTest : public ScratchDirTest {
protected:
  mode_t modeOf(const std::string &file) {
    struct stat st {};
    EXPECT_EQ(::stat(file.c_str(), &st), 0) << file;
    return st.st_mode & 07777;
  }
};

TEST_F(AtomicFileTest, WritesAndReadsBinaryContent) {
  std::string bytes("a\0b\xff\n", 5);
  bytes += std::string(200000, 'x');
  ASSERT_TRUE(writeFileAtomically(path("f.bin"), bytes));
  Result<std::string> r = readFile(path("f.bin"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, bytes);
  EXPECT_EQ(modeOf(path("f.bin")), 0644u);
  EXPECT_EQ(listDir(), std::vector<std::string>{"f.bin"});

  ASSERT_TRUE(writeFileAtomically(path("empty"), ""));
  r = readFile(path("empty"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->empty());
}

TEST_F(AtomicFileTest, ReplacesAFileKeepingItsMode) {
  writeBytes(path("f"), "old");
  ASSERT_EQ(::chmod(path("f").c_str(), 0600), 0);
  ASSERT_TRUE(writeFileAtomically(path("f"), "new content"));
  EXPECT_EQ(readBytes(path("f")), "new content");
  EXPECT_EQ(modeOf(path("f")), 0600u);
  EXPECT_EQ(listDir(), std::vector<std::string>{"f"});
}

TEST_F(AtomicFileTest, AFailedWriteLeavesThePreviousFileIntact) {
  writeBytes(path("model.safetensors"), "the previous checkpoint");
  // Writes past 64 bytes fail with EFBIG (SIGXFSZ ignored), half-way through
  // the new content.
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit small = saved;
  small.rlim_cur = 64;
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Status s =
      writeFileAtomically(path("model.safetensors"), std::string(4096, 'n'));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);

  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message,
              StartsWith(path("model.safetensors") +
                         ": cannot write it: writing 4096 bytes to '" +
                         path("model.safetensors") + ".tmp-"));
  EXPECT_THAT(s.error().message, HasSubstr("' failed: file too large."));
  EXPECT_EQ(readBytes(path("model.safetensors")), "the previous checkpoint");
  EXPECT_EQ(listDir(), std::vector<std::string>{"model.safetensors"});
}

TEST_F(AtomicFileTest, ReportsPathsThatCannotBeWritten) {
  // Tests run as root, so an unwritable directory would not fail; a parent
  // that is a regular file does.
  writeBytes(path("plain"), "x");
  Status s = writeFileAtomically(path("plain/out.npy"), "data");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            path("plain/out.npy") +
                ": cannot write it: creating the temporary "
                "file '" +
                path("plain/out.npy") +
                ".tmp-XXXXXX' failed: a component of the path is not a "
                "directory.");
  s = writeFileAtomically(path("no/such/dir/out.npy"), "data");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message,
              HasSubstr("failed: the directory '" + path("no/such/dir") +
                        "' does not exist."));

  // A directory in the way: the rename fails and nothing is left behind.
  std::filesystem::create_directory(path("taken"));
  s = writeFileAtomically(path("taken"), "data");
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message,
              HasSubstr("' over it failed: it is a directory, not a file."));
  EXPECT_TRUE(std::filesystem::is_directory(path("taken")));
  EXPECT_EQ(listDir(), (std::vector<std::string>{"plain", "taken"}));

  s = writeFileAtomically("", "data");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "Cannot write a file with an empty path.");
}

TEST_F(AtomicFileTest, ReportsFilesThatCannotBeRead) {
  Result<std::string> r = readFile(path("missing"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, path("missing") + ": cannot read it: no such "
                                                 "file.");
  r = readFile(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            dir_ + ": cannot read it: it is a directory, not a file.");
  writeBytes(path("plain"), "x");
  r = readFile(path("plain/inner"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, path("plain/inner") + ": cannot read it: a "
                                                     "component of the path "
                                                     "is not a directory.");
  r = readFile("");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Cannot read a file with an empty path.");
}

TEST_F(AtomicFileTest, ReportsUnreadableFiles) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root reads files whatever their mode";
  writeBytes(path("secret"), "x");
  ASSERT_EQ(::chmod(path("secret").c_str(), 0), 0);
  Result<std::string> r = readFile(path("secret"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            path("secret") + ": cannot read it: permission denied.");
}

} // namespace
