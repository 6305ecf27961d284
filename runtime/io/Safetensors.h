//===- Safetensors.h - checkpoints in the safetensors format ----*- C++ -*-===//
//
// The format of Hugging Face's safetensors: an 8-byte little-endian header
// length N, N bytes of JSON mapping each tensor's name to its dtype, shape
// and [begin, end) byte range in the buffer that follows, and an optional
// "__metadata__" map of strings. Every size and offset is checked.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_IO_SAFETENSORS_H
#define CNNC_RUNTIME_IO_SAFETENSORS_H

#include "runtime/support/Result.h"
#include "runtime/support/Tensor.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cnnc::rt {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

/// The tensors of a safetensors file in the order of their data in the
/// file, and its "__metadata__".
struct Checkpoint {
  std::vector<NamedTensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// Reads a safetensors file. F32, F64, F16 and BF16 tensors become F32 (F64
/// rounded); I32, I64, U8 and I8 become I32 (I64 values outside the i32
/// range are an error). Gaps between tensors' data are accepted; overlapping
/// ranges, duplicate names and sizes that disagree with shapes are not.
Result<Checkpoint> readSafetensors(const std::string &path);

/// Writes `checkpoint` (F32 and I32 tensors, stored as "F32" and "I32") in
/// its order, with a compact JSON header padded with spaces to a multiple of
/// 8 bytes, atomically.
Status writeSafetensors(const std::string &path, const Checkpoint &checkpoint);

/// The tensor called `name`, or null.
const NamedTensor *find(const Checkpoint &checkpoint, std::string_view name);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_IO_SAFETENSORS_H
