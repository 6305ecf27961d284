//===- RuntimeIOTestUtil.h - fixtures for the runtime I/O tests -*- C++ -*-===//
//
// A per-test scratch directory and the byte-level helpers the format tests
// use to craft valid and broken files by hand (gzipped ones too).
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_UNIT_RUNTIMEIOTESTUTIL_H
#define CNNC_TEST_UNIT_RUNTIMEIOTESTUTIL_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>
#include <zlib.h>

namespace cnnc::rt::test {

/// One gzip member holding `bytes`.
inline std::string gzipBytes(const std::string &bytes) {
  z_stream zs{};
  EXPECT_EQ(
      deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&zs, bytes.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
  zs.avail_in = uInt(bytes.size());
  zs.next_out = reinterpret_cast<Bytef *>(out.data());
  zs.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// Gives each test an empty directory of its own, removed afterwards.
class ScratchDirTest : public ::testing::Test {
protected:
  void SetUp() override {
    const ::testing::TestInfo *info =
        ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = ::testing::TempDir() + "cnnc-runtime-io-" + info->test_suite_name() +
           "-" + info->name() + "-" + std::to_string(::getpid());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    ASSERT_TRUE(std::filesystem::create_directories(dir_, ec)) << dir_;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string path(const std::string &name) const { return dir_ + "/" + name; }

  void writeBytes(const std::string &file, const std::string &bytes) const {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << file;
  }

  std::string readBytes(const std::string &file) const {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  /// The names in the scratch directory, to check no temporary file is left.
  std::vector<std::string> listDir() const {
    std::vector<std::string> names;
    for (const auto &entry : std::filesystem::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
};

inline std::string le16(uint16_t v) {
  return std::string(1, char(v & 0xff)) + char(v >> 8);
}

inline std::string le32(uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; ++i)
    s += char((v >> (8 * i)) & 0xff);
  return s;
}

inline std::string le64(uint64_t v) {
  std::string s;
  for (int i = 0; i < 8; ++i)
    s += char((v >> (8 * i)) & 0xff);
  return s;
}

inline std::string be32(uint32_t v) {
  std::string s;
  for (int i = 3; i >= 0; --i)
    s += char((v >> (8 * i)) & 0xff);
  return s;
}

/// The little-endian bytes of the values, as files hold them.
template <typename T> std::string bytesOf(std::initializer_list<T> values) {
  std::string s;
  for (T v : values) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    s.append(b, sizeof(T));
  }
  return s;
}

} // namespace cnnc::rt::test

#endif // CNNC_TEST_UNIT_RUNTIMEIOTESTUTIL_H
