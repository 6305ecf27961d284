//===- RuntimeIOSafetensorsTest.cpp - safetensors checkpoints -------------===//
//
// Round trips through writeSafetensors/readSafetensors, every stored dtype,
// the layout the reference writer produces, and one case per check the
// reader makes on sizes, offsets and the JSON header.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Safetensors.h"

#include "RuntimeIOTestUtil.h"

#include <gmock/gmock.h>

#include <cmath>
#include <limits>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::HasSubstr;

namespace {

std::string safetensors(const std::string &header, const std::string &data) {
  return le64(header.size()) + header + data;
}

class SafetensorsTest : public ScratchDirTest {
protected:
  Result<Checkpoint> read(const std::string &header, const std::string &data) {
    writeBytes(path("m.safetensors"), safetensors(header, data));
    return readSafetensors(path("m.safetensors"));
  }
  std::string readError(const std::string &header, const std::string &data) {
    Result<Checkpoint> r = read(header, data);
    EXPECT_FALSE(r);
    return r ? "" : r.error().message;
  }
  std::string p() const { return path("m.safetensors"); }
};

Checkpoint sample() {
  Checkpoint c;
  Tensor w = Tensor::zerosF32({2, 3});
  w.f32 = {1.0f, -2.0f, 0.5f, 1e-8f, 3e8f, -0.0f};
  Tensor labels = Tensor::zerosI32({4});
  labels.i32 = {3, -1, INT32_MAX, INT32_MIN};
  c.tensors = {{"conv1.weight", w},
               {"labels", labels},
               {"empty", Tensor::zerosF32({0, 4})}};
  c.metadata = {{"format", "cnnc"}, {"epoch", "3"}};
  return c;
}

TEST_F(SafetensorsTest, RoundTripsInTheReferenceLayout) {
  Checkpoint c = sample();
  ASSERT_TRUE(writeSafetensors(p(), c));
  std::string bytes = readBytes(p());
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + n + 24 + 16);
  std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.substr(0, header.find_last_not_of(' ') + 1),
            "{\"__metadata__\":{\"epoch\":\"3\",\"format\":\"cnnc\"},"
            "\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],"
            "\"data_offsets\":[0,24]},"
            "\"labels\":{\"dtype\":\"I32\",\"shape\":[4],"
            "\"data_offsets\":[24,40]},"
            "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,4],"
            "\"data_offsets\":[40,40]}}");

  Result<Checkpoint> r = readSafetensors(p());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->metadata, c.metadata);
  ASSERT_EQ(r->tensors.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Tensor &got = r->tensors[i].tensor, &want = c.tensors[i].tensor;
    EXPECT_EQ(r->tensors[i].name, c.tensors[i].name);
    EXPECT_EQ(got.dtype, want.dtype);
    EXPECT_EQ(got.shape, want.shape);
    EXPECT_EQ(got.f32, want.f32);
    EXPECT_EQ(got.i32, want.i32);
  }
  ASSERT_NE(find(*r, "labels"), nullptr);
  EXPECT_EQ(find(*r, "labels")->tensor.i32[2], INT32_MAX);
  EXPECT_EQ(find(*r, "nope"), nullptr);

  ASSERT_TRUE(writeSafetensors(path("empty.safetensors"), Checkpoint{}));
  EXPECT_EQ(readBytes(path("empty.safetensors")), le64(8) + "{}      ");
  r = readSafetensors(path("empty.safetensors"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->tensors.empty());
  EXPECT_TRUE(r->metadata.empty());
}

TEST_F(SafetensorsTest, ConvertsEveryStoredDType) {
  std::string data = bytesOf<double>({1.5, -2.0}) +                // 0-16
                     bytesOf<uint16_t>({0x3c00, 0xc000, 0x0001,    //
                                        0x7c00, 0x03ff, 0x7bff}) + // 16-28
                     bytesOf<uint16_t>({0x3f80, 0xc040}) +         // 28-32
                     bytesOf<int64_t>({-7, INT32_MAX}) +           // 32-48
                     bytesOf<uint8_t>({0, 255}) +                  // 48-50
                     bytesOf<int8_t>({-128, 127});                 // 50-52
  Result<Checkpoint> r =
      read(R"({"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
           R"("h":{"dtype":"F16","shape":[2,3],"data_offsets":[16,28]},)"
           R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]},)"
           R"("l":{"dtype":"I64","shape":[2],"data_offsets":[32,48]},)"
           R"("u":{"dtype":"U8","shape":[2],"data_offsets":[48,50]},)"
           R"("i":{"dtype":"I8","shape":[2],"data_offsets":[50,52]}})",
           data);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->tensors.size(), 6u);
  // In the order of the data, not of the JSON keys (which nlohmann sorts).
  std::vector<std::string> names;
  for (const NamedTensor &t : r->tensors)
    names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"d", "h", "b", "l", "u", "i"}));

  EXPECT_EQ(find(*r, "d")->tensor.f32, (std::vector<float>{1.5f, -2.0f}));
  const Tensor &h = find(*r, "h")->tensor;
  EXPECT_EQ(h.dtype, DType::F32);
  EXPECT_EQ(h.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h.f32,
            (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24),
                                std::numeric_limits<float>::infinity(),
                                1023 * std::ldexp(1.0f, -24), 65504.0f}));
  EXPECT_EQ(find(*r, "b")->tensor.f32, (std::vector<float>{1.0f, -3.0f}));
  const Tensor &l = find(*r, "l")->tensor;
  EXPECT_EQ(l.dtype, DType::I32);
  EXPECT_EQ(l.i32, (std::vector<int32_t>{-7, INT32_MAX}));
  EXPECT_EQ(find(*r, "u")->tensor.i32, (std::vector<int32_t>{0, 255}));
  EXPECT_EQ(find(*r, "i")->tensor.i32, (std::vector<int32_t>{-128, 127}));
}

TEST_F(SafetensorsTest, AcceptsGapsAndReportsOverlaps) {
  std::string data(16, '\0');
  Result<Checkpoint> r =
      read(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},)"
           R"("z":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
           data);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tensors[0].name, "z");
  EXPECT_EQ(r->tensors[1].name, "a");

  EXPECT_EQ(
      readError(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                R"("b":{"dtype":"I32","shape":[2],"data_offsets":[8,16]}})",
                data),
      p() + ": the data of tensors 'a' [0, 12] and 'b' [8, 16] "
            "overlap.");
}

TEST_F(SafetensorsTest, ReportsBadSizesAndOffsets) {
  std::string data(600, '\0');
  auto entry = [&](const std::string &body) {
    return readError("{\"conv1.weight\":" + body + "}", data);
  };
  EXPECT_EQ(
      entry(R"({"dtype":"F32","shape":[6,1,5,5],"data_offsets":[0,596]})"),
      p() + ": tensor 'conv1.weight': shape [6, 1, 5, 5] of F32 needs "
            "600 bytes, but data_offsets [0, 596] span 596.");
  EXPECT_EQ(
      entry(R"({"dtype":"F32","shape":[6,1,5,5],"data_offsets":[4,604]})"),
      p() + ": tensor 'conv1.weight': data_offsets [4, 604] end past "
            "the data buffer of 600 bytes.");
  EXPECT_EQ(entry(R"({"dtype":"F32","shape":[0],"data_offsets":[8,4]})"),
            p() + ": tensor 'conv1.weight': data_offsets [8, 4] begin after "
                  "they end.");
  EXPECT_EQ(entry(R"({"dtype":"F32","shape":[4611686018427387904,4],)"
                  R"("data_offsets":[0,0]})"),
            p() + ": tensor 'conv1.weight': shape [4611686018427387904, 4] of "
                  "F32 has too many elements to be held in memory.");
  EXPECT_THAT(entry(R"({"dtype":"F32","shape":[1099511627776],)"
                    R"("data_offsets":[0,4398046511104]})"),
              HasSubstr("end past the data buffer of 600 bytes."));
  EXPECT_EQ(entry(R"({"dtype":"BOOL","shape":[1],"data_offsets":[0,1]})"),
            p() + ": tensor 'conv1.weight': dtype 'BOOL' is not supported "
                  "(F32, F64, F16, BF16, I32, I64, U8 and I8 are).");
  EXPECT_THAT(entry(R"({"shape":[1],"data_offsets":[0,4]})"),
              HasSubstr("its entry has no string 'dtype'."));
  EXPECT_THAT(entry(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"),
              HasSubstr("'shape' must hold non-negative integers, it is "
                        "[-1]."));
  EXPECT_THAT(entry(R"({"dtype":"F32","shape":[1.0],"data_offsets":[0,4]})"),
              HasSubstr("'shape' must hold non-negative integers"));
  EXPECT_THAT(entry(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})"),
              HasSubstr("its entry has no 'data_offsets' pair"));
  EXPECT_THAT(entry(R"({"dtype":"F32","shape":2,"data_offsets":[0,4]})"),
              HasSubstr("its entry has no 'shape' array."));
  EXPECT_EQ(entry("[1, 2]"), p() + ": tensor 'conv1.weight': its entry is an "
                                   "array, not an object with dtype, shape and "
                                   "data_offsets.");
  EXPECT_EQ(
      readError(R"({"l":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})",
                bytesOf<int64_t>({-(int64_t(1) << 40)})),
      p() + ": tensor 'l': element 0 is -1099511627776, outside the i32 "
            "range the runtime holds integers in.");
}

TEST_F(SafetensorsTest, ReportsBadHeaders) {
  EXPECT_EQ(readError("{\"a\":", ""),
            p() + ": the header is not valid JSON: parse error at line 1, "
                  "column 6: syntax error while parsing value - unexpected end "
                  "of input; expected '[', '{', or a literal.");
  EXPECT_EQ(readError("[1,2]", ""),
            p() + ": the header is a JSON array, not an object mapping tensor "
                  "names to their entries.");
  EXPECT_EQ(
      readError(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                R"("a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})",
                ""),
      p() + ": the tensor name 'a' appears twice in the header.");
  EXPECT_THAT(readError(R"({"a":{"dtype":"F32","dtype":"F32"}})", ""),
              HasSubstr("the key 'dtype' appears twice in one object."));
  EXPECT_EQ(readError(R"({"__metadata__":{"epoch":3}})", ""),
            p() + ": \"__metadata__\" must map strings to strings; the value "
                  "of 'epoch' is a number.");
  EXPECT_THAT(readError(R"({"__metadata__":"x"})", ""),
              HasSubstr("\"__metadata__\" is a JSON string"));
  // Text from the file is quoted with control bytes escaped, and cut.
  EXPECT_EQ(readError(R"({"a\u0001b":{},"a\u0001b":{}})", ""),
            p() + ": the tensor name 'a\\x01b' appears twice in the header.");
  EXPECT_EQ(readError(R"({"w":{"dtype":")" + std::string(100, 'Q') +
                          R"(","shape":[],"data_offsets":[0,0]}})",
                      ""),
            p() + ": tensor 'w': dtype '" + std::string(80, 'Q') +
                "...' is not supported (F32, F64, F16, BF16, I32, I64, U8 "
                "and I8 are).");
  // Deep nesting is refused without exhausting the stack.
  std::string deep(200000, '[');
  EXPECT_THAT(readError(deep + std::string(200000, ']'), ""),
              HasSubstr("the header is a JSON array"));
}

TEST_F(SafetensorsTest, ReportsTruncatedFiles) {
  writeBytes(p(), "abc");
  Result<Checkpoint> r = readSafetensors(p());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            p() + ": truncated: the file holds 3 bytes, less than the 8-byte "
                  "header length of a safetensors file.");
  // A header length of about 10^19: no allocation, a sentence.
  writeBytes(p(), std::string(8, '\x88') + "{}");
  r = readSafetensors(p());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            p() + ": truncated or not a safetensors file: its first 8 bytes "
                  "announce a header of 9838263505978427528 bytes, the file "
                  "holds 2 after them.");
  std::string whole =
      safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                  std::string(8, '\0'));
  writeBytes(p(), whole.substr(0, whole.size() - 3));
  r = readSafetensors(p());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            p() + ": tensor 'a': data_offsets [0, 8] end past the data buffer "
                  "of 5 bytes.");
  writeBytes(p(), whole.substr(0, 20));
  r = readSafetensors(p());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("truncated or not a safetensors"));
  // A header longer than the format's 100 MB limit, in a file that holds it
  // (sparse, so the test stays cheap).
  std::string big = le64(100'000'001) + "{";
  writeBytes(p(), big);
  std::filesystem::resize_file(p(), 8 + 100'000'001);
  r = readSafetensors(p());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, p() + ": the header is 100000001 bytes, more "
                                     "than the 100000000 the safetensors "
                                     "format allows.");
  r = readSafetensors(path("missing.safetensors"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            path("missing.safetensors") + ": cannot read it: no such file.");
}

TEST_F(SafetensorsTest, WriteRefusesWhatCannotBeRead) {
  Checkpoint c = sample();
  c.tensors.push_back(c.tensors[0]);
  Status s = writeSafetensors(p(), c);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, p() + ": cannot write the checkpoint: two "
                                     "tensors are named 'conv1.weight'.");
  c = sample();
  c.tensors[1].name = "__metadata__";
  EXPECT_FALSE(writeSafetensors(p(), c));
  c.tensors[1].name = "bad\xff";
  EXPECT_FALSE(writeSafetensors(p(), c));
  c = sample();
  c.metadata["k"] = "\xc0\xaf"; // overlong UTF-8
  s = writeSafetensors(p(), c);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("'k' is not valid UTF-8"));
  c = sample();
  c.tensors[0].tensor.shape = {7};
  s = writeSafetensors(p(), c);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            p() + ": cannot write the checkpoint: tensor 'conv1.weight': its "
                  "shape [7] has 7 elements but it holds 6 f32 values.");
  EXPECT_FALSE(std::filesystem::exists(p()));
}

} // namespace
