//===- OpenDataset.cpp - recognising a data directory's layout ------------===//
//
// The layout is recognised by a file or folder only it has, and the reader
// for it then reports everything else that is missing or wrong, so a user
// with an incomplete MNIST directory hears about the missing MNIST file, not
// that no data set was found.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/DatasetReaders.h"
#include "runtime/data/ReaderSupport.h"

using namespace cnnc::rt::data_detail;

namespace cnnc::rt {
namespace {

bool hasAny(const std::string &dir, std::initializer_list<const char *> names) {
  for (const char *name : names)
    if (isFile(joinPath(dir, name)))
      return true;
  return false;
}

bool looksLikeMnist(const std::string &dir) {
  return hasAny(dir, {"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz",
                      "t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"});
}

bool looksLikeCifar(const std::string &dir) {
  const std::initializer_list<const char *> names = {"data_batch_1.bin",
                                                     "test_batch.bin"};
  return hasAny(dir, names) ||
         hasAny(joinPath(dir, "cifar-10-batches-bin"), names);
}

/// Whether `dir` has a folder that is not hidden: a class, or train/.
bool hasSubfolder(const std::string &dir) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] != '.' && isDirectory(it->path().string()))
      return true;
  }
  return false;
}

} // namespace

Result<DataSplits> openDataset(const std::string &dir,
                               const ImageShape &model) {
  if (Status st = checkDirectory(dir); !st)
    return st.error();
  if (looksLikeMnist(dir))
    return readMnistDirectory(dir, model);
  if (looksLikeCifar(dir))
    return readCifar10Directory(dir, model);
  if (hasSubfolder(dir))
    return readImageFolder(dir, model);
  return Error{dir +
               ": no data set found. Looked for MNIST-format IDX files "
               "(train-images-idx3-ubyte, train-labels-idx1-ubyte, "
               "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each possibly "
               ".gz), CIFAR-10 binary batches (data_batch_1.bin to "
               "data_batch_5.bin and test_batch.bin, here or in "
               "cifar-10-batches-bin/), and an image folder (<class>/*.png, "
               "*.jpg or *.jpeg, optionally under train/ and test/ or val/)."};
}

} // namespace cnnc::rt
