//===- RuntimeIONpyTest.cpp - .npy reading and writing --------------------===//
//
// Round trips through writeNpy/readNpy, headers as NumPy and other writers
// spell them, every element type, and one case per class of broken file.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Npy.h"

#include "RuntimeIOTestUtil.h"

#include <gmock/gmock.h>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::HasSubstr;

namespace {

class NpyTest : public ScratchDirTest {
protected:
  /// A .npy file with `header` (padded as NumPy does) and raw `data`.
  std::string npy(const std::string &header, const std::string &data,
                  int major = 1) {
    size_t lengthBytes = major == 1 ? 2 : 4;
    std::string h = header;
    while ((8 + lengthBytes + h.size() + 1) % 64)
      h += ' ';
    h += '\n';
    std::string s = std::string("\x93NUMPY", 6) + char(major) + '\0';
    s += major == 1 ? le16(uint16_t(h.size())) : le32(uint32_t(h.size()));
    return s + h + data;
  }

  /// Writes a file with a '<descr>' header of `shape` and reads it.
  Result<Tensor> readWith(const std::string &descr, const std::string &shape,
                          const std::string &data) {
    writeBytes(path("a.npy"),
               npy("{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }",
                   data));
    return readNpy(path("a.npy"));
  }

  std::string readError(const std::string &bytes) {
    writeBytes(path("a.npy"), bytes);
    Result<Tensor> r = readNpy(path("a.npy"));
    EXPECT_FALSE(r);
    return r ? "" : r.error().message;
  }
};

TEST_F(NpyTest, RoundTripsF32InNumPysLayout) {
  Tensor t = Tensor::zerosF32({2, 3});
  t.f32 = {0.0f, -1.5f, 3.25f, 1e-30f, 6.0e7f, -0.0f};
  ASSERT_TRUE(writeNpy(path("t.npy"), t));

  std::string bytes = readBytes(path("t.npy"));
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  // 10 bytes of preamble, 118 of header: the data starts at 128.
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 10), std::string("\x93NUMPY\x01\x00\x76\x00", 10));
  EXPECT_EQ(bytes.substr(10, header.size()), header);
  EXPECT_EQ(bytes.substr(10 + header.size(), 118 - header.size()),
            std::string(117 - header.size(), ' ') + "\n");

  Result<Tensor> r = readNpy(path("t.npy"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->dtype, DType::F32);
  EXPECT_EQ(r->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(r->f32, t.f32);
}

TEST_F(NpyTest, RoundTripsI32OneDimensionalScalarAndEmpty) {
  Tensor v = Tensor::zerosI32({4});
  v.i32 = {7, -1, INT32_MAX, INT32_MIN};
  ASSERT_TRUE(writeNpy(path("v.npy"), v));
  EXPECT_THAT(readBytes(path("v.npy")), HasSubstr("'<i4'"));
  EXPECT_THAT(readBytes(path("v.npy")), HasSubstr("'shape': (4,), }"));
  Result<Tensor> r = readNpy(path("v.npy"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->dtype, DType::I32);
  EXPECT_EQ(r->shape, std::vector<int64_t>{4});
  EXPECT_EQ(r->i32, v.i32);

  Tensor scalar = Tensor::zerosF32({});
  scalar.f32 = {2.5f};
  ASSERT_TRUE(writeNpy(path("s.npy"), scalar));
  EXPECT_THAT(readBytes(path("s.npy")), HasSubstr("'shape': (), }"));
  r = readNpy(path("s.npy"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->shape.empty());
  EXPECT_EQ(r->f32, std::vector<float>{2.5f});

  ASSERT_TRUE(writeNpy(path("e.npy"), Tensor::zerosF32({0, 5})));
  r = readNpy(path("e.npy"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{0, 5}));
  EXPECT_TRUE(r->f32.empty());
}

TEST_F(NpyTest, ReadsEveryElementType) {
  Result<Tensor> r = readWith("<f8", "(2,)", bytesOf<double>({1.5, -2.25}));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->dtype, DType::F32);
  EXPECT_EQ(r->f32, (std::vector<float>{1.5f, -2.25f}));

  struct Case {
    const char *descr;
    std::string data;
    std::vector<int32_t> expected;
  } cases[] = {
      {"|u1", bytesOf<uint8_t>({0, 200, 255}), {0, 200, 255}},
      {"|i1", bytesOf<int8_t>({-128, 0, 127}), {-128, 0, 127}},
      {"<i2", bytesOf<int16_t>({-32768, 5, 32767}), {-32768, 5, 32767}},
      {"<u2", bytesOf<uint16_t>({0, 1, 65535}), {0, 1, 65535}},
      {"<i4", bytesOf<int32_t>({-7, 0, 9}), {-7, 0, 9}},
      {"<i8",
       bytesOf<int64_t>({INT32_MIN, 3, INT32_MAX}),
       {INT32_MIN, 3, INT32_MAX}},
  };
  for (const Case &c : cases) {
    r = readWith(c.descr, "(3,)", c.data);
    ASSERT_TRUE(r) << c.descr << ": " << r.error().message;
    EXPECT_EQ(r->dtype, DType::I32) << c.descr;
    EXPECT_EQ(r->i32, c.expected) << c.descr;
  }
}

TEST_F(NpyTest, ReadsHeadersOfEveryVersionAndSpelling) {
  std::string data = bytesOf<float>({1, 2, 3, 4, 5, 6});
  for (int major : {1, 2, 3}) {
    writeBytes(path("a.npy"), npy("{'descr': '<f4', 'fortran_order': False, "
                                  "'shape': (3, 2), }",
                                  data, major));
    Result<Tensor> r = readNpy(path("a.npy"));
    ASSERT_TRUE(r) << "version " << major << ": " << r.error().message;
    EXPECT_EQ(r->shape, (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(r->f32, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  }
  // Key order, double quotes, no trailing comma, Python 2 longs, and a
  // one-dimensional array marked Fortran-ordered (the same bytes).
  for (std::string header :
       {"{\"shape\":(3,2),\"fortran_order\":False,\"descr\":\"<f4\"}",
        "{ 'descr' : '<f4' , 'shape' : ( 3L , 2L ) , 'fortran_order' : "
        "False }"}) {
    writeBytes(path("a.npy"), npy(header, data));
    Result<Tensor> r = readNpy(path("a.npy"));
    ASSERT_TRUE(r) << header << ": " << r.error().message;
    EXPECT_EQ(r->shape, (std::vector<int64_t>{3, 2}));
  }
  writeBytes(
      path("a.npy"),
      npy("{'descr': '<f4', 'fortran_order': True, 'shape': (6,), }", data));
  Result<Tensor> r = readNpy(path("a.npy"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->f32, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST_F(NpyTest, ReportsMissingAndNonNpyFiles) {
  Result<Tensor> r = readNpy(path("missing.npy"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            path("missing.npy") + ": cannot read it: no such file.");
  r = readNpy(dir_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            dir_ + ": cannot read it: it is a directory, not a file.");
  EXPECT_EQ(readError("PK\x03\x04 a zip file"),
            path("a.npy") + ": not a .npy file: it does not start with the "
                            "magic string \\x93NUMPY.");
  EXPECT_EQ(readError(""), path("a.npy") + ": truncated: the file holds 0 "
                                           "bytes, less than the 6-byte .npy "
                                           "magic string.");
}

TEST_F(NpyTest, ReportsTruncationAtEveryPoint) {
  std::string good =
      npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10, 3), }",
          std::string(120, '\0'));
  EXPECT_THAT(readError(good.substr(0, 3)), HasSubstr("truncated: the file "
                                                      "holds 3 bytes"));
  EXPECT_THAT(readError(good.substr(0, 7)),
              HasSubstr("truncated: the file ends before its version"));
  EXPECT_THAT(readError(good.substr(0, 9)),
              HasSubstr("truncated: the file ends inside the header length"));
  EXPECT_EQ(readError(good.substr(0, 40)),
            path("a.npy") + ": truncated: the header length is 118 bytes, the "
                            "file holds 30 bytes after the preamble.");
  EXPECT_EQ(readError(good.substr(0, 128 + 64)),
            path("a.npy") + ": truncated: the header announces shape [10, 3] "
                            "of '<f4' (120 bytes of data), the file holds "
                            "64.");
  EXPECT_EQ(readError(good + "junk"),
            path("a.npy") + ": 4 bytes of trailing data: the header announces "
                            "shape [10, 3] of '<f4' (120 bytes of data), the "
                            "file holds 124.");
}

TEST_F(NpyTest, ReportsUnsupportedLayoutsAndTypes) {
  std::string data(16, '\0');
  EXPECT_EQ(readError(npy("{'descr': '<f4', 'fortran_order': True, "
                          "'shape': (2, 2), }",
                          data)),
            path("a.npy") + ": the array of shape [2, 2] is stored in "
                            "Fortran order; the runtime reads C order only "
                            "(save np.ascontiguousarray(arr)).");
  EXPECT_THAT(readError(npy("{'descr': '>f4', 'fortran_order': False, "
                            "'shape': (4,), }",
                            data)),
              HasSubstr("the dtype '>f4' is big-endian"));
  EXPECT_EQ(readError(npy("{'descr': '<c8', 'fortran_order': False, "
                          "'shape': (2,), }",
                          data)),
            path("a.npy") + ": the dtype '<c8' is not one the runtime reads "
                            "('<f4', '<f8', '|u1', '|i1', '<i2', '<u2', '<i4' "
                            "and '<i8').");
  EXPECT_THAT(readError(npy("{'descr': [('x', '<f4')], 'fortran_order': "
                            "False, 'shape': (4,), }",
                            data)),
              HasSubstr("the dtype is structured"));
  EXPECT_THAT(readError(npy("{'descr': '<f\x1b[2J', 'fortran_order': False, "
                            "'shape': (4,), }",
                            data)),
              HasSubstr("the dtype '<f\\x1b[2J' is not one"));
  EXPECT_THAT(readError(std::string("\x93NUMPY\x04\x00", 8) + data),
              HasSubstr(".npy format version 4.0 is not supported"));

  Result<Tensor> r = readWith("<i8", "(2,)", bytesOf<int64_t>({1, 1LL << 31}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            path("a.npy") + ": element 1 is 2147483648, outside the i32 range "
                            "the runtime holds integers in.");
}

TEST_F(NpyTest, ReportsMalformedHeaders) {
  auto header = [&](const std::string &h) {
    return readError(npy(h, std::string(16, '\0')));
  };
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': False}"),
            path("a.npy") + ": the header has no 'shape' key.");
  EXPECT_EQ(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,)}"),
            path("a.npy") +
                ": 'shape' is not a tuple of non-negative integers.");
  EXPECT_EQ(header("{'descr': '<f4, 'fortran_order': False, 'shape': (4,)}"),
            path("a.npy") + ": the header is not a valid Python dict literal: "
                            "expected ',' or '}' but found 'f' at offset 17 "
                            "of the header.");
  EXPECT_THAT(header("{'descr': '<f4"), HasSubstr("unterminated string"));
  EXPECT_THAT(header("{'shape': " + std::string(200, '(')),
              HasSubstr("values nested more than 16 deep"));
  EXPECT_THAT(header("{'shape': (99999999999999999999,)}"),
              HasSubstr("an integer too large for 64 bits"));
  EXPECT_THAT(header("{'shape': (4,), 'shape': (4,)}"),
              HasSubstr("the key 'shape' appears twice"));
  EXPECT_THAT(header("{'descr': '<f4', 'fortran_order': 0, 'shape': (4,)}"),
              HasSubstr("'fortran_order' is not True or False"));
  EXPECT_THAT(header("{'descr': '<f4'} trailing"),
              HasSubstr("unexpected 't' after the dict"));
}

TEST_F(NpyTest, RefusesHugeShapesWithoutAllocating) {
  // 2^40 x 2^40 elements overflow; 10^9 x 1000 fit int64 but not the file.
  Result<Tensor> r =
      readWith("<f4", "(1099511627776, 1099511627776)", std::string(8, '\0'));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            path("a.npy") + ": the shape [1099511627776, 1099511627776] has "
                            "too many elements to be held in memory.");
  r = readWith("<f8", "(1000000000, 1000)", std::string(8, '\0'));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message,
              HasSubstr("truncated: the header announces shape [1000000000, "
                        "1000] of '<f8' (8000000000000 bytes of data), the "
                        "file holds 8."));
}

TEST_F(NpyTest, WriteRefusesInconsistentTensorsAndBadPaths) {
  Tensor t = Tensor::zerosF32({2, 3});
  t.f32.pop_back();
  Status s = writeNpy(path("t.npy"), t);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            path("t.npy") + ": cannot write the tensor: its shape [2, 3] has "
                            "6 elements but it holds 5 f32 values.");
  EXPECT_FALSE(std::filesystem::exists(path("t.npy")));

  writeBytes(path("file"), "x");
  s = writeNpy(path("file/t.npy"), Tensor::zerosF32({1}));
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message,
              HasSubstr(path("file/t.npy") + ": cannot write it: creating the "
                                             "temporary file"));
  EXPECT_THAT(s.error().message,
              HasSubstr("a component of the path is not a directory."));
}

} // namespace
