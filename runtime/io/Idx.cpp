//===- Idx.cpp - MNIST-style IDX files ------------------------------------===//
//
// A gzipped file is inflated in two steps: first just its header, to learn
// how many bytes the data set announces, then up to that many bytes plus one
// (to notice trailing data). The buffer grows only as decompressed bytes
// arrive, so a header that lies about its size cannot make us allocate.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Idx.h"

#include "runtime/io/IOSupport.h"
#include "runtime/support/AtomicFile.h"

#include <algorithm>
#include <climits>
#include <string_view>

#define ZLIB_CONST
#include <zlib.h>

using namespace cnnc::rt::io_detail;

namespace cnnc::rt {
namespace {

/// No IDX data set comes near this once decompressed (MNIST's training
/// images are 47 MB); a gzipped file announcing more is refused.
constexpr uint64_t kMaxInflatedBytes = uint64_t(4) << 30;

enum class IdxKind { Images, Labels };

struct Inflated {
  std::string bytes;
  /// Why inflating stopped: the last member ended, `limit` bytes came out,
  /// or the input ended inside a member.
  enum End { Complete, AtLimit, CutOff } end = Complete;
};

/// Inflates the gzip members in `in`, stopping once `limit` bytes are out.
Result<Inflated> gunzip(const std::string &path, std::string_view in,
                        uint64_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return Error{path + ": cannot start the gzip decoder (out of memory?)."};
  Inflated out;
  size_t produced = 0, fed = 0;
  for (;;) {
    if (zs.avail_in == 0 && fed < in.size()) {
      size_t chunk = std::min<size_t>(in.size() - fed, UINT_MAX);
      zs.next_in = reinterpret_cast<const Bytef *>(in.data() + fed);
      zs.avail_in = static_cast<uInt>(chunk);
      fed += chunk;
    }
    if (produced == limit) {
      out.end = Inflated::AtLimit;
      break;
    }
    if (out.bytes.size() == produced)
      out.bytes.resize(static_cast<size_t>(std::min<uint64_t>(
          limit, std::max<uint64_t>(2 * out.bytes.size(), 1 << 16))));
    zs.next_out = reinterpret_cast<Bytef *>(&out.bytes[produced]);
    zs.avail_out = static_cast<uInt>(
        std::min<size_t>(out.bytes.size() - produced, UINT_MAX));
    uInt before = zs.avail_out;
    int ret = inflate(&zs, Z_NO_FLUSH);
    produced += before - zs.avail_out;
    size_t consumed = fed - zs.avail_in;
    if (ret == Z_STREAM_END) {
      if (consumed == in.size())
        break;
      // Concatenated gzip members form one file, as gunzip treats them.
      if (in.size() - consumed >= 2 &&
          static_cast<unsigned char>(in[consumed]) == 0x1f &&
          static_cast<unsigned char>(in[consumed + 1]) == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      inflateEnd(&zs);
      return Error{path + ": " + bytesText(in.size() - consumed) +
                   " of trailing data after the gzip stream (of " +
                   bytesText(in.size()) + ")."};
    }
    if (ret == Z_OK)
      continue;
    if (ret == Z_BUF_ERROR && consumed == in.size()) {
      out.end = Inflated::CutOff;
      break;
    }
    std::string why = zs.msg ? zs.msg : "zlib error " + std::to_string(ret);
    inflateEnd(&zs);
    return Error{path + ": the gzip data is corrupt after " +
                 bytesText(consumed) + " of " + bytesText(in.size()) + ": " +
                 why + "."};
  }
  inflateEnd(&zs);
  out.bytes.resize(produced);
  return out;
}

struct IdxHeader {
  uint32_t count = 0, rows = 0, cols = 0;
  uint64_t headerBytes = 0, totalBytes = 0;
  std::string announced; // "10000 images of 28x28 (7840016 bytes)"
};

const char *kindName(IdxKind kind) {
  return kind == IdxKind::Images ? "images" : "labels";
}

/// Checks the header at the start of `content` (which may be just the first
/// bytes of a gzipped file). `where` is "" or " after decompression".
Result<IdxHeader> parseHeader(const std::string &path, std::string_view content,
                              IdxKind kind, const char *where) {
  const auto *p = reinterpret_cast<const unsigned char *>(content.data());
  uint32_t dims = kind == IdxKind::Images ? 3 : 1;
  uint32_t magic = 0x800 + dims;
  auto hex = [](uint32_t v, int digits) {
    static const char d[] = "0123456789abcdef";
    std::string s = "0x";
    for (int i = digits - 1; i >= 0; --i)
      s += d[(v >> (4 * i)) & 15];
    return s;
  };
  if (content.size() < 4)
    return Error{path + ": truncated: the file holds " +
                 bytesText(content.size()) + where +
                 ", less than the 4-byte IDX magic number."};
  if (p[0] != 0 || p[1] != 0) {
    std::string first;
    for (int i = 0; i < 4; ++i)
      first += (i ? " " : "") + hex(p[i], 2).substr(2);
    return Error{path + ": not an IDX file: it starts with the bytes " + first +
                 where + ", an IDX file starts with 00 00."};
  }
  uint32_t found = loadBigEndian32(p);
  std::string expected = "an IDX " + std::string(kindName(kind)) +
                         " file has the magic number " + hex(magic, 8) + " (" +
                         std::to_string(dims) + " dimension" +
                         (dims == 1 ? "" : "s") + " of u8)";
  if (p[2] != 0x08)
    return Error{path + ": the IDX element type is " + hex(p[2], 2) +
                 " (magic number " + hex(found, 8) + "); " + expected +
                 ", the runtime reads u8 IDX files only."};
  if (found == 0x801 || found == 0x803) {
    if (found != magic)
      return Error{path + ": this is an IDX " +
                   (found == 0x801 ? "labels" : "images") +
                   " file (magic number " + hex(found, 8) + "), not " +
                   (kind == IdxKind::Images ? "an images" : "a labels") +
                   " file: " + expected + "."};
  } else {
    return Error{path + ": the IDX file has " + std::to_string(p[3]) +
                 " dimensions (magic number " + hex(found, 8) + "); " +
                 expected + "."};
  }

  IdxHeader h;
  h.headerBytes = 4 + 4 * uint64_t(dims);
  if (content.size() < h.headerBytes)
    return Error{path + ": truncated: the header of an IDX " + kindName(kind) +
                 " file needs " + bytesText(h.headerBytes) +
                 ", the file holds " + std::to_string(content.size()) + where +
                 "."};
  h.count = loadBigEndian32(p + 4);
  uint64_t payload = h.count;
  if (kind == IdxKind::Images) {
    h.rows = loadBigEndian32(p + 8);
    h.cols = loadBigEndian32(p + 12);
    std::optional<uint64_t> pixels =
        mulChecked(payload, uint64_t(h.rows) * h.cols);
    if (!pixels || *pixels > UINT64_MAX - h.headerBytes)
      return Error{path + ": the header announces " + std::to_string(h.count) +
                   " images of " + std::to_string(h.rows) + "x" +
                   std::to_string(h.cols) +
                   ", too many pixels to be held in memory."};
    payload = *pixels;
  }
  h.totalBytes = h.headerBytes + payload;
  h.announced = std::to_string(h.count) + " " + kindName(kind);
  if (kind == IdxKind::Images)
    h.announced +=
        " of " + std::to_string(h.rows) + "x" + std::to_string(h.cols);
  h.announced += " (" + bytesText(h.totalBytes) + " with the header)";
  return h;
}

Result<Tensor> readIdx(const std::string &path, IdxKind kind) {
  Result<std::string> file = readFile(path);
  if (!file)
    return file.error();
  std::string content = std::move(*file);
  bool gzipped = content.size() >= 2 &&
                 static_cast<unsigned char>(content[0]) == 0x1f &&
                 static_cast<unsigned char>(content[1]) == 0x8b;
  const char *where = gzipped ? " after decompression" : "";

  Inflated::End end = Inflated::Complete;
  std::optional<IdxHeader> header;
  if (gzipped) {
    // Just the header first: it says how much data to expect.
    uint64_t headerBytes = kind == IdxKind::Images ? 16 : 8;
    Result<Inflated> head = gunzip(path, content, headerBytes);
    if (!head)
      return head.error();
    Result<IdxHeader> h = parseHeader(path, head->bytes, kind, where);
    if (!h)
      return h.error();
    if (h->totalBytes > kMaxInflatedBytes)
      return Error{path + ": the header announces " + h->announced +
                   ", more than the " + bytesText(kMaxInflatedBytes) +
                   " the runtime decompresses."};
    // One byte more than announced tells trailing data apart.
    Result<Inflated> all = gunzip(path, content, h->totalBytes + 1);
    if (!all)
      return all.error();
    content = std::move(all->bytes);
    end = all->end;
    header = std::move(*h);
  } else {
    Result<IdxHeader> h = parseHeader(path, content, kind, where);
    if (!h)
      return h.error();
    header = std::move(*h);
  }

  const IdxHeader &h = *header;
  if (content.size() < h.totalBytes)
    return Error{
        path + ": truncated: the header announces " + h.announced +
        ", the file holds " + std::to_string(content.size()) + where +
        (end == Inflated::CutOff ? " (the gzip stream is cut off)" : "") + "."};
  if (content.size() > h.totalBytes) {
    if (gzipped)
      return Error{path + ": trailing data: the header announces " +
                   h.announced + ", the file holds more" + where + "."};
    return Error{path + ": " + bytesText(content.size() - h.totalBytes) +
                 " of trailing data: the header announces " + h.announced +
                 ", the file holds " + std::to_string(content.size()) + "."};
  }
  if (end == Inflated::CutOff)
    return Error{path + ": truncated: the gzip stream is cut off after the " +
                 h.announced + " it holds (its checksum is missing)."};

  // content.size() == totalBytes: every allocation is bounded by real bytes.
  const auto *data =
      reinterpret_cast<const unsigned char *>(content.data()) + h.headerBytes;
  size_t n = static_cast<size_t>(h.totalBytes - h.headerBytes);
  Tensor t;
  if (kind == IdxKind::Images) {
    t.shape = {h.count, 1, h.rows, h.cols};
    t.f32.resize(n);
    for (size_t i = 0; i < n; ++i)
      t.f32[i] = static_cast<float>(data[i]) / 255.0f;
  } else {
    t.dtype = DType::I32;
    t.shape = {h.count};
    t.i32.assign(data, data + n);
  }
  return t;
}

} // namespace

Result<Tensor> readIdxImages(const std::string &path) {
  return readIdx(path, IdxKind::Images);
}

Result<Tensor> readIdxLabels(const std::string &path) {
  return readIdx(path, IdxKind::Labels);
}

} // namespace cnnc::rt
