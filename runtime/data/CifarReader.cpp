//===- CifarReader.cpp - CIFAR-10 binary batches --------------------------===//
//
// The "binary version" of CIFAR-10 (cifar-10-binary.tar.gz): five training
// batches and a test batch of 3073-byte records, a label byte followed by
// the image's R, G and B planes of 32x32 bytes, already CHW. The Python
// pickles are not read: unpickling is code execution, not a file format.
//
//===----------------------------------------------------------------------===//

#include "runtime/data/DatasetReaders.h"
#include "runtime/data/ImageFit.h"
#include "runtime/data/ReaderSupport.h"
#include "runtime/support/AtomicFile.h"

#include <algorithm>

using namespace cnnc::rt::data_detail;

namespace cnnc::rt {
namespace {

constexpr int32_t kCifarClasses = 10;
constexpr ImageShape kCifarImage{3, 32, 32};
constexpr size_t kRecordBytes = 1 + 3 * 32 * 32;

/// Appends the records of one batch file to `d`.
Status appendBatch(const std::string &path, Dataset &d) {
  Result<std::string> file = readFile(path);
  if (!file)
    return file.error();
  size_t size = file->size();
  if (size == 0)
    return Error{path + ": the file is empty; a CIFAR-10 batch holds " +
                 std::to_string(kRecordBytes) + "-byte records."};
  if (size % kRecordBytes != 0)
    return Error{path + ": truncated: " + std::to_string(size) +
                 " bytes are not a whole number of " +
                 std::to_string(kRecordBytes) +
                 "-byte records (a label byte and 3x32x32 pixels); the last "
                 "record has " +
                 std::to_string(size % kRecordBytes) + " bytes."};
  size_t n = size / kRecordBytes, first = d.labels.size();
  const auto *p = reinterpret_cast<const uint8_t *>(file->data());
  for (size_t i = 0; i < n; ++i)
    d.labels.push_back(p[i * kRecordBytes]);
  if (Status st = checkLabels(path, d.labels, first, kCifarClasses, "record");
      !st)
    return st;

  for (size_t i = 0; i < n; ++i) {
    const uint8_t *pixels = p + i * kRecordBytes + 1;
    d.pixels.insert(d.pixels.end(), pixels, pixels + kRecordBytes - 1);
  }
  return Status::ok();
}

/// The class names in batches.meta.txt: its non-blank lines, trimmed.
Result<std::vector<std::string>> readClassNames(const std::string &path) {
  Result<std::string> text = readFile(path);
  if (!text)
    return text.error();
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos)
      end = text->size();
    std::string line = text->substr(start, end - start);
    size_t a = line.find_first_not_of(" \t\r"),
           b = line.find_last_not_of(" \t\r");
    if (a != std::string::npos)
      names.push_back(line.substr(a, b - a + 1));
    start = end + 1;
  }
  if (names.size() != size_t(kCifarClasses))
    return Error{path + ": holds " + std::to_string(names.size()) +
                 " class names (non-blank lines); CIFAR-10 has " +
                 std::to_string(kCifarClasses) + "."};
  return names;
}

} // namespace

Result<DataSplits> readCifar10Directory(const std::string &dir,
                                        const ImageShape &model) {
  if (Status st = checkReaderArguments(dir, model); !st)
    return st.error();
  // The archive unpacks into cifar-10-batches-bin/; accept its parent too.
  std::string root = dir;
  if (!isFile(joinPath(dir, "data_batch_1.bin")) &&
      isDirectory(joinPath(dir, "cifar-10-batches-bin")))
    root = joinPath(dir, "cifar-10-batches-bin");

  std::vector<std::string> trainFiles;
  for (int i = 1; i <= 5; ++i)
    trainFiles.push_back(
        joinPath(root, "data_batch_" + std::to_string(i) + ".bin"));
  std::string testFile = joinPath(root, "test_batch.bin");
  std::string missingText;
  for (const std::string &f : trainFiles)
    if (!isFile(f))
      missingText += (missingText.empty() ? "" : ", ") + f;
  if (!isFile(testFile))
    missingText += (missingText.empty() ? "" : ", ") + testFile;
  if (!missingText.empty())
    return Error{root +
                 ": a CIFAR-10 binary directory needs data_batch_1.bin "
                 "to data_batch_5.bin and test_batch.bin; missing " +
                 missingText + "."};

  DataSplits s;
  s.format = DataFormat::Cifar10;
  s.testName = "test";
  s.normalization = defaultNormalization(DataFormat::Cifar10);
  s.augmentByDefault = true;
  std::vector<std::string> names;
  std::string meta = joinPath(root, "batches.meta.txt");
  if (isFile(meta)) {
    Result<std::vector<std::string>> read = readClassNames(meta);
    if (!read)
      return read.error();
    names = std::move(*read);
  }

  // Reserving what the files hold avoids doubling 150 MB of pixels.
  auto start = [&](Dataset &d, const std::string &origin,
                   const std::vector<std::string> &files) {
    d.stored = kCifarImage;
    d.shape = model;
    // torchvision's CIFAR recipes Resize; padding is MNIST's LeNet recipe.
    d.fit = FitMode::Resize;
    d.fitting = fittingNote(kCifarImage, model, d.fit);
    d.numClasses = kCifarClasses;
    d.classNames = names;
    d.origin = origin;
    size_t records = 0;
    for (const std::string &f : files) {
      std::error_code ec;
      uintmax_t bytes = std::filesystem::file_size(f, ec);
      records += ec ? 0 : size_t(bytes / kRecordBytes);
    }
    records = std::min<size_t>(records, 1 << 20); // a hint, not a promise
    d.labels.reserve(records);
    d.pixels.reserve(records * (kRecordBytes - 1));
  };
  start(s.train, root, trainFiles);
  for (const std::string &f : trainFiles)
    if (Status st = appendBatch(f, s.train); !st)
      return st.error();
  Dataset test;
  start(test, testFile, {testFile});
  if (Status st = appendBatch(testFile, test); !st)
    return st.error();
  s.test = std::move(test);
  return s;
}

} // namespace cnnc::rt
