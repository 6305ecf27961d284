//===- TrainingCsv.cpp - the per-epoch training log -----------------------===//
//
// Numbers are written with std::to_chars and read with std::from_chars:
// both ignore the locale, so a log written in Germany reads back anywhere.
// A resumed log is rewritten atomically (runtime/support/AtomicFile) before
// it is appended to, so a crash while trimming it cannot lose the rows kept.
//
//===----------------------------------------------------------------------===//

#include "runtime/report/TrainingCsv.h"

#include "runtime/support/AtomicFile.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace cnnc::rt {
namespace {

/// The columns of kTrainingCsvHeader.
constexpr size_t kFields = 9;

std::string formatNumber(double v) {
  if (std::isnan(v))
    return "";
  char buf[64];
  auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 6);
  return ec == std::errc() ? std::string(buf, end) : std::string("nan");
}

std::vector<std::string> splitFields(const std::string &line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string::npos)
      return fields;
    start = comma + 1;
  }
}

bool parseNumber(const std::string &text, double &out) {
  if (text.empty()) {
    out = NAN;
    return true;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

/// The rows and, for each, its line's text (kept as written on resume).
struct ParsedLog {
  std::vector<EpochRecord> records;
  std::vector<std::string> lines;
  std::string text; // the whole file, as readLog read it
};

Result<ParsedLog> parseLog(const std::string &path, const std::string &text) {
  ParsedLog log;
  size_t start = 0, lineNo = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (lineNo == 1) {
      if (line != kTrainingCsvHeader)
        return Error{path +
                     ": not a cnnc training log: its first line is "
                     "not \"" +
                     std::string(kTrainingCsvHeader) + "\"."};
      continue;
    }
    if (line.empty())
      continue;
    std::vector<std::string> f = splitFields(line);
    std::string where = path + ":" + std::to_string(lineNo) + ": ";
    if (f.size() != kFields)
      return Error{where + "has " + std::to_string(f.size()) +
                   " fields, a training log row has " +
                   std::to_string(kFields) + "."};
    EpochRecord r;
    double epoch = NAN;
    double *values[kFields] = {
        &epoch,          &r.trainLoss,    &r.trainAccuracy,
        &r.valLoss,      &r.valAccuracy,  &r.testLoss,
        &r.testAccuracy, &r.learningRate, &r.seconds};
    for (size_t i = 0; i < kFields; ++i)
      if (!parseNumber(f[i], *values[i]))
        return Error{where + "field " + std::to_string(i + 1) + " (\"" + f[i] +
                     "\") is not a number."};
    if (!(epoch >= 1 && epoch <= 1e15 && epoch == std::floor(epoch)))
      return Error{where + "the epoch \"" + f[0] +
                   "\" is not a whole number from 1."};
    r.epoch = int64_t(epoch);
    log.records.push_back(r);
    log.lines.push_back(line);
  }
  if (lineNo == 0)
    return Error{path + ": not a cnnc training log: the file is empty."};
  return log;
}

std::string errnoText(int err) {
  char buf[256];
  return strerror_r(err, buf, sizeof buf);
}

/// parseLog of the file at `path`, keeping its text.
Result<ParsedLog> readLog(const std::string &path) {
  Result<std::string> text = readFile(path);
  if (!text)
    return text.error();
  Result<ParsedLog> log = parseLog(path, *text);
  if (log)
    log->text = std::move(*text);
  return log;
}

} // namespace

std::string formatCsvRow(const EpochRecord &r) {
  return std::to_string(r.epoch) + "," + formatNumber(r.trainLoss) + "," +
         formatNumber(r.trainAccuracy) + "," + formatNumber(r.valLoss) + "," +
         formatNumber(r.valAccuracy) + "," + formatNumber(r.testLoss) + "," +
         formatNumber(r.testAccuracy) + "," + formatNumber(r.learningRate) +
         "," + formatNumber(r.seconds);
}

Result<std::vector<EpochRecord>> readTrainingCsv(const std::string &path) {
  Result<ParsedLog> log = readLog(path);
  if (!log)
    return log.error();
  return std::move(log->records);
}

Result<TrainingCsv> TrainingCsv::create(const std::string &path) {
  if (Status st =
          writeFileAtomically(path, std::string(kTrainingCsvHeader) + "\n");
      !st)
    return st.error();
  return openForAppend(path, {});
}

Result<TrainingCsv> TrainingCsv::resume(const std::string &path,
                                        int64_t lastEpoch) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT)
    return create(path);
  Result<ParsedLog> log = readLog(path);
  if (!log)
    return log.error();
  std::string kept = std::string(kTrainingCsvHeader) + "\n";
  std::vector<EpochRecord> records;
  for (size_t i = 0; i < log->records.size(); ++i)
    if (log->records[i].epoch <= lastEpoch) {
      kept += log->lines[i] + "\n";
      records.push_back(log->records[i]);
    }
  if (kept != log->text)
    if (Status st = writeFileAtomically(path, kept); !st)
      return st.error();
  return openForAppend(path, std::move(records));
}

Result<TrainingCsv> TrainingCsv::openForAppend(const std::string &path,
                                               std::vector<EpochRecord> kept) {
  int fd;
  do
    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return Error{path + ": cannot open it to append: " + errnoText(errno) +
                 "."};
  TrainingCsv csv(path, fd);
  csv.records_ = std::move(kept);
  return csv;
}

TrainingCsv::TrainingCsv(TrainingCsv &&o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), records_(std::move(o.records_)) {
  o.fd_ = -1;
}

TrainingCsv &TrainingCsv::operator=(TrainingCsv &&o) noexcept {
  if (this != &o) {
    if (fd_ >= 0)
      ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    records_ = std::move(o.records_);
    o.fd_ = -1;
  }
  return *this;
}

TrainingCsv::~TrainingCsv() {
  if (fd_ >= 0)
    ::close(fd_);
}

Status TrainingCsv::append(const EpochRecord &r) {
  std::string line = formatCsvRow(r) + "\n";
  const char *p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error{path_ + ": cannot append the row of epoch " +
                   std::to_string(r.epoch) + ": " + errnoText(errno) + "."};
    p += n;
    left -= size_t(n);
  }
  records_.push_back(r);
  return Status::ok();
}

} // namespace cnnc::rt
