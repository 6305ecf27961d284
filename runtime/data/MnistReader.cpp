//===- MnistReader.cpp - MNIST-format directories -------------------------===//
//
// MNIST and Fashion-MNIST ship as four IDX files (runtime/io/Idx.h reads
// them, gzipped or not). The images come as floats and are kept as bytes,
// which round-trip exactly (b / 255 * 255 = b), in their own size: batches
// fit them to the model.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/DatasetReaders.h"
#include "runtime/data/ImageFit.h"
#include "runtime/data/ReaderSupport.h"
#include "runtime/io/Idx.h"

using namespace cnnc::rt::data_detail;

namespace cnnc::rt {
namespace {

constexpr int32_t kMnistClasses = 10;

/// `dir`/`name`, or `dir`/`name`.gz when only that exists; "" when neither.
std::string findFile(const std::string &dir, const std::string &name) {
  for (const char *suffix : {"", ".gz"}) {
    std::string path = joinPath(dir, name + suffix);
    if (isFile(path))
      return path;
  }
  return "";
}

/// One split ("train" or "t10k") to be fitted to `model`; `size` is set to
/// the images' size in the file, "28x28".
Result<Dataset> readSplit(const std::string &images, const std::string &labels,
                          const ImageShape &model, std::string &size) {
  Result<Tensor> x = readIdxImages(images);
  if (!x)
    return x.error();
  Result<Tensor> y = readIdxLabels(labels);
  if (!y)
    return y.error();
  int64_t n = x->shape[0], h = x->shape[2], w = x->shape[3];
  if (n == 0)
    return Error{images + ": holds no images."};
  if (y->shape[0] != n)
    return Error{images + " holds " + std::to_string(n) + " images but " +
                 labels + " holds " + std::to_string(y->shape[0]) +
                 " labels; an image file and its labels must agree."};
  if (h == 0 || w == 0)
    return Error{images + ": its images are " + std::to_string(h) + "x" +
                 std::to_string(w) + ", empty."};
  if (Status st = checkLabels(labels, y->i32, 0, kMnistClasses, "image"); !st)
    return st.error();
  size = std::to_string(h) + "x" + std::to_string(w);

  Dataset d;
  d.stored = {1, h, w};
  d.shape = model;
  d.fit = FitMode::PadOrResize;
  d.fitting = fittingNote(d.stored, model, d.fit);
  d.labels = std::move(y->i32);
  d.numClasses = kMnistClasses;
  d.origin = images;
  appendAsBytes(*x, d.pixels);
  return d;
}

} // namespace

Result<DataSplits> readMnistDirectory(const std::string &dir,
                                      const ImageShape &model) {
  if (Status st = checkReaderArguments(dir, model); !st)
    return st.error();
  const char *names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  std::string paths[4], missing;
  for (int i = 0; i < 4; ++i) {
    paths[i] = findFile(dir, names[i]);
    if (paths[i].empty())
      missing += std::string(missing.empty() ? "" : ", ") + names[i] + "[.gz]";
  }
  if (!missing.empty())
    return Error{dir +
                 ": an MNIST-format directory needs four IDX files; "
                 "missing " +
                 missing + "."};

  DataSplits s;
  s.format = DataFormat::Mnist;
  s.testName = "test";
  s.normalization = defaultNormalization(DataFormat::Mnist);
  s.augmentByDefault = false;
  std::string trainSize, testSize;
  Result<Dataset> train = readSplit(paths[0], paths[1], model, trainSize);
  if (!train)
    return train.error();
  s.train = std::move(*train);
  Result<Dataset> test = readSplit(paths[2], paths[3], model, testSize);
  if (!test)
    return test.error();
  // Each split is fitted on its own, but different sizes mean files of two
  // data sets.
  if (testSize != trainSize)
    return Error{paths[2] + ": its images are " + testSize + " but those of " +
                 paths[0] + " are " + trainSize +
                 "; the files of one data set hold images of one size."};
  s.test = std::move(*test);
  return s;
}

} // namespace cnnc::rt
