//===- CudaDriver.cpp - the CUDA driver, loaded when first needed ---------===//

#include "runtime/model/CudaDriver.h"

#include <dlfcn.h>
#include <pthread.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace cnnc::gpu;

namespace {

constexpr const char *kDefaultDriver = "libcuda.so.1";

CudaDriverApi api;
/// Set once, by load(); read without pthread_once by cudaErrorText.
bool loaded = false;
char loadError[1024];
pthread_once_t loadOnce = PTHREAD_ONCE_INIT;

/// Looks up `symbol` in `library` into `slot`; false when it is missing.
template <typename Function>
bool bind(void *library, const char *symbol, Function &slot) {
  slot = reinterpret_cast<Function>(dlsym(library, symbol));
  return slot != nullptr;
}

/// Binds every required function, or names the first one missing.
const char *bindAll(void *library) {
#define CNNC_BIND(field, symbol)                                               \
  if (!bind(library, symbol, api.field))                                       \
    return symbol;
  CNNC_BIND(cuInit, "cuInit")
  CNNC_BIND(cuDeviceGetCount, "cuDeviceGetCount")
  CNNC_BIND(cuDeviceGet, "cuDeviceGet")
  CNNC_BIND(cuDeviceGetName, "cuDeviceGetName")
  CNNC_BIND(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain")
  CNNC_BIND(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2")
  CNNC_BIND(cuCtxPushCurrent, "cuCtxPushCurrent_v2")
  CNNC_BIND(cuCtxPopCurrent, "cuCtxPopCurrent_v2")
  CNNC_BIND(cuStreamCreate, "cuStreamCreate")
  CNNC_BIND(cuStreamSynchronize, "cuStreamSynchronize")
  CNNC_BIND(cuStreamDestroy, "cuStreamDestroy_v2")
  CNNC_BIND(cuStreamWaitEvent, "cuStreamWaitEvent")
  CNNC_BIND(cuEventCreate, "cuEventCreate")
  CNNC_BIND(cuEventDestroy, "cuEventDestroy_v2")
  CNNC_BIND(cuEventRecord, "cuEventRecord")
  CNNC_BIND(cuEventSynchronize, "cuEventSynchronize")
  CNNC_BIND(cuModuleLoadData, "cuModuleLoadData")
  CNNC_BIND(cuModuleLoadDataEx, "cuModuleLoadDataEx")
  CNNC_BIND(cuModuleUnload, "cuModuleUnload")
  CNNC_BIND(cuModuleGetFunction, "cuModuleGetFunction")
  CNNC_BIND(cuLaunchKernel, "cuLaunchKernel")
  CNNC_BIND(cuMemAlloc, "cuMemAlloc_v2")
  CNNC_BIND(cuMemAllocManaged, "cuMemAllocManaged")
  CNNC_BIND(cuMemFree, "cuMemFree_v2")
  CNNC_BIND(cuMemAllocHost, "cuMemAllocHost_v2")
  CNNC_BIND(cuMemFreeHost, "cuMemFreeHost")
  CNNC_BIND(cuMemHostRegister, "cuMemHostRegister_v2")
  CNNC_BIND(cuMemHostUnregister, "cuMemHostUnregister")
  CNNC_BIND(cuMemcpyAsync, "cuMemcpyAsync")
  CNNC_BIND(cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2")
  CNNC_BIND(cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2")
  CNNC_BIND(cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2")
  CNNC_BIND(cuMemsetD32Async, "cuMemsetD32Async")
#undef CNNC_BIND
  return nullptr;
}

/// Binds the CUDA Graphs functions, all or none.
void bindGraphs(void *library) {
  bool all =
      bind(library, "cuStreamBeginCapture_v2", api.cuStreamBeginCapture) &&
      bind(library, "cuStreamEndCapture", api.cuStreamEndCapture) &&
      bind(library, "cuGraphInstantiateWithFlags",
           api.cuGraphInstantiateWithFlags) &&
      bind(library, "cuGraphLaunch", api.cuGraphLaunch) &&
      bind(library, "cuGraphExecDestroy", api.cuGraphExecDestroy) &&
      bind(library, "cuGraphDestroy", api.cuGraphDestroy);
  if (!all) {
    api.cuStreamBeginCapture = nullptr;
    api.cuStreamEndCapture = nullptr;
    api.cuGraphInstantiateWithFlags = nullptr;
    api.cuGraphLaunch = nullptr;
    api.cuGraphExecDestroy = nullptr;
    api.cuGraphDestroy = nullptr;
  }
}

void load() {
  const char *fromEnvironment = std::getenv("CNNC_CUDA_DRIVER");
  bool overridden = fromEnvironment && *fromEnvironment;
  const char *path = overridden ? fromEnvironment : kDefaultDriver;
  const char *via = overridden ? " (from CNNC_CUDA_DRIVER)" : "";
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    std::snprintf(loadError, sizeof loadError,
                  "no CUDA driver on this machine: %s%s cannot be loaded (%s)",
                  path, via, why ? why : "no reason given");
    return;
  }
  if (const char *missing = bindAll(library)) {
    std::snprintf(loadError, sizeof loadError,
                  "the CUDA driver %s%s is too old or not a CUDA driver: it "
                  "lacks %s",
                  path, via, missing);
    api = CudaDriverApi{};
    dlclose(library);
    return;
  }
  bind(library, "cuGetErrorString", api.cuGetErrorString); // optional
  if (!bind(library, "cuEventElapsedTime_v2", api.cuEventElapsedTime))
    bind(library, "cuEventElapsedTime", api.cuEventElapsedTime); // optional
  bindGraphs(library);
  __atomic_store_n(&loaded, true, __ATOMIC_RELEASE);
}

} // namespace

bool cnnc::gpu::loadCudaDriver(char *error, size_t size) {
  pthread_once(&loadOnce, load);
  if (!loaded && error && size > 0)
    std::snprintf(error, size, "%s", loadError);
  return loaded;
}

const CudaDriverApi &cnnc::gpu::cudaDriver() { return api; }

const char *cnnc::gpu::cudaErrorText(CUresult result) {
  if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE) && api.cuGetErrorString) {
    const char *text = nullptr;
    if (api.cuGetErrorString(result, &text) == kCudaSuccess && text)
      return text;
  }
  static thread_local char fallback[32];
  std::snprintf(fallback, sizeof fallback, "CUDA error %d", result);
  return fallback;
}
