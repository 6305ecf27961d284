//===- ThreadPool.cpp - the model's worker threads ------------------------===//

#include "runtime/model/ThreadPool.h"

#include <pthread.h>
#include <unistd.h>

#include <cstdlib>

namespace {

constexpr int32_t kMaxThreads = 64;

/// One parallelFor at a time: `busy` serialises callers, workers wait on
/// `start` for a new generation of tasks and signal `done` when the last
/// one finishes.
struct Pool {
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t start = PTHREAD_COND_INITIALIZER;
  pthread_cond_t done = PTHREAD_COND_INITIALIZER;
  pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
  pthread_t workers[kMaxThreads];
  int32_t numWorkers = 0;
  bool stopping = false;

  // The current generation's work.
  uint64_t generation = 0;
  void (*task)(void *, int32_t) = nullptr;
  void *context = nullptr;
  int32_t tasks = 0;
  int32_t next = 0;     // the next task index to hand out
  int32_t finished = 0; // tasks completed
};

Pool pool;

/// Takes and runs tasks of the current generation until none are left.
/// Called with pool.lock held; returns with it held.
void runTasks() {
  while (pool.next < pool.tasks) {
    int32_t i = pool.next++;
    void (*task)(void *, int32_t) = pool.task;
    void *context = pool.context;
    pthread_mutex_unlock(&pool.lock);
    task(context, i);
    pthread_mutex_lock(&pool.lock);
    if (++pool.finished == pool.tasks)
      pthread_cond_broadcast(&pool.done);
  }
}

void *workerMain(void *) {
  pthread_mutex_lock(&pool.lock);
  uint64_t seen = 0;
  for (;;) {
    while (!pool.stopping && pool.generation == seen)
      pthread_cond_wait(&pool.start, &pool.lock);
    if (pool.stopping)
      break;
    seen = pool.generation;
    runTasks();
  }
  pthread_mutex_unlock(&pool.lock);
  return nullptr;
}

/// Starts the workers on first use; false when none could start.
bool ensureWorkers(int32_t wanted) {
  while (pool.numWorkers < wanted) {
    if (pthread_create(&pool.workers[pool.numWorkers], nullptr, workerMain,
                       nullptr) != 0)
      break;
    ++pool.numWorkers;
  }
  return pool.numWorkers > 0;
}

/// Stops and joins the workers when the .so is unloaded, so that no thread
/// runs its code afterwards.
__attribute__((destructor)) void stopWorkers() {
  pthread_mutex_lock(&pool.lock);
  pool.stopping = true;
  pthread_cond_broadcast(&pool.start);
  pthread_mutex_unlock(&pool.lock);
  for (int32_t i = 0; i < pool.numWorkers; ++i)
    pthread_join(pool.workers[i], nullptr);
  pool.numWorkers = 0;
}

int32_t readThreadCount() {
  if (const char *text = std::getenv("CNNC_NUM_THREADS")) {
    char *end = nullptr;
    long n = std::strtol(text, &end, 10);
    if (end != text && *end == '\0' && n >= 1 && n <= kMaxThreads)
      return static_cast<int32_t>(n);
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1)
    return 1;
  return cpus > kMaxThreads ? kMaxThreads : static_cast<int32_t>(cpus);
}

} // namespace

// A function-local static would need the C++ runtime's guards.
int32_t threadCountValue = 1;
pthread_once_t threadCountOnce = PTHREAD_ONCE_INIT;
void initThreadCount() { threadCountValue = readThreadCount(); }

int32_t cnnc::abi::threadCount() {
  pthread_once(&threadCountOnce, initThreadCount);
  return threadCountValue;
}

void cnnc::abi::parallelFor(int32_t tasks, void (*task)(void *, int32_t),
                            void *context) {
  if (tasks <= 1) {
    for (int32_t i = 0; i < tasks; ++i)
      task(context, i);
    return;
  }
  pthread_mutex_lock(&pool.busy);
  pthread_mutex_lock(&pool.lock);
  if (!ensureWorkers(tasks - 1)) {
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.busy);
    for (int32_t i = 0; i < tasks; ++i)
      task(context, i);
    return;
  }
  pool.task = task;
  pool.context = context;
  pool.tasks = tasks;
  pool.next = 0;
  pool.finished = 0;
  ++pool.generation;
  pthread_cond_broadcast(&pool.start);
  runTasks();
  while (pool.finished < pool.tasks)
    pthread_cond_wait(&pool.done, &pool.lock);
  pthread_mutex_unlock(&pool.lock);
  pthread_mutex_unlock(&pool.busy);
}
