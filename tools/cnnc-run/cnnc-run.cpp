//===- cnnc-run.cpp - run a compiled model on images ----------------------===//
//
// `cnnc-run model.so --input images [--weights w.safetensors] [--labels l]
// [--output logits.npy]`: loads a model compiled by cnnc through its C ABI,
// runs inference in batches, prints the top predictions and, with labels,
// the accuracy. Depends on the runtime only (no MLIR, no LLVM).
//
//===----------------------------------------------------------------------===//

#include "InputData.h"

#include "runtime/io/Npy.h"
#include "runtime/loader/Checkpoint.h"
#include "runtime/loader/ModelLibrary.h"
#include "runtime/support/CommandLine.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <numeric>
#include <string>
#include <vector>

using namespace cnnc::rt;

namespace {

constexpr const char *kTool = "cnnc-run";

constexpr const char *kUsage =
    R"(usage: cnnc-run MODEL.so --input FILE [options]

Runs a model compiled by cnnc (cnnc model.mdl -o model.so) on images.

  --input FILE    images: a .npy array [N, C, H, W] (or one [C, H, W]), an
                  IDX image file (MNIST, Fashion-MNIST; .gz too), or .png
                  files (repeat --input for several); pixels scaled to [0, 1]
  --pad           centre images smaller than the model's input in zeros
                  (28x28 MNIST digits for the 32x32 LeNet-5 of the paper)
  --weights FILE  parameters from a safetensors checkpoint (names as in the
                  model: c1.weight, c1.bias, ...)
  --seed N        without --weights: initialise the parameters from seed N
                  (default 0); the predictions of an untrained model
  --labels FILE   the true classes (IDX label file or integer .npy): report
                  the accuracy
  --output FILE   write the model's output (the logits) to a .npy file
  --top-k K       classes shown per image (default 3)
  --show N        images whose predictions are printed (default 10, -1: all)
  --batch B       images per inference call (default 256)
  --device D      where to run: cpu (default), cuda or cuda:N (a library
                  compiled with the CUDA toolkit, on an NVIDIA GPU)
  --info          describe the model (inputs, outputs, parameters) and exit
  --help          this text
)";

struct Options {
  std::string model;
  std::vector<std::string> inputs;
  std::string weights, labels, output;
  std::string device = "cpu";
  uint64_t seed = 0;
  int64_t topK = 3, show = 10, batch = 256;
  bool info = false;
  bool pad = false;
};

/// Returns -1 to continue, else the exit code.
int parseArgs(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *&out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    const char *v = nullptr;
    int64_t n = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--info") {
      o.info = true;
    } else if (arg == "--pad") {
      o.pad = true;
    } else if (arg == "--input" || arg == "--weights" || arg == "--labels" ||
               arg == "--output" || arg == "--seed" || arg == "--top-k" ||
               arg == "--show" || arg == "--batch" || arg == "--device") {
      if (!value(v))
        return usageError(kTool, arg + " needs a value");
      if (arg == "--input")
        o.inputs.push_back(v);
      else if (arg == "--weights")
        o.weights = v;
      else if (arg == "--labels")
        o.labels = v;
      else if (arg == "--output")
        o.output = v;
      else if (arg == "--device")
        o.device = v;
      else if (arg == "--seed" && parseInteger(v, 0, n))
        o.seed = static_cast<uint64_t>(n);
      else if (arg == "--top-k" && parseInteger(v, 1, n))
        o.topK = n;
      else if (arg == "--show" && parseInteger(v, -1, n))
        o.show = n;
      else if (arg == "--batch" && parseInteger(v, 1, n))
        o.batch = n;
      else
        return usageError(kTool,
                          arg + " expects " +
                              (arg == "--show"   ? "an integer >= -1"
                               : arg == "--seed" ? "a non-negative integer"
                                                 : "a positive integer") +
                              ", got '" + v + "'");
    } else if (std::optional<std::string> problem = takeModelArgument(
                   arg, o.model, "images are given with --input")) {
      return usageError(kTool, *problem);
    }
  }
  if (o.model.empty())
    return usageError(kTool, "no model given");
  if (!o.info && o.inputs.empty())
    return usageError(kTool, "no --input given");
  return -1;
}

void describe(const ModelLibrary &lib) {
  std::printf("model %s (%s)\n", lib.name().c_str(), lib.path().c_str());
  for (const TensorInfo &t : lib.inputs())
    std::printf("  input  %-16s %s %s\n", t.name.c_str(), dtypeName(t.dtype),
                formatShape(t.shape).c_str());
  for (const TensorInfo &t : lib.outputs())
    std::printf("  output %-16s %s %s\n", t.name.c_str(), dtypeName(t.dtype),
                formatShape(t.shape).c_str());
  int64_t total = 0;
  for (const TensorInfo &t : lib.params()) {
    std::printf("  param  %-16s %s %s\n", t.name.c_str(), dtypeName(t.dtype),
                formatShape(t.shape).c_str());
    total += t.numElements();
  }
  std::printf("  %lld parameters\n", static_cast<long long>(total));
  if (lib.cudaArch().empty())
    std::printf("  CPU only (compiled without CUDA code)\n");
  else
    std::printf("  CUDA kernels for %s (--device cuda)\n",
                lib.cudaArch().c_str());
}

/// Prints "7 (98.1%)  2 (0.9%)" for one row of logits.
void printTopK(int64_t index, const float *logits, int64_t classes, int64_t k) {
  std::vector<int64_t> order(classes);
  std::iota(order.begin(), order.end(), 0);
  k = std::min(k, classes);
  std::partial_sort(
      order.begin(), order.begin() + k, order.end(),
      [&](int64_t a, int64_t b) { return logits[a] > logits[b]; });
  double max = logits[order[0]], sum = 0;
  for (int64_t c = 0; c < classes; ++c)
    sum += std::exp(logits[c] - max);
  std::printf("%6lld:", static_cast<long long>(index));
  for (int64_t i = 0; i < k; ++i)
    std::printf("  %lld (%.1f%%)", static_cast<long long>(order[i]),
                100.0 * std::exp(logits[order[i]] - max) / sum);
  std::printf("\n");
}

/// A batch in flight: its images, its outputs and where they go.
struct QueuedBatch {
  Tensor images;
  std::vector<Tensor> outputs;
  int64_t start = 0;
};

/// Runs inference on `images` in batches of `batch`, writing the first
/// output into `outputs`. Two batches are queued at a time, each in its own
/// buffer, so on a GPU one is uploaded while the other runs; there the
/// buffers are pinned, so that each batch is uploaded from them directly
/// rather than copied once more into the library's staging buffer. The
/// last, shorter batch stays within its buffer.
Status inferInBatches(ModelInstance &instance, const Tensor &images,
                      int64_t batch, Tensor &outputs) {
  int64_t count = images.shape[0];
  int64_t sampleIn = images.numElements() / count;
  int64_t sampleOut = outputs.numElements() / count;
  QueuedBatch buffers[2];
  // Unpinned before the buffers are freed (declared after them).
  std::deque<PinnedMemory> pinned;
  for (QueuedBatch &b : buffers) {
    b.images.shape = images.shape;
    b.images.f32.resize(static_cast<size_t>(std::min(batch, count) * sampleIn));
    size_t bytes = b.images.f32.size() * sizeof(float);
    if (instance.device() != "cpu" && bytes >= kPinnedBatchMin)
      if (Status s =
              pinned.emplace_back(instance).pin(b.images.f32.data(), bytes);
          !s)
        std::fprintf(stderr,
                     "cnnc-run: warning: a batch buffer stays in pageable "
                     "memory, each upload from it is copied once more: %s\n",
                     s.error().message.c_str());
  }
  int64_t queued = 0, taken = 0;
  // Takes the oldest batch's results.
  auto takeOldest = [&]() -> Status {
    if (Status s = instance.waitInfer(); !s)
      return s;
    const QueuedBatch &b = buffers[taken++ % 2];
    const std::vector<float> &first = b.outputs.front().f32;
    std::copy(first.begin(), first.end(),
              outputs.f32.begin() + b.start * sampleOut);
    return Status::ok();
  };
  for (int64_t start = 0; start < count; start += batch) {
    if (queued - taken == 2)
      if (Status s = takeOldest(); !s)
        return s;
    QueuedBatch &b = buffers[queued % 2];
    int64_t n = std::min(batch, count - start);
    b.start = start;
    b.images.shape[0] = n;
    b.images.f32.resize(static_cast<size_t>(n * sampleIn));
    std::copy(images.f32.begin() + start * sampleIn,
              images.f32.begin() + (start + n) * sampleIn,
              b.images.f32.begin());
    if (b.outputs.empty() || b.outputs.front().shape[0] != n)
      b.outputs = instance.outputTensors(n);
    std::vector<Tensor *> outputPtrs;
    for (Tensor &t : b.outputs)
      outputPtrs.push_back(&t);
    if (Status s = instance.queueInfer({&b.images}, outputPtrs); !s)
      return s;
    ++queued;
  }
  while (taken < queued)
    if (Status s = takeOldest(); !s)
      return s;
  return Status::ok();
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  if (int rc = parseArgs(argc, argv, o); rc >= 0)
    return rc;

  Result<std::shared_ptr<ModelLibrary>> lib = ModelLibrary::open(o.model);
  if (!lib)
    return failure(kTool, lib.error());
  if (o.info) {
    describe(**lib);
    return 0;
  }
  if ((*lib)->inputs().size() != 1)
    return failure(
        kTool, Error{o.model + ": the model has " +
                     std::to_string((*lib)->inputs().size()) +
                     " inputs; cnnc-run feeds models with one image input"});
  Result<Tensor> images =
      readInputBatch(o.inputs, (*lib)->inputs().front(), o.pad);
  if (!images)
    return failure(kTool, images.error());
  int64_t count = images->shape[0];
  Tensor labels;
  if (!o.labels.empty()) {
    Result<Tensor> read = readLabels(o.labels);
    if (!read)
      return failure(kTool, read.error());
    if (read->shape[0] != count)
      return failure(
          kTool, Error{o.labels + ": has " + std::to_string(read->shape[0]) +
                       " labels for " + std::to_string(count) + " images"});
    labels = std::move(*read);
  }

  Result<std::unique_ptr<ModelInstance>> instance = (*lib)->createInstance();
  if (!instance)
    return failure(kTool, instance.error());
  if (Status s = (*instance)->setDevice(o.device); !s)
    return failure(kTool, s.error());
  if (!o.weights.empty()) {
    if (Status s = loadParamsFile(**instance, o.weights); !s)
      return failure(kTool, s.error());
  } else {
    std::fprintf(stderr,
                 "cnnc-run: note: no --weights: parameters drawn from seed "
                 "%llu (an untrained model)\n",
                 static_cast<unsigned long long>(o.seed));
    if (Status s = (*instance)->initParams(o.seed); !s)
      return failure(kTool, s.error());
  }

  // Run in batches; gather the first output.
  const TensorInfo &outInfo = (*lib)->outputs().front();
  std::vector<int64_t> outShape = outInfo.shape;
  outShape[0] = count;
  Tensor outputs = Tensor::zerosF32(outShape);
  int64_t sampleOut = outputs.numElements() / count;
  if (Status s = inferInBatches(**instance, *images, o.batch, outputs); !s)
    return failure(kTool, s.error());

  bool classes = outShape.size() == 2;
  int64_t shown = o.show < 0 ? count : std::min(o.show, count);
  if (classes) {
    if (shown > 0)
      std::printf("top-%lld predictions (class, probability):\n",
                  static_cast<long long>(std::min(o.topK, outShape[1])));
    for (int64_t i = 0; i < shown; ++i)
      printTopK(i, outputs.f32.data() + i * sampleOut, outShape[1], o.topK);
    if (shown < count)
      std::printf("  ... %lld more (--show -1 prints all)\n",
                  static_cast<long long>(count - shown));
  }
  if (!labels.i32.empty()) {
    if (!classes)
      return failure(
          kTool, Error{"--labels needs an output of shape [N, classes], the "
                       "model's is " +
                       formatShape(outInfo.shape)});
    int64_t correct = 0;
    for (int64_t i = 0; i < count; ++i) {
      const float *row = outputs.f32.data() + i * sampleOut;
      int64_t best = std::max_element(row, row + outShape[1]) - row;
      correct += best == labels.i32[i];
    }
    std::printf("accuracy: %lld / %lld = %.2f%%\n",
                static_cast<long long>(correct), static_cast<long long>(count),
                100.0 * static_cast<double>(correct) /
                    static_cast<double>(count));
  }
  if (!o.output.empty()) {
    if (Status s = writeNpy(o.output, outputs); !s)
      return failure(kTool, s.error());
    std::printf("wrote %s %s to %s\n", outInfo.name.c_str(),
                formatShape(outputs.shape).c_str(), o.output.c_str());
  }
  return 0;
}
