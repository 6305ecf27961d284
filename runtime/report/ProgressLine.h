//===- ProgressLine.h - training progress on the terminal -------*- C++ -*-===//
//
// On a terminal, one line redrawn in place as batches finish:
//   epoch 2/5 [#####.....] 640/60000  8,123 img/s  loss 0.4312
// When stderr is a file or pipe (a CI log, `2> train.log`), redrawing would
// leave thousands of lines, so the same text is written as a plain line each
// time the epoch passes another tenth of its images: at most ten lines per
// epoch however large the data set, then the epoch's summary.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_REPORT_PROGRESSLINE_H
#define CNNC_RUNTIME_REPORT_PROGRESSLINE_H

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cnnc::rt {

/// "8,123": digits grouped by thousands, whatever the locale.
std::string groupThousands(uint64_t n);

/// The progress text: "epoch 2/5 [#####.....] 640/60000  8,123 img/s  loss
/// 0.4312", with a bar of `barWidth` characters (none when 0).
std::string formatProgress(int64_t epoch, int64_t epochs, uint64_t done,
                           uint64_t total, double imagesPerSecond, double loss,
                           int barWidth = 10);

class ProgressLine {
public:
  /// Writes to `out`, redrawing one line when `terminal`, else writing plain
  /// lines at every tenth of an epoch.
  ProgressLine(std::FILE *out, bool terminal)
      : out_(out), terminal_(terminal) {}
  /// Writes to stderr, as a terminal when isatty(stderr).
  static ProgressLine forStderr();

  bool terminal() const { return terminal_; }

  /// Starts epoch `epoch` of `epochs` over `total` images; the clock for the
  /// images per second starts now.
  void startEpoch(int64_t epoch, int64_t epochs, uint64_t total);

  /// Reports that `done` images of the epoch are through, with the running
  /// mean loss. On a terminal the line is redrawn at most every 100 ms (and
  /// when the epoch completes) so that drawing never slows training.
  void update(uint64_t done, double loss);

  /// update() with the seconds since startEpoch given, for tests.
  void updateAt(uint64_t done, double loss, double seconds);

  /// Clears the progress line (on a terminal) and writes `summary` as a line
  /// of its own.
  void finishEpoch(const std::string &summary);

private:
  void write(const std::string &text);

  std::FILE *out_;
  bool terminal_;
  int64_t epoch_ = 0, epochs_ = 0;
  uint64_t total_ = 0;
  std::chrono::steady_clock::time_point start_;
  double lastDrawn_ = -1.0; // seconds; the terminal's last redraw
  uint64_t lastTenth_ = 0;  // the plain lines' last tenth written
  bool lineOpen_ = false;   // a redrawn line is on the terminal
};

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_REPORT_PROGRESSLINE_H
