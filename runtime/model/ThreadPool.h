//===- ThreadPool.h - the model's worker threads ----------------*- C++ -*-===//
//
// A small pool of persistent worker threads inside the model's .so, used to
// run slices of a batch at once. Persistent because starting threads on
// every call would cost more than a small batch's work. pthreads only: no
// C++ library, no exceptions.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_MODEL_THREADPOOL_H
#define CNNC_RUNTIME_MODEL_THREADPOOL_H

#include <cstdint>

namespace cnnc::abi {

/// The most threads a call uses: CNNC_NUM_THREADS when set to a number from
/// 1 to 64, else the CPUs online (at most 64). Read once.
int32_t threadCount();

/// Runs task(context, i) for i in [0, tasks) on the calling thread and up to
/// tasks - 1 of the pool's workers, and returns when all have finished.
/// Runs everything on the calling thread when the pool cannot start.
void parallelFor(int32_t tasks, void (*task)(void *context, int32_t i),
                 void *context);

} // namespace cnnc::abi

#endif // CNNC_RUNTIME_MODEL_THREADPOOL_H
