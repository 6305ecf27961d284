//===- InputData.cpp - the images cnnc-run feeds a model ------------------===//

#include "InputData.h"

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

/// A [C, H, W] image with 1 or 3 channels converted to `channels` (ITU-R
/// BT.601 luma for RGB to gray, replication for gray to RGB).
Tensor convertChannels(const Tensor &image, int64_t channels) {
  int64_t c = image.shape[0], plane = image.shape[1] * image.shape[2];
  if (c == channels || (c != 1 && c != 3) || (channels != 1 && channels != 3))
    return image;
  Tensor out = Tensor::zerosF32({channels, image.shape[1], image.shape[2]});
  for (int64_t i = 0; i < plane; ++i) {
    if (channels == 1) {
      out.f32[i] = 0.299f * image.f32[i] + 0.587f * image.f32[plane + i] +
                   0.114f * image.f32[2 * plane + i];
    } else {
      for (int64_t k = 0; k < 3; ++k)
        out.f32[k * plane + i] = image.f32[i];
    }
  }
  return out;
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
         batch[2] <= want[1] && batch[3] <= want[2] &&
         (want[1] - batch[2]) % 2 == 0 && (want[2] - batch[3]) % 2 == 0;
}

Tensor padCentred(const Tensor &batch, const std::vector<int64_t> &want) {
  int64_t n = batch.shape[0], c = want[0], h = batch.shape[2],
          w = batch.shape[3], top = (want[1] - h) / 2, left = (want[2] - w) / 2;
  Tensor out = Tensor::zerosF32({n, c, want[1], want[2]});
  for (int64_t plane = 0; plane < n * c; ++plane)
    for (int64_t y = 0; y < h; ++y)
      std::copy_n(batch.f32.begin() + (plane * h + y) * w, w,
                  out.f32.begin() + (plane * want[1] + y + top) * want[2] +
                      left);
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
    Tensor converted = convertChannels(*image, want[0]);
    std::vector<int64_t> asBatch = converted.shape;
    asBatch.insert(asBatch.begin(), 1);
    if (converted.shape != want && pad && canPad(asBatch, want)) {
      converted.shape = asBatch;
      converted = padCentred(converted, want);
      converted.shape = want;
    }
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
    return padCentred(*data, want);
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
