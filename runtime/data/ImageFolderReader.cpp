//===- ImageFolderReader.cpp - one folder of images per class -------------===//
//
// torchvision's ImageFolder layout: root/<class>/.../<image>. Classes are
// the sorted folder names, images are found recursively (following links)
// and sorted by path, so the same tree always gives the same data set.
// Files that are not PNG or JPEG by their extension are skipped, as
// torchvision does; a file with such an extension that does not decode is an
// error, not skipped, so that a damaged data set is noticed.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/DatasetReaders.h"
#include "runtime/data/ImageFit.h"
#include "runtime/data/ReaderSupport.h"
#include "runtime/io/Jpeg.h"
#include "runtime/io/Png.h"

#include <algorithm>
#include <cctype>

using namespace cnnc::rt::data_detail;
namespace fs = std::filesystem;

namespace cnnc::rt {
namespace {

enum class ImageKind { None, Png, Jpeg };

ImageKind kindOf(const fs::path &path) {
  std::string ext = path.extension().string();
  for (char &c : ext)
    c = char(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".png")
    return ImageKind::Png;
  if (ext == ".jpg" || ext == ".jpeg")
    return ImageKind::Jpeg;
  return ImageKind::None;
}

bool isHidden(const fs::path &path) {
  std::string name = path.filename().string();
  return !name.empty() && name[0] == '.';
}

/// The sorted names of the non-hidden folders in `dir`.
Result<std::vector<std::string>> subfolders(const std::string &dir) {
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec))
    if (!isHidden(it->path()) && isDirectory(it->path().string()))
      names.push_back(it->path().filename().string());
  if (ec)
    return Error{dir + ": cannot list it: " + ec.message() + "."};
  std::sort(names.begin(), names.end());
  return names;
}

/// The sorted paths of the PNG and JPEG files under `dir`.
Result<std::vector<std::string>> imagesUnder(const std::string &dir) {
  std::error_code ec;
  std::vector<std::string> paths;
  auto options = fs::directory_options::follow_directory_symlink;
  for (fs::recursive_directory_iterator it(dir, options, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (isHidden(it->path())) {
      if (it->is_directory(ec))
        it.disable_recursion_pending();
      continue;
    }
    if (kindOf(it->path()) != ImageKind::None && isFile(it->path().string()))
      paths.push_back(it->path().string());
  }
  if (ec)
    return Error{dir + ": cannot list it: " + ec.message() + "."};
  std::sort(paths.begin(), paths.end());
  return paths;
}

/// The images of one split (the train or test tree) with the labels of
/// `classes`; each class folder of `root` must be one of them.
Result<Dataset> readTree(const std::string &root,
                         const std::vector<std::string> &classes,
                         const ImageShape &model) {
  Result<std::vector<std::string>> folders = subfolders(root);
  if (!folders)
    return folders.error();
  // Images of many sizes cannot share one stored shape: they are fitted to
  // the model's now.
  Dataset d;
  d.stored = model;
  d.shape = model;
  d.numClasses = int32_t(classes.size());
  d.classNames = classes;
  d.origin = root;
  size_t resized = 0;
  for (const std::string &folder : *folders) {
    auto at = std::lower_bound(classes.begin(), classes.end(), folder);
    if (at == classes.end() || *at != folder)
      return Error{joinPath(root, folder) +
                   ": a class folder that the training split does not have; "
                   "every test class must be a training class."};
    int32_t label = int32_t(at - classes.begin());
    std::string dir = joinPath(root, folder);
    Result<std::vector<std::string>> files = imagesUnder(dir);
    if (!files)
      return files.error();
    if (files->empty())
      return Error{dir + ": no .png, .jpg or .jpeg images in this class "
                         "folder."};
    for (const std::string &file : *files) {
      Result<Tensor> image =
          kindOf(file) == ImageKind::Png ? readPng(file) : readJpeg(file);
      if (!image)
        return image.error();
      if (d.labels.size() >= size_t(INT32_MAX))
        return Error{root + ": more than " + std::to_string(INT32_MAX) +
                     " images."};
      std::string how;
      appendAsBytes(fitImage(*image, model, FitMode::Resize, &how), d.pixels);
      d.labels.push_back(label);
      resized += how.empty() ? 0 : 1;
    }
  }
  if (d.labels.empty())
    return Error{root + ": no class folders; an image folder holds one "
                        "folder of images per class."};
  if (resized)
    d.fitting = std::to_string(resized) + " of " +
                std::to_string(d.labels.size()) + " images resized to " +
                std::to_string(model.height) + "x" +
                std::to_string(model.width);
  return d;
}

} // namespace

Result<DataSplits> readImageFolder(const std::string &dir,
                                   const ImageShape &model) {
  if (Status st = checkReaderArguments(dir, model); !st)
    return st.error();
  DataSplits s;
  s.format = DataFormat::ImageFolder;
  s.normalization = defaultNormalization(DataFormat::ImageFolder);
  s.augmentByDefault = true;

  std::string trainRoot = dir, testRoot;
  if (isDirectory(joinPath(dir, "train"))) {
    trainRoot = joinPath(dir, "train");
    for (const char *name : {"test", "val"})
      if (testRoot.empty() && isDirectory(joinPath(dir, name))) {
        testRoot = joinPath(dir, name);
        s.testName = name;
      }
  }
  Result<std::vector<std::string>> classes = subfolders(trainRoot);
  if (!classes)
    return classes.error();
  if (classes->empty())
    return Error{trainRoot +
                 ": no class folders; an image folder holds one "
                 "folder of images per class (" +
                 trainRoot + "/<class>/*.png|*.jpg|*.jpeg)."};
  if (classes->size() > size_t(INT32_MAX))
    return Error{trainRoot + ": too many class folders."};

  Result<Dataset> train = readTree(trainRoot, *classes, model);
  if (!train)
    return train.error();
  s.train = std::move(*train);
  if (!testRoot.empty()) {
    Result<Dataset> test = readTree(testRoot, *classes, model);
    if (!test)
      return test.error();
    s.test = std::move(*test);
  }
  return s;
}

} // namespace cnnc::rt
