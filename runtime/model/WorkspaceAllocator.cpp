//===- WorkspaceAllocator.cpp - the generated code's working memory -------===//
//
// Generated code allocates its intermediate tensors through the generic
// allocation functions of MLIR's memref-to-LLVM lowering (cnnc lowers with
// use-generic-functions). A training step or an inference call allocates the
// same sizes on every call, and glibc hands large blocks back to the kernel
// on free, so with plain malloc every call paid page faults and zeroing of
// fresh pages for megabytes of activations. These functions keep freed
// blocks by size and give them out again on the next call: after the first
// call a step maps no new memory.
//
// The cache is one for the process, under a mutex, not one per thread: a
// slice's results (its gradient, a full set of parameters) are allocated on
// a worker and freed by the caller, and with per-thread caches the worker
// mapped them anew every step (AlexNet: 250 MB of page faults and zeroing
// per slice, half of a training step). A step makes a few hundred
// allocations, so the lock is not contended to speak of.
//
// What is cached is bounded by kMaxBlocksPerSize blocks of each of
// kSizeClasses sizes; it is released when the .so is unloaded.
//
//===----------------------------------------------------------------------===//

#include "AbiSupport.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <pthread.h>

namespace {

/// Every block starts with this header, one cache line long so that the
/// memory after it keeps the block's 64-byte alignment.
struct alignas(64) BlockHeader {
  size_t bytes;      // usable bytes after the header
  BlockHeader *next; // in a free list
};

constexpr size_t kAlignment = 64;
/// Distinct block sizes cached; LeNet-5's training step uses about 40,
/// AlexNet's fewer than 100. Sizes beyond that are freed at once.
constexpr int kSizeClasses = 128;

/// Blocks kept per size: what the model's threads have alive of one size at
/// once, with room to spare.
constexpr int32_t kMaxBlocksPerSize = 64;

struct FreeList {
  size_t bytes = 0;
  BlockHeader *head = nullptr;
  int32_t count = 0;
};

/// Trivially destructible, so that the global needs no C++ runtime; the
/// .so's destructor empties it.
struct Cache {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  FreeList lists[kSizeClasses];
  int used = 0;

  /// The list of blocks of `bytes`, claiming a free slot when there is none
  /// yet and `claim` is set; null when there is no room. Called locked.
  FreeList *find(size_t bytes, bool claim) {
    for (int i = 0; i < used; ++i)
      if (lists[i].bytes == bytes)
        return &lists[i];
    if (!claim || used == kSizeClasses)
      return nullptr;
    lists[used] = FreeList{bytes, nullptr, 0};
    return &lists[used++];
  }
};

Cache cache;

__attribute__((destructor)) void releaseCache() {
  pthread_mutex_lock(&cache.lock);
  for (int i = 0; i < cache.used; ++i)
    while (BlockHeader *b = cache.lists[i].head) {
      cache.lists[i].head = b->next;
      std::free(b);
    }
  cache.used = 0;
  pthread_mutex_unlock(&cache.lock);
}

size_t roundUp(size_t bytes) {
  return (bytes + kAlignment - 1) & ~(kAlignment - 1);
}

/// A cached block of `bytes` (rounded up already), or null.
BlockHeader *takeCached(size_t bytes) {
  pthread_mutex_lock(&cache.lock);
  BlockHeader *b = nullptr;
  if (FreeList *list = cache.find(bytes, false); list && list->head) {
    b = list->head;
    list->head = b->next;
    --list->count;
  }
  pthread_mutex_unlock(&cache.lock);
  return b;
}

void *allocate(size_t bytes) {
  bytes = roundUp(bytes == 0 ? 1 : bytes);
  if (BlockHeader *b = takeCached(bytes))
    return b + 1;
  void *raw = nullptr;
  if (posix_memalign(&raw, kAlignment, sizeof(BlockHeader) + bytes) != 0)
    return nullptr;
  auto *b = static_cast<BlockHeader *>(raw);
  b->bytes = bytes;
  b->next = nullptr;
  return b + 1;
}

} // namespace

void cnnc::abi::workspaceFree(void *p) {
  if (!p)
    return;
  BlockHeader *b = static_cast<BlockHeader *>(p) - 1;
  pthread_mutex_lock(&cache.lock);
  FreeList *list = cache.find(b->bytes, true);
  bool kept = list && list->count < kMaxBlocksPerSize;
  if (kept) {
    b->next = list->head;
    list->head = b;
    ++list->count;
  }
  pthread_mutex_unlock(&cache.lock);
  if (!kept)
    std::free(b);
}

extern "C" {

// The generic allocation functions memref-to-LLVM calls. They must be
// visible to the model's object in the same .so, not exported from it.
void *_mlir_memref_to_llvm_alloc(size_t bytes) { return allocate(bytes); }

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t bytes) {
  // Blocks are 64-byte aligned; generated code asks for less (16 or 64 at
  // most for vectors), but a larger request must not be served short.
  if (alignment > kAlignment)
    return nullptr;
  return allocate(bytes);
}

void _mlir_memref_to_llvm_free(void *p) { cnnc::abi::workspaceFree(p); }

} // extern "C"
