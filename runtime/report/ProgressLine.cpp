//===- ProgressLine.cpp - training progress on the terminal ---------------===//

#include "runtime/report/ProgressLine.h"

#include <charconv>
#include <cmath>
#include <unistd.h>

namespace cnnc::rt {

std::string groupThousands(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::string formatProgress(int64_t epoch, int64_t epochs, uint64_t done,
                           uint64_t total, double imagesPerSecond, double loss,
                           int barWidth) {
  std::string s =
      "epoch " + std::to_string(epoch) + "/" + std::to_string(epochs) + " ";
  if (barWidth > 0) {
    int filled =
        total ? int(double(std::min(done, total)) / double(total) * barWidth)
              : 0;
    s += "[" + std::string(size_t(filled), '#') +
         std::string(size_t(barWidth - filled), '.') + "] ";
  }
  s += std::to_string(done) + "/" + std::to_string(total);
  if (std::isfinite(imagesPerSecond) && imagesPerSecond >= 0)
    s += "  " + groupThousands(uint64_t(std::llround(imagesPerSecond))) +
         " img/s";
  if (!std::isnan(loss)) {
    char buf[32];
    auto [end, ec] =
        std::to_chars(buf, buf + sizeof buf, loss, std::chars_format::fixed, 4);
    s += "  loss " +
         (ec == std::errc() ? std::string(buf, end) : std::string("inf"));
  }
  return s;
}

ProgressLine ProgressLine::forStderr() {
  return ProgressLine(stderr, ::isatty(STDERR_FILENO) == 1);
}

void ProgressLine::startEpoch(int64_t epoch, int64_t epochs, uint64_t total) {
  epoch_ = epoch;
  epochs_ = epochs;
  total_ = total;
  start_ = std::chrono::steady_clock::now();
  lastDrawn_ = -1.0;
  lastTenth_ = 0;
}

void ProgressLine::update(uint64_t done, double loss) {
  std::chrono::duration<double> elapsed =
      std::chrono::steady_clock::now() - start_;
  updateAt(done, loss, elapsed.count());
}

void ProgressLine::updateAt(uint64_t done, double loss, double seconds) {
  bool complete = done >= total_;
  double rate = seconds > 0 ? double(done) / seconds : NAN;
  if (terminal_) {
    if (!complete && lastDrawn_ >= 0 && seconds - lastDrawn_ < 0.1)
      return;
    lastDrawn_ = seconds;
    // \r returns to the line's start, ESC[K clears what a longer line left.
    write("\r" + formatProgress(epoch_, epochs_, done, total_, rate, loss) +
          "\x1b[K");
    lineOpen_ = true;
    return;
  }
  uint64_t tenth = total_ ? done * 10 / total_ : 10;
  if (tenth <= lastTenth_)
    return;
  lastTenth_ = tenth;
  write(formatProgress(epoch_, epochs_, done, total_, rate, loss) + "\n");
}

void ProgressLine::finishEpoch(const std::string &summary) {
  if (lineOpen_)
    write("\r\x1b[K");
  lineOpen_ = false;
  write(summary + "\n");
}

void ProgressLine::write(const std::string &text) {
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

} // namespace cnnc::rt
