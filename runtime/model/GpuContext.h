//===- GpuContext.h - the inside of a DeviceContext ------------*- C++ -*-===//
//
// What the files of the CUDA layer share: GpuRuntime.cpp (contexts,
// device memory, modules, graphs and the functions MLIR's host code calls),
// GpuStreams.cpp (pinned memory, fences and the upload stream) and
// GpuProfile.cpp (kernel times). The context's fields, and the helpers that
// lock it, record its errors and make it current. Internal to them:
// nothing else includes this.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_MODEL_GPUCONTEXT_H
#define CNNC_RUNTIME_MODEL_GPUCONTEXT_H

#include "runtime/model/CudaDriver.h"
#include "runtime/model/GpuRuntime.h"
#include "runtime/model/PtrMap.h"

#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace cnnc::gpu {
namespace internal {

constexpr size_t kErrorSize = 1024;

inline const CudaDriverApi &cu() { return cudaDriver(); }

inline CUdeviceptr devicePointer(const void *p) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(p));
}

inline void *hostView(CUdeviceptr p) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(p));
}

inline uint64_t keyOf(const void *p) { return reinterpret_cast<uintptr_t>(p); }

/// Grows `items` (plain data, from malloc) to hold at least `needed`.
template <typename T>
bool reserve(T *&items, int32_t &capacity, int32_t needed) {
  if (needed <= capacity)
    return true;
  int32_t grown = capacity < 8 ? 8 : capacity * 2;
  if (grown < needed)
    grown = needed;
  void *p = std::realloc(items, sizeof(T) * static_cast<size_t>(grown));
  if (!p)
    return false;
  items = static_cast<T *>(p);
  capacity = grown;
  return true;
}

struct KernelProfile; // GpuProfile.cpp

struct FunctionEntry {
  char *name; // a copy, from malloc
  CUfunction function;
};

struct ModuleEntry {
  const void *data; // the binary it was loaded from
  CUmodule module;
  FunctionEntry *functions;
  int32_t numFunctions;
  int32_t functionsCapacity;
};

/// Cached free blocks of one rounded size.
struct FreeList {
  size_t bytes;
  CUdeviceptr *blocks;
  int32_t count;
  int32_t capacity;
};

} // namespace internal

struct DeviceContext {
  int ordinal;
  CUdevice device;
  CUcontext context;
  CUstream stream;
  char name[256];
  char label[300]; // "cuda:0 (NVIDIA H100 80GB HBM3)"

  /// Recursive: errors are recorded with it held.
  pthread_mutex_t lock;

  internal::ModuleEntry *modules;
  int32_t numModules;
  int32_t modulesCapacity;
  PtrMap moduleByData;   // binary address -> index in modules
  PtrMap moduleByHandle; // CUmodule -> index in modules
  PtrMap kernelNames;    // CUfunction -> its name (for messages)

  internal::FreeList *freeLists;
  int32_t numFreeLists;
  int32_t freeListsCapacity;
  PtrMap freeListBySize; // rounded bytes -> index in freeLists
  PtrMap live;           // device address -> rounded bytes (| kManaged)

  /// Pinned host memory large uploads are copied through (null before the
  /// first, or when the driver gave none), its size, and the event after
  /// the last copy out of it, which the next waits for before refilling it.
  void *staging;
  size_t stagingBytes;
  CUevent stagingDone;
  bool stagingQueued;

  /// The caller's host memory pinned for the context (pinHostMemory): its
  /// address -> its bytes; and the stream uploadAside queues on, made at
  /// its first use.
  PtrMap pinned;
  CUstream uploadStream;

  /// Whether work may be recorded as graphs (canCapture), whether it is
  /// being recorded now, and how many times device memory was given back
  /// to the driver: a graph recorded before may hold such an address.
  bool graphs;
  bool capturing;
  uint64_t memoryReleases;

  /// Kernel times, when CNNC_CUDA_PROFILE names a file (GpuProfile.cpp).
  internal::KernelProfile *profile;
  /// CNNC_CUDA_SYNC=1: each launch is waited for, so that a kernel that
  /// fails is named (a fault is otherwise reported by the next wait).
  bool syncEachLaunch;

  bool hasError;
  char error[internal::kErrorSize];
  char taken[internal::kErrorSize]; // what takeError returned last
};

namespace internal {

/// The calling thread's context for the mgpu* functions (CurrentDevice).
extern thread_local DeviceContext *current;

class Guard {
public:
  explicit Guard(DeviceContext *c) : lock_(c->lock) {
    pthread_mutex_lock(&lock_);
  }
  ~Guard() { pthread_mutex_unlock(&lock_); }
  Guard(const Guard &) = delete;
  Guard &operator=(const Guard &) = delete;

private:
  pthread_mutex_t &lock_;
};

/// Records `format...` as the context's error unless one is recorded.
__attribute__((format(printf, 2, 3))) void record(DeviceContext *c,
                                                  const char *format, ...);

/// Whether an error is recorded in the context.
bool pending(DeviceContext *c);

/// Makes `c`'s CUDA context current on this thread for the public functions
/// below, unless a CurrentDevice already did.
class Activate {
public:
  Activate(DeviceContext *c, const char *what) {
    if (current == c) {
      ok_ = true;
      return;
    }
    CUresult r = cu().cuCtxPushCurrent(c->context);
    if (r != kCudaSuccess) {
      record(c,
             "%s: cannot make %s current on this thread (cuCtxPushCurrent: "
             "%s)",
             what, c->label, cudaErrorText(r));
      return;
    }
    pushed_ = ok_ = true;
  }
  ~Activate() {
    if (pushed_) {
      CUcontext ignored;
      cu().cuCtxPopCurrent(&ignored);
    }
  }
  Activate(const Activate &) = delete;
  Activate &operator=(const Activate &) = delete;

  bool ok() const { return ok_; }

private:
  bool ok_ = false;
  bool pushed_ = false;
};

/// What upload, download and copyOnDevice share: checks, then `copy`.
template <typename Copy>
inline bool transfer(DeviceContext *c, const char *what, const void *dst,
                     const void *src, size_t bytes, Copy copy) {
  if (!c)
    return false;
  if (bytes == 0)
    return true;
  if (!dst || !src) {
    record(c, "%s: a copy of %zu bytes on %s has a null %s", what, bytes,
           c->label, dst ? "source" : "destination");
    return false;
  }
  Activate active(c, what);
  if (!active.ok())
    return false;
  CUresult r = copy();
  if (r != kCudaSuccess) {
    record(c, "%s: a copy of %zu bytes on %s failed: %s", what, bytes, c->label,
           cudaErrorText(r));
    return false;
  }
  return true;
}

/// Whether [data, data + bytes) lies in memory pinned for the context. The
/// context's lock held.
bool pinnedRange(const DeviceContext *c, const void *data, size_t bytes);

/// Kernel times (GpuProfile.cpp): a profile if CNNC_CUDA_PROFILE names a
/// file, else null; around each launch on `stream` of `blocks` blocks of
/// `threads` (`launched`: whether it was); when the context goes, the table
/// appended to the file, and the profile freed.
KernelProfile *createProfile();
void beforeLaunch(DeviceContext *c, CUstream stream);
void afterLaunch(DeviceContext *c, CUstream stream, const char *name,
                 uint64_t blocks, uint64_t threads, bool launched);
void finishProfile(DeviceContext *c);

} // namespace internal
} // namespace cnnc::gpu

#endif // CNNC_RUNTIME_MODEL_GPUCONTEXT_H
