/*===- FakeCudaDriver.c - a stand-in for libcuda.so.1 in tests -----------===//
 *
 * RuntimeCudaDriverTest loads this library through CNNC_CUDA_DRIVER. It
 * defines every function the runtime looks up in the CUDA driver.
 *
 * By default it is a machine without a GPU: cuInit fails with
 * CUDA_ERROR_NO_DEVICE (100), cuGetErrorString knows that error's text, and
 * every other function fails with 999.
 *
 * With FAKE_CUDA_DEVICES=N in the environment it is a driver of N devices
 * named "Fake GPU" whose memory is host memory: allocations are malloc'd
 * (at most FAKE_CUDA_MEMORY bytes at once, when set: more fails with
 * CUDA_ERROR_OUT_OF_MEMORY), copies and memsets run at once, kernels only
 * count their launches, and a binary or PTX starting with "bad" fails to
 * load. Pinned host memory is malloc'd too (FAKE_CUDA_NO_PINNED makes it
 * fail); caller memory can be pinned (registered) as well, and an upload
 * from either is counted as pinned. An upload is deferred, as a real copy
 * engine may run it late: it runs only when its stream's next work is
 * queued, when the stream is waited for, or when an event recorded on it is
 * (cuEventSynchronize, cuStreamWaitEvent); the source of a pageable upload
 * is copied at once, as the real driver stages it. Work queued on another
 * stream that touches a block a deferred upload still writes is counted as
 * a race (fakeCudaRaces): the runtime forgot to order it; with
 * FAKE_CUDA_REPORT set, the process prints those counts when it ends, for
 * tests of whole tools. Stream capture
 * records launches, device copies and memsets into a graph that
 * cuGraphLaunch replays (FAKE_CUDA_NO_CAPTURE makes cuStreamBeginCapture
 * fail; FAKE_CUDA_BREAK_CAPTURE makes a launch while capturing fail, as an
 * operation the driver cannot capture does). Its time is its launches:
 * each takes a microsecond, between events (cuEventElapsedTime), and each
 * kernel name has its own handle. With FAKE_CUDA_FAULTING_KERNEL=NAME, a
 * launch of kernel NAME faults: from then on every wait for a stream or an
 * event fails with CUDA_ERROR_ILLEGAL_ADDRESS (700), as a real context's
 * error sticks. The fakeCuda* counters tell a test what the runtime did.
 *
 *===---------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_EXPORT __attribute__((visibility("default")))

typedef unsigned long long CUdeviceptr;

FAKE_EXPORT long fakeCudaModuleLoads, fakeCudaModuleUnloads;
FAKE_EXPORT long fakeCudaFunctionLookups, fakeCudaLaunches;
FAKE_EXPORT long fakeCudaAllocs, fakeCudaFrees, fakeCudaCopies;
FAKE_EXPORT long fakeCudaBytesInUse;
FAKE_EXPORT long fakeCudaHostAllocs, fakeCudaHostFrees, fakeCudaPinnedUploads;
FAKE_EXPORT long fakeCudaCaptures, fakeCudaGraphs, fakeCudaGraphLaunches;
FAKE_EXPORT long fakeCudaGraphCopies;       /* the copies graph launches made */
FAKE_EXPORT long fakeCudaPinnedRanges;      /* caller memory registered now */
FAKE_EXPORT long fakeCudaRegisteredUploads; /* from registered memory */
FAKE_EXPORT long fakeCudaStreamWaits;       /* a stream waited for another */
FAKE_EXPORT long fakeCudaRaces;

static int emulated(void) { return getenv("FAKE_CUDA_DEVICES") != NULL; }

__attribute__((destructor)) static void report(void) {
  if (getenv("FAKE_CUDA_REPORT"))
    fprintf(stderr,
            "fake cuda: %ld graph launches, %ld uploads from registered "
            "memory, %ld stream waits, %ld races\n",
            fakeCudaGraphLaunches, fakeCudaRegisteredUploads,
            fakeCudaStreamWaits, fakeCudaRaces);
}

/* Every emulated function starts with this. */
#define FAKE_REQUIRE_DEVICES                                                   \
  if (!emulated())                                                             \
  return 999

FAKE_EXPORT int cuInit(unsigned flags) {
  (void)flags;
  return emulated() ? 0 : 100;
}

FAKE_EXPORT int cuGetErrorString(int error, const char **text) {
  switch (error) {
  case 2:
    *text = "out of memory";
    return 0;
  case 100:
    *text = "no CUDA-capable device is detected";
    return 0;
  case 209:
    *text = "no kernel image is available for execution on the device";
    return 0;
  case 500:
    *text = "named symbol not found";
    return 0;
  case 700:
    *text = "an illegal memory access was encountered";
    return 0;
  case 900:
    *text = "operation not permitted when stream is capturing";
    return 0;
  case 901:
    *text = "operation failed due to a previous error during capture";
    return 0;
  default:
    *text = NULL;
    return 1; /* CUDA_ERROR_INVALID_VALUE */
  }
}

FAKE_EXPORT int cuDeviceGetCount(int *count) {
  FAKE_REQUIRE_DEVICES;
  *count = atoi(getenv("FAKE_CUDA_DEVICES"));
  return 0;
}

FAKE_EXPORT int cuDeviceGet(int *device, int ordinal) {
  FAKE_REQUIRE_DEVICES;
  *device = ordinal;
  return 0;
}

FAKE_EXPORT int cuDeviceGetName(char *name, int length, int device) {
  FAKE_REQUIRE_DEVICES;
  (void)device;
  strncpy(name, "Fake GPU", (size_t)length);
  return 0;
}

FAKE_EXPORT int cuDevicePrimaryCtxRetain(void **context, int device) {
  FAKE_REQUIRE_DEVICES;
  *context = (void *)(uintptr_t)(0x1000 + device);
  return 0;
}

FAKE_EXPORT int cuDevicePrimaryCtxRelease_v2(int device) {
  FAKE_REQUIRE_DEVICES;
  (void)device;
  return 0;
}

FAKE_EXPORT int cuCtxPushCurrent_v2(void *context) {
  FAKE_REQUIRE_DEVICES;
  (void)context;
  return 0;
}

FAKE_EXPORT int cuCtxPopCurrent_v2(void **context) {
  FAKE_REQUIRE_DEVICES;
  if (context)
    *context = NULL;
  return 0;
}

/* Streams are numbered handles; an event is the stream it was recorded
 * on last. */
static uintptr_t streamsMade;

FAKE_EXPORT int cuStreamCreate(void **stream, unsigned flags) {
  FAKE_REQUIRE_DEVICES;
  (void)flags;
  *stream = (void *)(0x2000 + 0x10 * ++streamsMade);
  return 0;
}

/* Time on the stand-in is its launches: each takes one microsecond. */
static long launchClock;

typedef struct FakeEvent {
  void *stream;
  long clock; /* launchClock when recorded */
} FakeEvent;

/* Uploads not run yet, in the order queued. */
typedef struct FakeUpload {
  void *stream;
  CUdeviceptr dst;
  const void *src;
  void *staged; /* the pageable source's bytes, copied when queued */
  size_t bytes;
} FakeUpload;

enum { kMaxDeferred = 256 };
static FakeUpload deferred[kMaxDeferred];
static int numDeferred;

/* Runs the deferred uploads of `stream` (of every stream when null). */
static void flush(void *stream) {
  int kept = 0;
  for (int i = 0; i < numDeferred; ++i) {
    FakeUpload *u = &deferred[i];
    if (stream && u->stream != stream) {
      deferred[kept++] = *u;
      continue;
    }
    memcpy((void *)(uintptr_t)u->dst, u->staged ? u->staged : u->src, u->bytes);
    free(u->staged);
  }
  numDeferred = kept;
}

/* Counts a race when [p, p + bytes), touched now on `stream`, overlaps a
 * block an upload deferred on another stream still writes. */
static void checkRace(void *stream, const void *p, size_t bytes) {
  uintptr_t begin = (uintptr_t)p;
  for (int i = 0; i < numDeferred; ++i) {
    const FakeUpload *u = &deferred[i];
    if (u->stream != stream && begin < u->dst + u->bytes &&
        u->dst < begin + bytes)
      ++fakeCudaRaces;
  }
}

/* Before work on `stream` that reads `src` and writes `dst` runs: the
 * stream's earlier uploads run first. */
static void beforeWork(void *stream, const void *dst, const void *src,
                       size_t bytes) {
  flush(stream);
  if (dst)
    checkRace(stream, dst, bytes);
  if (src)
    checkRace(stream, src, bytes);
}

/* Stream capture: what the capture has recorded so far. A wait, or a copy
 * to or from the host, breaks it, as on a real driver: that call fails with
 * CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900), and so does the end of the
 * capture, with CUDA_ERROR_STREAM_CAPTURE_INVALIDATED (901). */
typedef struct FakeOp {
  int isFill; /* else a copy */
  CUdeviceptr dst, src;
  size_t bytes; /* of a copy; words of a fill */
  unsigned value;
} FakeOp;

typedef struct FakeGraph {
  FakeOp *ops;
  size_t numOps;
  long launches;
} FakeGraph;

static FakeGraph *recording; /* non-null while capturing */
static int captureBroken;

/* 900 and a broken capture, when capturing. */
static int refuseWhileCapturing(void) {
  if (!recording)
    return 0;
  captureBroken = 1;
  return 900;
}

/* Records `op` when capturing (1), else 0: the caller runs it. */
static int recorded(FakeOp op) {
  if (!recording)
    return 0;
  FakeOp *ops = (FakeOp *)realloc(recording->ops,
                                  sizeof(FakeOp) * (recording->numOps + 1));
  if (!ops) {
    captureBroken = 1;
    return 1;
  }
  ops[recording->numOps++] = op;
  recording->ops = ops;
  return 1;
}

FAKE_EXPORT int cuStreamBeginCapture_v2(void *stream, int mode) {
  FAKE_REQUIRE_DEVICES;
  (void)stream, (void)mode;
  if (getenv("FAKE_CUDA_NO_CAPTURE") || recording)
    return 900;
  recording = (FakeGraph *)calloc(1, sizeof(FakeGraph));
  if (!recording)
    return 2;
  captureBroken = 0;
  ++fakeCudaCaptures;
  return 0;
}

static void freeGraph(FakeGraph *graph) {
  if (graph)
    free(graph->ops);
  free(graph);
}

FAKE_EXPORT int cuStreamEndCapture(void *stream, void **graph) {
  FAKE_REQUIRE_DEVICES;
  (void)stream;
  if (!recording)
    return 1;
  FakeGraph *done = recording;
  recording = NULL;
  if (captureBroken) {
    freeGraph(done);
    *graph = NULL;
    return 901;
  }
  *graph = done;
  return 0;
}

/* The executable graph is a copy of the graph: each is freed on its own. */
FAKE_EXPORT int cuGraphInstantiateWithFlags(void **exec, void *graph,
                                            unsigned long long flags) {
  FAKE_REQUIRE_DEVICES;
  (void)flags;
  const FakeGraph *from = (const FakeGraph *)graph;
  FakeGraph *copy = (FakeGraph *)calloc(1, sizeof(FakeGraph));
  if (!copy)
    return 2;
  copy->ops = (FakeOp *)malloc(sizeof(FakeOp) * (from->numOps + 1));
  if (!copy->ops) {
    free(copy);
    return 2;
  }
  if (from->numOps)
    memcpy(copy->ops, from->ops, sizeof(FakeOp) * from->numOps);
  copy->numOps = from->numOps;
  copy->launches = from->launches;
  ++fakeCudaGraphs;
  *exec = copy;
  return 0;
}

FAKE_EXPORT int cuGraphLaunch(void *exec, void *stream) {
  FAKE_REQUIRE_DEVICES;
  const FakeGraph *graph = (const FakeGraph *)exec;
  flush(stream);
  for (size_t i = 0; i < graph->numOps; ++i) {
    const FakeOp *op = &graph->ops[i];
    beforeWork(stream, (const void *)(uintptr_t)op->dst,
               op->isFill ? NULL : (const void *)(uintptr_t)op->src,
               op->isFill ? op->bytes * 4 : op->bytes);
    if (op->isFill) {
      unsigned *words = (unsigned *)(uintptr_t)op->dst;
      for (size_t k = 0; k < op->bytes; ++k)
        words[k] = op->value;
    } else {
      memcpy((void *)(uintptr_t)op->dst, (const void *)(uintptr_t)op->src,
             op->bytes);
      ++fakeCudaCopies;
      ++fakeCudaGraphCopies;
    }
  }
  fakeCudaLaunches += graph->launches;
  ++fakeCudaGraphLaunches;
  return 0;
}

FAKE_EXPORT int cuGraphExecDestroy(void *exec) {
  FAKE_REQUIRE_DEVICES;
  freeGraph((FakeGraph *)exec);
  --fakeCudaGraphs;
  return 0;
}

FAKE_EXPORT int cuGraphDestroy(void *graph) {
  FAKE_REQUIRE_DEVICES;
  freeGraph((FakeGraph *)graph);
  return 0;
}

/* Streams and events: all work is done at once. */
/* The launch of FAKE_CUDA_FAULTING_KERNEL's handle, and the error every
 * wait reports once it ran. */
static void *faultingFunction;
static int fault;

FAKE_EXPORT int cuStreamSynchronize(void *stream) {
  FAKE_REQUIRE_DEVICES;
  if (recording)
    return refuseWhileCapturing();
  flush(stream);
  return fault;
}

FAKE_EXPORT int cuStreamDestroy_v2(void *stream) {
  FAKE_REQUIRE_DEVICES;
  flush(stream);
  return 0;
}

FAKE_EXPORT int cuStreamWaitEvent(void *stream, void *event, unsigned flags) {
  FAKE_REQUIRE_DEVICES;
  (void)flags;
  void *after = ((FakeEvent *)event)->stream;
  if (after && after != stream) {
    flush(after);
    ++fakeCudaStreamWaits;
  }
  return 0;
}

FAKE_EXPORT int cuEventDestroy_v2(void *event) {
  FAKE_REQUIRE_DEVICES;
  free(event);
  return 0;
}

FAKE_EXPORT int cuEventRecord(void *event, void *stream) {
  FAKE_REQUIRE_DEVICES;
  ((FakeEvent *)event)->stream = stream;
  ((FakeEvent *)event)->clock = launchClock;
  return 0;
}

FAKE_EXPORT int cuEventElapsedTime_v2(float *milliseconds, void *start,
                                      void *end) {
  FAKE_REQUIRE_DEVICES;
  *milliseconds =
      (float)(((FakeEvent *)end)->clock - ((FakeEvent *)start)->clock) / 1000;
  return 0;
}

FAKE_EXPORT int cuEventSynchronize(void *event) {
  FAKE_REQUIRE_DEVICES;
  if (recording)
    return refuseWhileCapturing();
  if (((FakeEvent *)event)->stream)
    flush(((FakeEvent *)event)->stream);
  return fault;
}

FAKE_EXPORT int cuEventCreate(void **event, unsigned flags) {
  FAKE_REQUIRE_DEVICES;
  (void)flags;
  *event = calloc(1, sizeof(FakeEvent));
  return *event ? 0 : 2;
}

static int loadModule(void **module, const void *image) {
  if (strncmp((const char *)image, "bad", 3) == 0)
    return 209;
  *module = (void *)(uintptr_t)(0x100000 + 0x10000 * ++fakeCudaModuleLoads);
  return 0;
}

FAKE_EXPORT int cuModuleLoadData(void **module, const void *image) {
  FAKE_REQUIRE_DEVICES;
  return loadModule(module, image);
}

FAKE_EXPORT int cuModuleLoadDataEx(void **module, const void *image,
                                   unsigned count, int *options,
                                   void **values) {
  FAKE_REQUIRE_DEVICES;
  int result = loadModule(module, image);
  char *log = NULL;
  size_t size = 0;
  for (unsigned i = 0; i < count; ++i) {
    if (options[i] == 5) /* CU_JIT_ERROR_LOG_BUFFER */
      log = (char *)values[i];
    if (options[i] == 6) /* CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES */
      size = (size_t)(uintptr_t)values[i];
  }
  if (result != 0 && log && size > 0) {
    strncpy(log, "ptxas fatal: the fake cannot compile this\n", size);
    log[size - 1] = '\0';
  }
  return result;
}

FAKE_EXPORT int cuModuleUnload(void *module) {
  FAKE_REQUIRE_DEVICES;
  (void)module;
  ++fakeCudaModuleUnloads;
  return 0;
}

FAKE_EXPORT int cuModuleGetFunction(void **function, void *module,
                                    const char *name) {
  FAKE_REQUIRE_DEVICES;
  if (strcmp(name, "missing") == 0)
    return 500;
  ++fakeCudaFunctionLookups;
  /* Each name its own handle, as a real module's kernels have. */
  static char names[4096][128];
  static int numNames;
  int index = 0;
  while (index < numNames && strcmp(names[index], name) != 0)
    ++index;
  if (index == numNames && numNames < 4096)
    snprintf(names[numNames++], sizeof names[0], "%s", name);
  *function = (char *)module + 1 + index;
  const char *faulting = getenv("FAKE_CUDA_FAULTING_KERNEL");
  if (faulting && strcmp(name, faulting) == 0)
    faultingFunction = *function;
  return 0;
}

FAKE_EXPORT int cuLaunchKernel(void *function, unsigned gridX, unsigned gridY,
                               unsigned gridZ, unsigned blockX, unsigned blockY,
                               unsigned blockZ, unsigned sharedBytes,
                               void *stream, void **params, void **extra) {
  FAKE_REQUIRE_DEVICES;
  (void)function, (void)gridX, (void)gridY, (void)gridZ, (void)blockX;
  (void)blockY, (void)blockZ, (void)sharedBytes, (void)params, (void)extra;
  if (!recording)
    flush(stream);
  if (recording) {
    if (getenv("FAKE_CUDA_BREAK_CAPTURE"))
      return refuseWhileCapturing();
    ++recording->launches;
    return 0;
  }
  ++fakeCudaLaunches;
  ++launchClock;
  if (function == faultingFunction)
    fault = 700;
  return 0;
}

/* Each block is preceded by its size. */
static int allocate(CUdeviceptr *pointer, size_t bytes) {
  const char *limit = getenv("FAKE_CUDA_MEMORY");
  if (limit && fakeCudaBytesInUse + (long)bytes > atol(limit))
    return 2;
  size_t *block = (size_t *)malloc(sizeof(size_t) * 2 + bytes);
  if (!block)
    return 2;
  block[0] = bytes;
  fakeCudaBytesInUse += (long)bytes;
  ++fakeCudaAllocs;
  *pointer = (CUdeviceptr)(uintptr_t)(block + 2);
  return 0;
}

FAKE_EXPORT int cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  FAKE_REQUIRE_DEVICES;
  return allocate(pointer, bytes);
}

FAKE_EXPORT int cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes,
                                  unsigned flags) {
  FAKE_REQUIRE_DEVICES;
  (void)flags;
  return allocate(pointer, bytes);
}

FAKE_EXPORT int cuMemFree_v2(CUdeviceptr pointer) {
  FAKE_REQUIRE_DEVICES;
  flush(NULL); /* the driver lets work on the block finish first */
  size_t *block = (size_t *)(uintptr_t)pointer - 2;
  fakeCudaBytesInUse -= (long)block[0];
  ++fakeCudaFrees;
  free(block);
  return 0;
}

/* The pinned blocks live now, to tell pinned uploads from pageable ones. */
enum { kMaxPinned = 16 };
static char *pinned[kMaxPinned];
static size_t pinnedBytes[kMaxPinned];

/* Caller memory registered (cuMemHostRegister). */
static const char *registered[kMaxPinned];
static size_t registeredBytes[kMaxPinned];

static int isRegistered(const void *p, size_t bytes) {
  for (int i = 0; i < kMaxPinned; ++i)
    if (registered[i] && (const char *)p >= registered[i] &&
        (const char *)p + bytes <= registered[i] + registeredBytes[i])
      return 1;
  return 0;
}

static int isPinned(const void *p, size_t bytes) {
  if (isRegistered(p, bytes))
    return 1;
  for (int i = 0; i < kMaxPinned; ++i)
    if (pinned[i] && (const char *)p >= pinned[i] &&
        (const char *)p + bytes <= pinned[i] + pinnedBytes[i])
      return 1;
  return 0;
}

FAKE_EXPORT int cuMemAllocHost_v2(void **pointer, size_t bytes) {
  FAKE_REQUIRE_DEVICES;
  if (getenv("FAKE_CUDA_NO_PINNED"))
    return 2;
  for (int i = 0; i < kMaxPinned; ++i)
    if (!pinned[i]) {
      pinned[i] = malloc(bytes ? bytes : 1);
      if (!pinned[i])
        return 2;
      pinnedBytes[i] = bytes;
      ++fakeCudaHostAllocs;
      *pointer = pinned[i];
      return 0;
    }
  return 2;
}

/* Fails with CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED (712) on overlap. */
FAKE_EXPORT int cuMemHostRegister_v2(void *pointer, size_t bytes,
                                     unsigned flags) {
  FAKE_REQUIRE_DEVICES;
  (void)flags;
  const char *p = (const char *)pointer;
  for (int i = 0; i < kMaxPinned; ++i)
    if (registered[i] && p < registered[i] + registeredBytes[i] &&
        registered[i] < p + bytes)
      return 712;
  for (int i = 0; i < kMaxPinned; ++i)
    if (!registered[i]) {
      registered[i] = p;
      registeredBytes[i] = bytes;
      ++fakeCudaPinnedRanges;
      return 0;
    }
  return 2;
}

/* CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED (713) for an unknown address. */
FAKE_EXPORT int cuMemHostUnregister(void *pointer) {
  FAKE_REQUIRE_DEVICES;
  flush(NULL);
  for (int i = 0; i < kMaxPinned; ++i)
    if (registered[i] == (const char *)pointer) {
      registered[i] = NULL;
      --fakeCudaPinnedRanges;
      return 0;
    }
  return 713;
}

FAKE_EXPORT int cuMemFreeHost(void *pointer) {
  FAKE_REQUIRE_DEVICES;
  flush(NULL);
  for (int i = 0; i < kMaxPinned; ++i)
    if (pinned[i] == pointer) {
      free(pinned[i]);
      pinned[i] = NULL;
      ++fakeCudaHostFrees;
      return 0;
    }
  return 1; /* CUDA_ERROR_INVALID_VALUE */
}

static int copy(CUdeviceptr dst, const void *src, size_t bytes) {
  FAKE_REQUIRE_DEVICES;
  memcpy((void *)(uintptr_t)dst, src, bytes);
  ++fakeCudaCopies;
  return 0;
}

/* A copy between device blocks on `stream`, recorded while capturing. */
static int deviceCopy(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                      void *stream) {
  FAKE_REQUIRE_DEVICES;
  FakeOp op = {0, dst, src, bytes, 0};
  if (recorded(op))
    return 0;
  beforeWork(stream, (const void *)(uintptr_t)dst, (const void *)(uintptr_t)src,
             bytes);
  return copy(dst, (const void *)(uintptr_t)src, bytes);
}

FAKE_EXPORT int cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                              void *stream) {
  return deviceCopy(dst, src, bytes, stream);
}

FAKE_EXPORT int cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src,
                                     size_t bytes, void *stream) {
  FAKE_REQUIRE_DEVICES;
  if (recording)
    return refuseWhileCapturing();
  int fromPinned = isPinned(src, bytes);
  fakeCudaPinnedUploads += fromPinned;
  fakeCudaRegisteredUploads += isRegistered(src, bytes);
  beforeWork(stream, (const void *)(uintptr_t)dst, NULL, bytes);
  if (numDeferred == kMaxDeferred)
    return copy(dst, src, bytes);
  FakeUpload u = {stream, dst, src, NULL, bytes};
  if (!fromPinned) {
    u.staged = malloc(bytes ? bytes : 1);
    if (!u.staged)
      return 2;
    memcpy(u.staged, src, bytes);
  }
  deferred[numDeferred++] = u;
  ++fakeCudaCopies;
  return 0;
}

FAKE_EXPORT int cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes,
                                     void *stream) {
  FAKE_REQUIRE_DEVICES;
  if (recording)
    return refuseWhileCapturing();
  beforeWork(stream, NULL, (const void *)(uintptr_t)src, bytes);
  return copy((CUdeviceptr)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
}

FAKE_EXPORT int cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src,
                                     size_t bytes, void *stream) {
  return deviceCopy(dst, src, bytes, stream);
}

FAKE_EXPORT int cuMemsetD32Async(CUdeviceptr dst, unsigned value, size_t count,
                                 void *stream) {
  FAKE_REQUIRE_DEVICES;
  FakeOp op = {1, dst, 0, count, value};
  if (recorded(op))
    return 0;
  beforeWork(stream, (const void *)(uintptr_t)dst, NULL, count * 4);
  unsigned *words = (unsigned *)(uintptr_t)dst;
  for (size_t i = 0; i < count; ++i)
    words[i] = value;
  return 0;
}
