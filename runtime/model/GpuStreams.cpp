//===- GpuStreams.cpp - pinned memory, fences, the upload stream ----------===//
//
// A batch in memory the caller pinned is uploaded by the copy engine
// straight from there; one queued behind a running step goes on a second
// stream of the context, made when first needed, which carries nothing but
// such uploads, ordered against the work on the context's stream by fences
// (CUDA events) both ways (GpuCalls.h says how a replay uses them).
//
//===----------------------------------------------------------------------===//

#include "runtime/model/GpuContext.h"

#include <cstdlib>

using namespace cnnc::gpu;
using namespace cnnc::gpu::internal;

bool cnnc::gpu::internal::pinnedRange(const DeviceContext *c, const void *data,
                                      size_t bytes) {
  auto begin = reinterpret_cast<uintptr_t>(data);
  for (size_t i = 0; i < c->pinned.capacity(); ++i) {
    uint64_t start = c->pinned.keyAt(i), size = 0;
    if (start && c->pinned.find(start, &size) && begin >= start &&
        begin - start <= size && bytes <= size - (begin - start))
      return true;
  }
  return false;
}

bool cnnc::gpu::pinHostMemory(DeviceContext *c, const void *data,
                              size_t bytes) {
  if (!c)
    return false;
  if (!data || bytes == 0) {
    record(c, "pinHostMemory: %s on %s", data ? "0 bytes" : "a null address",
           c->label);
    return false;
  }
  Activate active(c, "pinHostMemory");
  if (!active.ok())
    return false;
  Guard guard(c);
  void *p = const_cast<void *>(data);
  CUresult r = cu().cuMemHostRegister(p, bytes, 0);
  if (r != kCudaSuccess) {
    record(c, "cannot pin %zu bytes of host memory for %s: %s", bytes, c->label,
           cudaErrorText(r));
    return false;
  }
  if (!c->pinned.insert(keyOf(data), bytes)) {
    cu().cuMemHostUnregister(p);
    record(c, "pinHostMemory: out of host memory");
    return false;
  }
  return true;
}

bool cnnc::gpu::unpinHostMemory(DeviceContext *c, const void *data) {
  if (!c || !data)
    return false;
  Activate active(c, "unpinHostMemory");
  if (!active.ok())
    return false;
  Guard guard(c);
  if (!c->pinned.erase(keyOf(data), nullptr))
    return false;
  // An upload may still read it.
  const CudaDriverApi &d = cu();
  d.cuStreamSynchronize(c->stream);
  if (c->uploadStream)
    d.cuStreamSynchronize(c->uploadStream);
  d.cuMemHostUnregister(const_cast<void *>(data));
  return true;
}

bool cnnc::gpu::isPinned(const DeviceContext *c, const void *data,
                         size_t bytes) {
  if (!c)
    return false;
  auto *context = const_cast<DeviceContext *>(c);
  Guard guard(context);
  return pinnedRange(context, data, bytes);
}

void *cnnc::gpu::hostAlloc(DeviceContext *c, size_t bytes) {
  if (!c)
    return nullptr;
  Activate active(c, "hostAlloc");
  if (!active.ok())
    return nullptr;
  void *p = nullptr;
  CUresult r = cu().cuMemAllocHost(&p, bytes ? bytes : 1);
  if (r != kCudaSuccess) {
    record(c, "cannot allocate %zu bytes of pinned host memory for %s: %s",
           bytes, c->label, cudaErrorText(r));
    return nullptr;
  }
  return p;
}

void cnnc::gpu::hostFree(DeviceContext *c, void *data) {
  if (!c || !data)
    return;
  Activate active(c, "hostFree");
  cu().cuStreamSynchronize(c->stream); // a download may still write it
  cu().cuMemFreeHost(data);
}

struct cnnc::gpu::Fence {
  CUevent event;
};

Fence *cnnc::gpu::createFence(DeviceContext *c) {
  if (!c)
    return nullptr;
  Activate active(c, "createFence");
  if (!active.ok())
    return nullptr;
  auto *fence = static_cast<Fence *>(std::malloc(sizeof(Fence)));
  CUresult r = fence ? cu().cuEventCreate(&fence->event, kCuEventDisableTiming)
                     : kCudaErrorOutOfMemory;
  if (r != kCudaSuccess) {
    record(c, "createFence: no event can be made on %s: %s", c->label,
           cudaErrorText(r));
    std::free(fence);
    return nullptr;
  }
  return fence;
}

void cnnc::gpu::destroyFence(DeviceContext *c, Fence *fence) {
  if (!c || !fence)
    return;
  {
    Activate active(c, "destroyFence");
    cu().cuEventDestroy(fence->event); // freed by the driver once passed
  }
  std::free(fence);
}

namespace {

/// Records `r`, a failure of `call` on the context's streams, as its error.
bool succeeded(DeviceContext *c, CUresult r, const char *call) {
  if (r == kCudaSuccess)
    return true;
  record(c, "%s on %s failed: %s", call, c->label, cudaErrorText(r));
  return false;
}

} // namespace

bool cnnc::gpu::markFence(DeviceContext *c, Fence *fence) {
  if (!c || !fence)
    return false;
  Activate active(c, "markFence");
  return active.ok() &&
         succeeded(c, cu().cuEventRecord(fence->event, c->stream),
                   "markFence (cuEventRecord)");
}

bool cnnc::gpu::waitForFence(DeviceContext *c, Fence *fence) {
  if (!c || !fence)
    return false;
  Activate active(c, "waitForFence");
  return active.ok() && succeeded(c, cu().cuEventSynchronize(fence->event),
                                  "the work queued (cuEventSynchronize)");
}

bool cnnc::gpu::streamWaitsFor(DeviceContext *c, Fence *fence) {
  if (!c || !fence)
    return false;
  Activate active(c, "streamWaitsFor");
  return active.ok() &&
         succeeded(c, cu().cuStreamWaitEvent(c->stream, fence->event, 0),
                   "streamWaitsFor (cuStreamWaitEvent)");
}

bool cnnc::gpu::uploadAside(DeviceContext *c, void *devDst, const void *hostSrc,
                            size_t bytes, Fence *after, Fence *done) {
  if (!c || !done)
    return false;
  return transfer(c, "uploadAside", devDst, hostSrc, bytes, [&] {
    Guard guard(c);
    const CudaDriverApi &d = cu();
    CUresult r = kCudaSuccess;
    if (!c->uploadStream &&
        (r = d.cuStreamCreate(&c->uploadStream, kCuStreamNonBlocking)) !=
            kCudaSuccess) {
      c->uploadStream = nullptr;
      return r;
    }
    if (after)
      r = d.cuStreamWaitEvent(c->uploadStream, after->event, 0);
    if (r == kCudaSuccess)
      r = d.cuMemcpyHtoDAsync(devicePointer(devDst), hostSrc, bytes,
                              c->uploadStream);
    if (r == kCudaSuccess)
      r = d.cuEventRecord(done->event, c->uploadStream);
    return r;
  });
}

bool cnnc::gpu::queueDownload(DeviceContext *c, void *hostDst,
                              const void *devSrc, size_t bytes) {
  return transfer(c, "queueDownload", hostDst, devSrc, bytes, [&] {
    return cu().cuMemcpyDtoHAsync(hostDst, devicePointer(devSrc), bytes,
                                  c->stream);
  });
}
