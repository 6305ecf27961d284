//===- TrainAbi.cpp - the training functions of cnnc.h --------------------===//
//
// The training half of the ABI (versions 2 and 3): a step or an evaluation
// checks every caller tensor and label, builds the entry's arguments in the
// order its `arg_roles` give, calls the generated code and takes the new
// parameters and optimizer state back into the instance. Like ModelAbi.cpp,
// linked into every model without exceptions or C++ library allocation.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/AbiSupport.h"
#include "runtime/model/GpuAbi.h"
#include "runtime/model/GpuCalls.h"
#include "runtime/model/GpuRuntime.h"
#include "runtime/model/ThreadPool.h"

#include <algorithm>
#include <cfloat>
#include <cstdint>
#include <cstdlib>
#include <cstring>

using namespace cnnc::abi;

namespace {

/// Bounds of the stack arrays a step uses; far above any model's needs.
constexpr int32_t kMaxArgs = 64;
constexpr int32_t kMaxStates = 8;

bool hasTraining() {
  return record().train && record().train_step.fn && record().evaluate.fn;
}

cnnc_status noTraining(const char *what) {
  return fail(CNNC_INVALID_ARGUMENT,
              "%s: the model was compiled without a train section", what);
}

/// The checks every training function starts with.
cnnc_status checkModel(const cnnc_model *model, const char *what) {
  if (!model)
    return fail(CNNC_INVALID_ARGUMENT, "%s: the model is null", what);
  if (!hasTraining())
    return noTraining(what);
  return CNNC_OK;
}

bool isCrossEntropy() {
  const char *loss = record().train->loss;
  return loss && std::strcmp(loss, "cross_entropy") == 0;
}

/// The dropout seed of step `step`: splitmix64 of the training seed and the
/// step, so every step draws fresh masks and a resumed run the same ones.
int64_t stepSeed(uint64_t seed, int64_t step) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ull * (static_cast<uint64_t>(step) + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<int64_t>(z >> 1); // non-negative, whatever consumes it
}

/// Rejects labels outside [0, classes) before anything runs, naming the
/// first one: generated code would index out of bounds with them.
cnnc_status checkLabels(const cnnc_tensor *targets, int32_t numTargets,
                        int64_t batch, const char *what) {
  const cnnc_model_record &r = record();
  if (!isCrossEntropy())
    return CNNC_OK;
  if (r.prediction.rank < 2)
    return fail(CNNC_INTERNAL_ERROR,
                "%s: a cross_entropy model's prediction has rank %d, not "
                "[batch, classes]",
                what, r.prediction.rank);
  int64_t classes = r.prediction.shape[1];
  for (int32_t t = 0; t < numTargets; ++t) {
    if (targets[t].dtype != CNNC_I32)
      continue;
    auto *labels = static_cast<const int32_t *>(targets[t].data);
    for (int64_t i = 0; i < batch; ++i)
      if (labels[i] < 0 || labels[i] >= classes)
        return fail(CNNC_INVALID_ARGUMENT,
                    "%s: target '%s': label %d at index %lld is out of range: "
                    "the model has %lld classes (0 to %lld)",
                    what, r.targets[t].name, labels[i],
                    static_cast<long long>(i), static_cast<long long>(classes),
                    static_cast<long long>(classes - 1));
  }
  return CNNC_OK;
}

/// How many labels in `targets` the prediction's argmax matches (ties go to
/// the first maximum, as torch.argmax); -1 for a model without labels.
int64_t countCorrect(const float *prediction, const cnnc_tensor *targets,
                     int32_t numTargets, int64_t batch) {
  const cnnc_model_record &r = record();
  if (!isCrossEntropy())
    return -1;
  const int32_t *labels = nullptr;
  for (int32_t t = 0; t < numTargets && !labels; ++t)
    if (targets[t].dtype == CNNC_I32)
      labels = static_cast<const int32_t *>(targets[t].data);
  if (!labels)
    return -1;
  int64_t classes = r.prediction.shape[1];
  int64_t correct = 0;
  for (int64_t i = 0; i < batch; ++i) {
    const float *row = prediction + i * classes;
    int64_t best = 0;
    for (int64_t c = 1; c < classes; ++c)
      if (row[c] > row[best])
        best = c;
    correct += best == labels[i];
  }
  return correct;
}

/// One destination of a step's results in the instance.
struct Update {
  float *dst;
  const float *src;
};

/// Copies the new parameters and states into the instance. A result may be
/// its own destination (updated in place) or, in principle, another
/// instance buffer; such a source is copied aside first, so no copy reads
/// what an earlier one overwrote.
cnnc_status applyUpdates(cnnc_model *model, Update *updates,
                         int32_t numUpdates) {
  const cnnc_model_record &r = record();
  size_t bytes = static_cast<size_t>(r.param_elements) * sizeof(float);
  const char *paramsBegin = reinterpret_cast<const char *>(model->params);
  const char *statesBegin = reinterpret_cast<const char *>(model->states);
  int64_t stateBytes = model->stateStride * r.num_states * 4;
  float *staged[1 + kMaxStates];
  int32_t numStaged = 0;
  cnnc_status status = CNNC_OK;
  for (int32_t u = 0; u < numUpdates; ++u) {
    auto *src = reinterpret_cast<const char *>(updates[u].src);
    bool inInstance = (src >= paramsBegin && src < paramsBegin + bytes) ||
                      (src >= statesBegin && src < statesBegin + stateBytes);
    if (updates[u].src == updates[u].dst || !inInstance)
      continue;
    auto *copy = static_cast<float *>(std::malloc(bytes));
    if (!copy) {
      status = fail(CNNC_OUT_OF_MEMORY,
                    "train_step: cannot allocate %lld bytes to copy the new "
                    "parameters",
                    static_cast<long long>(bytes));
      break;
    }
    std::memcpy(copy, updates[u].src, bytes);
    updates[u].src = staged[numStaged++] = copy;
  }
  if (status == CNNC_OK)
    for (int32_t u = 0; u < numUpdates; ++u)
      if (updates[u].src != updates[u].dst)
        std::memmove(updates[u].dst, updates[u].src, bytes);
  for (int32_t k = 0; k < numStaged; ++k)
    std::free(staged[k]);
  return status;
}

/// Whether every argument role of `entry` is one callEntry can bind.
bool hasKnownRoles(const cnnc_entry_record &entry) {
  const cnnc_model_record &r = record();
  if (entry.num_args + 1 > kMaxArgs)
    return false;
  for (int32_t a = 0; a < entry.num_args; ++a) {
    int32_t role = entry.arg_roles[a];
    int32_t kind = role / CNNC_ROLE_SCALE, index = role % CNNC_ROLE_SCALE;
    bool known =
        role >= 0 && ((kind == CNNC_ARG_INPUT && index < r.num_inputs) ||
                      (kind == CNNC_ARG_TARGET && index < r.num_targets) ||
                      (kind == CNNC_ARG_STATE && index < r.num_states) ||
                      kind == CNNC_ARG_PARAMS || kind == CNNC_ARG_SEED ||
                      kind == CNNC_ARG_LR || kind == CNNC_ARG_STEP ||
                      kind == CNNC_ARG_GRADS);
    if (!known)
      return false;
  }
  return true;
}

/// The buffers an entry's arguments point to: the instance's own on the
/// CPU, their device copies on a GPU.
struct EntryBuffers {
  float *params;
  float *states; // state s at states + s * stateStride
  int64_t stateStride;
  const cnnc_tensor *inputs;
  const cnnc_tensor *targets;
  float *grads; // the update entry's gradient buffer, else null
  /// A CUDA entry's scalars in device memory, else null: the entry then
  /// reads the values the scalar arguments point to.
  Scalars *deviceScalars;
};

EntryBuffers hostBuffers(cnnc_model *model, const cnnc_tensor *inputs,
                         const cnnc_tensor *targets, float *grads = nullptr) {
  return {model->params, model->states, model->stateStride, inputs, targets,
          grads,         nullptr};
}

/// Binds a scalar argument (`kind`: seed, learning rate or step) to its
/// value in `values`: a pointer to it, or in device memory a rank-0
/// descriptor of it, described in `desc`.
void bindScalar(int32_t kind, Scalars &values, bool onDevice, Descriptor &desc,
                void *&arg) {
  void *value = kind == CNNC_ARG_SEED ? static_cast<void *>(&values.seed)
                : kind == CNNC_ARG_LR ? static_cast<void *>(&values.rate)
                                      : static_cast<void *>(&values.step);
  if (onDevice)
    describeContiguous(desc, value, nullptr, 0);
  else
    arg = value;
}

/// Calls `entry` with its arguments bound as its roles say (checked by
/// hasKnownRoles); the results land in `results`.
void callEntry(const cnnc_entry_record &entry, const EntryBuffers &b,
               Scalars &scalars, int64_t *results) {
  const cnnc_model_record &r = record();
  Descriptor descs[kMaxArgs];
  void *args[kMaxArgs];
  args[0] = results;
  for (int32_t a = 0; a < entry.num_args; ++a) {
    int32_t kind = entry.arg_roles[a] / CNNC_ROLE_SCALE;
    int32_t index = entry.arg_roles[a] % CNNC_ROLE_SCALE;
    void *&arg = args[1 + a];
    arg = &descs[a];
    if (kind == CNNC_ARG_INPUT)
      describeContiguous(descs[a], b.inputs[index].data, b.inputs[index].shape,
                         b.inputs[index].rank);
    else if (kind == CNNC_ARG_TARGET)
      describeContiguous(descs[a], b.targets[index].data,
                         b.targets[index].shape, b.targets[index].rank);
    else if (kind == CNNC_ARG_PARAMS)
      describeContiguous(descs[a], b.params, &r.param_elements, 1);
    else if (kind == CNNC_ARG_GRADS)
      describeContiguous(descs[a], b.grads, &r.param_elements, 1);
    else if (kind == CNNC_ARG_STATE)
      describeContiguous(descs[a], b.states + index * b.stateStride,
                         &r.param_elements, 1);
    else
      bindScalar(kind, b.deviceScalars ? *b.deviceScalars : scalars,
                 b.deviceScalars != nullptr, descs[a], arg);
  }
  entry.fn(args);
}

/// Reads consecutive result descriptors.
struct ResultCursor {
  int64_t *word;
  Descriptor *next(int32_t rank) {
    auto *d = reinterpret_cast<Descriptor *>(word);
    word += descriptorWords(rank);
    return d;
  }
};

/// Keeps every buffer the caller or the instance owns from being freed.
void keepOwned(ResultFreer &freer, const cnnc_model *model,
               const cnnc_tensor *inputs, int32_t numInputs,
               const cnnc_tensor *targets, int32_t numTargets) {
  const cnnc_model_record &r = record();
  freer.keep(model->params, r.param_elements * int64_t(sizeof(float)));
  freer.keep(model->states, model->stateStride * r.num_states * 4);
  for (int32_t k = 0; k < numInputs; ++k)
    freer.keep(inputs[k].data, tensorBytes(inputs[k]));
  for (int32_t k = 0; k < numTargets; ++k)
    freer.keep(targets[k].data, tensorBytes(targets[k]));
}

/// Takes an update's results (the new parameters, then each new state)
/// into the instance and frees them.
cnnc_status takeUpdate(cnnc_model *model, ResultCursor cursor,
                       ResultFreer &freer) {
  const cnnc_model_record &r = record();
  Update updates[1 + kMaxStates];
  Descriptor *descs[1 + kMaxStates];
  int32_t numUpdates = 1 + r.num_states;
  for (int32_t u = 0; u < numUpdates; ++u) {
    descs[u] = cursor.next(1);
    updates[u] = {u == 0 ? model->params : stateBuffer(model, u - 1),
                  static_cast<const float *>(resultData(*descs[u], 4))};
  }
  cnnc_status status = applyUpdates(model, updates, numUpdates);
  for (int32_t u = 0; u < numUpdates; ++u)
    freer.release(*descs[u]);
  return status;
}

/// The most slices a batch is split into.
constexpr int32_t kMaxSlices = 64;
/// Results of a slice's gradient or evaluation entry: the loss, the
/// prediction and, for a gradient, the gradients.
constexpr size_t kSliceResultWords = 3 * descriptorWords(CNNC_MAX_RANK);

/// The caller's tensors restricted to images [begin, begin + count).
struct Slice {
  cnnc_tensor inputs[kMaxArgs], targets[kMaxArgs];
  int64_t shapes[2 * kMaxArgs][CNNC_MAX_RANK];

  Slice(const cnnc_tensor *in, int32_t numInputs, const cnnc_tensor *tg,
        int32_t numTargets, int64_t begin, int64_t count) {
    for (int32_t k = 0; k < numInputs; ++k)
      restrictToImages(inputs[k], in[k], shapes[k], begin, count);
    for (int32_t k = 0; k < numTargets; ++k)
      restrictToImages(targets[k], tg[k], shapes[kMaxArgs + k], begin, count);
  }
};

/// A training step or an evaluation split into slices of the batch, run on
/// the model's threads.
struct SplitCall {
  cnnc_model *model;
  const cnnc_entry_record *entry; // grad (training) or evaluate
  const cnnc_tensor *inputs;
  int32_t numInputs;
  const cnnc_tensor *targets;
  int32_t numTargets;
  int64_t batch;
  int32_t slices;
  Scalars scalars;
  int64_t results[kMaxSlices][kSliceResultWords];
  bool training = false;
  /// Threads the slices run on: thread t runs slices t, t + tasks, ... and
  /// leaves their gradients summed, each weighted by its share of the
  /// batch, in slice t's.
  int32_t tasks = 1;
};

/// Slice 0 keeps the step's dropout seed, the others draw their own, so no
/// two slices share a mask.
int64_t sliceSeed(int64_t seed, int32_t slice) {
  return slice == 0 ? seed
                    : stepSeed(static_cast<uint64_t>(seed),
                               static_cast<int64_t>(slice) << 32);
}

void runSlice(SplitCall &c, int32_t i) {
  int64_t begin = 0, end = 0;
  sliceBounds(c.batch, c.slices, i, begin, end);
  Slice slice(c.inputs, c.numInputs, c.targets, c.numTargets, begin,
              end - begin);
  Scalars scalars = c.scalars;
  scalars.seed = sliceSeed(c.scalars.seed, i);
  callEntry(*c.entry, hostBuffers(c.model, slice.inputs, slice.targets),
            scalars, c.results[i]);
}

/// The gradient a slice's grad entry returned, and the slice's share of
/// the batch.
float *sliceGradient(SplitCall &c, int32_t i, double &share) {
  int64_t begin = 0, end = 0;
  sliceBounds(c.batch, c.slices, i, begin, end);
  share = double(end - begin) / double(c.batch);
  ResultCursor cursor{c.results[i]};
  cursor.next(0);
  cursor.next(record().prediction.rank);
  return static_cast<float *>(resultData(*cursor.next(1), 4));
}

/// Thread t's slices (SplitCall::tasks). A slice's gradient is added into
/// slice t's and released here, on the thread whose workspace cache it came
/// from.
void runSliceTask(void *context, int32_t t) {
  SplitCall &c = *static_cast<SplitCall *>(context);
  const cnnc_model_record &r = record();
  float *sum = nullptr;
  for (int32_t i = t; i < c.slices; i += c.tasks) {
    runSlice(c, i);
    if (!c.training)
      continue;
    double share = 0;
    float *g = sliceGradient(c, i, share);
    auto weight = static_cast<float>(share);
    if (!sum) {
      sum = g;
      for (int64_t k = 0; k < r.param_elements; ++k)
        sum[k] *= weight;
      continue;
    }
    for (int64_t k = 0; k < r.param_elements; ++k)
      sum[k] += weight * g[k];
    // A freer per slice: one remembers what it freed, and the next slice
    // may be handed the same block again, which must then be freed again.
    ResultFreer freer;
    keepOwned(freer, c.model, c.inputs, c.numInputs, c.targets, c.numTargets);
    ResultCursor cursor{c.results[i]};
    cursor.next(0);
    cursor.next(r.prediction.rank);
    freer.release(*cursor.next(1));
  }
}

/// Images per slice of a split step at most: a slice's activations are
/// computed op by op over all its images, and past a few dozen LeNet-sized
/// images they no longer stay in the L2 cache (LeNet-5 training at batch
/// 256 ran at 36k images/s in two slices of 128, 42k at batch 64).
constexpr int64_t kMaxImagesPerStepSlice = 32;
/// What the slices' gradients, one full set of parameters each, may take.
constexpr int64_t kSliceGradientBytes = 64 << 20;

/// The slices of a split step or evaluation of `batch` images: one per
/// thread (sliceCount), or more, each run after another on its thread,
/// where slices would otherwise exceed kMaxImagesPerStepSlice and their
/// gradients fit in kSliceGradientBytes.
int32_t stepSliceCount(int64_t batch, int64_t paramElements) {
  int64_t slices = sliceCount(batch);
  if (slices < 2)
    return static_cast<int32_t>(slices);
  int64_t bySize =
      (batch + kMaxImagesPerStepSlice - 1) / kMaxImagesPerStepSlice;
  int64_t byMemory =
      kSliceGradientBytes / std::max<int64_t>(1, 4 * paramElements);
  slices = std::max(slices, std::min(bySize, byMemory));
  return static_cast<int32_t>(std::min<int64_t>(slices, kMaxSlices));
}

/// The step (or evaluation) of `c` with its slices run at once: the loss
/// and the number correct of the whole batch, and for a step the slices'
/// gradients, each the mean over its slice, weighted by their share of the
/// batch, then one update with their sum.
cnnc_status runSplit(SplitCall &c, bool training, cnnc_step_result *result) {
  const cnnc_model_record &r = record();
  c.training = training;
  c.tasks = std::min(c.slices, threadCount());
  parallelFor(c.tasks, runSliceTask, &c);

  double loss = 0;
  int64_t correct = 0;
  float *grads = nullptr;
  for (int32_t i = 0; i < c.slices; ++i) {
    int64_t begin = 0, end = 0;
    sliceBounds(c.batch, c.slices, i, begin, end);
    double share = double(end - begin) / double(c.batch);
    ResultCursor cursor{c.results[i]};
    Descriptor *sliceLoss = cursor.next(0);
    Descriptor *prediction = cursor.next(r.prediction.rank);
    loss += share * *static_cast<const float *>(resultData(*sliceLoss, 4));
    Slice slice(c.inputs, c.numInputs, c.targets, c.numTargets, begin,
                end - begin);
    int64_t right =
        countCorrect(static_cast<const float *>(resultData(*prediction, 4)),
                     slice.targets, c.numTargets, end - begin);
    correct = right < 0 || correct < 0 ? -1 : correct + right;
    // Each thread's slices are summed, weighted, in its first slice's.
    if (!training || i >= c.tasks)
      continue;
    auto *g = static_cast<float *>(resultData(*cursor.next(1), 4));
    if (!grads) {
      grads = g;
    } else {
      for (int64_t k = 0; k < r.param_elements; ++k)
        grads[k] += g[k];
    }
  }

  ResultFreer freer;
  keepOwned(freer, c.model, c.inputs, c.numInputs, c.targets, c.numTargets);
  cnnc_status status = CNNC_OK;
  if (training) {
    int64_t words[(1 + kMaxStates) * descriptorWords(1)];
    Scalars scalars = c.scalars;
    callEntry(r.apply_update, hostBuffers(c.model, c.inputs, c.targets, grads),
              scalars, words);
    status = takeUpdate(c.model, ResultCursor{words}, freer);
  }
  for (int32_t i = 0; i < c.slices; ++i) {
    ResultCursor cursor{c.results[i]};
    freer.release(*cursor.next(0));
    freer.release(*cursor.next(r.prediction.rank));
    if (training && i < c.tasks)
      freer.release(*cursor.next(1));
  }
  result->loss = static_cast<float>(loss);
  result->reserved = 0;
  result->correct = correct;
  result->count = c.batch;
  if (status == CNNC_OK && training)
    ++c.model->step;
  return status;
}

/// Whether `entry` takes a learning rate, step or seed.
bool readsScalars(const cnnc_entry_record &entry) {
  for (int32_t a = 0; a < entry.num_args; ++a) {
    int32_t kind = entry.arg_roles[a] / CNNC_ROLE_SCALE;
    if (kind == CNNC_ARG_LR || kind == CNNC_ARG_STEP || kind == CNNC_ARG_SEED)
      return true;
  }
  return false;
}

/// Queues the copies of a step's new parameters and states (its results
/// after the loss and the prediction) into the instance's device buffers.
void queueUpdate(cnnc_model *model, ResultCursor cursor) {
  const cnnc_model_record &r = record();
  cursor.next(0);
  cursor.next(r.prediction.rank);
  for (int32_t u = 0; u <= r.num_states; ++u) {
    float *dst = u == 0 ? model->deviceParams
                        : model->deviceStates + (u - 1) * model->stateStride;
    const void *src = resultData(*cursor.next(1), 4);
    if (src != dst)
      cnnc::gpu::copyOnDevice(model->device, dst, src,
                              static_cast<size_t>(r.param_elements) *
                                  sizeof(float));
  }
}

/// Queues a training step (`training`) or an evaluation on the instance's
/// GPU into `slot`: the caller's tensors uploaded, the whole batch in one
/// call of the CUDA entry, the new parameters and states copied into the
/// instance's device buffers, and the loss and the prediction downloaded
/// into the slot's pinned buffer, its fence marked after them. Nothing is
/// waited for: finishOnDevice does. The entry reads its scalars from device
/// memory, uploaded first, so a call made again with the same shapes is
/// replayed (GpuCalls.h) with each step's values.
cnnc_status queueOnDevice(const cnnc_entry_record &entry, cnnc_model *model,
                          const cnnc_tensor *inputs, int32_t numInputs,
                          const cnnc_tensor *targets, int32_t numTargets,
                          int64_t batch, Scalars &scalars, bool training,
                          QueuedCall &slot) {
  const char *what = training ? "train_step" : "evaluate";
  const cnnc_model_record &r = record();
  if (!entry.fn || !hasKnownRoles(entry))
    return fail(CNNC_INTERNAL_ERROR, "%s: the library has no CUDA entry", what);
  if (numTargets > kMaxQueuedTargets)
    return fail(CNNC_INTERNAL_ERROR, "%s: the loss has too many targets", what);
  if (cnnc_status s = refreshDevice(model, what))
    return s;
  // The download buffer before any work: once the step has run, the new
  // parameters are in place, and nothing may fail for memory.
  int64_t predictionElements = batch;
  for (int32_t d = 1; d < r.prediction.rank; ++d)
    predictionElements *= r.prediction.shape[d];
  if (predictionElements < 0)
    return fail(CNNC_INTERNAL_ERROR,
                "%s: the model's prediction has a dynamic shape", what);
  if (cnnc_status s = prepareSlot(model, slot, 1 + predictionElements, what))
    return s;
  slot.inference = false;
  // The loss, the prediction, then for a step the new parameters and states.
  int32_t ranks[2 + 1 + kMaxStates] = {0, r.prediction.rank};
  int32_t numResults = training ? 3 + r.num_states : 2;
  for (int32_t u = 2; u < numResults; ++u)
    ranks[u] = 1;
  DeviceCall call(model, {reinterpret_cast<const void *>(entry.fn), inputs,
                          numInputs, targets, numTargets, ranks, numResults,
                          /*behindQueuedWork=*/model->numQueued > 0});
  if (cnnc_status s = call.upload(what))
    return s;
  // The slot's scalars were read by its last step, which was waited for.
  *slot.scalars = scalars;
  if (readsScalars(entry) &&
      !cnnc::gpu::upload(model->device, &model->deviceScalars[0], slot.scalars,
                         sizeof scalars))
    return deviceStatus(model, what);
  {
    cnnc::gpu::CurrentDevice current(model->device);
    EntryBuffers device{model->deviceParams, model->deviceStates,
                        model->stateStride,  call.inputs(),
                        call.targets(),      nullptr,
                        model->deviceScalars};
    // The whole step, the update of the instance's buffers included, is
    // what a recorded call replays.
    call.run([&](int64_t *results) {
      callEntry(entry, device, scalars, results);
      if (training)
        queueUpdate(model, ResultCursor{results});
    });
  }
  // The update was queued with the step: the host copies are stale even if
  // it cannot be reported.
  if (training)
    model->hostStale = true;

  ResultCursor cursor{call.results()};
  Descriptor *loss = cursor.next(0);
  Descriptor *prediction = cursor.next(r.prediction.rank);
  int64_t elements = 1;
  for (int32_t d = 0; d < r.prediction.rank; ++d)
    elements *= prediction->sizesAndStrides[d];
  bool queued =
      elements == predictionElements &&
      cnnc::gpu::queueDownload(model->device, slot.download,
                               resultData(*loss, 4), sizeof(float)) &&
      cnnc::gpu::queueDownload(model->device, slot.download + 1,
                               resultData(*prediction, 4),
                               static_cast<size_t>(elements) * sizeof(float)) &&
      cnnc::gpu::markFence(model->device, slot.done);
  if (cnnc_status s = deviceStatus(model, what))
    return s;
  if (!queued)
    return fail(CNNC_INTERNAL_ERROR,
                "%s: the prediction has %lld elements, not the %lld of the "
                "batch",
                what, static_cast<long long>(elements),
                static_cast<long long>(predictionElements));
  if (training)
    ++model->step;
  slot.batch = batch;
  slot.numTargets = numTargets;
  std::memcpy(static_cast<void *>(slot.targets), targets,
              sizeof(cnnc_tensor) * static_cast<size_t>(numTargets));
  return CNNC_OK;
}

/// Waits for the step or evaluation queueOnDevice queued into `slot` and
/// gives its result: the loss, and the number correct counted here against
/// the caller's labels.
cnnc_status finishOnDevice(cnnc_model *model, QueuedCall &slot,
                           const char *what, cnnc_step_result *result) {
  cnnc::gpu::waitForFence(model->device, slot.done); // a failure is recorded
  if (cnnc_status s = deviceStatus(model, what))
    return s;
  result->loss = slot.download[0];
  result->reserved = 0;
  result->correct = countCorrect(slot.download + 1, slot.targets,
                                 slot.numTargets, slot.batch);
  result->count = slot.batch;
  return CNNC_OK;
}

/// Whether a step can be split: the model has the two halves of its step,
/// with roles callEntry binds.
bool canSplitSteps() {
  const cnnc_model_record &r = record();
  return r.grad.fn && r.apply_update.fn && hasKnownRoles(r.grad) &&
         hasKnownRoles(r.apply_update);
}

/// The checks of a training step (`training`) or an evaluation on the
/// caller's tensors: counts, shapes, labels, the learning rate; the batch
/// size in `batch`.
cnnc_status checkCall(const cnnc_tensor *inputs, int32_t numInputs,
                      const cnnc_tensor *targets, int32_t numTargets, float lr,
                      bool training, int64_t &batch) {
  const char *what = training ? "train_step" : "evaluate";
  const cnnc_model_record &r = record();
  const cnnc_entry_record &entry = training ? r.train_step : r.evaluate;
  if (cnnc_status s = checkBatch(what, inputs, numInputs,
                                 {targets, numTargets, r.num_targets, r.targets,
                                  "the loss takes", "target"},
                                 batch))
    return s;
  if (cnnc_status s = checkLabels(targets, numTargets, batch, what))
    return s;
  // PyTorch's optimizers refuse a negative rate too; NaN would spoil every
  // parameter.
  if (training && !(lr >= 0.0f && lr <= FLT_MAX))
    return fail(CNNC_INVALID_ARGUMENT,
                "train_step: the learning rate must be finite and at least 0, "
                "got %g",
                static_cast<double>(lr));
  if (!hasKnownRoles(entry) || numInputs > kMaxArgs || numTargets > kMaxArgs ||
      r.num_states > kMaxStates || r.prediction.rank < 1 ||
      r.prediction.rank > CNNC_MAX_RANK)
    return fail(CNNC_INTERNAL_ERROR, "%s: the model's entry is malformed",
                what);
  return CNNC_OK;
}

/// The scalars of the instance's next step (`training`) or evaluation.
Scalars nextScalars(const cnnc_model *model, float lr, bool training) {
  int64_t stepNumber = model->step + (training ? 1 : 0);
  return {training ? lr : 0.0f, stepNumber,
          training ? stepSeed(model->trainingSeed, stepNumber) : 0};
}

/// A training step (`training`) or an evaluation on the CPU, checked.
cnnc_status runOnHost(cnnc_model *model, const cnnc_tensor *inputs,
                      int32_t numInputs, const cnnc_tensor *targets,
                      int32_t numTargets, int64_t batch, Scalars scalars,
                      bool training, cnnc_step_result *result) {
  const cnnc_model_record &r = record();
  const cnnc_entry_record &entry = training ? r.train_step : r.evaluate;

  // A large enough batch is split across the model's threads: the gradient
  // (or the evaluation) of its slices, a thread's slices one after another,
  // then one update.
  int32_t slices = stepSliceCount(batch, r.param_elements);
  if (slices > 1 && (!training || canSplitSteps())) {
    SplitCall call{model,   training ? &r.grad : &r.evaluate,
                   inputs,  numInputs,
                   targets, numTargets,
                   batch,   slices,
                   scalars, {}};
    return runSplit(call, training, result);
  }

  int64_t results[kMaxArgs * descriptorWords(CNNC_MAX_RANK)];
  callEntry(entry, hostBuffers(model, inputs, targets), scalars, results);

  // The results: the loss (rank 0), the prediction, then for a step the new
  // parameters and each new state (rank 1).
  ResultCursor cursor{results};
  Descriptor *loss = cursor.next(0);
  Descriptor *prediction = cursor.next(r.prediction.rank);
  result->loss = *static_cast<const float *>(resultData(*loss, 4));
  result->reserved = 0;
  result->correct =
      countCorrect(static_cast<const float *>(resultData(*prediction, 4)),
                   targets, numTargets, batch);
  result->count = batch;
  ResultFreer freer;
  keepOwned(freer, model, inputs, numInputs, targets, numTargets);
  cnnc_status status = training ? takeUpdate(model, cursor, freer) : CNNC_OK;
  freer.release(*loss);
  freer.release(*prediction);
  if (status == CNNC_OK && training)
    ++model->step;
  return status;
}

/// A training step (`training`) or an evaluation, run now.
cnnc_status runEntry(cnnc_model *model, const cnnc_tensor *inputs,
                     int32_t numInputs, const cnnc_tensor *targets,
                     int32_t numTargets, float lr, cnnc_step_result *result,
                     bool training) {
  const char *what = training ? "train_step" : "evaluate";
  if (cnnc_status s = checkModel(model, what))
    return s;
  if (!result)
    return fail(CNNC_INVALID_ARGUMENT, "%s: the result pointer is null", what);
  if (cnnc_status s = checkNothingQueued(model, what))
    return s;
  int64_t batch = 0;
  if (cnnc_status s = checkCall(inputs, numInputs, targets, numTargets, lr,
                                training, batch))
    return s;
  Scalars scalars = nextScalars(model, lr, training);
  if (!onDevice(model))
    return runOnHost(model, inputs, numInputs, targets, numTargets, batch,
                     scalars, training, result);
  // On a GPU the whole batch is one call, queued into the first free slot
  // and waited for.
  const cnnc_model_record &r = record();
  QueuedCall &slot = model->queued[model->queueHead];
  if (cnnc_status s = queueOnDevice(
          training ? r.gpu_train_step : r.gpu_evaluate, model, inputs,
          numInputs, targets, numTargets, batch, scalars, training, slot))
    return s;
  return finishOnDevice(model, slot, what, result);
}

/// Queues a training step (cnnc_train_step_queue).
cnnc_status queueStep(cnnc_model *model, const cnnc_tensor *inputs,
                      int32_t numInputs, const cnnc_tensor *targets,
                      int32_t numTargets, float lr) {
  const char *what = "train_step_queue";
  if (cnnc_status s = checkModel(model, what))
    return s;
  QueuedCall *slot = nullptr;
  if (cnnc_status s = nextQueueSlot(model, what, &slot))
    return s;
  int64_t batch = 0;
  if (cnnc_status s = checkCall(inputs, numInputs, targets, numTargets, lr,
                                /*training=*/true, batch))
    return s;
  Scalars scalars = nextScalars(model, lr, true);
  cnnc_status status = CNNC_OK;
  if (onDevice(model)) {
    status = queueOnDevice(record().gpu_train_step, model, inputs, numInputs,
                           targets, numTargets, batch, scalars, true, *slot);
  } else {
    slot->inference = false;
    status = runOnHost(model, inputs, numInputs, targets, numTargets, batch,
                       scalars, true, &slot->result);
  }
  if (status == CNNC_OK)
    ++model->numQueued;
  return status;
}

/// Takes the oldest queued step's result (cnnc_train_step_wait).
cnnc_status waitForStep(cnnc_model *model, cnnc_step_result *result) {
  const char *what = "train_step_wait";
  if (cnnc_status s = checkModel(model, what))
    return s;
  if (!result)
    return fail(CNNC_INVALID_ARGUMENT, "%s: the result pointer is null", what);
  QueuedCall *slot = nullptr;
  if (cnnc_status s = takeOldestQueued(model, what, /*inference=*/false, &slot))
    return s;
  // The instance cannot move while calls are queued.
  if (!onDevice(model)) {
    *result = slot->result;
    return CNNC_OK;
  }
  return finishOnDevice(model, *slot, "train_step", result);
}

/// The checks of an optimizer state access.
cnnc_status checkStateAccess(const cnnc_model *model, int32_t state,
                             int32_t param, const void *data, int64_t count,
                             const char *what) {
  if (cnnc_status s = checkModel(model, what))
    return s;
  if (state < 0 || state >= record().num_states)
    return fail(CNNC_INVALID_ARGUMENT,
                "%s: optimizer state index %d is out of range: the optimizer "
                "has %d",
                what, state, record().num_states);
  return checkParamAccess(model, param, data, count, what);
}

} // namespace

extern "C" {

int32_t cnnc_has_training(void) { return hasTraining() ? 1 : 0; }

const cnnc_train_config *cnnc_training_config(void) {
  return hasTraining() ? record().train : nullptr;
}

int32_t cnnc_num_targets(void) {
  return hasTraining() ? record().num_targets : 0;
}

cnnc_status cnnc_target_info(int32_t index, cnnc_tensor_info *info) {
  if (!hasTraining())
    return noTraining("target_info");
  return describe(record().targets, record().num_targets, "target", index,
                  info);
}

int32_t cnnc_num_optimizer_states(void) {
  return hasTraining() ? record().num_states : 0;
}

/// Null (with the last error set) for an index out of range.
const char *cnnc_optimizer_state_name(int32_t state) {
  if (!hasTraining()) {
    noTraining("optimizer_state_name");
    return nullptr;
  }
  if (state < 0 || state >= record().num_states) {
    fail(CNNC_INVALID_ARGUMENT,
         "optimizer state index %d is out of range: the optimizer has %d",
         state, record().num_states);
    return nullptr;
  }
  return record().state_names[state];
}

cnnc_status cnnc_get_optimizer_state(const cnnc_model *model, int32_t state,
                                     int32_t param, float *data,
                                     int64_t count) {
  if (cnnc_status s = checkStateAccess(model, state, param, data, count,
                                       "get_optimizer_state"))
    return s;
  if (cnnc_status s = refreshHost(model, "get_optimizer_state"))
    return s;
  std::memcpy(data, stateBuffer(model, state) + record().params[param].offset,
              static_cast<size_t>(count) * sizeof(float));
  return CNNC_OK;
}

cnnc_status cnnc_set_optimizer_state(cnnc_model *model, int32_t state,
                                     int32_t param, const float *data,
                                     int64_t count) {
  if (cnnc_status s = checkStateAccess(model, state, param, data, count,
                                       "set_optimizer_state"))
    return s;
  if (cnnc_status s = refreshHost(model, "set_optimizer_state"))
    return s;
  std::memcpy(stateBuffer(model, state) + record().params[param].offset, data,
              static_cast<size_t>(count) * sizeof(float));
  hostWritten(model);
  return CNNC_OK;
}

/// -1 (with the last error set) for a null model or one without training.
int64_t cnnc_get_step(const cnnc_model *model) {
  if (checkModel(model, "get_step") != CNNC_OK)
    return -1;
  return model->step;
}

cnnc_status cnnc_set_step(cnnc_model *model, int64_t step) {
  if (cnnc_status s = checkModel(model, "set_step"))
    return s;
  if (step < 0)
    return fail(CNNC_INVALID_ARGUMENT,
                "set_step: the step must be at least 0, got %lld",
                static_cast<long long>(step));
  model->step = step;
  return CNNC_OK;
}

cnnc_status cnnc_set_training_seed(cnnc_model *model, uint64_t seed) {
  if (cnnc_status s = checkModel(model, "set_training_seed"))
    return s;
  model->trainingSeed = seed;
  return CNNC_OK;
}

cnnc_status cnnc_train_step(cnnc_model *model, const cnnc_tensor *inputs,
                            int32_t numInputs, const cnnc_tensor *targets,
                            int32_t numTargets, float lr,
                            cnnc_step_result *result) {
  return runEntry(model, inputs, numInputs, targets, numTargets, lr, result,
                  /*training=*/true);
}

cnnc_status cnnc_evaluate(cnnc_model *model, const cnnc_tensor *inputs,
                          int32_t numInputs, const cnnc_tensor *targets,
                          int32_t numTargets, cnnc_step_result *result) {
  return runEntry(model, inputs, numInputs, targets, numTargets, 0.0f, result,
                  /*training=*/false);
}

cnnc_status cnnc_train_step_queue(cnnc_model *model, const cnnc_tensor *inputs,
                                  int32_t numInputs, const cnnc_tensor *targets,
                                  int32_t numTargets, float lr) {
  return queueStep(model, inputs, numInputs, targets, numTargets, lr);
}

cnnc_status cnnc_train_step_wait(cnnc_model *model, cnnc_step_result *result) {
  return waitForStep(model, result);
}

} // extern "C"
