//===- Dataset.cpp - labelled images for training -------------------------===//
//
// The shape checks and per-format defaults every reader shares.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/Dataset.h"

#include "runtime/support/Tensor.h"

#include <cmath>

namespace cnnc::rt {

std::string formatImageShape(const ImageShape &s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" +
         std::to_string(s.width);
}

Status checkImageShape(const ImageShape &s) {
  if (s.channels != 1 && s.channels != 3)
    return Error{"an image input needs 1 (gray) or 3 (RGB) channels, not " +
                 std::to_string(s.channels) + " (shape " + formatImageShape(s) +
                 ")."};
  if (s.height < 1 || s.width < 1 || s.height > kMaxImageSide ||
      s.width > kMaxImageSide)
    return Error{"an image input's height and width must be from 1 to " +
                 std::to_string(kMaxImageSide) + ", not " +
                 std::to_string(s.height) + "x" + std::to_string(s.width) +
                 "."};
  return Status::ok();
}

Result<ImageShape> imageShapeOfInput(const std::vector<int64_t> &shape,
                                     const std::string &inputName) {
  std::string what = "the model's input '" + inputName + "' of shape " +
                     formatShape(shape) + " is not an image batch";
  if (shape.size() != 4)
    return Error{what + ": training data are images, which need an input of "
                        "shape [N, C, H, W]."};
  ImageShape s{shape[1], shape[2], shape[3]};
  if (Status st = checkImageShape(s); !st)
    return Error{what + ": " + st.error().message};
  return s;
}

const char *dataFormatName(DataFormat format) {
  switch (format) {
  case DataFormat::Mnist:
    return "MNIST-format IDX files";
  case DataFormat::Cifar10:
    return "CIFAR-10 binary batches";
  case DataFormat::ImageFolder:
    return "image folder";
  }
  return "unknown format";
}

Normalization defaultNormalization(DataFormat format) {
  if (format == DataFormat::Mnist)
    return {{0.0f}, {1.0f}};
  return {{0.5f}, {0.5f}};
}

Status checkNormalization(const Normalization &n, int64_t channels) {
  auto count = [&](size_t k) { return k == 1 || int64_t(k) == channels; };
  if (!count(n.mean.size()) || !count(n.std.size()))
    return Error{"the normalisation has " + std::to_string(n.mean.size()) +
                 " means and " + std::to_string(n.std.size()) +
                 " standard deviations; the images have " +
                 std::to_string(channels) +
                 " channels (give one value, or one per channel)."};
  for (float m : n.mean)
    if (!std::isfinite(m))
      return Error{"the normalisation's means must be finite numbers."};
  for (float s : n.std)
    if (!std::isfinite(s) || !(s > 0.0f))
      return Error{"the normalisation's standard deviations must be positive "
                   "finite numbers."};
  return Status::ok();
}

std::string describeSplits(const DataSplits &splits,
                           const std::string &directory) {
  std::string s = directory + ": " + dataFormatName(splits.format) + ", " +
                  std::to_string(splits.train.size()) + " training";
  if (splits.test)
    s += " and " + std::to_string(splits.test->size()) + " " + splits.testName;
  s += " images of " + formatImageShape(splits.train.shape);
  if (!splits.train.fitting.empty())
    s += " (" + splits.train.fitting + ")";
  s += ", " + std::to_string(splits.train.numClasses) + " classes";
  return s;
}

} // namespace cnnc::rt
