//===- RuntimeCudaDriverTest.cpp - the runtime's CUDA layer ---------------===//
//
// The driver is loaded once per process, so each test that loads one (a
// missing driver, the fake driver of FakeCudaDriver.c) runs in a child
// process of its own, as a death test that must exit with 0 and print the
// expected messages: the checks in the child print what failed and make it
// exit with 1. The mgpu* functions are checked without a context, and on a
// real GPU, when this machine has one, an upload and download round-trip.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/GpuRuntime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace cnnc::gpu;

#ifndef FAKE_CUDA_DRIVER_PATH
#error "FAKE_CUDA_DRIVER_PATH must name the built FakeCudaDriver.c library"
#endif

namespace {

/// Counts the failed checks of a child process; prints each.
int childFailures = 0;

#define CHILD_EXPECT(condition)                                                \
  do {                                                                         \
    if (!(condition)) {                                                        \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,    \
                   #condition);                                                \
      ++childFailures;                                                         \
    }                                                                          \
  } while (0)

/// Checks that `text` is non-null and contains `part`, printing it if not.
#define CHILD_EXPECT_CONTAINS(text, part)                                      \
  do {                                                                         \
    const char *childText = (text);                                            \
    if (!childText || !std::strstr(childText, part)) {                         \
      std::fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n",          \
                   __FILE__, __LINE__, childText ? childText : "(null)",       \
                   part);                                                      \
      ++childFailures;                                                         \
    }                                                                          \
  } while (0)

/// Runs `body` in a fresh process (the test binary run again, so that no
/// driver is loaded yet), which must pass its checks and print to stderr
/// something matching `pattern`.
#define EXPECT_IN_CHILD(body, pattern)                                         \
  EXPECT_EXIT(                                                                 \
      {                                                                        \
        body();                                                                \
        std::fflush(stderr);                                                   \
        std::_Exit(childFailures == 0 ? 0 : 1);                                \
      },                                                                       \
      ::testing::ExitedWithCode(0), pattern)

class CudaDriverTest : public ::testing::Test {
protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

/// Loads the fake driver as a machine with `devices` GPUs (none when
/// null) and tries to open device `ordinal`.
DeviceContext *openFake(const char *devices, int ordinal, char *error,
                        size_t size) {
  setenv("CNNC_CUDA_DRIVER", FAKE_CUDA_DRIVER_PATH, 1);
  if (devices)
    setenv("FAKE_CUDA_DEVICES", devices, 1);
  else
    unsetenv("FAKE_CUDA_DEVICES");
  return createDeviceContext(ordinal, error, size);
}

/// Device 0 of a one-device stand-in; on failure the check fails, the
/// reason goes to stderr and the result is null.
DeviceContext *openOneFakeDevice() {
  char error[512] = "";
  DeviceContext *c = openFake("1", 0, error, sizeof error);
  CHILD_EXPECT(c != nullptr);
  if (!c)
    std::fprintf(stderr, "%s\n", error);
  return c;
}

/// Takes the error `c` recorded and prints it to stderr on a line of its
/// own ("(none)" for none), where a death test's pattern matches it.
void printRecordedError(DeviceContext *c) {
  const char *message = takeError(c);
  std::fprintf(stderr, "%s\n", message ? message : "(none)");
}

/// One of the fake driver's counters.
long fakeCounter(const char *name) {
  void *fake = dlopen(FAKE_CUDA_DRIVER_PATH, RTLD_NOW | RTLD_NOLOAD);
  if (!fake)
    return -1;
  auto *counter = static_cast<long *>(dlsym(fake, name));
  long value = counter ? *counter : -1;
  dlclose(fake);
  return value;
}

//===----------------------------------------------------------------------===//
// Loading the driver
//===----------------------------------------------------------------------===//

void openMissingDriver() {
  setenv("CNNC_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  char error[512] = "";
  CHILD_EXPECT(createDeviceContext(0, error, sizeof error) == nullptr);
  std::fprintf(stderr, "first: %s\n", error);
  CHILD_EXPECT_CONTAINS(error, "no CUDA driver on this machine");
  CHILD_EXPECT_CONTAINS(error, "/nonexistent/libcuda.so.1");
  // The outcome is kept: a second try gives the same sentence.
  char again[512] = "";
  CHILD_EXPECT(createDeviceContext(0, again, sizeof again) == nullptr);
  CHILD_EXPECT(std::strcmp(error, again) == 0);
  // A short buffer gets a truncated, terminated message.
  char tiny[8];
  std::memset(tiny, 'x', sizeof tiny);
  CHILD_EXPECT(createDeviceContext(0, tiny, sizeof tiny) == nullptr);
  CHILD_EXPECT(std::strlen(tiny) == sizeof tiny - 1);
  CHILD_EXPECT(createDeviceContext(0, nullptr, 0) == nullptr);
}

TEST_F(CudaDriverTest, MissingDriverIsASentence) {
  EXPECT_IN_CHILD(openMissingDriver,
                  "first: no CUDA driver on this machine: "
                  "/nonexistent/libcuda.so.1 \\(from CNNC_CUDA_DRIVER\\) "
                  "cannot be loaded \\(.*\\)");
}

void openDriverWithoutDevice() {
  char error[512] = "";
  CHILD_EXPECT(openFake(nullptr, 0, error, sizeof error) == nullptr);
  std::fprintf(stderr, "%s\n", error);
  CHILD_EXPECT_CONTAINS(error, "no device");
}

TEST_F(CudaDriverTest, DriverWithoutDeviceSaysSo) {
  EXPECT_IN_CHILD(openDriverWithoutDevice,
                  "the CUDA driver found no device \\(cuInit: no "
                  "CUDA-capable device is detected\\)");
}

void openMissingOrdinal() {
  char error[512] = "";
  CHILD_EXPECT(openFake("1", 2, error, sizeof error) == nullptr);
  std::fprintf(stderr, "%s\n", error);
  setenv("FAKE_CUDA_DEVICES", "3", 1);
  CHILD_EXPECT(createDeviceContext(-1, error, sizeof error) == nullptr);
  std::fprintf(stderr, "%s\n", error);
  setenv("FAKE_CUDA_DEVICES", "0", 1);
  CHILD_EXPECT(createDeviceContext(0, error, sizeof error) == nullptr);
  std::fprintf(stderr, "%s\n", error);
}

TEST_F(CudaDriverTest, MissingOrdinalNamesTheDevices) {
  EXPECT_IN_CHILD(
      openMissingOrdinal,
      "CUDA device 2 does not exist: this machine has 1 \\(cuda:0\\)\n"
      "CUDA device -1 does not exist: this machine has 3 "
      "\\(cuda:0 to cuda:2\\)\n"
      "the CUDA driver found no device\n");
}

//===----------------------------------------------------------------------===//
// The context on the fake driver's emulated device
//===----------------------------------------------------------------------===//

void allocateAndCopy() {
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  CHILD_EXPECT(deviceOrdinal(c) == 0);
  CHILD_EXPECT(std::strcmp(deviceName(c), "Fake GPU") == 0);

  // Blocks of a freed size are reused; other sizes are not.
  void *a = deviceAlloc(c, 4000);
  CHILD_EXPECT(a != nullptr);
  deviceFree(c, a);
  CHILD_EXPECT(deviceAlloc(c, 4000) == a);
  CHILD_EXPECT(fakeCounter("fakeCudaAllocs") == 1);
  void *b = deviceAlloc(c, 8000);
  CHILD_EXPECT(b != nullptr && b != a);
  void *empty = deviceAlloc(c, 0);
  CHILD_EXPECT(empty != nullptr && empty != a && empty != b);

  float host[1000], back[1000];
  for (int i = 0; i < 1000; ++i)
    host[i] = 0.5f * static_cast<float>(i);
  std::memset(back, 0, sizeof back);
  CHILD_EXPECT(upload(c, a, host, sizeof host));
  CHILD_EXPECT(copyOnDevice(c, b, a, sizeof host));
  CHILD_EXPECT(download(c, back, b, sizeof back));
  CHILD_EXPECT(std::memcmp(host, back, sizeof host) == 0);
  CHILD_EXPECT(synchronize(c));
  CHILD_EXPECT(takeError(c) == nullptr);

  // Misuse is recorded, once, and taken.
  CHILD_EXPECT(!upload(c, nullptr, host, 4));
  int notDevice = 0;
  deviceFree(c, &notDevice);
  CHILD_EXPECT_CONTAINS(takeError(c), "upload: a copy of 4 bytes on cuda:0 "
                                      "(Fake GPU) has a null destination");
  CHILD_EXPECT(takeError(c) == nullptr);

  // Everything is freed with the context, cached or not.
  deviceFree(c, b);
  destroyDeviceContext(c);
  CHILD_EXPECT(fakeCounter("fakeCudaBytesInUse") == 0);
  CHILD_EXPECT(fakeCounter("fakeCudaFrees") == fakeCounter("fakeCudaAllocs"));
  std::fprintf(stderr, "done\n");
}

TEST_F(CudaDriverTest, AllocatesAndCopiesOnTheFakeDevice) {
  EXPECT_IN_CHILD(allocateAndCopy, "done");
}

/// Uploads `count` floats 0, 1, ... from a host buffer that is overwritten
/// as soon as upload returns, and checks what reached the device.
bool uploadSurvivesReuse(DeviceContext *c, void *device, size_t count) {
  std::vector<float> host(count), back(count, -1.0f);
  for (size_t i = 0; i < count; ++i)
    host[i] = static_cast<float>(i);
  if (!upload(c, device, host.data(), count * sizeof(float)))
    return false;
  std::fill(host.begin(), host.end(), 7.0f); // the caller's next batch
  if (!download(c, back.data(), device, count * sizeof(float)))
    return false;
  for (size_t i = 0; i < count; ++i)
    if (back[i] != static_cast<float>(i))
      return false;
  return true;
}

void stageLargeUploads() {
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  void *device = deviceAlloc(c, 1 << 22);
  // A batch goes through one pinned buffer, reused while it is big enough.
  CHILD_EXPECT(uploadSurvivesReuse(c, device, 1 << 18));
  CHILD_EXPECT(fakeCounter("fakeCudaPinnedUploads") == 1);
  CHILD_EXPECT(uploadSurvivesReuse(c, device, 1 << 17));
  CHILD_EXPECT(fakeCounter("fakeCudaPinnedUploads") == 2);
  CHILD_EXPECT(fakeCounter("fakeCudaHostAllocs") == 1);
  // A few labels go directly.
  CHILD_EXPECT(uploadSurvivesReuse(c, device, 64));
  CHILD_EXPECT(fakeCounter("fakeCudaPinnedUploads") == 2);
  // A larger batch replaces the buffer.
  CHILD_EXPECT(uploadSurvivesReuse(c, device, 1 << 20));
  CHILD_EXPECT(fakeCounter("fakeCudaPinnedUploads") == 3);
  CHILD_EXPECT(fakeCounter("fakeCudaHostAllocs") == 2);
  CHILD_EXPECT(fakeCounter("fakeCudaHostFrees") == 1);
  CHILD_EXPECT(takeError(c) == nullptr);
  deviceFree(c, device);
  destroyDeviceContext(c);
  CHILD_EXPECT(fakeCounter("fakeCudaHostFrees") == 2);
  std::fprintf(stderr, "done\n");
}

void uploadWithoutPinnedMemory() {
  setenv("FAKE_CUDA_NO_PINNED", "1", 1);
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  void *device = deviceAlloc(c, 1 << 20);
  CHILD_EXPECT(uploadSurvivesReuse(c, device, 1 << 18));
  CHILD_EXPECT(fakeCounter("fakeCudaPinnedUploads") == 0);
  CHILD_EXPECT(takeError(c) == nullptr);
  deviceFree(c, device);
  destroyDeviceContext(c);
  std::fprintf(stderr, "done\n");
}

TEST_F(CudaDriverTest, LargeUploadsGoThroughPinnedMemory) {
  EXPECT_IN_CHILD(stageLargeUploads, "done");
}

TEST_F(CudaDriverTest, UploadsWithoutPinnedMemoryGoDirectly) {
  EXPECT_IN_CHILD(uploadWithoutPinnedMemory, "done");
}

/// Pinned caller memory is uploaded without the staging copy; an upload on
/// the second stream reaches the first stream's work only through a fence,
/// and a download queued into the context's pinned memory is there once a
/// fence marked after it is passed. The stand-in runs an upload only when
/// something waits for it, so a missing wait shows as a race.
void uploadAsideWithFences() {
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  const size_t count = 1 << 18, bytes = count * sizeof(float);
  std::vector<float> batch(count);
  for (size_t i = 0; i < count; ++i)
    batch[i] = static_cast<float>(i);
  CHILD_EXPECT(pinHostMemory(c, batch.data(), bytes));
  CHILD_EXPECT(isPinned(c, batch.data() + 8, bytes - 64));
  CHILD_EXPECT(!isPinned(c, batch.data() + 8, bytes));
  CHILD_EXPECT(!pinHostMemory(c, batch.data() + 4, 64));
  CHILD_EXPECT_CONTAINS(takeError(c), "cannot pin 64 bytes of host memory");

  // In order, from the caller's memory: no staging buffer is made.
  void *aside = deviceAlloc(c, bytes), *used = deviceAlloc(c, bytes);
  CHILD_EXPECT(upload(c, used, batch.data(), bytes));
  CHILD_EXPECT(fakeCounter("fakeCudaRegisteredUploads") == 1);
  CHILD_EXPECT(fakeCounter("fakeCudaHostAllocs") == 0);

  Fence *uploaded = createFence(c), *consumed = createFence(c);
  Fence *downloaded = createFence(c);
  CHILD_EXPECT(uploaded && consumed && downloaded);
  auto *back = static_cast<float *>(hostAlloc(c, bytes));
  CHILD_EXPECT(back != nullptr);
  for (int round = 0; round < 2; ++round) {
    batch[5] = static_cast<float>(100 + round);
    CHILD_EXPECT(
        uploadAside(c, aside, batch.data(), bytes, consumed, uploaded));
    CHILD_EXPECT(streamWaitsFor(c, uploaded));
    CHILD_EXPECT(copyOnDevice(c, used, aside, bytes));
    CHILD_EXPECT(markFence(c, consumed));
    CHILD_EXPECT(queueDownload(c, back, used, bytes));
    CHILD_EXPECT(markFence(c, downloaded));
    CHILD_EXPECT(waitForFence(c, downloaded));
    CHILD_EXPECT(back[5] == static_cast<float>(100 + round));
    CHILD_EXPECT(back[count - 1] == static_cast<float>(count - 1));
  }
  CHILD_EXPECT(fakeCounter("fakeCudaRaces") == 0);
  // Without the wait, the copy reads the buffer before the upload is done.
  CHILD_EXPECT(uploadAside(c, aside, batch.data(), bytes, consumed, uploaded));
  CHILD_EXPECT(copyOnDevice(c, used, aside, bytes));
  CHILD_EXPECT(fakeCounter("fakeCudaRaces") == 1);
  CHILD_EXPECT(takeError(c) == nullptr);

  CHILD_EXPECT(unpinHostMemory(c, batch.data()));
  CHILD_EXPECT(!unpinHostMemory(c, batch.data()));
  CHILD_EXPECT(fakeCounter("fakeCudaPinnedRanges") == 0);
  CHILD_EXPECT(pinHostMemory(c, batch.data(), bytes)); // left to the context
  hostFree(c, back);
  destroyFence(c, uploaded);
  destroyFence(c, consumed);
  destroyFence(c, downloaded);
  deviceFree(c, aside);
  deviceFree(c, used);
  destroyDeviceContext(c);
  CHILD_EXPECT(fakeCounter("fakeCudaPinnedRanges") == 0);
  std::fprintf(stderr, "done\n");
}

TEST_F(CudaDriverTest, UploadsBesideTheStreamAreOrderedByFences) {
  EXPECT_IN_CHILD(uploadAsideWithFences, "done");
}

const char kBinary[] = "a fake cubin";
const char kBadBinary[] = "bad cubin";

void runGeneratedCalls() {
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  {
    CurrentDevice scope(c);
    void *stream = mgpuStreamCreate();
    CHILD_EXPECT(stream != nullptr);

    // What MLIR 19 emits for each launch: load, look up, launch, unload.
    for (int i = 0; i < 3; ++i) {
      void *module = mgpuModuleLoad(const_cast<char *>(kBinary), 0);
      CHILD_EXPECT(module != nullptr);
      void *function = mgpuModuleGetFunction(module, "main_kernel");
      CHILD_EXPECT(function != nullptr);
      mgpuLaunchKernel(function, 4, 1, 1, 128, 1, 1, 0, stream, nullptr,
                       nullptr, 0);
      mgpuModuleUnload(module);
    }
    mgpuStreamSynchronize(stream);
    mgpuStreamDestroy(stream);
    CHILD_EXPECT(fakeCounter("fakeCudaModuleLoads") == 1);
    CHILD_EXPECT(fakeCounter("fakeCudaFunctionLookups") == 1);
    CHILD_EXPECT(fakeCounter("fakeCudaLaunches") == 3);
    CHILD_EXPECT(takeError(c) == nullptr);

    auto *words = static_cast<unsigned *>(mgpuMemAlloc(64, stream, false));
    CHILD_EXPECT(words != nullptr);
    mgpuMemset32(words, 7, 16, stream);
    unsigned host[16] = {};
    mgpuMemcpy(host, words, sizeof host, stream);
    CHILD_EXPECT(host[0] == 7 && host[15] == 7);
    void *event = mgpuEventCreate();
    CHILD_EXPECT(event != nullptr);
    mgpuEventRecord(event, stream);
    mgpuStreamWaitEvent(stream, event);
    mgpuEventSynchronize(event);
    mgpuEventDestroy(event);
    void *shared = mgpuMemAlloc(32, stream, true);
    CHILD_EXPECT(shared != nullptr);
    mgpuMemFree(shared, stream);
    CHILD_EXPECT(takeError(c) == nullptr);

    // A missing kernel is recorded; until it is taken, nothing is launched,
    // copied or allocated.
    void *module = mgpuModuleLoad(const_cast<char *>(kBinary), 0);
    CHILD_EXPECT(mgpuModuleGetFunction(module, "missing") == nullptr);
    mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr, 0);
    host[0] = 0;
    mgpuMemcpy(host, words, sizeof host, stream);
    CHILD_EXPECT(host[0] == 0);
    CHILD_EXPECT(mgpuMemAlloc(64, stream, false) == nullptr);
    CHILD_EXPECT(fakeCounter("fakeCudaLaunches") == 3);
    printRecordedError(c);
    CHILD_EXPECT(takeError(c) == nullptr);
    mgpuMemcpy(host, words, sizeof host, stream);
    CHILD_EXPECT(host[0] == 7);

    // A launch out of range names the kernel.
    void *function = mgpuModuleGetFunction(module, "main_kernel");
    mgpuLaunchKernel(function, 0, 1, 1, 1, 1, 1, 0, stream, nullptr, nullptr,
                     0);
    printRecordedError(c);

    // Binaries that do not load.
    CHILD_EXPECT(mgpuModuleLoad(const_cast<char *>(kBadBinary), 0) == nullptr);
    printRecordedError(c);
    CHILD_EXPECT(mgpuModuleLoadJIT(const_cast<char *>(kBadBinary), 2) ==
                 nullptr);
    printRecordedError(c);
    mgpuMemFree(words, stream);
  }
  // Scope left: the functions act on no context again.
  CHILD_EXPECT(mgpuStreamCreate() == nullptr);
  destroyDeviceContext(c);
  CHILD_EXPECT(fakeCounter("fakeCudaModuleUnloads") == 1);
  CHILD_EXPECT(fakeCounter("fakeCudaBytesInUse") == 0);
}

TEST_F(CudaDriverTest, RunsMlirsCallsOnTheFakeDevice) {
  EXPECT_IN_CHILD(
      runGeneratedCalls,
      "mgpuModuleGetFunction: the model's GPU binary has no kernel missing "
      "on cuda:0 \\(Fake GPU\\): named symbol not found\n"
      "mgpuLaunchKernel: main_kernel cannot be launched on cuda:0 \\(Fake "
      "GPU\\) with 0 x 1 x 1 blocks of 1 x 1 x 1 threads and 0 bytes of "
      "shared memory: out of range\n"
      "mgpuModuleLoad: the model's GPU binary cannot be loaded on cuda:0 "
      "\\(Fake GPU\\): no kernel image is available for execution on the "
      "device \\(the model was compiled for another GPU architecture\\)\n"
      "mgpuModuleLoadJIT: the model's GPU code \\(PTX\\) cannot be loaded on "
      "cuda:0 \\(Fake GPU\\): .*: ptxas fatal: the fake cannot compile "
      "this\n");
}

void runOutOfMemory() {
  setenv("FAKE_CUDA_MEMORY", "4096", 1);
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  CurrentDevice scope(c);
  // A cached block is given back to make room.
  void *a = mgpuMemAlloc(2048, nullptr, false);
  CHILD_EXPECT(a != nullptr);
  mgpuMemFree(a, nullptr);
  void *b = mgpuMemAlloc(3072, nullptr, false);
  CHILD_EXPECT(b != nullptr);
  CHILD_EXPECT(fakeCounter("fakeCudaBytesInUse") == 3072);
  // No room: recorded, and later work does nothing.
  CHILD_EXPECT(mgpuMemAlloc(4000, nullptr, false) == nullptr);
  mgpuMemset32(b, 1, 4, nullptr);
  printRecordedError(c);
  mgpuMemFree(b, nullptr);
  CHILD_EXPECT(fakeCounter("fakeCudaBytesInUse") == 3072); // cached
}

TEST_F(CudaDriverTest, OutOfMemoryIsRecorded) {
  EXPECT_IN_CHILD(runOutOfMemory,
                  "mgpuMemAlloc: cannot allocate 4000 bytes on cuda:0 "
                  "\\(Fake GPU\\): out of memory");
}

/// CNNC_CUDA_SYNC=1 waits for each launch (and records no graphs), so that
/// a kernel that faults is named by its own launch, not found at a later
/// wait.
void runFaultingKernel() {
  setenv("CNNC_CUDA_SYNC", "1", 1);
  setenv("FAKE_CUDA_FAULTING_KERNEL", "bad_kernel", 1);
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  CHILD_EXPECT(!canCapture(c));
  {
    CurrentDevice scope(c);
    void *stream = mgpuStreamCreate();
    void *module = mgpuModuleLoad(const_cast<char *>(kBinary), 0);
    mgpuLaunchKernel(mgpuModuleGetFunction(module, "main_kernel"), 1, 1, 1, 32,
                     1, 1, 0, stream, nullptr, nullptr, 0);
    CHILD_EXPECT(takeError(c) == nullptr);
    mgpuLaunchKernel(mgpuModuleGetFunction(module, "bad_kernel"), 1, 1, 1, 32,
                     1, 1, 0, stream, nullptr, nullptr, 0);
    printRecordedError(c);
    mgpuModuleUnload(module);
    mgpuStreamDestroy(stream);
  }
  destroyDeviceContext(c);
}

TEST_F(CudaDriverTest, SyncedLaunchNamesTheKernelThatFaults) {
  EXPECT_IN_CHILD(runFaultingKernel,
                  "^mgpuLaunchKernel: bad_kernel failed on cuda:0 \\(Fake "
                  "GPU\\): an illegal memory access was encountered\n$");
}

/// A buffer past the kernels' 32-bit element offsets is refused before the
/// driver is asked, even where it has the memory.
void runBeyondIndexing() {
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  CurrentDevice scope(c);
  CHILD_EXPECT(mgpuMemAlloc(uint64_t(INT32_MAX) * 4 + 1, nullptr, false) ==
               nullptr);
  CHILD_EXPECT(fakeCounter("fakeCudaBytesInUse") == 0);
  printRecordedError(c);
}

TEST_F(CudaDriverTest, BufferBeyondIndexingIsRecorded) {
  EXPECT_IN_CHILD(runBeyondIndexing,
                  "mgpuMemAlloc: cannot allocate 8589934589 bytes on cuda:0 "
                  "\\(Fake GPU\\): the GPU kernels address at most "
                  "8589934588 bytes \\(2\\^31 - 1 elements of 4 bytes\\) in "
                  "one buffer; use a smaller batch");
}

//===----------------------------------------------------------------------===//
// Recording work as a graph
//===----------------------------------------------------------------------===//

/// Records a fill of `a` and a copy of `a` into `b` while the mgpu* waits
/// of generated code are passed, and replays them: the work runs only when
/// the graph is launched, and each launch runs it again.
void recordAndReplay() {
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  CurrentDevice scope(c);
  CHILD_EXPECT(canCapture(c));
  auto *a = static_cast<unsigned *>(mgpuMemAlloc(64, nullptr, false));
  auto *b = static_cast<unsigned *>(mgpuMemAlloc(64, nullptr, false));
  unsigned host[16] = {};
  CHILD_EXPECT(upload(c, b, host, sizeof host));
  CHILD_EXPECT(beginCapture(c));
  CHILD_EXPECT(!beginCapture(c)); // one recording at a time
  void *stream = mgpuStreamCreate();
  mgpuMemset32(a, 7, 16, stream);
  mgpuMemcpy(b, a, 64, stream);
  void *module = mgpuModuleLoad(const_cast<char *>(kBinary), 0);
  void *function = mgpuModuleGetFunction(module, "main_kernel");
  mgpuLaunchKernel(function, 4, 1, 1, 128, 1, 1, 0, stream, nullptr, nullptr,
                   0);
  mgpuStreamSynchronize(stream);
  Graph *graph = endCapture(c);
  CHILD_EXPECT(graph != nullptr);
  CHILD_EXPECT(takeError(c) == nullptr);
  CHILD_EXPECT(fakeCounter("fakeCudaLaunches") == 0);
  CHILD_EXPECT(download(c, host, b, sizeof host));
  CHILD_EXPECT(host[0] == 0 && host[15] == 0); // recorded, not run

  CHILD_EXPECT(graphIsCurrent(c, graph));
  for (int run = 1; run <= 2; ++run) {
    unsigned zeros[16] = {};
    CHILD_EXPECT(upload(c, b, zeros, sizeof zeros));
    CHILD_EXPECT(launchGraph(c, graph));
    CHILD_EXPECT(download(c, host, b, sizeof host));
    CHILD_EXPECT(host[0] == 7 && host[15] == 7);
    CHILD_EXPECT(fakeCounter("fakeCudaLaunches") == run);
  }
  destroyGraph(c, graph);
  CHILD_EXPECT(fakeCounter("fakeCudaGraphs") == 0);
  mgpuMemFree(a, nullptr);
  mgpuMemFree(b, nullptr);
  CHILD_EXPECT(takeError(c) == nullptr);
  destroyDeviceContext(c);
}

TEST_F(CudaDriverTest, RecordsWorkAsAGraphAndReplaysIt) {
  EXPECT_IN_CHILD(recordAndReplay, "");
}

/// A recording that breaks (an upload in it, which a graph cannot hold)
/// gives no graph and leaves no error: none of its work ran.
void brokenRecording() {
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  CurrentDevice scope(c);
  void *a = mgpuMemAlloc(64, nullptr, false);
  unsigned host[16] = {};
  CHILD_EXPECT(beginCapture(c));
  CHILD_EXPECT(!upload(c, a, host, sizeof host));
  mgpuMemset32(a, 7, 16, nullptr); // does nothing after the error
  CHILD_EXPECT(endCapture(c) == nullptr);
  CHILD_EXPECT(takeError(c) == nullptr);
  CHILD_EXPECT(fakeCounter("fakeCudaGraphs") == 0);
  // The stream works as before.
  mgpuMemset32(a, 9, 16, nullptr);
  CHILD_EXPECT(download(c, host, a, sizeof host));
  CHILD_EXPECT(host[3] == 9);
  CHILD_EXPECT(takeError(c) == nullptr);
  mgpuMemFree(a, nullptr);
  destroyDeviceContext(c);
}

TEST_F(CudaDriverTest, BrokenRecordingLeavesNoGraphAndNoError) {
  EXPECT_IN_CHILD(brokenRecording, "");
}

/// A graph recorded before the cache was given back to the driver (memory
/// ran out) may hold a freed address: it is no longer current.
void staleGraph() {
  setenv("FAKE_CUDA_MEMORY", "4096", 1);
  DeviceContext *c = openOneFakeDevice();
  if (!c)
    return;
  CurrentDevice scope(c);
  void *a = mgpuMemAlloc(2048, nullptr, false);
  CHILD_EXPECT(beginCapture(c));
  mgpuMemset32(a, 1, 4, nullptr);
  Graph *graph = endCapture(c);
  mgpuMemFree(a, nullptr);
  CHILD_EXPECT(graphIsCurrent(c, graph));
  void *b = mgpuMemAlloc(3072, nullptr, false); // frees the cached block
  CHILD_EXPECT(b != nullptr);
  CHILD_EXPECT(!graphIsCurrent(c, graph));
  destroyGraph(c, graph);
  mgpuMemFree(b, nullptr);
  destroyDeviceContext(c);
}

TEST_F(CudaDriverTest, GraphsAreStaleOnceMemoryIsGivenBack) {
  EXPECT_IN_CHILD(staleGraph, "");
}

/// CNNC_CUDA_GRAPHS=0, or a driver that cannot record: nothing is recorded
/// and nothing is reported.
void graphsTurnedOff() {
  setenv("CNNC_CUDA_GRAPHS", "0", 1);
  DeviceContext *off = openOneFakeDevice();
  CHILD_EXPECT(!canCapture(off));
  CHILD_EXPECT(!beginCapture(off));
  destroyDeviceContext(off);
  unsetenv("CNNC_CUDA_GRAPHS");
  setenv("FAKE_CUDA_NO_CAPTURE", "1", 1);
  DeviceContext *refused = openOneFakeDevice();
  CHILD_EXPECT(canCapture(refused));
  CHILD_EXPECT(!beginCapture(refused));
  CHILD_EXPECT(takeError(refused) == nullptr);
  destroyDeviceContext(refused);
  CHILD_EXPECT(fakeCounter("fakeCudaCaptures") == 0);
}

TEST_F(CudaDriverTest, GraphsCanBeTurnedOff) {
  EXPECT_IN_CHILD(graphsTurnedOff, "");
}

//===----------------------------------------------------------------------===//
// Without a context, and on a real GPU
//===----------------------------------------------------------------------===//

TEST(CudaRuntimeTest, MgpuFunctionsWithoutContextDoNothing) {
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
  mgpuStreamSynchronize(nullptr);
  mgpuStreamDestroy(nullptr);
  EXPECT_EQ(mgpuModuleLoad(nullptr, 0), nullptr);
  EXPECT_EQ(mgpuModuleLoadJIT(nullptr, 2), nullptr);
  mgpuModuleUnload(nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(nullptr, nullptr), nullptr);
  mgpuLaunchKernel(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr, nullptr, 0);
  EXPECT_EQ(mgpuMemAlloc(16, nullptr, false), nullptr);
  EXPECT_EQ(mgpuMemAlloc(0, nullptr, true), nullptr);
  mgpuMemFree(nullptr, nullptr);
  mgpuMemcpy(nullptr, nullptr, 16, nullptr);
  mgpuMemset32(nullptr, 1, 16, nullptr);
  EXPECT_EQ(mgpuEventCreate(), nullptr);
  mgpuEventDestroy(nullptr);
  mgpuEventSynchronize(nullptr);
  mgpuEventRecord(nullptr, nullptr);
  mgpuStreamWaitEvent(nullptr, nullptr);

  // Host memory passed by mistake is left alone.
  unsigned dst[4] = {1, 2, 3, 4}, src[4] = {9, 9, 9, 9};
  mgpuMemcpy(dst, src, sizeof dst, nullptr);
  mgpuMemset32(dst, 0, 4, nullptr);
  mgpuMemFree(dst, nullptr);
  EXPECT_EQ(dst[0], 1u);
  EXPECT_EQ(dst[3], 4u);

  // So are the context functions given no context.
  EXPECT_EQ(deviceAlloc(nullptr, 16), nullptr);
  deviceFree(nullptr, dst);
  EXPECT_FALSE(upload(nullptr, dst, src, sizeof dst));
  EXPECT_FALSE(download(nullptr, dst, src, sizeof dst));
  EXPECT_FALSE(copyOnDevice(nullptr, dst, src, sizeof dst));
  EXPECT_FALSE(synchronize(nullptr));
  EXPECT_EQ(takeError(nullptr), nullptr);
  EXPECT_EQ(deviceOrdinal(nullptr), -1);
  EXPECT_STREQ(deviceName(nullptr), "");
  destroyDeviceContext(nullptr);
  { CurrentDevice none(nullptr); }
  EXPECT_EQ(mgpuStreamCreate(), nullptr);
}

TEST(CudaRuntimeTest, RealDeviceRoundTrip) {
  char error[512] = "";
  DeviceContext *c = createDeviceContext(0, error, sizeof error);
  if (!c)
    GTEST_SKIP() << error;
  constexpr size_t kCount = 1000;
  float host[kCount], back[kCount];
  for (size_t i = 0; i < kCount; ++i) {
    host[i] = 0.25f * static_cast<float>(i) - 7.0f;
    back[i] = 0.0f;
  }
  void *a = deviceAlloc(c, sizeof host);
  void *b = deviceAlloc(c, sizeof host);
  ASSERT_NE(a, nullptr) << takeError(c);
  ASSERT_NE(b, nullptr) << takeError(c);
  EXPECT_TRUE(upload(c, a, host, sizeof host));
  EXPECT_TRUE(copyOnDevice(c, b, a, sizeof host));
  EXPECT_TRUE(download(c, back, b, sizeof back));
  for (size_t i = 0; i < kCount; ++i)
    ASSERT_EQ(back[i], host[i]) << "at " << i;
  {
    // mgpuMemset32 and mgpuMemcpy on the context's stream.
    CurrentDevice scope(c);
    void *stream = mgpuStreamCreate();
    mgpuMemset32(a, 0x3f800000u, kCount, stream); // 1.0f
    mgpuMemcpy(back, a, sizeof back, stream);
    mgpuStreamSynchronize(stream);
  }
  EXPECT_EQ(back[0], 1.0f);
  EXPECT_EQ(back[kCount - 1], 1.0f);
  {
    // A batch-sized upload goes through pinned staging; the source is
    // overwritten as soon as upload returns, as a training loop does.
    void *big = deviceAlloc(c, sizeof(float) << 20);
    ASSERT_NE(big, nullptr) << takeError(c);
    EXPECT_TRUE(uploadSurvivesReuse(c, big, size_t(1) << 20));
    EXPECT_TRUE(uploadSurvivesReuse(c, big, size_t(1) << 18));
    deviceFree(c, big);
  }
  deviceFree(c, a);
  EXPECT_EQ(deviceAlloc(c, sizeof host), a); // cached
  const char *pending = takeError(c);
  EXPECT_EQ(pending, nullptr) << pending;
  std::printf("ran on cuda:%d (%s)\n", deviceOrdinal(c), deviceName(c));
  destroyDeviceContext(c);
}

} // namespace
