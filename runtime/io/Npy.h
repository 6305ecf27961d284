//===- Npy.h - NumPy .npy arrays --------------------------------*- C++ -*-===//
//
// The format np.save writes: a magic string, a version, a Python dict literal
// describing dtype, order and shape, then the raw little-endian elements.
// Reads versions 1.0, 2.0 and 3.0; writes 1.0.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_IO_NPY_H
#define CNNC_RUNTIME_IO_NPY_H

#include "runtime/support/Result.h"
#include "runtime/support/Tensor.h"

#include <string>

namespace cnnc::rt {

/// Reads a C-ordered little-endian array. '<f4' and '<f8' become F32 (f8
/// values are rounded to f32); '|u1', '|i1', '<i2', '<u2', '<i4' and '<i8'
/// become I32 (i8 values outside the i32 range are an error). Fortran order,
/// big-endian and structured dtypes are reported as unsupported.
Result<Tensor> readNpy(const std::string &path);

/// Writes `tensor` as '<f4' (F32) or '<i4' (I32), version 1.0 with the
/// header padded to a multiple of 64 bytes, atomically.
Status writeNpy(const std::string &path, const Tensor &tensor);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_IO_NPY_H
