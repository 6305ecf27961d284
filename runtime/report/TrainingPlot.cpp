//===- TrainingPlot.cpp - training curves as an SVG picture ---------------===//
//
// Axis ranges are widened to "nice" ticks (1, 2 or 5 times a power of ten)
// so that tick labels are short round numbers; the loss axis starts at 0.
//
//===----------------------------------------------------------------------===//

#include "runtime/report/TrainingPlot.h"

#include "runtime/support/AtomicFile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>

namespace cnnc::rt {
namespace {

constexpr double kWidth = 960, kHeight = 420, kPanelWidth = kWidth / 2;
constexpr double kLeft = 70, kRight = 20, kTop = 60, kBottom = 55;
constexpr const char *kTrainColour = "#1f77b4", *kValColour = "#d62728",
                     *kTestColour = "#2ca02c";

std::string num(double v, int decimals = 1) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v,
                                 std::chars_format::fixed, decimals);
  return ec == std::errc() ? std::string(buf, end) : std::string("0");
}

/// A tick label: as few decimals as the step needs ("0.25", "2", "1e-05").
std::string tickLabel(double v, double step) {
  if (std::fabs(v) < step * 1e-6)
    v = 0;
  int decimals = std::max(0, int(std::ceil(-std::log10(step) - 1e-9)));
  if (decimals > 6) {
    char buf[64];
    auto [end, ec] =
        std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 3);
    return ec == std::errc() ? std::string(buf, end) : std::string("0");
  }
  return num(v, decimals);
}

std::string escapeXml(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      // Control characters are not allowed in XML 1.0 text.
      out += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? ' ' : c;
    }
  }
  return out;
}

struct Axis {
  double lo, hi, step;
};

/// [lo, hi] widened to multiples of a nice step, about `ticks` of them.
Axis niceAxis(double lo, double hi, int ticks) {
  if (!(hi > lo)) {
    double pad = std::fabs(lo) > 0 ? std::fabs(lo) * 0.1 : 1.0;
    lo -= pad;
    hi += pad;
  }
  double raw = (hi - lo) / ticks;
  double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  return {std::floor(lo / step + 1e-9) * step,
          std::ceil(hi / step - 1e-9) * step, step};
}

/// The number of steps from lo to hi; 0 when the range is degenerate (values
/// so close that floating point cannot separate them).
int tickCount(const Axis &a) {
  double n = std::round((a.hi - a.lo) / a.step);
  return n >= 1 && n <= 100 ? int(n) : 0;
}

struct Series {
  const char *name, *cssClass, *colour;
  std::function<double(const EpochRecord &)> value;
};

/// One panel at horizontal offset `x0`.
void drawPanel(std::string &svg, double x0, const std::string &title,
               const std::string &yLabel,
               const std::vector<EpochRecord> &records,
               const std::vector<Series> &series, bool fromZero) {
  double left = x0 + kLeft, right = x0 + kPanelWidth - kRight;
  double top = kTop, bottom = kHeight - kBottom;

  // Ranges of the data.
  int64_t firstEpoch = 1, lastEpoch = 1;
  double lo = INFINITY, hi = -INFINITY;
  bool anyEpoch = false;
  for (const EpochRecord &r : records) {
    firstEpoch = anyEpoch ? std::min(firstEpoch, r.epoch) : r.epoch;
    lastEpoch = anyEpoch ? std::max(lastEpoch, r.epoch) : r.epoch;
    anyEpoch = true;
    for (const Series &s : series) {
      double v = s.value(r);
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
  }
  if (!std::isfinite(lo))
    lo = 0, hi = 1;
  if (fromZero && lo > 0)
    lo = 0;
  Axis y = niceAxis(lo, hi, 5);
  Axis x = niceAxis(double(firstEpoch), double(lastEpoch), 8);
  x.step = std::max(1.0, std::round(x.step)); // whole epochs
  x.lo = std::floor(x.lo / x.step) * x.step;
  if (x.hi <= x.lo)
    x.hi = x.lo + x.step;
  if (firstEpoch == lastEpoch) {
    x.lo = double(firstEpoch) - 1;
    x.hi = double(firstEpoch) + 1;
  }
  auto px = [&](double e) {
    return left + (e - x.lo) / (x.hi - x.lo) * (right - left);
  };
  auto py = [&](double v) {
    return bottom - (v - y.lo) / (y.hi - y.lo) * (bottom - top);
  };

  svg += "<g class=\"panel\">\n";
  svg += "<text x=\"" + num((left + right) / 2) + "\" y=\"" + num(top - 14) +
         "\" text-anchor=\"middle\" font-size=\"15\">" + escapeXml(title) +
         "</text>\n";
  // Grid and ticks.
  for (int i = 0, n = tickCount(y); i <= n; ++i) {
    double v = y.lo + i * y.step;
    std::string yy = num(py(v));
    svg += "<line x1=\"" + num(left) + "\" y1=\"" + yy + "\" x2=\"" +
           num(right) + "\" y2=\"" + yy + "\" stroke=\"#e0e0e0\"/>\n";
    svg += "<text x=\"" + num(left - 6) + "\" y=\"" + num(py(v) + 4) +
           "\" text-anchor=\"end\">" + tickLabel(v, y.step) + "</text>\n";
  }
  for (int i = 0, n = tickCount(x); i <= n; ++i) {
    double e = x.lo + i * x.step;
    std::string xx = num(px(e));
    svg += "<line x1=\"" + xx + "\" y1=\"" + num(bottom) + "\" x2=\"" + xx +
           "\" y2=\"" + num(bottom + 5) + "\" stroke=\"#333\"/>\n";
    svg += "<text x=\"" + xx + "\" y=\"" + num(bottom + 19) +
           "\" text-anchor=\"middle\">" + tickLabel(e, 1) + "</text>\n";
  }
  // Axes and their labels.
  svg += "<polyline class=\"axes\" fill=\"none\" stroke=\"#333\" points=\"" +
         num(left) + "," + num(top) + " " + num(left) + "," + num(bottom) +
         " " + num(right) + "," + num(bottom) + "\"/>\n";
  svg += "<text x=\"" + num((left + right) / 2) + "\" y=\"" + num(bottom + 42) +
         "\" text-anchor=\"middle\">epoch</text>\n";
  svg += "<text transform=\"translate(" + num(x0 + 18) + "," +
         num((top + bottom) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
         escapeXml(yLabel) + "</text>\n";

  // Curves: a polyline per run of finite values, a dot per point.
  double legendY = top + 14;
  for (const Series &s : series) {
    std::string points, dots;
    bool drawn = false;
    auto flush = [&] {
      if (!points.empty())
        svg += "<polyline class=\"" + std::string(s.cssClass) +
               "\" fill=\"none\" stroke=\"" + s.colour +
               "\" stroke-width=\"2\" points=\"" + points + "\"/>\n";
      points.clear();
    };
    for (const EpochRecord &r : records) {
      double v = s.value(r);
      if (!std::isfinite(v)) {
        flush();
        continue;
      }
      std::string p = num(px(double(r.epoch))) + "," + num(py(v));
      points += (points.empty() ? "" : " ") + p;
      if (records.size() <= 60)
        dots += "<circle cx=\"" + num(px(double(r.epoch))) + "\" cy=\"" +
                num(py(v)) + "\" r=\"2.5\" fill=\"" + s.colour + "\"/>\n";
      drawn = true;
    }
    flush();
    svg += dots;
    if (!drawn)
      continue;
    // The legend names only the curves drawn.
    double lx = right - 120;
    svg += "<line x1=\"" + num(lx) + "\" y1=\"" + num(legendY - 4) +
           "\" x2=\"" + num(lx + 24) + "\" y2=\"" + num(legendY - 4) +
           "\" stroke=\"" + s.colour + "\" stroke-width=\"2\"/>\n";
    svg += "<text x=\"" + num(lx + 30) + "\" y=\"" + num(legendY) + "\">" +
           s.name + "</text>\n";
    legendY += 18;
  }
  svg += "</g>\n";
}

} // namespace

std::string trainingPlotSvg(const std::vector<EpochRecord> &records,
                            const std::string &title) {
  std::vector<EpochRecord> sorted = records;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const EpochRecord &a, const EpochRecord &b) {
                     return a.epoch < b.epoch;
                   });
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    num(kWidth, 0) + "\" height=\"" + num(kHeight, 0) +
                    "\" viewBox=\"0 0 " + num(kWidth, 0) + " " +
                    num(kHeight, 0) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(kWidth / 2) +
         "\" y=\"22\" text-anchor=\"middle\" font-size=\"17\">" +
         escapeXml(title) + "</text>\n";
  drawPanel(svg, 0, "Loss", "loss", sorted,
            {{"training", "train", kTrainColour,
              [](const EpochRecord &r) { return r.trainLoss; }},
             {"validation", "validation", kValColour,
              [](const EpochRecord &r) { return r.valLoss; }},
             {"test", "test", kTestColour,
              [](const EpochRecord &r) { return r.testLoss; }}},
            true);
  drawPanel(svg, kPanelWidth, "Accuracy", "accuracy (%)", sorted,
            {{"training", "train", kTrainColour,
              [](const EpochRecord &r) { return 100 * r.trainAccuracy; }},
             {"validation", "validation", kValColour,
              [](const EpochRecord &r) { return 100 * r.valAccuracy; }},
             {"test", "test", kTestColour,
              [](const EpochRecord &r) { return 100 * r.testAccuracy; }}},
            false);
  svg += "</svg>\n";
  return svg;
}

Status writeTrainingPlot(const std::string &path,
                         const std::vector<EpochRecord> &records,
                         const std::string &title) {
  return writeFileAtomically(path, trainingPlotSvg(records, title));
}

} // namespace cnnc::rt
