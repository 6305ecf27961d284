/*===- ModelRecord.h - what cnnc emits into every compiled model ----------===*\
 *
 * The compiler writes one constant `cnnc_model_record_v5` into the object of
 * each model: the description the ABI functions report and the entry points
 * they call. compiler/codegen/ModelRecordEmitter.cpp builds the same layout
 * as LLVM constants; a change here must be made there too, and bumps
 * CNNC_ABI_VERSION. Not part of the public header: users see it only through
 * the functions of cnnc.h.
 *
 * An entry point takes one array of pointers (`args`), so the support
 * library calls every model the same way:
 *   args[0]            the results: one strided memref descriptor per output,
 *                      back to back ({allocated, aligned, offset, sizes[r],
 *                      strides[r]}, all 8-byte words), filled by the callee
 *                      with buffers it allocated with malloc;
 *   args[1 + i]        a descriptor of input i;
 *   args[1 + inputs]   a descriptor of the flat parameter buffer (rank 1);
 *   args[2 + inputs]   a pointer to the int64 dropout seed, if has_seed.
 *
\*===----------------------------------------------------------------------===*/

#ifndef CNNC_RUNTIME_MODEL_MODELRECORD_H
#define CNNC_RUNTIME_MODEL_MODELRECORD_H

#include "cnnc/cnnc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cnnc_init_kind {
  CNNC_INIT_UNIFORM = 0,  /* uniform in [-value, value] */
  CNNC_INIT_CONSTANT = 1, /* every element = value */
} cnnc_init_kind;

typedef struct cnnc_param_record {
  cnnc_tensor_info info;
  int64_t offset; /* in elements, into the flat parameter buffer */
  int32_t init;   /* a cnnc_init_kind */
  float init_value;
} cnnc_param_record;

typedef void (*cnnc_entry_fn)(void **args);

/* What argument `i` of a training or evaluation entry is:
 * role = kind * CNNC_ROLE_SCALE + index. */
#define CNNC_ROLE_SCALE 65536
typedef enum cnnc_arg_kind {
  CNNC_ARG_INPUT = 0,  /* index: the model input (a descriptor) */
  CNNC_ARG_TARGET = 1, /* index: the loss target (a descriptor) */
  CNNC_ARG_PARAMS = 2, /* the flat parameter buffer (a descriptor) */
  CNNC_ARG_SEED = 3,   /* a pointer to the int64 dropout seed */
  CNNC_ARG_STATE = 4,  /* index: an optimizer state buffer (a descriptor) */
  CNNC_ARG_LR = 5,     /* a pointer to the float learning rate */
  CNNC_ARG_STEP = 6,   /* a pointer to the int64 step number, from 1 */
  CNNC_ARG_GRADS = 7,  /* the flat gradient buffer (a descriptor) */
} cnnc_arg_kind;

/* A training or evaluation entry point. Like `infer`, it takes args[0] =
 * the results, args[1 + i] = argument i as `arg_roles[i]` says. The
 * training step's results are the loss (rank 0), the prediction, the new
 * parameters and the new optimizer states; evaluation's the loss and the
 * prediction. */
typedef struct cnnc_entry_record {
  cnnc_entry_fn fn;
  int32_t num_args;
  int32_t reserved;
  const int32_t *arg_roles;
} cnnc_entry_record;

typedef struct cnnc_model_record {
  uint32_t abi_version;
  int32_t num_inputs;
  int32_t num_outputs;
  int32_t num_params;
  const char *name;
  const cnnc_tensor_info *inputs;
  const cnnc_tensor_info *outputs;
  const cnnc_param_record *params;
  int64_t param_elements;
  int32_t has_seed;
  int32_t reserved;
  cnnc_entry_fn infer;
  /* Training (ABI 2): all zero / null without a `train` section. */
  const cnnc_train_config *train;
  int32_t num_targets;
  int32_t num_states;
  const cnnc_tensor_info *targets;
  const char *const *state_names;
  cnnc_tensor_info prediction; /* what the loss scores, batch first */
  cnnc_entry_record train_step;
  cnnc_entry_record evaluate;
  /* The step in two parts, for a batch split across threads: the gradient
   * of one slice (results: loss, prediction, gradients in the parameter
   * layout), then the update (results: new parameters, new states). */
  cnnc_entry_record grad;
  cnnc_entry_record apply_update;
  /* CUDA (ABI 3): null without CUDA code. The chip the kernels were
   * compiled for ("sm_90"), and inference, the training step and evaluation
   * as host code that launches them: the same arguments and roles as the
   * CPU entries, but every descriptor (inputs, targets, parameters, states,
   * results) points to device memory, and each scalar (seed, learning
   * rate, step) is a rank-0 buffer in device memory (a descriptor, not a
   * pointer to the value), so that a recorded call reads each call's
   * values. Results are allocated with mgpuMemAlloc. */
  const char *cuda_arch;
  cnnc_entry_fn gpu_infer;
  cnnc_entry_record gpu_train_step;
  cnnc_entry_record gpu_evaluate;
} cnnc_model_record;

/* Defined by the compiled model's object, hidden outside the .so. */
extern const cnnc_model_record cnnc_model_record_v5;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CNNC_RUNTIME_MODEL_MODELRECORD_H */
