//===- GpuRuntime.h - what a model's GPU code runs on -----------*- C++ -*-===//
//
// A model instance on a GPU owns a DeviceContext: the device's primary
// context, one stream on which all of its work is queued in order, the GPU
// binaries it has loaded, and a caching allocator of device memory. The
// host code MLIR generates for gpu.launch_func and gpu.alloc/memcpy calls
// the mgpu* functions of the CUDA runtime wrappers of MLIR 19; this file
// implements them over the context made current on the calling thread by a
// CurrentDevice, so that the generated code needs nothing else.
//
// The CUDA driver is loaded when the first context is created
// (CudaDriver.h): nothing here needs CUDA at build or load time. Nothing
// aborts: every failure becomes a sentence, returned by createDeviceContext
// or recorded in the context for takeError. Internal to libcnnc_model.a,
// like the rest of it: no exceptions, no C++ library allocation.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_MODEL_GPURUNTIME_H
#define CNNC_RUNTIME_MODEL_GPURUNTIME_H

#include <cstddef>
#include <cstdint>

namespace cnnc::gpu {

/// One model instance's use of one GPU. Its functions may be called from
/// several threads; all work goes to one stream, in the order queued.
struct DeviceContext;

/// Opens CUDA device `ordinal`: loads the driver, initialises it, retains
/// the device's primary context and creates the context's stream. Null on
/// failure, with a sentence in `error` (`size` bytes): "no CUDA driver on
/// this machine: ...", "the CUDA driver found no device (cuInit: ...)",
/// "CUDA device 2 does not exist: this machine has 1 (cuda:0)".
DeviceContext *createDeviceContext(int ordinal, char *error, size_t size);

/// Waits for the context's work, frees every block of device memory it
/// allocated (cached or not), unloads its modules and releases the primary
/// context. Null is allowed. Not while a CurrentDevice holds it.
void destroyDeviceContext(DeviceContext *context);

/// The device's ordinal, or -1 for null.
int deviceOrdinal(const DeviceContext *context);
/// The device's name ("NVIDIA H100 80GB HBM3"), or "" for null.
const char *deviceName(const DeviceContext *context);

/// `bytes` of device memory (256-byte aligned), reusing a block of the same
/// rounded size freed earlier; null with the error recorded on failure.
void *deviceAlloc(DeviceContext *context, size_t bytes);
/// Returns a block from deviceAlloc (or mgpuMemAlloc) to the context's
/// cache; later work on the stream may reuse it. Null is allowed.
void deviceFree(DeviceContext *context, void *pointer);

/// Uploads of at least this many bytes (a batch of images) from pageable
/// memory go through the context's pinned staging buffer: the copy engine
/// reads pinned memory at its full rate, pageable memory only through the
/// driver's own staging, which copies it at once.
constexpr size_t kStagedUploadMin = 64 * 1024;

/// Queues a copy of `bytes` from host memory to the device. From pageable
/// memory, `hostSrc` may be changed once it returns: a large copy (a batch)
/// goes through the context's pinned staging buffer, which the copy engine
/// reads faster (from `hostSrc` if the driver gives no pinned memory). From
/// memory pinned by pinHostMemory or hostAlloc the copy engine reads
/// `hostSrc` itself, later: it must not change until the work queued after
/// the copy is waited for.
bool upload(DeviceContext *context, void *devDst, const void *hostSrc,
            size_t bytes);
/// Copies `bytes` from the device to host memory after the work queued
/// before it, and waits for them: `hostDst` holds them when it returns.
bool download(DeviceContext *context, void *hostDst, const void *devSrc,
              size_t bytes);
/// Queues a copy of `bytes` from device memory to device memory.
bool copyOnDevice(DeviceContext *context, void *devDst, const void *devSrc,
                  size_t bytes);
/// Waits for all work queued on the context's stream.
bool synchronize(DeviceContext *context);
// Each returns false with the error recorded on failure; a failed kernel
// usually shows only at the next synchronize or download.

/// Page-locks the caller's host memory [data, data + bytes) for the
/// context (cuMemHostRegister) until unpinHostMemory or the context's end:
/// uploads from it skip the staging copy, and uploadAside reads it while
/// the stream works. False with the error recorded when the driver refuses
/// (part of it pinned already, too much pinned).
bool pinHostMemory(DeviceContext *context, const void *data, size_t bytes);
/// Unpins what pinHostMemory pinned at `data`, once the work queued before
/// has finished; false, with nothing recorded, when nothing was pinned there.
bool unpinHostMemory(DeviceContext *context, const void *data);
/// Whether [data, data + bytes) lies in memory pinned for the context.
bool isPinned(const DeviceContext *context, const void *data, size_t bytes);

/// `bytes` of page-locked host memory of the context's own (cuMemAllocHost),
/// which queueDownload writes without a stop; null with the error recorded
/// when there is none. Freed by hostFree or with the context.
void *hostAlloc(DeviceContext *context, size_t bytes);
/// Frees a block from hostAlloc once the work queued before has finished.
void hostFree(DeviceContext *context, void *data);

/// A point in a context's work that the host or a stream can wait for (a
/// CUDA event). Never marked, it is passed at once.
struct Fence;
Fence *createFence(DeviceContext *context);
/// Frees `fence` once the work queued before has finished. Null allowed.
void destroyFence(DeviceContext *context, Fence *fence);
/// Marks `fence` after the work queued on the context's stream so far.
bool markFence(DeviceContext *context, Fence *fence);
/// Waits on the host until the work before `fence`'s mark has finished.
bool waitForFence(DeviceContext *context, Fence *fence);
/// Makes the work queued on the context's stream from now on wait for the
/// work before `fence`'s mark (on the upload stream, say).
bool streamWaitsFor(DeviceContext *context, Fence *fence);

/// Queues a copy of `bytes` from pinned host memory (isPinned) to the
/// device on the context's upload stream, a second one, so that it runs
/// while the work on the context's stream does: after the work before
/// `after`'s mark (which frees `devDst`), and marks `done` after itself.
/// Nothing on the context's stream waits for it but what streamWaitsFor
/// `done`. `hostSrc` must not change until `done` is passed.
bool uploadAside(DeviceContext *context, void *devDst, const void *hostSrc,
                 size_t bytes, Fence *after, Fence *done);
/// Queues a copy of `bytes` from the device to host memory after the work
/// queued before it, without waiting for it: `hostDst` holds them once a
/// fence marked later is passed. From hostAlloc memory the copy engine
/// writes it directly; other host memory makes the driver wait here.
bool queueDownload(DeviceContext *context, void *hostDst, const void *devSrc,
                   size_t bytes);

/// Work recorded once on a context's stream and replayed with one launch (a
/// CUDA graph): a call's dozens of kernel launches cost the host one. What
/// it reads and writes are the device addresses it was recorded with.
struct Graph;

/// Whether work on `context` can be recorded: the driver has CUDA Graphs
/// and CNNC_CUDA_GRAPHS was not "0" when the context was created.
bool canCapture(const DeviceContext *context);

/// Starts recording the work the calling thread queues on the context's
/// stream: until endCapture it is recorded, not run, and the mgpu* waits
/// (mgpuStreamSynchronize, mgpuEventSynchronize) return at once, since
/// nothing is running. No uploads or downloads in between. False, with
/// nothing started and no error recorded, when it cannot record
/// (canCapture) or an error is pending.
bool beginCapture(DeviceContext *context);

/// Ends the recording and readies it to launch. Null when anything failed
/// while recording, or the driver refused the graph: the errors recorded
/// since beginCapture are cleared then, since none of the work ran, and
/// the caller runs it again without recording to see it run or fail.
Graph *endCapture(DeviceContext *context);

/// Whether `graph` may still run: no device memory was given back to the
/// driver since it was recorded (freeing the cache when memory runs out
/// does), so every address it holds is still the context's.
bool graphIsCurrent(const DeviceContext *context, const Graph *graph);

/// Queues one run of `graph` (current, as graphIsCurrent says); false with
/// the error recorded when the driver refuses.
bool launchGraph(DeviceContext *context, Graph *graph);

/// Frees `graph` once the work queued before has finished. Null allowed.
void destroyGraph(DeviceContext *context, Graph *graph);

/// The first error recorded since the last call, or null; clears it. The
/// text stays valid until the next call for the same context. While an
/// error is recorded, the mgpu* functions queue no kernels, copies or
/// memsets and allocate nothing.
const char *takeError(DeviceContext *context);

/// Makes `context` the calling thread's current context, for the mgpu*
/// functions, until destroyed; the previous one (if any) is current again
/// after. Null makes no context current.
class CurrentDevice {
public:
  explicit CurrentDevice(DeviceContext *context);
  ~CurrentDevice();
  CurrentDevice(const CurrentDevice &) = delete;
  CurrentDevice &operator=(const CurrentDevice &) = delete;

private:
  DeviceContext *previous_;
  bool pushed_ = false;
};

} // namespace cnnc::gpu

// The functions host code lowered by MLIR 19's gpu-to-llvm calls, with the
// signatures it declares. They act on the calling thread's current context
// and report failures by recording its first error, naming the function and
// the CUDA error; with no current context they do nothing and return null.
// Hidden like the rest of the archive: generated code in the same .so
// resolves them.
extern "C" {
void *mgpuStreamCreate();
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void *mgpuModuleLoad(void *data, int64_t size);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream);
void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream);
void *mgpuEventCreate();
void mgpuEventDestroy(void *event);
void mgpuEventSynchronize(void *event);
void mgpuEventRecord(void *event, void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);
} // extern "C"

#endif // CNNC_RUNTIME_MODEL_GPURUNTIME_H
