//===- MemrefCopy.cpp - the strided copy lowered code calls ---------------===//
//
// `memref.copy` between buffers that are not both contiguous lowers to a
// call of `memrefCopy`, which MLIR's C runner utils define. Debian ships
// that library for the JIT, not for linking into a product, so each model
// carries this implementation of the same contract.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <cstring>

namespace {

/// MLIR's UnrankedMemRefType: the rank, then a pointer to a ranked
/// descriptor {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct UnrankedMemRef {
  int64_t rank;
  void *descriptor;
};

struct RankedView {
  char *data; // aligned + offset * elemSize
  const int64_t *sizes;
  const int64_t *strides;
};

RankedView view(const UnrankedMemRef &m, int64_t elemSize) {
  auto *words = static_cast<int64_t *>(m.descriptor);
  char *aligned = reinterpret_cast<char *>(words[1]);
  return {aligned + words[2] * elemSize, words + 3, words + 3 + m.rank};
}

void copyDim(int64_t dim, int64_t rank, int64_t elemSize, const char *src,
             const int64_t *srcStrides, char *dst, const int64_t *dstStrides,
             const int64_t *sizes) {
  if (dim == rank) {
    std::memcpy(dst, src, static_cast<size_t>(elemSize));
    return;
  }
  for (int64_t i = 0; i < sizes[dim]; ++i)
    copyDim(dim + 1, rank, elemSize, src + i * srcStrides[dim] * elemSize,
            srcStrides, dst + i * dstStrides[dim] * elemSize, dstStrides,
            sizes);
}

} // namespace

extern "C" __attribute__((visibility("hidden"))) void
memrefCopy(int64_t elemSize, UnrankedMemRef *src, UnrankedMemRef *dst) {
  RankedView s = view(*src, elemSize), d = view(*dst, elemSize);
  copyDim(0, src->rank, elemSize, s.data, s.strides, d.data, d.strides,
          s.sizes);
}
