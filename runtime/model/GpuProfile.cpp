//===- GpuProfile.cpp - each kernel's time, when CNNC_CUDA_PROFILE asks ---===//
//
// With CNNC_CUDA_PROFILE=<file> in the environment when a context is made,
// each kernel launch is timed between two events recorded on its stream
// before and after it, and when the context goes a table of its kernels
// (the grid of the last launch, launches, total and mean time, share of
// the total) is appended to the file: where a step's time goes, without a
// profiler on the machine. Calls are then not recorded as graphs (a replay
// would time its kernels as one). The events are read a few hundred launches at
// a time, so timing adds no wait to each launch; the gaps between kernels are
// not counted.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/GpuContext.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace cnnc::gpu;
using namespace cnnc::gpu::internal;

namespace cnnc::gpu::internal {

struct TimedLaunch {
  const char *name;         // the context's copy, or a static text
  uint64_t blocks, threads; // per block
  CUevent start, end;
};

struct KernelTotal {
  const char *name;
  uint64_t blocks, threads; // of its last launch
  uint64_t launches;
  double milliseconds;
};

struct KernelProfile {
  char path[4096];
  TimedLaunch *pending; // launched, their events not read yet
  int32_t numPending, pendingCapacity;
  KernelTotal *totals;
  int32_t numTotals, totalsCapacity;
  CUevent *spare; // events read, to record again
  int32_t numSpare, spareCapacity;
  CUevent started;  // recorded before the launch under way
  uint64_t untimed; // launches with no events (out of memory, driver error)
};

} // namespace cnnc::gpu::internal

namespace {

/// Events read at a time: enough that reading waits for the stream rarely,
/// few enough to keep a small number of them alive.
constexpr int32_t kPendingMax = 512;

CUevent takeEvent(KernelProfile *p) {
  if (p->numSpare > 0)
    return p->spare[--p->numSpare];
  CUevent event = nullptr;
  if (cu().cuEventCreate(&event, 0) != kCudaSuccess)
    return nullptr;
  return event;
}

void giveEvent(KernelProfile *p, CUevent event) {
  if (!event)
    return;
  if (reserve(p->spare, p->spareCapacity, p->numSpare + 1))
    p->spare[p->numSpare++] = event;
  else
    cu().cuEventDestroy(event);
}

void addTime(KernelProfile *p, const TimedLaunch &launch, double milliseconds) {
  KernelTotal *total = nullptr;
  for (int32_t i = 0; i < p->numTotals && !total; ++i)
    if (std::strcmp(p->totals[i].name, launch.name) == 0)
      total = &p->totals[i];
  if (!total) {
    if (!reserve(p->totals, p->totalsCapacity, p->numTotals + 1)) {
      ++p->untimed;
      return;
    }
    total = &p->totals[p->numTotals++];
    *total = KernelTotal{launch.name, 0, 0, 0, 0};
  }
  total->blocks = launch.blocks;
  total->threads = launch.threads;
  ++total->launches;
  total->milliseconds += milliseconds;
}

/// Reads the pending launches' times into the totals. Waits for the last
/// one to finish.
void readPending(KernelProfile *p) {
  if (p->numPending == 0)
    return;
  const CudaDriverApi &d = cu();
  bool finished =
      d.cuEventSynchronize(p->pending[p->numPending - 1].end) == kCudaSuccess;
  for (int32_t i = 0; i < p->numPending; ++i) {
    TimedLaunch &launch = p->pending[i];
    float milliseconds = 0;
    if (finished && d.cuEventElapsedTime &&
        d.cuEventElapsedTime(&milliseconds, launch.start, launch.end) ==
            kCudaSuccess)
      addTime(p, launch, milliseconds);
    else
      ++p->untimed;
    giveEvent(p, launch.start);
    giveEvent(p, launch.end);
  }
  p->numPending = 0;
}

int byTotalTime(const void *a, const void *b) {
  double x = static_cast<const KernelTotal *>(a)->milliseconds;
  double y = static_cast<const KernelTotal *>(b)->milliseconds;
  return x < y ? 1 : x > y ? -1 : 0;
}

void writeTable(KernelProfile *p, const char *label) {
  FILE *file = std::fopen(p->path, "a");
  if (!file) {
    std::fprintf(stderr, "cnnc: CNNC_CUDA_PROFILE: cannot write %s: %s\n",
                 p->path, std::strerror(errno));
    return;
  }
  std::qsort(p->totals, static_cast<size_t>(p->numTotals), sizeof(KernelTotal),
             byTotalTime);
  uint64_t launches = 0;
  double total = 0;
  for (int32_t i = 0; i < p->numTotals; ++i) {
    launches += p->totals[i].launches;
    total += p->totals[i].milliseconds;
  }
  std::fprintf(file,
               "# kernel times on %s: %llu launches, %.1f us in kernels, %llu "
               "not timed\n",
               label, static_cast<unsigned long long>(launches), total * 1e3,
               static_cast<unsigned long long>(p->untimed));
  std::fprintf(file, "%-44s %9s %9s %9s %12s %10s %6s\n", "kernel", "blocks",
               "threads", "launches", "total_us", "mean_us", "share");
  for (int32_t i = 0; i < p->numTotals; ++i) {
    const KernelTotal &k = p->totals[i];
    std::fprintf(file, "%-44s %9llu %9llu %9llu %12.1f %10.2f %5.1f%%\n",
                 k.name, static_cast<unsigned long long>(k.blocks),
                 static_cast<unsigned long long>(k.threads),
                 static_cast<unsigned long long>(k.launches),
                 k.milliseconds * 1e3,
                 k.milliseconds * 1e3 / static_cast<double>(k.launches),
                 total > 0 ? 100 * k.milliseconds / total : 0.0);
  }
  if (std::fclose(file) != 0)
    std::fprintf(stderr, "cnnc: CNNC_CUDA_PROFILE: cannot write %s: %s\n",
                 p->path, std::strerror(errno));
}

} // namespace

KernelProfile *cnnc::gpu::internal::createProfile() {
  const char *path = std::getenv("CNNC_CUDA_PROFILE");
  if (!path || !*path)
    return nullptr;
  auto *p = static_cast<KernelProfile *>(std::calloc(1, sizeof(KernelProfile)));
  if (!p) {
    std::fprintf(stderr, "cnnc: CNNC_CUDA_PROFILE: out of memory; kernels "
                         "are not timed\n");
    return nullptr;
  }
  std::snprintf(p->path, sizeof p->path, "%s", path);
  return p;
}

void cnnc::gpu::internal::beforeLaunch(DeviceContext *c, CUstream stream) {
  KernelProfile *p = c->profile;
  if (!p || c->capturing)
    return;
  Guard guard(c);
  p->started = takeEvent(p);
  if (p->started && cu().cuEventRecord(p->started, stream) != kCudaSuccess) {
    giveEvent(p, p->started);
    p->started = nullptr;
  }
}

void cnnc::gpu::internal::afterLaunch(DeviceContext *c, CUstream stream,
                                      const char *name, uint64_t blocks,
                                      uint64_t threads, bool launched) {
  KernelProfile *p = c->profile;
  if (!p || c->capturing)
    return;
  Guard guard(c);
  CUevent start = p->started;
  p->started = nullptr;
  if (!launched) {
    giveEvent(p, start);
    return;
  }
  CUevent end = start ? takeEvent(p) : nullptr;
  if (!end || cu().cuEventRecord(end, stream) != kCudaSuccess ||
      !reserve(p->pending, p->pendingCapacity, p->numPending + 1)) {
    giveEvent(p, start);
    giveEvent(p, end);
    ++p->untimed;
    return;
  }
  p->pending[p->numPending++] = TimedLaunch{name, blocks, threads, start, end};
  if (p->numPending >= kPendingMax)
    readPending(p);
}

void cnnc::gpu::internal::finishProfile(DeviceContext *c) {
  KernelProfile *p = c->profile;
  if (!p)
    return;
  readPending(p);
  writeTable(p, c->label);
  for (int32_t i = 0; i < p->numSpare; ++i)
    cu().cuEventDestroy(p->spare[i]);
  std::free(p->pending);
  std::free(p->totals);
  std::free(p->spare);
  std::free(p);
  c->profile = nullptr;
}
