//===- Dataset.h - labelled images for training -----------------*- C++ -*-===//
//
// What cnnc-train reads. Images are kept as bytes in the size the files have
// them (CIFAR-10's 50,000 training images take 150 MB so, 600 MB as floats,
// and 7.7 GB as bytes enlarged to AlexNet's 227x227) and brought to the
// model's input shape as each batch is assembled (Batcher.h). Only image
// folders, whose images come in many sizes, are fitted when read.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_DATA_DATASET_H
#define CNNC_RUNTIME_DATA_DATASET_H

#include "runtime/support/Result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnc::rt {

/// The channels x height x width of one image.
struct ImageShape {
  int64_t channels = 0, height = 0, width = 0;

  int64_t numElements() const { return channels * height * width; }
  bool operator==(const ImageShape &o) const {
    return channels == o.channels && height == o.height && width == o.width;
  }
  bool operator!=(const ImageShape &o) const { return !(*this == o); }
};

/// "3x32x32"
std::string formatImageShape(const ImageShape &shape);

/// The largest height or width a model input may have (AlexNet takes 227);
/// it bounds what a data set of fitted images can cost in memory.
constexpr int64_t kMaxImageSide = 4096;

/// An error unless `shape` has 1 (gray) or 3 (RGB) channels and sides from 1
/// to kMaxImageSide: the shapes the readers can fit images to.
Status checkImageShape(const ImageShape &shape);

/// The image every sample is fitted to, from a model input's shape
/// [N, C, H, W] (N is -1 or any batch size): an error naming `inputName`
/// unless it has four dimensions, 1 (gray) or 3 (RGB) channels and sides
/// from 1 to kMaxImageSide.
Result<ImageShape> imageShapeOfInput(const std::vector<int64_t> &shape,
                                     const std::string &inputName);

/// How an image whose size differs from the model's is brought to it.
enum class FitMode {
  /// Centred zero padding when the model is larger by an even margin in both
  /// directions (MNIST 28x28 into LeNet-5's 32x32, the 1998 recipe), bilinear
  /// resampling otherwise.
  PadOrResize,
  /// Always bilinear resampling, as torchvision's Resize((H, W)).
  Resize,
};

/// Images and their class labels. Image i is the bytes
/// [i * stored.numElements(), (i + 1) * stored.numElements()) of `pixels`,
/// in CHW order; a byte b stands for the intensity b / 255. Batches deliver
/// images of `shape`, converted and resized from `stored` as `fit` says
/// (ImageFit.h: fittedImage).
struct Dataset {
  ImageShape stored; // each image as kept
  ImageShape shape;  // each image as batches deliver it: the model's input
  FitMode fit = FitMode::Resize;
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels; // each in [0, numClasses)
  int32_t numClasses = 0;
  std::vector<std::string> classNames; // empty, or numClasses names
  std::string origin;  // the file or folder it came from, for messages
  std::string fitting; // how images are fitted ("28x28 padded to 32x32")

  size_t size() const { return labels.size(); }
  const uint8_t *image(size_t i) const {
    return pixels.data() + i * static_cast<size_t>(stored.numElements());
  }
};

/// The on-disk layouts openDataset recognises.
enum class DataFormat { Mnist, Cifar10, ImageFolder };

/// "MNIST-format IDX files", "CIFAR-10 binary batches", "image folder".
const char *dataFormatName(DataFormat format);

/// Per-channel (x - mean) / std, applied when a batch is assembled. One
/// value applies to every channel.
struct Normalization {
  std::vector<float> mean, std;
};

/// The normalisation the reference recipes use for `format`: none for
/// MNIST-format sets (pixels in [0, 1], `ToTensor()` only, as every
/// reference LeNet-5 script and cnnc-run feed them), (0.5, 0.5) per channel
/// for CIFAR-10 and image folders as the reference CIFAR-10 LeNet script
/// does.
Normalization defaultNormalization(DataFormat format);

/// An error unless `n` has 1 or `channels` means and as many positive,
/// finite standard deviations.
Status checkNormalization(const Normalization &n, int64_t channels);

/// What a data directory holds: a training split, usually a test split, and
/// the defaults its format calls for.
struct DataSplits {
  DataFormat format = DataFormat::Mnist;
  Dataset train;
  std::optional<Dataset> test;
  std::string testName; // "test" or "val": the folder or files it came from
  Normalization normalization;
  bool augmentByDefault = false; // CIFAR-10 and image folders
};

/// "data/mnist: MNIST-format IDX files, 60000 training and 10000 test images
/// of 1x32x32 (28x28 padded to 32x32), 10 classes"
std::string describeSplits(const DataSplits &splits,
                           const std::string &directory);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_DATA_DATASET_H
