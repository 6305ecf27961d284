//===- GpuRuntime.cpp - what a model's GPU code runs on -------------------===//
//
// MLIR 19 lowers each gpu.launch_func to mgpuModuleLoad, mgpuModuleGetFunction,
// mgpuLaunchKernel and mgpuModuleUnload, in that order, at every launch; the
// modules are therefore cached per context by the address of their binary
// (a constant of the model's .so), and mgpuModuleUnload does nothing. A
// launch without an async token creates, synchronises and destroys a stream
// around itself: mgpuStreamCreate hands out the context's one stream, which
// keeps all of the model's work in one order, and mgpuStreamDestroy does
// nothing.
//
// Device memory is cached like the host workspace (WorkspaceAllocator.cpp):
// a freed block goes to a free list of its (rounded) size and is handed out
// again by the next allocation of that size. The device cannot hold the
// headers that the host allocator keeps, so a table maps each live block to
// its size. All work is on the context's stream, so a block reused while
// earlier work on it is still queued is used in stream order. The cache is
// emptied when the driver runs out of memory, and released with the context.
//
// Work can be recorded as a CUDA graph (stream capture, relaxed, so that a
// cache miss may still allocate) and replayed. While recording, the waits
// that generated code makes at its end do nothing: nothing runs yet. A graph
// holds device addresses, so giving memory back to the driver makes every
// graph recorded before it stale (graphIsCurrent).
//
// The context's fields are in GpuContext.h; pinned memory, fences and the
// upload stream in GpuStreams.cpp.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/GpuRuntime.h"

#include "runtime/model/GpuContext.h"

#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

using namespace cnnc::gpu;
using namespace cnnc::gpu::internal;

thread_local DeviceContext *cnnc::gpu::internal::current = nullptr;

void cnnc::gpu::internal::record(DeviceContext *c, const char *format, ...) {
  Guard guard(c);
  if (c->hasError)
    return;
  va_list args;
  va_start(args, format);
  std::vsnprintf(c->error, sizeof c->error, format, args);
  va_end(args);
  c->hasError = true;
}

bool cnnc::gpu::internal::pending(DeviceContext *c) {
  Guard guard(c);
  return c->hasError;
}

namespace {

/// Device blocks are rounded to this many bytes (cuMemAlloc's alignment), so
/// that nearby sizes share a free list.
constexpr size_t kGranularity = 256;
/// Marks a live block of managed (host-shared) memory, which is not cached.
constexpr uint64_t kManaged = uint64_t(1) << 63;
/// The largest device buffer: the kernels index memory with 32-bit signed
/// element offsets (compiler/driver/Pipelines.cpp), and cnn-gpu-device-memory
/// leaves only buffers of 4-byte elements (or more) unbounded at compile time.
constexpr uint64_t kMaxBufferBytes = uint64_t(INT32_MAX) * 4;
// A kernel's 32-bit index parameter is the low half of the 64-bit value the
// host passes, read by the driver (cuLaunchKernel copies the size the kernel
// declares).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the kernels' 32-bit index parameters need a little-endian host");
constexpr CUresult kCudaErrorNoBinaryForGpu = 209;
constexpr CUresult kCudaErrorUnsupportedPtxVersion = 222;

/// The context the mgpu* functions act on: the current one, unless an error
/// is recorded in it (then they do nothing).
DeviceContext *usable() {
  DeviceContext *c = current;
  return c && !pending(c) ? c : nullptr;
}

CUstream streamOf(DeviceContext *c, void *stream) {
  return stream ? static_cast<CUstream>(stream) : c->stream;
}

//===----------------------------------------------------------------------===//
// The caching allocator (the context's lock held)
//===----------------------------------------------------------------------===//

/// `bytes` rounded up to kGranularity (at least one granule), or 0 when
/// that overflows.
size_t roundUp(uint64_t bytes) {
  if (bytes == 0)
    return kGranularity;
  if (bytes > SIZE_MAX - kGranularity)
    return 0;
  return (static_cast<size_t>(bytes) + kGranularity - 1) & ~(kGranularity - 1);
}

/// Frees every cached block, after the work that may still use them.
void releaseCached(DeviceContext *c) {
  cu().cuStreamSynchronize(c->stream);
  for (int32_t i = 0; i < c->numFreeLists; ++i) {
    FreeList &list = c->freeLists[i];
    for (int32_t b = 0; b < list.count; ++b)
      cu().cuMemFree(list.blocks[b]);
    list.count = 0;
  }
  ++c->memoryReleases;
}

CUresult driverAlloc(CUdeviceptr *p, size_t bytes, bool managed) {
  return managed ? cu().cuMemAllocManaged(p, bytes, kCuMemAttachGlobal)
                 : cu().cuMemAlloc(p, bytes);
}

void *allocate(DeviceContext *c, uint64_t bytes, bool managed,
               const char *who) {
  Guard guard(c);
  if (bytes > kMaxBufferBytes) {
    record(c,
           "%s: cannot allocate %llu bytes on %s: the GPU kernels address at "
           "most %llu bytes (2^31 - 1 elements of 4 bytes) in one buffer; use "
           "a smaller batch",
           who, static_cast<unsigned long long>(bytes), c->label,
           static_cast<unsigned long long>(kMaxBufferBytes));
    return nullptr;
  }
  size_t rounded = roundUp(bytes);
  if (rounded == 0) {
    record(c, "%s: cannot allocate %llu bytes on %s: too large", who,
           static_cast<unsigned long long>(bytes), c->label);
    return nullptr;
  }
  uint64_t index;
  if (!managed && c->freeListBySize.find(rounded, &index)) {
    FreeList &list = c->freeLists[index];
    if (list.count > 0) {
      CUdeviceptr p = list.blocks[list.count - 1];
      if (!c->live.insert(p, rounded)) {
        record(c, "%s: out of host memory for the table of device memory", who);
        return nullptr;
      }
      --list.count;
      return hostView(p);
    }
  }
  CUdeviceptr p = 0;
  CUresult r = driverAlloc(&p, rounded, managed);
  if (r == kCudaErrorOutOfMemory) {
    releaseCached(c);
    r = driverAlloc(&p, rounded, managed);
  }
  if (r != kCudaSuccess) {
    record(c, "%s: cannot allocate %llu bytes%s on %s: %s", who,
           static_cast<unsigned long long>(bytes),
           managed ? " of managed memory" : "", c->label, cudaErrorText(r));
    return nullptr;
  }
  if (!c->live.insert(p, rounded | (managed ? kManaged : 0))) {
    cu().cuMemFree(p);
    record(c, "%s: out of host memory for the table of device memory", who);
    return nullptr;
  }
  return hostView(p);
}

/// The free list of blocks of `bytes`, made when there is none; null when
/// host memory runs out.
FreeList *freeListOf(DeviceContext *c, size_t bytes) {
  uint64_t index;
  if (c->freeListBySize.find(bytes, &index))
    return &c->freeLists[index];
  if (!reserve(c->freeLists, c->freeListsCapacity, c->numFreeLists + 1) ||
      !c->freeListBySize.insert(bytes, c->numFreeLists))
    return nullptr;
  FreeList &list = c->freeLists[c->numFreeLists++];
  list = FreeList{bytes, nullptr, 0, 0};
  return &list;
}

void release(DeviceContext *c, void *pointer, const char *who) {
  if (!pointer)
    return;
  Guard guard(c);
  CUdeviceptr p = devicePointer(pointer);
  uint64_t entry;
  if (!c->live.erase(p, &entry)) {
    record(c,
           "%s: %p is not device memory allocated on %s (or was freed "
           "already)",
           who, pointer, c->label);
    return;
  }
  if (!(entry & kManaged)) {
    FreeList *list = freeListOf(c, static_cast<size_t>(entry));
    if (list && reserve(list->blocks, list->capacity, list->count + 1)) {
      list->blocks[list->count++] = p;
      return;
    }
  }
  // Not cached: managed memory, or no host memory for the list.
  cu().cuStreamSynchronize(c->stream);
  CUresult r = cu().cuMemFree(p);
  ++c->memoryReleases;
  if (r != kCudaSuccess)
    record(c, "%s: cannot free device memory on %s: %s", who, c->label,
           cudaErrorText(r));
}

//===----------------------------------------------------------------------===//
// Modules and kernels (the context's lock held)
//===----------------------------------------------------------------------===//

const char *loadHint(CUresult r) {
  if (r == kCudaErrorNoBinaryForGpu)
    return " (the model was compiled for another GPU architecture)";
  if (r == kCudaErrorUnsupportedPtxVersion)
    return " (the model was compiled for a newer CUDA driver)";
  return "";
}

void *loadModule(DeviceContext *c, const void *data, bool jit, int optLevel,
                 const char *who) {
  if (!data) {
    record(c, "%s: no GPU binary to load", who);
    return nullptr;
  }
  Guard guard(c);
  uint64_t index;
  if (c->moduleByData.find(keyOf(data), &index))
    return c->modules[index].module;
  if (!reserve(c->modules, c->modulesCapacity, c->numModules + 1)) {
    record(c, "%s: out of host memory for the GPU modules", who);
    return nullptr;
  }
  CUmodule module = nullptr;
  CUresult r;
  char log[4096];
  log[0] = '\0';
  if (jit) {
    CUjit_option options[] = {kCuJitErrorLogBuffer,
                              kCuJitErrorLogBufferSizeBytes,
                              kCuJitOptimizationLevel};
    void *values[] = {
        log, reinterpret_cast<void *>(sizeof log),
        reinterpret_cast<void *>(static_cast<intptr_t>(optLevel))};
    r = cu().cuModuleLoadDataEx(&module, data, 3, options, values);
    log[sizeof log - 1] = '\0';
  } else {
    r = cu().cuModuleLoadData(&module, data);
  }
  if (r != kCudaSuccess) {
    size_t end = std::strlen(log);
    while (end > 0 && (log[end - 1] == '\n' || log[end - 1] == ' '))
      log[--end] = '\0';
    record(c, "%s: the model's GPU %s cannot be loaded on %s: %s%s%s%s", who,
           jit ? "code (PTX)" : "binary", c->label, cudaErrorText(r),
           loadHint(r), log[0] ? ": " : "", log);
    return nullptr;
  }
  int32_t i = c->numModules;
  c->modules[i] = ModuleEntry{data, module, nullptr, 0, 0};
  if (!c->moduleByData.insert(keyOf(data), i) ||
      !c->moduleByHandle.insert(keyOf(module), i)) {
    c->moduleByData.erase(keyOf(data), nullptr);
    cu().cuModuleUnload(module);
    record(c, "%s: out of host memory for the GPU modules", who);
    return nullptr;
  }
  ++c->numModules;
  return module;
}

void *getFunction(DeviceContext *c, void *module, const char *name) {
  Guard guard(c);
  uint64_t index;
  ModuleEntry *entry = c->moduleByHandle.find(keyOf(module), &index)
                           ? &c->modules[index]
                           : nullptr;
  if (entry)
    for (int32_t i = 0; i < entry->numFunctions; ++i)
      if (std::strcmp(entry->functions[i].name, name) == 0)
        return entry->functions[i].function;
  CUfunction function = nullptr;
  CUresult r =
      cu().cuModuleGetFunction(&function, static_cast<CUmodule>(module), name);
  if (r != kCudaSuccess) {
    record(c,
           "mgpuModuleGetFunction: the model's GPU binary has no kernel %s "
           "on %s: %s",
           name, c->label, cudaErrorText(r));
    return nullptr;
  }
  // Cached when there is host memory for it; found again by the driver else.
  if (entry && reserve(entry->functions, entry->functionsCapacity,
                       entry->numFunctions + 1)) {
    size_t length = std::strlen(name);
    if (char *copy = static_cast<char *>(std::malloc(length + 1))) {
      std::memcpy(copy, name, length + 1);
      entry->functions[entry->numFunctions++] = FunctionEntry{copy, function};
      c->kernelNames.insert(keyOf(function), keyOf(copy));
    }
  }
  return function;
}

const char *kernelName(DeviceContext *c, void *function) {
  Guard guard(c);
  uint64_t name;
  if (c->kernelNames.find(keyOf(function), &name))
    return reinterpret_cast<const char *>(static_cast<uintptr_t>(name));
  return "a kernel";
}

void freeContextMemory(DeviceContext *c) {
  for (int32_t i = 0; i < c->numModules; ++i) {
    for (int32_t f = 0; f < c->modules[i].numFunctions; ++f)
      std::free(c->modules[i].functions[f].name);
    std::free(c->modules[i].functions);
  }
  std::free(c->modules);
  for (int32_t i = 0; i < c->numFreeLists; ++i)
    std::free(c->freeLists[i].blocks);
  std::free(c->freeLists);
  c->moduleByData.release();
  c->moduleByHandle.release();
  c->kernelNames.release();
  c->freeListBySize.release();
  c->live.release();
  c->pinned.release();
  pthread_mutex_destroy(&c->lock);
  std::free(c);
}

} // namespace

//===----------------------------------------------------------------------===//
// The context
//===----------------------------------------------------------------------===//

DeviceContext *cnnc::gpu::createDeviceContext(int ordinal, char *error,
                                              size_t size) {
  char ignored[1];
  if (!error || size == 0) {
    error = ignored;
    size = sizeof ignored;
  }
  if (!loadCudaDriver(error, size))
    return nullptr;
  const CudaDriverApi &d = cu();
  CUresult r = d.cuInit(0);
  if (r != kCudaSuccess) {
    std::snprintf(error, size,
                  r == kCudaErrorNoDevice
                      ? "the CUDA driver found no device (cuInit: %s)"
                      : "the CUDA driver cannot start (cuInit: %s)",
                  cudaErrorText(r));
    return nullptr;
  }
  int count = 0;
  r = d.cuDeviceGetCount(&count);
  if (r != kCudaSuccess) {
    std::snprintf(error, size,
                  "the CUDA driver cannot count its devices "
                  "(cuDeviceGetCount: %s)",
                  cudaErrorText(r));
    return nullptr;
  }
  if (count <= 0) {
    std::snprintf(error, size, "the CUDA driver found no device");
    return nullptr;
  }
  if (ordinal < 0 || ordinal >= count) {
    if (count == 1)
      std::snprintf(error, size,
                    "CUDA device %d does not exist: this machine has 1 "
                    "(cuda:0)",
                    ordinal);
    else
      std::snprintf(error, size,
                    "CUDA device %d does not exist: this machine has %d "
                    "(cuda:0 to cuda:%d)",
                    ordinal, count, count - 1);
    return nullptr;
  }
  CUdevice device = 0;
  r = d.cuDeviceGet(&device, ordinal);
  if (r != kCudaSuccess) {
    std::snprintf(error, size, "cannot open CUDA device %d (cuDeviceGet: %s)",
                  ordinal, cudaErrorText(r));
    return nullptr;
  }

  void *memory = std::malloc(sizeof(DeviceContext));
  if (!memory) {
    std::snprintf(error, size, "out of memory for the context of cuda:%d",
                  ordinal);
    return nullptr;
  }
  auto *c = new (memory) DeviceContext(); // zero, the maps empty
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&c->lock, &attributes);
  pthread_mutexattr_destroy(&attributes);
  c->ordinal = ordinal;
  c->device = device;
  if (d.cuDeviceGetName(c->name, sizeof c->name, device) != kCudaSuccess)
    std::snprintf(c->name, sizeof c->name, "unnamed device");
  c->name[sizeof c->name - 1] = '\0';
  std::snprintf(c->label, sizeof c->label, "cuda:%d (%s)", ordinal, c->name);
  const char *graphs = std::getenv("CNNC_CUDA_GRAPHS");
  c->graphs =
      d.cuStreamBeginCapture && !(graphs && std::strcmp(graphs, "0") == 0);

  r = d.cuDevicePrimaryCtxRetain(&c->context, device);
  if (r != kCudaSuccess) {
    std::snprintf(error, size,
                  "cannot use %s: its context cannot be made "
                  "(cuDevicePrimaryCtxRetain: %s)",
                  c->label, cudaErrorText(r));
    freeContextMemory(c);
    return nullptr;
  }
  r = d.cuCtxPushCurrent(c->context);
  const char *step = "cuCtxPushCurrent";
  if (r == kCudaSuccess) {
    r = d.cuStreamCreate(&c->stream, kCuStreamNonBlocking);
    step = "cuStreamCreate";
    CUcontext popped;
    d.cuCtxPopCurrent(&popped);
  }
  if (r != kCudaSuccess) {
    std::snprintf(error, size, "cannot use %s: no stream can be made (%s: %s)",
                  c->label, step, cudaErrorText(r));
    d.cuDevicePrimaryCtxRelease(device);
    freeContextMemory(c);
    return nullptr;
  }
  // Timed launches one by one, or each waited for: a graph's replay would
  // be one launch.
  c->profile = createProfile();
  const char *sync = std::getenv("CNNC_CUDA_SYNC");
  c->syncEachLaunch = sync && std::strcmp(sync, "1") == 0;
  if (c->profile || c->syncEachLaunch)
    c->graphs = false;
  return c;
}

void cnnc::gpu::destroyDeviceContext(DeviceContext *c) {
  if (!c)
    return;
  {
    Activate active(c, "destroyDeviceContext");
    Guard guard(c);
    const CudaDriverApi &d = cu();
    d.cuStreamSynchronize(c->stream);
    finishProfile(c);
    for (int32_t i = 0; i < c->numFreeLists; ++i)
      for (int32_t b = 0; b < c->freeLists[i].count; ++b)
        d.cuMemFree(c->freeLists[i].blocks[b]);
    for (size_t i = 0; i < c->live.capacity(); ++i)
      if (uint64_t p = c->live.keyAt(i))
        d.cuMemFree(p);
    for (int32_t i = 0; i < c->numModules; ++i)
      d.cuModuleUnload(c->modules[i].module);
    if (c->staging)
      d.cuMemFreeHost(c->staging);
    if (c->stagingDone)
      d.cuEventDestroy(c->stagingDone);
    if (c->uploadStream) {
      d.cuStreamSynchronize(c->uploadStream);
      d.cuStreamDestroy(c->uploadStream);
    }
    for (size_t i = 0; i < c->pinned.capacity(); ++i)
      if (uint64_t p = c->pinned.keyAt(i))
        d.cuMemHostUnregister(reinterpret_cast<void *>(p));
    d.cuStreamDestroy(c->stream);
  }
  cu().cuDevicePrimaryCtxRelease(c->device);
  if (current == c)
    current = nullptr;
  freeContextMemory(c);
}

int cnnc::gpu::deviceOrdinal(const DeviceContext *c) {
  return c ? c->ordinal : -1;
}

const char *cnnc::gpu::deviceName(const DeviceContext *c) {
  return c ? c->name : "";
}

const char *cnnc::gpu::takeError(DeviceContext *c) {
  if (!c)
    return nullptr;
  Guard guard(c);
  if (!c->hasError)
    return nullptr;
  std::memcpy(c->taken, c->error, sizeof c->taken);
  c->hasError = false;
  return c->taken;
}

void *cnnc::gpu::deviceAlloc(DeviceContext *c, size_t bytes) {
  if (!c)
    return nullptr;
  Activate active(c, "deviceAlloc");
  return active.ok() ? allocate(c, bytes, false, "deviceAlloc") : nullptr;
}

void cnnc::gpu::deviceFree(DeviceContext *c, void *pointer) {
  if (!c || !pointer)
    return;
  Activate active(c, "deviceFree");
  if (active.ok())
    release(c, pointer, "deviceFree");
}

namespace {

/// `bytes` from `src` copied into the context's pinned staging buffer, once
/// the copy queued from it before has finished; null when the upload is
/// small or no pinned memory can be had, and it goes from `src` directly.
/// The context's lock held.
const void *stage(DeviceContext *c, const void *src, size_t bytes) {
  if (bytes < kStagedUploadMin)
    return nullptr;
  const CudaDriverApi &d = cu();
  if (!c->stagingDone &&
      d.cuEventCreate(&c->stagingDone, kCuEventDisableTiming) != kCudaSuccess) {
    c->stagingDone = nullptr;
    return nullptr;
  }
  if (c->stagingQueued) {
    if (d.cuEventSynchronize(c->stagingDone) != kCudaSuccess)
      return nullptr; // the error shows at the next synchronisation
    c->stagingQueued = false;
  }
  if (c->stagingBytes < bytes) {
    if (c->staging)
      d.cuMemFreeHost(c->staging);
    c->staging = nullptr;
    c->stagingBytes = 0;
    if (d.cuMemAllocHost(&c->staging, bytes) != kCudaSuccess) {
      c->staging = nullptr;
      return nullptr;
    }
    c->stagingBytes = bytes;
  }
  std::memcpy(c->staging, src, bytes);
  return c->staging;
}

} // namespace

bool cnnc::gpu::upload(DeviceContext *c, void *devDst, const void *hostSrc,
                       size_t bytes) {
  return transfer(c, "upload", devDst, hostSrc, bytes, [&] {
    Guard guard(c);
    const CudaDriverApi &d = cu();
    const void *pinned =
        pinnedRange(c, hostSrc, bytes) ? nullptr : stage(c, hostSrc, bytes);
    CUresult r = d.cuMemcpyHtoDAsync(
        devicePointer(devDst), pinned ? pinned : hostSrc, bytes, c->stream);
    if (pinned && r == kCudaSuccess) {
      r = d.cuEventRecord(c->stagingDone, c->stream);
      c->stagingQueued = r == kCudaSuccess;
      if (r != kCudaSuccess) // the buffer is free once the stream is
        d.cuStreamSynchronize(c->stream);
    }
    return r;
  });
}

bool cnnc::gpu::download(DeviceContext *c, void *hostDst, const void *devSrc,
                         size_t bytes) {
  return transfer(c, "download", hostDst, devSrc, bytes, [&] {
    CUresult r = cu().cuMemcpyDtoHAsync(hostDst, devicePointer(devSrc), bytes,
                                        c->stream);
    return r == kCudaSuccess ? cu().cuStreamSynchronize(c->stream) : r;
  });
}

bool cnnc::gpu::copyOnDevice(DeviceContext *c, void *devDst, const void *devSrc,
                             size_t bytes) {
  return transfer(c, "copyOnDevice", devDst, devSrc, bytes, [&] {
    return cu().cuMemcpyDtoDAsync(devicePointer(devDst), devicePointer(devSrc),
                                  bytes, c->stream);
  });
}

bool cnnc::gpu::synchronize(DeviceContext *c) {
  if (!c)
    return false;
  Activate active(c, "synchronize");
  if (!active.ok())
    return false;
  CUresult r = cu().cuStreamSynchronize(c->stream);
  if (r != kCudaSuccess) {
    record(c, "the work queued on %s failed: %s", c->label, cudaErrorText(r));
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Graphs
//===----------------------------------------------------------------------===//

struct cnnc::gpu::Graph {
  CUgraph graph;
  CUgraphExec exec;
  uint64_t memoryReleases; // the context's count when it was recorded
};

bool cnnc::gpu::canCapture(const DeviceContext *c) { return c && c->graphs; }

bool cnnc::gpu::beginCapture(DeviceContext *c) {
  if (!canCapture(c) || c->capturing || pending(c))
    return false;
  Activate active(c, "beginCapture");
  if (!active.ok()) {
    takeError(c);
    return false;
  }
  // Relaxed: a cache miss may still allocate while the step is recorded.
  c->capturing = cu().cuStreamBeginCapture(
                     c->stream, kCuStreamCaptureModeRelaxed) == kCudaSuccess;
  return c->capturing;
}

Graph *cnnc::gpu::endCapture(DeviceContext *c) {
  if (!c || !c->capturing)
    return nullptr;
  Activate active(c, "endCapture");
  const CudaDriverApi &d = cu();
  CUgraph graph = nullptr;
  CUresult r = d.cuStreamEndCapture(c->stream, &graph);
  c->capturing = false;
  CUgraphExec exec = nullptr;
  if (r == kCudaSuccess && graph)
    r = d.cuGraphInstantiateWithFlags(&exec, graph, 0);
  Graph *g = r == kCudaSuccess && exec && !pending(c)
                 ? static_cast<Graph *>(std::malloc(sizeof(Graph)))
                 : nullptr;
  if (g) {
    *g = Graph{graph, exec, c->memoryReleases};
    return g;
  }
  // Nothing recorded ran: whatever failed is seen again when it runs.
  takeError(c);
  if (exec)
    d.cuGraphExecDestroy(exec);
  if (graph)
    d.cuGraphDestroy(graph);
  return nullptr;
}

bool cnnc::gpu::graphIsCurrent(const DeviceContext *c, const Graph *graph) {
  return c && graph && graph->memoryReleases == c->memoryReleases;
}

bool cnnc::gpu::launchGraph(DeviceContext *c, Graph *graph) {
  if (!c || !graph)
    return false;
  Activate active(c, "launchGraph");
  if (!active.ok())
    return false;
  CUresult r = cu().cuGraphLaunch(graph->exec, c->stream);
  if (r != kCudaSuccess) {
    record(c, "a recorded call (CUDA graph) cannot be launched on %s: %s",
           c->label, cudaErrorText(r));
    return false;
  }
  return true;
}

void cnnc::gpu::destroyGraph(DeviceContext *c, Graph *graph) {
  if (!c || !graph)
    return;
  {
    Activate active(c, "destroyGraph");
    const CudaDriverApi &d = cu();
    d.cuStreamSynchronize(c->stream);
    d.cuGraphExecDestroy(graph->exec);
    d.cuGraphDestroy(graph->graph);
  }
  std::free(graph);
}

CurrentDevice::CurrentDevice(DeviceContext *c) : previous_(current) {
  current = c;
  if (!c || c == previous_)
    return;
  CUresult r = cu().cuCtxPushCurrent(c->context);
  if (r != kCudaSuccess) {
    record(c, "cannot make %s current on this thread (cuCtxPushCurrent: %s)",
           c->label, cudaErrorText(r));
    return;
  }
  pushed_ = true;
}

CurrentDevice::~CurrentDevice() {
  if (pushed_) {
    CUcontext popped;
    cu().cuCtxPopCurrent(&popped);
  }
  current = previous_;
}

//===----------------------------------------------------------------------===//
// MLIR's runtime functions
//===----------------------------------------------------------------------===//

extern "C" {

void *mgpuStreamCreate() {
  DeviceContext *c = current;
  return c ? c->stream : nullptr;
}

void mgpuStreamSynchronize(void *stream) {
  DeviceContext *c = current;
  if (!c || c->capturing)
    return;
  CUresult r = cu().cuStreamSynchronize(streamOf(c, stream));
  if (r != kCudaSuccess)
    record(c, "mgpuStreamSynchronize: the work queued on %s failed: %s",
           c->label, cudaErrorText(r));
}

void mgpuStreamDestroy(void *) {}

void *mgpuModuleLoad(void *data, int64_t) {
  DeviceContext *c = usable();
  return c ? loadModule(c, data, false, 0, "mgpuModuleLoad") : nullptr;
}

void *mgpuModuleLoadJIT(void *data, int optLevel) {
  DeviceContext *c = usable();
  return c ? loadModule(c, data, true, optLevel, "mgpuModuleLoadJIT") : nullptr;
}

void mgpuModuleUnload(void *) {}

void *mgpuModuleGetFunction(void *module, const char *name) {
  DeviceContext *c = usable();
  if (!c)
    return nullptr;
  if (!module || !name) {
    record(c, "mgpuModuleGetFunction: no %s to look a kernel up",
           module ? "name" : "module");
    return nullptr;
  }
  return getFunction(c, module, name);
}

void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t) {
  DeviceContext *c = usable();
  if (!c)
    return;
  if (!function) {
    record(c, "mgpuLaunchKernel: no kernel to launch on %s", c->label);
    return;
  }
  intptr_t dims[] = {gridX, gridY, gridZ, blockX, blockY, blockZ};
  bool fits = smem >= 0;
  for (intptr_t dim : dims)
    fits = fits && dim >= 1 && static_cast<uintmax_t>(dim) <= UINT_MAX;
  CUresult r = kCudaSuccess;
  CUstream on = streamOf(c, stream);
  if (fits) {
    beforeLaunch(c, on);
    r = cu().cuLaunchKernel(
        static_cast<CUfunction>(function), static_cast<unsigned>(gridX),
        static_cast<unsigned>(gridY), static_cast<unsigned>(gridZ),
        static_cast<unsigned>(blockX), static_cast<unsigned>(blockY),
        static_cast<unsigned>(blockZ), static_cast<unsigned>(smem), on, params,
        extra);
    // The name is looked up (under the lock) only for a profile: any other
    // launch stays one driver call.
    afterLaunch(c, on, c->profile ? kernelName(c, function) : nullptr,
                static_cast<uint64_t>(gridX * gridY * gridZ),
                static_cast<uint64_t>(blockX * blockY * blockZ),
                r == kCudaSuccess);
    if (r == kCudaSuccess && c->syncEachLaunch) {
      CUresult ran = cu().cuStreamSynchronize(on);
      if (ran != kCudaSuccess) {
        record(c, "mgpuLaunchKernel: %s failed on %s: %s",
               kernelName(c, function), c->label, cudaErrorText(ran));
        return;
      }
    }
  }
  if (!fits || r != kCudaSuccess)
    record(c,
           "mgpuLaunchKernel: %s cannot be launched on %s with %ld x %ld x %ld "
           "blocks of %ld x %ld x %ld threads and %d bytes of shared memory: "
           "%s",
           kernelName(c, function), c->label, static_cast<long>(gridX),
           static_cast<long>(gridY), static_cast<long>(gridZ),
           static_cast<long>(blockX), static_cast<long>(blockY),
           static_cast<long>(blockZ), static_cast<int>(smem),
           fits ? cudaErrorText(r) : "out of range");
}

void *mgpuMemAlloc(uint64_t sizeBytes, void *, bool isHostShared) {
  DeviceContext *c = usable();
  return c ? allocate(c, sizeBytes, isHostShared, "mgpuMemAlloc") : nullptr;
}

void mgpuMemFree(void *ptr, void *) {
  // Even after an error: the block goes back to the cache.
  if (DeviceContext *c = current)
    release(c, ptr, "mgpuMemFree");
}

void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream) {
  DeviceContext *c = usable();
  if (!c || sizeBytes == 0)
    return;
  if (!dst || !src) {
    record(c, "mgpuMemcpy: a copy of %zu bytes on %s has a null %s", sizeBytes,
           c->label, dst ? "source" : "destination");
    return;
  }
  CUresult r = cu().cuMemcpyAsync(devicePointer(dst), devicePointer(src),
                                  sizeBytes, streamOf(c, stream));
  if (r != kCudaSuccess)
    record(c, "mgpuMemcpy: a copy of %zu bytes on %s failed: %s", sizeBytes,
           c->label, cudaErrorText(r));
}

void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream) {
  DeviceContext *c = usable();
  if (!c || count == 0)
    return;
  if (!dst) {
    record(c, "mgpuMemset32: a fill of %zu words on %s has a null destination",
           count, c->label);
    return;
  }
  CUresult r = cu().cuMemsetD32Async(devicePointer(dst), value, count,
                                     streamOf(c, stream));
  if (r != kCudaSuccess)
    record(c, "mgpuMemset32: a fill of %zu words on %s failed: %s", count,
           c->label, cudaErrorText(r));
}

void *mgpuEventCreate() {
  DeviceContext *c = usable();
  if (!c)
    return nullptr;
  CUevent event = nullptr;
  CUresult r = cu().cuEventCreate(&event, kCuEventDisableTiming);
  if (r != kCudaSuccess) {
    record(c, "mgpuEventCreate: no event can be made on %s: %s", c->label,
           cudaErrorText(r));
    return nullptr;
  }
  return event;
}

void mgpuEventDestroy(void *event) {
  DeviceContext *c = current;
  if (!c || !event)
    return;
  CUresult r = cu().cuEventDestroy(static_cast<CUevent>(event));
  if (r != kCudaSuccess)
    record(c, "mgpuEventDestroy: an event of %s cannot be destroyed: %s",
           c->label, cudaErrorText(r));
}

void mgpuEventSynchronize(void *event) {
  DeviceContext *c = current;
  if (!c || !event || c->capturing)
    return;
  CUresult r = cu().cuEventSynchronize(static_cast<CUevent>(event));
  if (r != kCudaSuccess)
    record(c, "mgpuEventSynchronize: the work queued on %s failed: %s",
           c->label, cudaErrorText(r));
}

void mgpuEventRecord(void *event, void *stream) {
  DeviceContext *c = usable();
  if (!c || !event)
    return;
  CUresult r =
      cu().cuEventRecord(static_cast<CUevent>(event), streamOf(c, stream));
  if (r != kCudaSuccess)
    record(c, "mgpuEventRecord: an event cannot be recorded on %s: %s",
           c->label, cudaErrorText(r));
}

void mgpuStreamWaitEvent(void *stream, void *event) {
  DeviceContext *c = usable();
  if (!c || !event)
    return;
  CUresult r = cu().cuStreamWaitEvent(streamOf(c, stream),
                                      static_cast<CUevent>(event), 0);
  if (r != kCudaSuccess)
    record(c, "mgpuStreamWaitEvent: a wait for an event on %s failed: %s",
           c->label, cudaErrorText(r));
}

} // extern "C"
