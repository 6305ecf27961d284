//===- InputData.h - the images cnnc-run feeds a model ----------*- C++ -*-===//

#ifndef CNNC_TOOLS_CNNC_RUN_INPUTDATA_H
#define CNNC_TOOLS_CNNC_RUN_INPUTDATA_H

#include "runtime/loader/ModelLibrary.h"

#include <string>
#include <vector>

namespace cnnc::rt {

/// Reads a batch for `input` from `paths`: one .npy file ([N, ...] or one
/// sample without the batch), one IDX image file (MNIST, maybe gzipped), or
/// PNG files (one sample each; gray and RGB are converted to the channels
/// the model wants). Pixel values are scaled to [0, 1]. Every sample must
/// have the model's shape: the error says which file does not. With `pad`,
/// images smaller than the model's are centred in zeros (the LeNet-5 paper
/// padded 28x28 MNIST digits to 32x32).
Result<Tensor> readInputBatch(const std::vector<std::string> &paths,
                              const TensorInfo &input, bool pad = false);

/// Reads class labels from an IDX label file or an integer .npy file.
Result<Tensor> readLabels(const std::string &path);

} // namespace cnnc::rt

#endif // CNNC_TOOLS_CNNC_RUN_INPUTDATA_H
