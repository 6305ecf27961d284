//===- RuntimeDataTestUtil.h - fixtures for the data set tests --*- C++ -*-===//
//
// Builders for small data sets on disk (IDX files, CIFAR-10 records, image
// folders) with pixels the tests can predict, and a data set in memory.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TEST_UNIT_RUNTIMEDATATESTUTIL_H
#define CNNC_TEST_UNIT_RUNTIMEDATATESTUTIL_H

#include "RuntimeIOTestUtil.h"

#include "runtime/data/Dataset.h"
#include "runtime/support/Tensor.h"

namespace cnnc::rt::test {

/// An IDX3 file of n images of rows x cols whose pixel k of image i is
/// (i * 31 + k * 7) & 0xff.
inline std::string idxImageFile(uint32_t n, uint32_t rows, uint32_t cols) {
  std::string s = be32(0x803) + be32(n) + be32(rows) + be32(cols);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t k = 0; k < rows * cols; ++k)
      s += char((i * 31 + k * 7) & 0xff);
  return s;
}

inline uint8_t idxPixel(uint32_t i, uint32_t k) {
  return uint8_t((i * 31 + k * 7) & 0xff);
}

/// An IDX1 file with the given labels.
inline std::string idxLabelFile(const std::vector<int> &labels) {
  std::string s = be32(0x801) + be32(uint32_t(labels.size()));
  for (int l : labels)
    s += char(l);
  return s;
}

/// One CIFAR-10 record: the label, then pixel k = (seed + k) & 0xff.
inline std::string cifarRecord(int label, int seed) {
  std::string s(1, char(label));
  for (int k = 0; k < 3072; ++k)
    s += char((seed + k) & 0xff);
  return s;
}

/// A [C, H, W] image with every value of channel k equal to values[k].
inline Tensor solidImage(std::vector<float> values, int64_t h, int64_t w) {
  Tensor t = Tensor::zerosF32({int64_t(values.size()), h, w});
  for (size_t k = 0; k < values.size(); ++k)
    std::fill(t.f32.begin() + int64_t(k) * h * w,
              t.f32.begin() + int64_t(k + 1) * h * w, values[k]);
  return t;
}

/// A data set of n images of `shape` in memory, image i's bytes all i % 256
/// (so an image is recognisable in a batch) and label i % classes.
inline Dataset syntheticDataset(size_t n, ImageShape shape, int classes = 10) {
  Dataset d;
  d.stored = d.shape = shape;
  d.numClasses = classes;
  d.origin = "synthetic";
  for (size_t i = 0; i < n; ++i) {
    d.pixels.insert(d.pixels.end(), size_t(shape.numElements()),
                    uint8_t(i % 256));
    d.labels.push_back(int32_t(i % size_t(classes)));
  }
  return d;
}

} // namespace cnnc::rt::test

#endif // CNNC_TEST_UNIT_RUNTIMEDATATESTUTIL_H
