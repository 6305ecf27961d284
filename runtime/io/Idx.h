//===- Idx.h - MNIST-style IDX files ----------------------------*- C++ -*-===//
//
// The format of MNIST and Fashion-MNIST: a big-endian magic number (two zero
// bytes, a type code, a dimension count), big-endian u32 dimensions, then
// the elements. Files may be gzipped as distributed (*.gz); that is detected
// from the content, not the name.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_IO_IDX_H
#define CNNC_RUNTIME_IO_IDX_H

#include "runtime/support/Result.h"
#include "runtime/support/Tensor.h"

#include <string>

namespace cnnc::rt {

/// Reads an IDX3 file of u8 images (magic 0x00000803) as an F32 tensor
/// [N, 1, H, W] with each byte scaled to [0, 1] (byte / 255).
Result<Tensor> readIdxImages(const std::string &path);

/// Reads an IDX1 file of u8 labels (magic 0x00000801) as an I32 tensor [N].
Result<Tensor> readIdxLabels(const std::string &path);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_IO_IDX_H
