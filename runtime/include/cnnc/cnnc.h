/*===- cnnc.h - the C ABI of a model compiled by cnnc ---------------------===*\
 *
 * `cnnc model.mdl -o model.so` writes a shared library that exports the
 * functions below and nothing else. cnnc-run and cnnc-train load it with
 * dlopen and call only these; so can any C, C++ or Python (ctypes) program.
 *
 *   1. Check the version: cnnc_abi_version() == CNNC_ABI_VERSION.
 *   2. Describe the model: cnnc_model_name(), cnnc_num_inputs() and
 *      cnnc_input_info(), outputs and parameters likewise.
 *   3. cnnc_create(CNNC_ABI_VERSION, &model), then cnnc_init_params(model,
 *      seed) or cnnc_set_param() for each parameter from a checkpoint.
 *   4. cnnc_infer(model, inputs, n, outputs, m) on batches of any size.
 *   5. cnnc_destroy(model).
 *
 * A model compiled from a .mdl file with a `train` section also trains
 * (cnnc_has_training()): cnnc_train_step() runs forward, loss, backward and
 * the optimizer update, all compiled into the library; cnnc_evaluate()
 * scores a batch without updating. The optimizer's state (Adam's averages,
 * SGD's momentum) lives in the instance, readable and writable per
 * parameter so checkpoints can save and restore it.
 *
 * Tensors cross the ABI as contiguous row-major float32 (NCHW for images)
 * with explicit shapes. Inputs and outputs have a leading batch dimension,
 * described as -1. Parameters have the layout and names PyTorch gives the
 * same layers ("c1.weight" [filters, channels/groups, kh, kw], "f6.weight"
 * [units, features]).
 *
 * Every function that can fail returns a cnnc_status; on failure
 * cnnc_last_error() returns a sentence that says what was wrong. Wrong
 * shapes, null pointers, out-of-range indices and a mismatched ABI version
 * are reported this way; the library never aborts its host process.
 *
 * One model instance may be used by one thread at a time; distinct instances
 * are independent.
 *
 * A library compiled with CUDA code (cnnc_cuda_arch() is not null) also
 * runs on an NVIDIA GPU: cnnc_set_device(model, "cuda") moves an instance
 * there. Tensors still cross the ABI in host memory; the parameters and the
 * optimizer state stay on the device between calls.
 *
 * A training loop that keeps a GPU busy (ABI 4) pins its batch buffers
 * (cnnc_pin_host_memory) and queues each step (cnnc_train_step_queue)
 * before it waits for the one before (cnnc_train_step_wait): the next
 * batch is uploaded while the current one trains. Inference queues the
 * same way (ABI 5: cnnc_infer_queue, cnnc_infer_wait), in the same queue.
 *
\*===----------------------------------------------------------------------===*/

#ifndef CNNC_CNNC_H
#define CNNC_CNNC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a function, a struct or the meaning of a field changes. */
#define CNNC_ABI_VERSION 5u

/* The largest rank of any tensor a model describes. */
#define CNNC_MAX_RANK 8

#if defined(__GNUC__)
#define CNNC_EXPORT __attribute__((visibility("default")))
#else
#define CNNC_EXPORT
#endif

typedef enum cnnc_status {
  CNNC_OK = 0,
  CNNC_INVALID_ARGUMENT = 1, /* null pointer, index out of range, bad count */
  CNNC_SHAPE_MISMATCH = 2,   /* a tensor's dtype, rank or shape is wrong */
  CNNC_ABI_MISMATCH = 3,     /* caller and library disagree on the ABI */
  CNNC_OUT_OF_MEMORY = 4,
  CNNC_INTERNAL_ERROR = 5,     /* a bug in cnnc: please report it */
  CNNC_DEVICE_UNAVAILABLE = 6, /* no CUDA code, driver or such device */
  CNNC_DEVICE_ERROR = 7,       /* a CUDA call failed while running */
} cnnc_status;

typedef enum cnnc_dtype {
  CNNC_F32 = 0,
  CNNC_I32 = 1, /* class labels */
} cnnc_dtype;

/* The description of an input, output or parameter. `name` and the struct
 * live as long as the library is loaded. */
typedef struct cnnc_tensor_info {
  const char *name;
  int32_t dtype; /* a cnnc_dtype */
  int32_t rank;
  int64_t shape[CNNC_MAX_RANK]; /* -1 marks the batch dimension */
} cnnc_tensor_info;

/* A tensor the caller owns: `rank` extents in `shape`, elements contiguous
 * in row-major order at `data`. */
typedef struct cnnc_tensor {
  void *data;
  int32_t dtype; /* a cnnc_dtype */
  int32_t rank;
  const int64_t *shape;
} cnnc_tensor;

/* A model instance: its parameters and working memory. */
typedef struct cnnc_model cnnc_model;

/* The ABI version the library implements. */
CNNC_EXPORT uint32_t cnnc_abi_version(void);

/* The model's name as written after `model` in the .mdl file. */
CNNC_EXPORT const char *cnnc_model_name(void);

/* The message of the last call on this thread that did not return CNNC_OK;
 * "" if there was none. Valid until the next failing call on this thread. */
CNNC_EXPORT const char *cnnc_last_error(void);

CNNC_EXPORT int32_t cnnc_num_inputs(void);
CNNC_EXPORT int32_t cnnc_num_outputs(void);
CNNC_EXPORT int32_t cnnc_num_params(void);
CNNC_EXPORT cnnc_status cnnc_input_info(int32_t index, cnnc_tensor_info *info);
CNNC_EXPORT cnnc_status cnnc_output_info(int32_t index, cnnc_tensor_info *info);
CNNC_EXPORT cnnc_status cnnc_param_info(int32_t index, cnnc_tensor_info *info);

/* Creates an instance with every parameter zero. `abi_version` is the
 * caller's CNNC_ABI_VERSION; a different one yields CNNC_ABI_MISMATCH. */
CNNC_EXPORT cnnc_status cnnc_create(uint32_t abi_version, cnnc_model **model);

/* Frees an instance; null is allowed. */
CNNC_EXPORT void cnnc_destroy(cnnc_model *model);

/* Draws every parameter from its initialiser (PyTorch's defaults unless the
 * model says otherwise: weights and biases of conv2d and dense uniform in
 * +-1/sqrt(fan_in)). The same seed gives the same parameters everywhere. */
CNNC_EXPORT cnnc_status cnnc_init_params(cnnc_model *model, uint64_t seed);

/* Copies parameter `index` out of / into the instance; `count` must be its
 * number of elements. */
CNNC_EXPORT cnnc_status cnnc_get_param(const cnnc_model *model, int32_t index,
                                       float *data, int64_t count);
CNNC_EXPORT cnnc_status cnnc_set_param(cnnc_model *model, int32_t index,
                                       const float *data, int64_t count);

/* Runs inference on one batch. `inputs` holds cnnc_num_inputs() tensors in
 * the order of cnnc_input_info, all with the same batch size N >= 1;
 * `outputs` holds cnnc_num_outputs() caller-allocated tensors whose shapes
 * must be the described ones with N as the batch. */
CNNC_EXPORT cnnc_status cnnc_infer(cnnc_model *model, const cnnc_tensor *inputs,
                                   int32_t num_inputs,
                                   const cnnc_tensor *outputs,
                                   int32_t num_outputs);

/* ---- Training (ABI 2) -------------------------------------------------- */

/* The model's `train` section: the defaults cnnc-train starts from. */
typedef struct cnnc_train_config {
  const char *loss;      /* "cross_entropy" or "mse" */
  const char *optimizer; /* "sgd" or "adam" */
  const char *schedule;  /* "constant", "step" or "cosine" */
  const char *init;      /* "default", "lecun", "xavier" or "kaiming" */
  double lr;
  double momentum;          /* sgd */
  double weight_decay;      /* L2, added to the gradient as PyTorch does */
  double beta1, beta2, eps; /* adam */
  double gamma;             /* step: the factor every step_size epochs */
  double eta_min;           /* cosine: the floor */
  int64_t step_size;        /* step: epochs between decays */
  int64_t t_max;            /* cosine: epochs of a half period */
  int64_t batch;
  int64_t epochs;
  uint64_t seed;
  int32_t nesterov; /* sgd: 1 for Nesterov momentum */
  int32_t reserved;
} cnnc_train_config;

/* The outcome of a training step or an evaluation. */
typedef struct cnnc_step_result {
  float loss; /* the mean loss over the batch, before the update */
  int32_t reserved;
  int64_t correct; /* argmax of the prediction == label; -1 for mse */
  int64_t count;   /* the batch size */
} cnnc_step_result;

/* 1 when the library holds a training step, 0 when it was compiled from a
 * model without a `train` section. Every function below but this one then
 * fails with CNNC_INVALID_ARGUMENT. */
CNNC_EXPORT int32_t cnnc_has_training(void);

/* The `train` section; null without one. Lives as long as the library. */
CNNC_EXPORT const cnnc_train_config *cnnc_training_config(void);

/* The loss's inputs besides the model's: labels (i32 [N]) for
 * cross_entropy, targets for mse. */
CNNC_EXPORT int32_t cnnc_num_targets(void);
CNNC_EXPORT cnnc_status cnnc_target_info(int32_t index, cnnc_tensor_info *info);

/* The optimizer's per-parameter state tensors: none for plain SGD,
 * "momentum_buffer" for SGD with momentum, "exp_avg" and "exp_avg_sq" for
 * Adam (PyTorch's names); each has the shape of its parameter. */
CNNC_EXPORT int32_t cnnc_num_optimizer_states(void);
CNNC_EXPORT const char *cnnc_optimizer_state_name(int32_t state);
CNNC_EXPORT cnnc_status cnnc_get_optimizer_state(const cnnc_model *model,
                                                 int32_t state, int32_t param,
                                                 float *data, int64_t count);
CNNC_EXPORT cnnc_status cnnc_set_optimizer_state(cnnc_model *model,
                                                 int32_t state, int32_t param,
                                                 const float *data,
                                                 int64_t count);

/* The number of optimizer steps taken (PyTorch's `step`); 0 after create.
 * Setting it restores a checkpoint: the next step is step + 1. */
CNNC_EXPORT int64_t cnnc_get_step(const cnnc_model *model);
CNNC_EXPORT cnnc_status cnnc_set_step(cnnc_model *model, int64_t step);

/* The seed dropout masks derive from (with the step number); 0 after create.
 * A run that sets the same seed and step draws the same masks. */
CNNC_EXPORT cnnc_status cnnc_set_training_seed(cnnc_model *model,
                                               uint64_t seed);

/* One optimizer step on a batch: `inputs` as for cnnc_infer, `targets` in
 * the order of cnnc_target_info with the same batch size, `lr` the learning
 * rate of this step (schedules are the caller's). Labels out of range are
 * rejected before any update. */
CNNC_EXPORT cnnc_status cnnc_train_step(cnnc_model *model,
                                        const cnnc_tensor *inputs,
                                        int32_t num_inputs,
                                        const cnnc_tensor *targets,
                                        int32_t num_targets, float lr,
                                        cnnc_step_result *result);

/* The loss and the number correct on a batch, dropout off, no update. */
CNNC_EXPORT cnnc_status cnnc_evaluate(
    cnnc_model *model, const cnnc_tensor *inputs, int32_t num_inputs,
    const cnnc_tensor *targets, int32_t num_targets, cnnc_step_result *result);

/* ---- Devices (ABI 3) --------------------------------------------------- */

/* The CUDA architecture the library's kernels were compiled for ("sm_90");
 * null for a library without CUDA code. */
CNNC_EXPORT const char *cnnc_cuda_arch(void);

/* Moves an instance, its parameters and optimizer state, to `device`:
 * "cpu", "cuda" (device 0) or "cuda:N". Later calls run there. Fails with
 * CNNC_DEVICE_UNAVAILABLE, leaving the instance where it was, when the
 * library has no CUDA code, the machine no CUDA driver, or no device N.
 * The CUDA driver is loaded on the first such call, never before. */
CNNC_EXPORT cnnc_status cnnc_set_device(cnnc_model *model, const char *device);

/* Where the instance runs: "cpu" or "cuda:N"; null for a null model. */
CNNC_EXPORT const char *cnnc_device(const cnnc_model *model);

/* ---- Pinned memory and queued steps (ABI 4) ----------------------------- */

/* Page-locks the caller's memory [data, data + bytes) for the instance's
 * GPU until cnnc_unpin_host_memory, cnnc_set_device or cnnc_destroy: the
 * copy engine then reads batches from it directly, without a copy through
 * the library's staging buffer, and a queued step's batch is uploaded
 * while the step before it runs. Pin after cnnc_set_device; on the CPU it
 * does nothing. Pinning is slow (once per buffer, not per batch).
 * CNNC_DEVICE_ERROR when the driver refuses: part of the range is pinned
 * already, or too much memory is. The memory must stay allocated while
 * pinned. */
CNNC_EXPORT cnnc_status cnnc_pin_host_memory(cnnc_model *model,
                                             const void *data, int64_t bytes);
/* Unpins memory pinned at `data`; CNNC_INVALID_ARGUMENT when nothing was.
 * On the CPU it does nothing. */
CNNC_EXPORT cnnc_status cnnc_unpin_host_memory(cnnc_model *model,
                                               const void *data);

/* How many calls (training steps and inferences, ABI 5) may be queued and
 * not yet waited for. */
#define CNNC_MAX_QUEUED_STEPS 2

/* Queues one optimizer step, checked as cnnc_train_step checks it, and
 * returns once it is queued; cnnc_train_step_wait gives its result. On a
 * GPU the step runs after those queued before it, and with its inputs in
 * pinned memory its batch is uploaded while they run; on the CPU it runs
 * before this returns. Its tensors (labels included) must not change until
 * its result is taken. CNNC_INVALID_ARGUMENT when CNNC_MAX_QUEUED_STEPS
 * calls are queued already. While calls are queued, cnnc_train_step,
 * cnnc_evaluate and cnnc_set_device fail; every other function sees the
 * instance as the queued calls leave it. */
CNNC_EXPORT cnnc_status cnnc_train_step_queue(cnnc_model *model,
                                              const cnnc_tensor *inputs,
                                              int32_t num_inputs,
                                              const cnnc_tensor *targets,
                                              int32_t num_targets, float lr);

/* Waits for the oldest queued call, a step, and gives its result, or the
 * device error it ran into (the step then counts as taken: cnnc_get_step
 * includes it). CNNC_INVALID_ARGUMENT when nothing is queued or the oldest
 * queued call is an inference (cnnc_infer_wait takes it). */
CNNC_EXPORT cnnc_status cnnc_train_step_wait(cnnc_model *model,
                                             cnnc_step_result *result);

/* ---- Queued inference (ABI 5) ------------------------------------------ */

/* The most outputs a queued inference writes: as many as cnnc_infer
 * writes. */
#define CNNC_MAX_QUEUED_OUTPUTS 64

/* Queues inference on one batch, checked as cnnc_infer checks it, and
 * returns once it is queued; cnnc_infer_wait leaves its results in
 * `outputs`. It joins the training steps' queue: it runs after every call
 * queued before it, sees the parameters their updates leave, and counts
 * towards CNNC_MAX_QUEUED_STEPS. On a GPU, with its inputs in pinned
 * memory, its batch is uploaded while the calls before it run; on the CPU
 * it runs before this returns. Until cnnc_infer_wait returns, its inputs
 * must not change and its outputs be neither read nor written. A model with
 * more than CNNC_MAX_QUEUED_OUTPUTS outputs cannot queue
 * (CNNC_INVALID_ARGUMENT). */
CNNC_EXPORT cnnc_status cnnc_infer_queue(cnnc_model *model,
                                         const cnnc_tensor *inputs,
                                         int32_t num_inputs,
                                         const cnnc_tensor *outputs,
                                         int32_t num_outputs);

/* Waits for the oldest queued call, an inference, and writes its results
 * into the outputs given to cnnc_infer_queue, or gives the device error it
 * ran into (its outputs are then unspecified). CNNC_INVALID_ARGUMENT when
 * nothing is queued or the oldest queued call is a training step
 * (cnnc_train_step_wait takes it). */
CNNC_EXPORT cnnc_status cnnc_infer_wait(cnnc_model *model);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CNNC_CNNC_H */
