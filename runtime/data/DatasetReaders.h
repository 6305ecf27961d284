//===- DatasetReaders.h - data directories as training data -----*- C++ -*-===//
//
// The layouts users download data sets in, each read into DataSplits with
// every image fitted to the model's input shape. openDataset recognises the
// layout from the files present; the readers can be called directly too.
// Every problem with the files (missing, truncated, wrong magic number,
// label out of range, counts that disagree, undecodable images) is an error
// naming the file.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_DATA_DATASETREADERS_H
#define CNNC_RUNTIME_DATA_DATASETREADERS_H

#include "runtime/data/Dataset.h"

#include <string>

namespace cnnc::rt {

/// MNIST or Fashion-MNIST: `dir` holds train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
/// t10k-labels-idx1-ubyte, each possibly gzipped and named with ".gz".
/// 10 classes. Images are centred in zeros when the model is larger by an
/// even margin (28x28 into LeNet-5's 32x32), resized otherwise.
Result<DataSplits> readMnistDirectory(const std::string &dir,
                                      const ImageShape &model);

/// CIFAR-10's binary version: `dir` (or `dir`/cifar-10-batches-bin) holds
/// data_batch_1.bin to data_batch_5.bin (training) and test_batch.bin, each a
/// sequence of 3073-byte records (a label byte, then the 32x32 R, G and B
/// planes), and optionally batches.meta.txt with the 10 class names.
Result<DataSplits> readCifar10Directory(const std::string &dir,
                                        const ImageShape &model);

/// Images sorted into one folder per class, `dir`/<class>/**.png|jpg|jpeg
/// (torchvision's ImageFolder). The classes are the sorted folder names. When
/// `dir`/train exists it is the training split and `dir`/test (or else
/// `dir`/val) the test split, whose class folders must be among train's.
/// Images are converted to the model's channels and resized to its size.
Result<DataSplits> readImageFolder(const std::string &dir,
                                   const ImageShape &model);

/// Whichever of the three layouts `dir` holds; when none, an error saying
/// what was looked for.
Result<DataSplits> openDataset(const std::string &dir, const ImageShape &model);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_DATA_DATASETREADERS_H
