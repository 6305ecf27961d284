//===- Safetensors.cpp - checkpoints in the safetensors format ------------===//
//
// The header is parsed twice with nlohmann-json's non-throwing interfaces:
// a SAX pass that only checks it (syntax with a position, duplicate keys,
// which the DOM would silently merge), then a DOM parse that is then walked
// with checked accessors. Nothing here throws.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Safetensors.h"

#include "runtime/io/ElementDecoding.h"

#include "runtime/io/IOSupport.h"
#include "runtime/support/AtomicFile.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

using namespace cnnc::rt::io_detail;
using nlohmann::json;

namespace cnnc::rt {
namespace {

/// The reference implementation refuses headers above this size.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

/// Checks the header's JSON syntax and that no object repeats a key.
class HeaderChecker final : public nlohmann::json_sax<json> {
public:
  std::string error;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t &) override { return true; }
  bool string(string_t &) override { return true; }
  bool binary(binary_t &) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return true;
  }
  bool key(string_t &key) override {
    if (keys_.empty() || keys_.back().insert(key).second)
      return true;
    error = keys_.size() == 1 ? "the tensor name '" + printable(key) +
                                    "' appears twice in the header"
                              : "the key '" + printable(key) +
                                    "' appears twice in one object";
    return false;
  }
  bool end_object() override {
    if (!keys_.empty())
      keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &ex) override {
    // "[json.exception.parse_error.101] parse error at line 1, column 9:
    // syntax error ..." without the bracketed id.
    std::string what = ex.what();
    size_t close = what.find("] ");
    if (what.rfind("[json.exception", 0) == 0 && close != std::string::npos)
      what.erase(0, close + 2);
    error = "the header is not valid JSON: " + printable(what, 400);
    return false;
  }

private:
  std::vector<std::set<std::string>> keys_;
};

struct DTypeInfo {
  const char *name = "F32";
  StoredElement type = StoredElement::F32;
  unsigned size = 4;
};

constexpr DTypeInfo kDTypes[] = {
    {"F32", StoredElement::F32, 4}, {"F64", StoredElement::F64, 8},
    {"F16", StoredElement::F16, 2}, {"BF16", StoredElement::BF16, 2},
    {"I32", StoredElement::I32, 4}, {"I64", StoredElement::I64, 8},
    {"U8", StoredElement::U8, 1},   {"I8", StoredElement::I8, 1}};

/// One header entry after its checks.
struct Entry {
  std::string name;
  DTypeInfo dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

/// "an array", "a number": a JSON value's type for a sentence.
std::string typeWithArticle(const json &value) {
  std::string name = value.type_name();
  bool vowel =
      !name.empty() && std::string("aeiou").find(name[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + name;
}

std::string offsetsText(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// Checks one tensor's entry against the buffer; the error is the part of the
/// sentence after "<path>: tensor '<name>': ".
Result<Entry> checkEntry(const std::string &name, const json &value,
                         uint64_t bufferBytes) {
  if (!value.is_object())
    return Error{"its entry is " + typeWithArticle(value) +
                 ", not an object with dtype, shape and data_offsets"};
  Entry e;
  e.name = name;

  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string())
    return Error{"its entry has no string 'dtype'"};
  const std::string &dtypeName = *dtype->get_ptr<const std::string *>();
  const DTypeInfo *info = nullptr;
  for (const DTypeInfo &candidate : kDTypes)
    if (dtypeName == candidate.name)
      info = &candidate;
  if (!info)
    return Error{"dtype '" + printable(dtypeName) +
                 "' is not supported (F32, F64, F16, BF16, I32, I64, U8 and "
                 "I8 are)"};
  e.dtype = *info;

  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array())
    return Error{"its entry has no 'shape' array"};
  for (const json &d : *shape) {
    if (!d.is_number_unsigned() ||
        *d.get_ptr<const json::number_unsigned_t *>() >
            static_cast<uint64_t>(INT64_MAX))
      return Error{"'shape' must hold non-negative integers, it is " +
                   shape->dump(-1, ' ', false, json::error_handler_t::replace)};
    e.shape.push_back(
        static_cast<int64_t>(*d.get_ptr<const json::number_unsigned_t *>()));
  }

  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    return Error{"its entry has no 'data_offsets' pair of non-negative "
                 "integers"};
  e.begin = *(*offsets)[0].get_ptr<const json::number_unsigned_t *>();
  e.end = *(*offsets)[1].get_ptr<const json::number_unsigned_t *>();
  std::string range = "data_offsets " + offsetsText(e.begin, e.end);
  if (e.begin > e.end)
    return Error{range + " begin after they end"};
  if (e.end > bufferBytes)
    return Error{range + " end past the data buffer of " +
                 bytesText(bufferBytes)};

  std::optional<uint64_t> needed = shapeBytes(e.shape, info->size);
  std::string described = "shape " + formatShape(e.shape) + " of " + info->name;
  if (!needed)
    return Error{described + " has too many elements to be held in memory"};
  if (*needed != e.end - e.begin)
    return Error{described + " needs " + bytesText(*needed) + ", but " + range +
                 " span " + std::to_string(e.end - e.begin)};
  return e;
}

/// Converts the checked entry's bytes; the error is as for checkEntry.
Result<Tensor> convert(const Entry &e, const unsigned char *p) {
  return decodeElements(e.dtype.type, p,
                        static_cast<size_t>((e.end - e.begin) / e.dtype.size),
                        e.shape);
}

} // namespace

Result<Checkpoint> readSafetensors(const std::string &path) {
  Result<std::string> file = readFile(path);
  if (!file)
    return file.error();
  const std::string &bytes = *file;
  const auto *data = reinterpret_cast<const unsigned char *>(bytes.data());
  uint64_t size = bytes.size();

  if (size < 8)
    return Error{path + ": truncated: the file holds " + bytesText(size) +
                 ", less than the 8-byte header length of a safetensors "
                 "file."};
  uint64_t headerBytes = loadLittle<uint64_t>(data);
  if (headerBytes > size - 8)
    return Error{path +
                 ": truncated or not a safetensors file: its first 8 "
                 "bytes announce a header of " +
                 bytesText(headerBytes) + ", the file holds " +
                 std::to_string(size - 8) + " after them."};
  if (headerBytes > kMaxHeaderBytes)
    return Error{path + ": the header is " + bytesText(headerBytes) +
                 ", more than the " + std::to_string(kMaxHeaderBytes) +
                 " the safetensors format allows."};

  const char *headerBegin = bytes.data() + 8;
  const char *headerEnd = headerBegin + headerBytes;
  HeaderChecker checker;
  if (!json::sax_parse(headerBegin, headerEnd, &checker))
    return Error{path + ": " +
                 (checker.error.empty() ? "the header is not valid JSON"
                                        : checker.error) +
                 "."};
  json header = json::parse(headerBegin, headerEnd, nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded())
    return Error{path + ": the header is not valid JSON."};
  if (!header.is_object())
    return Error{path + ": the header is a JSON " + header.type_name() +
                 ", not an object mapping tensor names to their entries."};

  uint64_t bufferBytes = size - 8 - headerBytes;
  Checkpoint checkpoint;
  std::vector<Entry> entries;
  for (const auto &item : header.items()) {
    const std::string &name = item.key();
    const json &value = item.value();
    if (name == "__metadata__") {
      if (!value.is_object())
        return Error{path + ": \"__metadata__\" is a JSON " +
                     value.type_name() + ", not an object of strings."};
      for (const auto &meta : value.items()) {
        if (!meta.value().is_string())
          return Error{path +
                       ": \"__metadata__\" must map strings to "
                       "strings; the value of '" +
                       printable(meta.key()) + "' is " +
                       typeWithArticle(meta.value()) + "."};
        checkpoint.metadata[meta.key()] =
            *meta.value().get_ptr<const std::string *>();
      }
      continue;
    }
    Result<Entry> entry = checkEntry(name, value, bufferBytes);
    if (!entry)
      return Error{path + ": tensor '" + printable(name) +
                   "': " + entry.error().message + "."};
    entries.push_back(std::move(*entry));
  }

  std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
    if (a.begin != b.begin)
      return a.begin < b.begin;
    if (a.end != b.end)
      return a.end < b.end;
    return a.name < b.name;
  });
  // Empty tensors occupy no bytes and overlap nothing.
  const Entry *furthest = nullptr;
  for (const Entry &e : entries) {
    if (e.begin == e.end)
      continue;
    if (furthest && e.begin < furthest->end)
      return Error{
          path + ": the data of tensors '" + printable(furthest->name) + "' " +
          offsetsText(furthest->begin, furthest->end) + " and '" +
          printable(e.name) + "' " + offsetsText(e.begin, e.end) + " overlap."};
    if (!furthest || e.end > furthest->end)
      furthest = &e;
  }

  const unsigned char *buffer = data + 8 + headerBytes;
  for (const Entry &e : entries) {
    Result<Tensor> t = convert(e, buffer + e.begin);
    if (!t)
      return Error{path + ": tensor '" + printable(e.name) +
                   "': " + t.error().message + "."};
    checkpoint.tensors.push_back({e.name, std::move(*t)});
  }
  return checkpoint;
}

Status writeSafetensors(const std::string &path, const Checkpoint &checkpoint) {
  auto refuse = [&](const std::string &why) -> Status {
    return Error{path + ": cannot write the checkpoint: " + why + "."};
  };
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!checkpoint.metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto &[key, value] : checkpoint.metadata) {
      if (!isValidUtf8(key) || !isValidUtf8(value))
        return refuse("the metadata entry '" + printable(key) +
                      "' is not valid UTF-8");
      meta[key] = value;
    }
    header["__metadata__"] = std::move(meta);
  }

  std::set<std::string_view> names;
  uint64_t offset = 0;
  for (const NamedTensor &named : checkpoint.tensors) {
    const std::string &name = named.name;
    if (name.empty() || name == "__metadata__" || !isValidUtf8(name))
      return refuse("'" + printable(name) +
                    "' is not a tensor name (empty, \"__metadata__\" or not "
                    "UTF-8)");
    if (!names.insert(name).second)
      return refuse("two tensors are named '" + printable(name) + "'");
    if (std::optional<std::string> problem = tensorProblem(named.tensor))
      return refuse("tensor '" + printable(name) + "': " + *problem);
    uint64_t bytes = uint64_t(named.tensor.numElements()) * 4;
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    entry["dtype"] = named.tensor.dtype == DType::F32 ? "F32" : "I32";
    entry["shape"] = named.tensor.shape;
    entry["data_offsets"] =
        nlohmann::ordered_json::array({offset, offset + bytes});
    header[name] = std::move(entry);
    offset += bytes;
  }

  std::string text = header.dump(
      -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  // Padded with spaces so the data starts 8-byte aligned, as the reference
  // writer does.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + text.size() + offset);
  uint64_t length = text.size();
  out.append(reinterpret_cast<const char *>(&length), 8);
  out += text;
  for (const NamedTensor &named : checkpoint.tensors) {
    const Tensor &t = named.tensor;
    if (t.dtype == DType::F32)
      out.append(reinterpret_cast<const char *>(t.f32.data()),
                 t.f32.size() * 4);
    else
      out.append(reinterpret_cast<const char *>(t.i32.data()),
                 t.i32.size() * 4);
  }
  return writeFileAtomically(path, out);
}

const NamedTensor *find(const Checkpoint &checkpoint, std::string_view name) {
  for (const NamedTensor &named : checkpoint.tensors)
    if (named.name == name)
      return &named;
  return nullptr;
}

} // namespace cnnc::rt
