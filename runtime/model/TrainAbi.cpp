//===- TrainAbi.cpp - the training functions of cnnc.h --------------------===//
//
// The training half of the ABI (version 2): a step or an evaluation checks
// every caller tensor and label, builds the entry's arguments in the order
// its `arg_roles` give, calls the generated code and takes the new
// parameters and optimizer state back into the instance. Like ModelAbi.cpp,
// linked into every model without exceptions or C++ library allocation.
//
//===----------------------------------------------------------------------===//

#include "runtime/model/AbiSupport.h"

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

/// A training step (`training`) or an evaluation.
cnnc_status runEntry(cnnc_model *model, const cnnc_tensor *inputs,
                     int32_t numInputs, const cnnc_tensor *targets,
                     int32_t numTargets, float lr, cnnc_step_result *result,
                     bool training) {
  const char *what = training ? "train_step" : "evaluate";
  if (cnnc_status s = checkModel(model, what))
    return s;
  const cnnc_model_record &r = record();
  const cnnc_entry_record &entry = training ? r.train_step : r.evaluate;
  if (!result)
    return fail(CNNC_INVALID_ARGUMENT, "%s: the result pointer is null", what);
  if (cnnc_status s = checkCount(inputs, numInputs, r.num_inputs, what,
                                 "the model takes", "input"))
    return s;
  if (cnnc_status s = checkCount(targets, numTargets, r.num_targets, what,
                                 "the loss takes", "target"))
    return s;
  int64_t batch = 0;
  if (cnnc_status s =
          checkTensors(inputs, numInputs, r.inputs, "input", &batch))
    return s;
  if (cnnc_status s =
          checkTensors(targets, numTargets, r.targets, "target", &batch))
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
  if (entry.num_args + 1 > kMaxArgs || r.num_states > kMaxStates ||
      r.prediction.rank < 1 || r.prediction.rank > CNNC_MAX_RANK)
    return fail(CNNC_INTERNAL_ERROR, "%s: the model's entry is malformed",
                what);

  // Arguments as the entry's roles say; descriptors and scalars live on the
  // stack for the duration of the call.
  Descriptor descs[kMaxArgs];
  int64_t results[kMaxArgs * descriptorWords(CNNC_MAX_RANK)];
  void *args[kMaxArgs];
  float rate = training ? lr : 0.0f;
  int64_t stepNumber = model->step + (training ? 1 : 0);
  int64_t seed = training ? stepSeed(model->trainingSeed, stepNumber) : 0;
  args[0] = results;
  for (int32_t a = 0; a < entry.num_args; ++a) {
    if (entry.arg_roles[a] < 0)
      return fail(CNNC_INTERNAL_ERROR,
                  "%s: argument %d of the entry has the unknown role %d", what,
                  a, entry.arg_roles[a]);
    int32_t kind = entry.arg_roles[a] / CNNC_ROLE_SCALE;
    int32_t index = entry.arg_roles[a] % CNNC_ROLE_SCALE;
    void *&arg = args[1 + a];
    arg = &descs[a];
    if (kind == CNNC_ARG_INPUT && index < numInputs)
      describeContiguous(descs[a], inputs[index].data, inputs[index].shape,
                         inputs[index].rank);
    else if (kind == CNNC_ARG_TARGET && index < numTargets)
      describeContiguous(descs[a], targets[index].data, targets[index].shape,
                         targets[index].rank);
    else if (kind == CNNC_ARG_PARAMS)
      describeContiguous(descs[a], model->params, &r.param_elements, 1);
    else if (kind == CNNC_ARG_STATE && index < r.num_states)
      describeContiguous(descs[a], stateBuffer(model, index), &r.param_elements,
                         1);
    else if (kind == CNNC_ARG_SEED)
      arg = &seed;
    else if (kind == CNNC_ARG_LR)
      arg = &rate;
    else if (kind == CNNC_ARG_STEP)
      arg = &stepNumber;
    else
      return fail(CNNC_INTERNAL_ERROR,
                  "%s: argument %d of the entry has the unknown role %d", what,
                  a, entry.arg_roles[a]);
  }
  entry.fn(args);

  // The results: the loss (rank 0), the prediction, then for a step the new
  // parameters and each new state (rank 1).
  int64_t *word = results;
  auto next = [&](int32_t rank) {
    auto *d = reinterpret_cast<Descriptor *>(word);
    word += descriptorWords(rank);
    return d;
  };
  Descriptor *loss = next(0);
  Descriptor *prediction = next(r.prediction.rank);
  Update updates[1 + kMaxStates];
  int32_t numUpdates = 0;
  if (training) {
    updates[numUpdates++] = {
        model->params, static_cast<const float *>(resultData(*next(1), 4))};
    for (int32_t s = 0; s < r.num_states; ++s)
      updates[numUpdates++] = {
          stateBuffer(model, s),
          static_cast<const float *>(resultData(*next(1), 4))};
  }
  result->loss = *static_cast<const float *>(resultData(*loss, 4));
  result->reserved = 0;
  result->correct =
      countCorrect(static_cast<const float *>(resultData(*prediction, 4)),
                   targets, numTargets, batch);
  result->count = batch;
  cnnc_status status = applyUpdates(model, updates, numUpdates);

  ResultFreer freer;
  freer.keep(model->params, r.param_elements * int64_t(sizeof(float)));
  freer.keep(model->states, model->stateStride * r.num_states * 4);
  for (int32_t k = 0; k < numInputs; ++k)
    freer.keep(inputs[k].data, tensorBytes(inputs[k]));
  for (int32_t k = 0; k < numTargets; ++k)
    freer.keep(targets[k].data, tensorBytes(targets[k]));
  word = results;
  freer.release(*next(0));
  freer.release(*next(r.prediction.rank));
  for (int32_t u = 0; u < numUpdates; ++u)
    freer.release(*next(1));
  if (status == CNNC_OK && training)
    ++model->step;
  return status;
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
  std::memcpy(stateBuffer(model, state) + record().params[param].offset, data,
              static_cast<size_t>(count) * sizeof(float));
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

} // extern "C"
