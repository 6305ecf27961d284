//===- ElementDecoding.h - little-endian arrays into runtime tensors ------===//
//
// npy and safetensors both store a flat little-endian array of one element
// type; both readers turn it into a Tensor the same way: floating types into
// F32, integer types into I32 (range-checked). Internal to runtime/io.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_IO_ELEMENTDECODING_H
#define CNNC_RUNTIME_IO_ELEMENTDECODING_H

#include "runtime/support/Result.h"
#include "runtime/support/Tensor.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cnnc::rt {

enum class StoredElement { F16, BF16, F32, F64, U8, I8, I16, U16, I32, I64 };

/// Decodes `count` elements at `bytes` into a tensor of `shape`. The caller
/// has checked that the bytes are there. Fails on a 64-bit integer outside
/// the i32 range: "element 3 is 4294967296, outside the i32 range the
/// runtime holds integers in".
Result<Tensor> decodeElements(StoredElement type, const unsigned char *bytes,
                              size_t count, std::vector<int64_t> shape);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_IO_ELEMENTDECODING_H
