//===- WorkspaceAllocator.cpp - the generated code's working memory -------===//
//
// Generated code allocates its intermediate tensors through the generic
// allocation functions of MLIR's memref-to-LLVM lowering (cnnc lowers with
// use-generic-functions). A training step or an inference call allocates the
// same sizes on every call, and glibc hands large blocks back to the kernel
// on free, so with plain malloc every call paid page faults and zeroing of
// fresh pages for megabytes of activations. These functions keep freed
// blocks, per thread and per size, and give them out again on the next call:
// after the first call a step maps no new memory.
//
// What is cached is bounded by kMaxBlocksPerSize blocks of each of
// kSizeClasses sizes per thread. A thread's cache is released when the
// thread exits.
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
/// Distinct block sizes cached per thread; LeNet-5's training step uses about
/// 40, AlexNet's fewer than 100. Sizes beyond that are freed at once.
constexpr int kSizeClasses = 128;

struct FreeList {
  size_t bytes = 0;
  BlockHeader *head = nullptr;
  int32_t count = 0;
};

/// Blocks kept per size. A call never needs more of one size than it has
/// alive at once; blocks that another thread allocated and this one frees
/// (the results of a batch slice run on a worker) would otherwise pile up
/// here without bound.
constexpr int32_t kMaxBlocksPerSize = 16;

/// Trivially destructible, so that a thread_local of it needs no C++
/// runtime; releaseCache() empties it when its thread exits.
struct ThreadCache {
  FreeList lists[kSizeClasses];
  int used = 0;
  bool registered = false;

  /// The list of blocks of `bytes`, claiming a free slot when there is none
  /// yet and `claim` is set; null when there is no room.
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

thread_local ThreadCache cache;

/// Frees every block cached in `c` (a ThreadCache *).
void releaseCache(void *c) {
  auto *tc = static_cast<ThreadCache *>(c);
  for (int i = 0; i < tc->used; ++i)
    while (BlockHeader *b = tc->lists[i].head) {
      tc->lists[i].head = b->next;
      std::free(b);
    }
  tc->used = 0;
}

/// A pthread key whose destructor releases a thread's cache when the thread
/// exits. It is deleted when the .so is unloaded, so that no thread later
/// calls into unmapped code; other threads' caches then leak, as the blocks
/// of any unloaded allocator would.
pthread_key_t cacheKey;
pthread_once_t cacheKeyOnce = PTHREAD_ONCE_INIT;
bool cacheKeyMade = false;

void makeCacheKey() {
  cacheKeyMade = pthread_key_create(&cacheKey, releaseCache) == 0;
}

__attribute__((destructor)) void deleteCacheKey() {
  if (cacheKeyMade) {
    pthread_key_delete(cacheKey);
    releaseCache(&cache);
  }
}

/// The calling thread's cache, registered for release at thread exit.
ThreadCache &threadCache() {
  if (!cache.registered) {
    pthread_once(&cacheKeyOnce, makeCacheKey);
    if (cacheKeyMade)
      pthread_setspecific(cacheKey, &cache);
    cache.registered = true;
  }
  return cache;
}

size_t roundUp(size_t bytes) {
  return (bytes + kAlignment - 1) & ~(kAlignment - 1);
}

void *allocate(size_t bytes) {
  bytes = roundUp(bytes == 0 ? 1 : bytes);
  if (FreeList *list = threadCache().find(bytes, false); list && list->head) {
    BlockHeader *b = list->head;
    list->head = b->next;
    --list->count;
    return b + 1;
  }
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
  FreeList *list = threadCache().find(b->bytes, true);
  if (!list || list->count == kMaxBlocksPerSize) {
    std::free(b);
    return;
  }
  b->next = list->head;
  list->head = b;
  ++list->count;
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
