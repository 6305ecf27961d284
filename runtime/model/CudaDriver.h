//===- CudaDriver.h - the CUDA driver, loaded when first needed -*- C++ -*-===//
//
// The few CUDA driver API functions the runtime uses, found with dlopen and
// dlsym at run time, so that a model's .so needs no CUDA at build or load
// time and runs on machines without one until it is asked for a GPU. The
// types are declared here as the driver's ABI has them (cuda.h is not
// included: the CUDA toolkit is optional). Internal to libcnnc_model.a.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_MODEL_CUDADRIVER_H
#define CNNC_RUNTIME_MODEL_CUDADRIVER_H

#include <cstddef>

namespace cnnc::gpu {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUjit_option = int;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

// The values of cuda.h's enums that the runtime uses.
constexpr CUresult kCudaSuccess = 0;
constexpr CUresult kCudaErrorOutOfMemory = 2;
constexpr CUresult kCudaErrorNoDevice = 100;
constexpr unsigned kCuStreamNonBlocking = 0x1;
constexpr unsigned kCuEventDisableTiming = 0x2;
constexpr unsigned kCuMemAttachGlobal = 0x1;
constexpr CUjit_option kCuJitErrorLogBuffer = 5;
constexpr CUjit_option kCuJitErrorLogBufferSizeBytes = 6;
constexpr CUjit_option kCuJitOptimizationLevel = 7;
constexpr int kCuStreamCaptureModeRelaxed = 2;

/// The driver's functions, each under its cuda.h name; the table holds the
/// versioned symbol where cuda.h maps the name to one (cuMemAlloc is
/// cuMemAlloc_v2). Valid once loadCudaDriver has returned true.
struct CudaDriverApi {
  CUresult (*cuInit)(unsigned flags);
  CUresult (*cuGetErrorString)(CUresult error, const char **text); // or null
  CUresult (*cuDeviceGetCount)(int *count);
  CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
  CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice device);
  CUresult (*cuCtxPushCurrent)(CUcontext context);
  CUresult (*cuCtxPopCurrent)(CUcontext *context);
  CUresult (*cuStreamCreate)(CUstream *stream, unsigned flags);
  CUresult (*cuStreamSynchronize)(CUstream stream);
  CUresult (*cuStreamDestroy)(CUstream stream);
  CUresult (*cuStreamWaitEvent)(CUstream stream, CUevent event, unsigned flags);
  CUresult (*cuEventCreate)(CUevent *event, unsigned flags);
  CUresult (*cuEventDestroy)(CUevent event);
  CUresult (*cuEventRecord)(CUevent event, CUstream stream);
  CUresult (*cuEventSynchronize)(CUevent event);
  CUresult (*cuEventElapsedTime)(float *milliseconds, CUevent start,
                                 CUevent end); // or null (only profiling)
  CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
  CUresult (*cuModuleLoadDataEx)(CUmodule *module, const void *image,
                                 unsigned numOptions, CUjit_option *options,
                                 void **optionValues);
  CUresult (*cuModuleUnload)(CUmodule module);
  CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module,
                                  const char *name);
  CUresult (*cuLaunchKernel)(CUfunction function, unsigned gridX,
                             unsigned gridY, unsigned gridZ, unsigned blockX,
                             unsigned blockY, unsigned blockZ,
                             unsigned sharedBytes, CUstream stream,
                             void **params, void **extra);
  CUresult (*cuMemAlloc)(CUdeviceptr *pointer, size_t bytes);
  CUresult (*cuMemAllocManaged)(CUdeviceptr *pointer, size_t bytes,
                                unsigned flags);
  CUresult (*cuMemFree)(CUdeviceptr pointer);
  CUresult (*cuMemAllocHost)(void **pointer, size_t bytes);
  CUresult (*cuMemFreeHost)(void *pointer);
  CUresult (*cuMemHostRegister)(void *pointer, size_t bytes, unsigned flags);
  CUresult (*cuMemHostUnregister)(void *pointer);
  CUresult (*cuMemcpyAsync)(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                            CUstream stream);
  CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr dst, const void *src, size_t bytes,
                                CUstream stream);
  CUresult (*cuMemcpyDtoHAsync)(void *dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);
  CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr dst, CUdeviceptr src, size_t bytes,
                                CUstream stream);
  CUresult (*cuMemsetD32Async)(CUdeviceptr dst, unsigned value, size_t count,
                               CUstream stream);
  // CUDA Graphs (driver 11.4 and later); all null when any is missing, and
  // work is then never captured.
  CUresult (*cuStreamBeginCapture)(CUstream stream, int mode);
  CUresult (*cuStreamEndCapture)(CUstream stream, CUgraph *graph);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *exec, CUgraph graph,
                                          unsigned long long flags);
  CUresult (*cuGraphLaunch)(CUgraphExec exec, CUstream stream);
  CUresult (*cuGraphExecDestroy)(CUgraphExec exec);
  CUresult (*cuGraphDestroy)(CUgraph graph);
};

/// Loads the driver: dlopen of $CNNC_CUDA_DRIVER when set and not empty,
/// else of libcuda.so.1, and dlsym of every function of CudaDriverApi.
/// Thread-safe; the work is done once, and every call returns its outcome.
/// On failure writes a sentence to `error` (`size` bytes, truncated) and
/// returns false. The library stays loaded until the process exits.
bool loadCudaDriver(char *error, size_t size);

/// The driver's table; only after loadCudaDriver returned true.
const CudaDriverApi &cudaDriver();

/// The driver's text for `result` ("out of memory"), or "CUDA error N" when
/// the driver has none (or is not loaded). The text is static or
/// thread-local: valid until the calling thread's next call.
const char *cudaErrorText(CUresult result);

} // namespace cnnc::gpu

#endif // CNNC_RUNTIME_MODEL_CUDADRIVER_H
