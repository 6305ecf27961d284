//===- InputData.cpp - the images cnnc-run feeds a model ------------------===//

#include "InputData.h"

#include "runtime/data/ImageFit.h"
#include "runtime/io/Idx.h"
#include "runtime/io/Npy.h"
#include "runtime/io/Png.h"

#include <algorithm>

using namespace cnnc::rt;

namespace {

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<int64_t> sampleShape(const TensorInfo &input) {
  return std::vector<int64_t>(input.shape.begin() + 1, input.shape.end());
}

Error shapeError(const std::string &path, const std::vector<int64_t> &got,
                 const TensorInfo &input) {
  return Error{path + ": holds samples of shape " + formatShape(got) +
               ", the model's input '" + input.name + "' takes " +
               formatShape(sampleShape(input)) +
               " (--pad centres smaller images in zeros; otherwise resize "
               "the data to fit the model)"};
}

/// Whether [N, C, h, w] fits [C, H, W] by padding each side equally.
bool canPad(const std::vector<int64_t> &batch,
            const std::vector<int64_t> &want) {
  return batch.size() == 4 && want.size() == 3 && batch[1] == want[0] &&
         fitsByPadding(batch[2], batch[3], want[1], want[2]);
}

/// Each [C, h, w] image of `batch` centred in a zero image of `want`.
Tensor padBatchCentred(Tensor batch, const std::vector<int64_t> &want) {
  int64_t n = batch.shape[0];
  // The N * C planes are padded alike: pad them as one image.
  batch.shape = {n * batch.shape[1], batch.shape[2], batch.shape[3]};
  Tensor out = padCentred(batch, want[1], want[2]);
  out.shape = {n, want[0], want[1], want[2]};
  return out;
}

Result<Tensor> readPngBatch(const std::vector<std::string> &paths,
                            const TensorInfo &input, bool pad) {
  std::vector<int64_t> want = sampleShape(input);
  if (want.size() != 3)
    return Error{paths.front() + ": an image cannot feed input '" + input.name +
                 "' of shape " + formatShape(want)};
  std::vector<int64_t> shape = want;
  shape.insert(shape.begin(), static_cast<int64_t>(paths.size()));
  Tensor batch = Tensor::zerosF32(shape);
  int64_t sample = want[0] * want[1] * want[2];
  for (size_t i = 0; i < paths.size(); ++i) {
    Result<Tensor> image = readPng(paths[i]);
    if (!image)
      return image.error();
    // PNGs have 1 or 3 channels; a model taking others gets a shape error.
    Tensor converted = want[0] == 1 || want[0] == 3
                           ? convertChannels(*image, want[0])
                           : *image;
    if (converted.shape != want && pad && converted.shape[0] == want[0] &&
        fitsByPadding(converted.shape[1], converted.shape[2], want[1], want[2]))
      converted = padCentred(converted, want[1], want[2]);
    if (converted.shape != want)
      return shapeError(paths[i], image->shape, input);
    std::copy(converted.f32.begin(), converted.f32.end(),
              batch.f32.begin() + static_cast<int64_t>(i) * sample);
  }
  return batch;
}

} // namespace

Result<Tensor> cnnc::rt::readInputBatch(const std::vector<std::string> &paths,
                                        const TensorInfo &input, bool pad) {
  if (paths.empty())
    return Error{"no input files"};
  if (input.dtype != DType::F32)
    return Error{"input '" + input.name + "' is not an image (it is " +
                 dtypeName(input.dtype) + ")"};
  bool allPng = true;
  for (const std::string &p : paths)
    allPng = allPng && endsWith(p, ".png");
  if (allPng)
    return readPngBatch(paths, input, pad);
  if (paths.size() != 1)
    return Error{"several --input files are accepted for PNG images only; "
                 "got " +
                 std::to_string(paths.size()) + " files"};

  const std::string &path = paths.front();
  Result<Tensor> data =
      endsWith(path, ".npy") ? readNpy(path) : readIdxImages(path);
  if (!data)
    return data.error();
  if (data->dtype != DType::F32)
    return Error{path + ": holds integers; images must be floating point"};
  std::vector<int64_t> want = sampleShape(input);
  if (data->shape == want) // one sample without its batch dimension
    data->shape.insert(data->shape.begin(), 1);
  std::vector<int64_t> got(data->shape.begin() + (data->shape.empty() ? 0 : 1),
                           data->shape.end());
  if (got != want && pad && canPad(data->shape, want))
    return padBatchCentred(std::move(*data), want);
  if (got != want)
    return shapeError(path, got, input);
  if (data->shape[0] == 0)
    return Error{path + ": holds no samples"};
  return data;
}

Result<Tensor> cnnc::rt::readLabels(const std::string &path) {
  Result<Tensor> labels =
      endsWith(path, ".npy") ? readNpy(path) : readIdxLabels(path);
  if (!labels)
    return labels.error();
  if (labels->dtype != DType::I32 || labels->shape.size() != 1)
    return Error{path + ": labels must be a 1-D integer array, got " +
                 dtypeName(labels->dtype) + " " + formatShape(labels->shape)};
  return labels;
}
