//===- Npy.cpp - NumPy .npy arrays ----------------------------------------===//
//
// The header is a Python dict literal ("{'descr': '<f4', 'fortran_order':
// False, 'shape': (10, 3), }"); it is parsed as one, with a small recursive
// parser of the literal subset NumPy writes, rather than by searching for
// substrings, so that spacing, quoting and key order do not matter.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Npy.h"

#include "runtime/io/ElementDecoding.h"

#include "runtime/io/IOSupport.h"
#include "runtime/support/AtomicFile.h"

#include <cstring>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>

using namespace cnnc::rt::io_detail;

namespace cnnc::rt {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

//===----------------------------------------------------------------------===//
// The header's Python literal
//===----------------------------------------------------------------------===//

struct PyValue {
  enum Kind { Str, Int, Bool, None, Sequence, Dict } kind = None;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<PyValue> items;                           // Sequence
  std::vector<std::pair<std::string, PyValue>> entries; // Dict
};

class LiteralParser {
public:
  explicit LiteralParser(std::string_view text) : text_(text) {}

  /// Parses the whole text as one value; on failure `error()` says why.
  bool parse(PyValue &out) {
    if (!parseValue(out, 0))
      return false;
    skipSpace();
    if (pos_ != text_.size())
      return fail("unexpected " + describeHere() + " after the dict");
    return true;
  }
  const std::string &error() const { return error_; }

private:
  static constexpr int kMaxDepth = 16;

  bool fail(std::string what) {
    error_ = std::move(what) + " at offset " + std::to_string(pos_) +
             " of the header";
    return false;
  }
  std::string describeHere() const {
    if (pos_ >= text_.size())
      return "end of header";
    unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x20 && c < 0x7f)
      return std::string("'") + static_cast<char>(c) + "'";
    return "byte " + std::to_string(c);
  }
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool parseValue(PyValue &out, int depth) {
    if (depth > kMaxDepth)
      return fail("values nested more than " + std::to_string(kMaxDepth) +
                  " deep");
    skipSpace();
    if (pos_ >= text_.size())
      return fail("the header ends where a value should start");
    char c = text_[pos_];
    if (c == '{')
      return parseDict(out, depth);
    if (c == '(' || c == '[')
      return parseSequence(out, depth, c == '(' ? ')' : ']');
    if (c == '\'' || c == '"') {
      out.kind = PyValue::Str;
      return parseString(out.str);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseInteger(out);
    for (auto [word, kind, value] :
         {std::tuple{std::string_view("True"), PyValue::Bool, true},
          std::tuple{std::string_view("False"), PyValue::Bool, false},
          std::tuple{std::string_view("None"), PyValue::None, false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        out.kind = kind;
        out.boolean = value;
        return true;
      }
    }
    return fail("unexpected " + describeHere());
  }

  bool parseString(std::string &out) {
    char quote = text_[pos_++];
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size())
        ++pos_;
      out += text_[pos_++];
    }
    if (pos_ >= text_.size())
      return fail("unterminated string");
    ++pos_;
    return true;
  }

  bool parseInteger(PyValue &out) {
    bool negative = text_[pos_] == '-';
    if (negative)
      ++pos_;
    size_t start = pos_;
    uint64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      std::optional<uint64_t> times10 = mulChecked(value, 10);
      uint64_t digit = static_cast<uint64_t>(text_[pos_] - '0');
      if (!times10 || *times10 > static_cast<uint64_t>(INT64_MAX) - digit)
        return fail("an integer too large for 64 bits");
      value = *times10 + digit;
      ++pos_;
    }
    if (pos_ == start)
      return fail("a '-' without digits");
    // Python 2's long suffix, as in "(10L, 3L)".
    if (pos_ < text_.size() && (text_[pos_] == 'L' || text_[pos_] == 'l'))
      ++pos_;
    out.kind = PyValue::Int;
    out.integer =
        negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
    return true;
  }

  bool parseSequence(PyValue &out, int depth, char close) {
    ++pos_;
    out.kind = PyValue::Sequence;
    while (!consume(close)) {
      PyValue item;
      if (!parseValue(item, depth + 1))
        return false;
      out.items.push_back(std::move(item));
      if (consume(','))
        continue;
      if (consume(close))
        return true;
      return fail(std::string("expected ',' or '") + close + "' but found " +
                  describeHere());
    }
    return true;
  }

  bool parseDict(PyValue &out, int depth) {
    ++pos_;
    out.kind = PyValue::Dict;
    while (!consume('}')) {
      skipSpace();
      if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
        return fail("expected a quoted key but found " + describeHere());
      std::string key;
      if (!parseString(key))
        return false;
      if (!consume(':'))
        return fail("expected ':' after the key '" + printable(key) +
                    "' but found " + describeHere());
      PyValue value;
      if (!parseValue(value, depth + 1))
        return false;
      for (const auto &entry : out.entries)
        if (entry.first == key)
          return fail("the key '" + printable(key) + "' appears twice");
      out.entries.emplace_back(std::move(key), std::move(value));
      if (consume(','))
        continue;
      if (consume('}'))
        return true;
      return fail("expected ',' or '}' but found " + describeHere());
    }
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

const PyValue *lookup(const PyValue &dict, std::string_view key) {
  for (const auto &entry : dict.entries)
    if (entry.first == key)
      return &entry.second;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

struct ElementType {
  StoredElement element;
  unsigned size;
};

constexpr const char *kSupported =
    "'<f4', '<f8', '|u1', '|i1', '<i2', '<u2', '<i4' and '<i8'";

/// The element type for a descr, or a phrase saying why it is not supported.
std::variant<ElementType, std::string> elementType(const std::string &raw) {
  std::string descr = printable(raw);
  if (raw.size() < 3)
    return "the dtype '" + descr + "' is not one the runtime reads (" +
           kSupported + ")";
  char order = raw[0];
  std::string_view code = std::string_view(raw).substr(1);
  static const std::pair<std::string_view, ElementType> table[] = {
      {"f4", {StoredElement::F32, 4}}, {"f8", {StoredElement::F64, 8}},
      {"u1", {StoredElement::U8, 1}},  {"i1", {StoredElement::I8, 1}},
      {"i2", {StoredElement::I16, 2}}, {"u2", {StoredElement::U16, 2}},
      {"i4", {StoredElement::I32, 4}}, {"i8", {StoredElement::I64, 8}}};
  for (const auto &[name, type] : table) {
    if (code != name)
      continue;
    // Byte order means nothing for one-byte types; NumPy writes '|'.
    if (type.size == 1 &&
        (order == '|' || order == '<' || order == '>' || order == '='))
      return type;
    if (order == '<')
      return type;
    if (order == '>')
      return "the dtype '" + descr +
             "' is big-endian; the runtime reads little-endian arrays only "
             "(save it with arr.astype(arr.dtype.newbyteorder('<')))";
    break;
  }
  return "the dtype '" + descr + "' is not one the runtime reads (" +
         kSupported + ")";
}

struct Header {
  ElementType type;
  std::string descr;
  std::vector<int64_t> shape;
};

/// Interprets the parsed dict; on failure returns the end of a sentence.
std::variant<Header, std::string> interpretHeader(const PyValue &dict) {
  if (dict.kind != PyValue::Dict)
    return std::string("the header is not a dict");
  const PyValue *descr = lookup(dict, "descr");
  const PyValue *fortran = lookup(dict, "fortran_order");
  const PyValue *shape = lookup(dict, "shape");
  for (auto [value, key] :
       {std::pair{descr, "descr"}, std::pair{fortran, "fortran_order"},
        std::pair{shape, "shape"}})
    if (!value)
      return std::string("the header has no '") + key + "' key";

  Header header;
  if (descr->kind != PyValue::Str)
    return std::string("the dtype is structured (a list of fields); the "
                       "runtime reads plain numeric arrays only");
  header.descr = printable(descr->str);
  auto type = elementType(descr->str);
  if (auto *why = std::get_if<std::string>(&type))
    return *why;
  header.type = std::get<ElementType>(type);

  if (shape->kind != PyValue::Sequence)
    return std::string("'shape' is not a tuple of integers");
  for (const PyValue &d : shape->items) {
    if (d.kind != PyValue::Int || d.integer < 0)
      return std::string("'shape' is not a tuple of non-negative integers");
    header.shape.push_back(d.integer);
  }

  if (fortran->kind != PyValue::Bool)
    return std::string("'fortran_order' is not True or False");
  // One-dimensional arrays are laid out the same in either order.
  if (fortran->boolean && header.shape.size() > 1)
    return "the array of shape " + formatShape(header.shape) +
           " is stored in Fortran order; the runtime reads C order only "
           "(save np.ascontiguousarray(arr))";
  return header;
}

} // namespace

Result<Tensor> readNpy(const std::string &path) {
  Result<std::string> file = readFile(path);
  if (!file)
    return file.error();
  const std::string &bytes = *file;
  const auto *data = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t size = bytes.size();

  if (size < kMagicSize || std::memcmp(data, kMagic, kMagicSize) != 0) {
    if (size < kMagicSize && std::memcmp(data, kMagic, size) == 0)
      return Error{path + ": truncated: the file holds " + bytesText(size) +
                   ", less than the 6-byte .npy magic string."};
    return Error{path + ": not a .npy file: it does not start with the "
                        "magic string \\x93NUMPY."};
  }
  if (size < 8)
    return Error{path + ": truncated: the file ends before its version (" +
                 bytesText(size) + ")."};
  unsigned major = data[6], minor = data[7];
  size_t lengthBytes;
  if (major == 1 && minor == 0)
    lengthBytes = 2;
  else if ((major == 2 || major == 3) && minor == 0)
    lengthBytes = 4;
  else
    return Error{path + ": .npy format version " + std::to_string(major) + "." +
                 std::to_string(minor) +
                 " is not supported (1.0, 2.0 and 3.0 are)."};
  size_t preamble = 8 + lengthBytes;
  if (size < preamble)
    return Error{path +
                 ": truncated: the file ends inside the header length "
                 "(" +
                 bytesText(size) + ", the preamble needs " +
                 std::to_string(preamble) + ")."};
  uint64_t headerLength = lengthBytes == 2 ? loadLittle<uint16_t>(data + 8)
                                           : loadLittle<uint32_t>(data + 8);
  if (headerLength > size - preamble)
    return Error{path + ": truncated: the header length is " +
                 bytesText(headerLength) + ", the file holds " +
                 bytesText(size - preamble) + " after the preamble."};

  std::string_view headerText(bytes.data() + preamble, headerLength);
  PyValue dict;
  LiteralParser parser(headerText);
  if (!parser.parse(dict))
    return Error{path + ": the header is not a valid Python dict literal: " +
                 parser.error() + "."};
  auto interpreted = interpretHeader(dict);
  if (auto *why = std::get_if<std::string>(&interpreted))
    return Error{path + ": " + *why + "."};
  Header &header = std::get<Header>(interpreted);

  std::optional<uint64_t> dataBytes =
      shapeBytes(header.shape, header.type.size);
  if (!dataBytes)
    return Error{path + ": the shape " + formatShape(header.shape) +
                 " has too many elements to be held in memory."};
  uint64_t held = size - preamble - headerLength;
  std::string announced = "the header announces shape " +
                          formatShape(header.shape) + " of '" + header.descr +
                          "' (" + bytesText(*dataBytes) + " of data)";
  if (held < *dataBytes)
    return Error{path + ": truncated: " + announced + ", the file holds " +
                 std::to_string(held) + "."};
  if (held > *dataBytes)
    return Error{path + ": " + bytesText(held - *dataBytes) +
                 " of trailing data: " + announced + ", the file holds " +
                 std::to_string(held) + "."};

  // The size check above bounds every allocation below by the file length.
  const unsigned char *p = data + preamble + headerLength;
  Result<Tensor> t = decodeElements(
      header.type.element, p,
      static_cast<size_t>(*dataBytes / header.type.size), header.shape);
  if (!t)
    return Error{path + ": " + t.error().message + "."};
  return t;
}

Status writeNpy(const std::string &path, const Tensor &tensor) {
  if (std::optional<std::string> problem = tensorProblem(tensor))
    return Error{path + ": cannot write the tensor: " + *problem + "."};

  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(tensor.shape[i]);
  shape += tensor.shape.size() == 1 ? ",)" : ")";
  std::string header = std::string("{'descr': '") +
                       (tensor.dtype == DType::F32 ? "<f4" : "<i4") +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces and end with '\n' so the data starts at a multiple of
  // 64 bytes, as np.save does.
  size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > UINT16_MAX)
    return Error{path + ": cannot write the tensor: its shape " +
                 formatShape(tensor.shape) +
                 " makes a header longer than a version 1.0 file holds."};

  std::string bytes(kMagic, kMagicSize);
  bytes += '\x01';
  bytes += '\x00';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  if (tensor.dtype == DType::F32)
    bytes.append(reinterpret_cast<const char *>(tensor.f32.data()),
                 tensor.f32.size() * sizeof(float));
  else
    bytes.append(reinterpret_cast<const char *>(tensor.i32.data()),
                 tensor.i32.size() * sizeof(int32_t));
  return writeFileAtomically(path, bytes);
}

} // namespace cnnc::rt
