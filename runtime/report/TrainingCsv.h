//===- TrainingCsv.h - the per-epoch training log ---------------*- C++ -*-===//
//
// cnnc-train appends one row per epoch to a CSV file a spreadsheet, pandas
// or gnuplot reads directly; a row is on disk as soon as its epoch ends, so
// an interrupted run keeps its history. Accuracies are fractions in [0, 1];
// a value that was not measured (no validation split) is an empty field.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_REPORT_TRAININGCSV_H
#define CNNC_RUNTIME_REPORT_TRAININGCSV_H

#include "runtime/support/Result.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cnnc::rt {

/// The CSV's first line.
constexpr const char *kTrainingCsvHeader =
    "epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,"
    "test_accuracy,learning_rate,seconds";

/// One epoch's row; NaN stands for "not measured".
struct EpochRecord {
  int64_t epoch = 0; // counted from 1
  double trainLoss = NAN, trainAccuracy = NAN;
  double valLoss = NAN, valAccuracy = NAN;
  double testLoss = NAN, testAccuracy = NAN; // the data set's test split
  double learningRate = NAN, seconds = NAN;
};

/// The row's text without the newline: "3,0.0412,0.9871,,,,,0.01,12.5".
std::string formatCsvRow(const EpochRecord &r);

/// The rows of a log written by TrainingCsv; errors name the file and line.
Result<std::vector<EpochRecord>> readTrainingCsv(const std::string &path);

/// An open training log. Move-only; closes the file when destroyed.
class TrainingCsv {
public:
  /// Starts the log at `path` anew: the header only, replacing any file.
  static Result<TrainingCsv> create(const std::string &path);

  /// Continues the log at `path` after epoch `lastEpoch` (where training
  /// resumes from): keeps the rows of epochs up to `lastEpoch`, drops later
  /// ones (written after the checkpoint by the interrupted run) and appends
  /// after them. A missing file is created with the header; a file that is
  /// not such a log is an error and left as it is.
  static Result<TrainingCsv> resume(const std::string &path, int64_t lastEpoch);

  TrainingCsv(TrainingCsv &&other) noexcept;
  TrainingCsv &operator=(TrainingCsv &&other) noexcept;
  TrainingCsv(const TrainingCsv &) = delete;
  TrainingCsv &operator=(const TrainingCsv &) = delete;
  ~TrainingCsv();

  /// Appends the row and hands it to the system at once (no buffering).
  Status append(const EpochRecord &r);

  /// Every row in the log so far, kept and appended: what a plot draws.
  const std::vector<EpochRecord> &records() const { return records_; }
  const std::string &path() const { return path_; }

private:
  TrainingCsv(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  static Result<TrainingCsv> openForAppend(const std::string &path,
                                           std::vector<EpochRecord> kept);

  std::string path_;
  int fd_ = -1;
  std::vector<EpochRecord> records_;
};

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_REPORT_TRAININGCSV_H
