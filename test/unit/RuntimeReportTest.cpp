//===- RuntimeReportTest.cpp - training log, plot and progress line -------===//
//
// The CSV's exact text when created, appended and resumed; refusing files
// that are not logs; the SVG checked as well-formed XML by a small parser
// with its curves counted; and the progress line on a terminal and in a log.
//
//===----------------------------------------------------------------------===//

#include "runtime/report/ProgressLine.h"
#include "runtime/report/TrainingCsv.h"
#include "runtime/report/TrainingPlot.h"

#include "RuntimeIOTestUtil.h"

#include <gmock/gmock.h>

#include <cstdio>
#include <map>

using namespace cnnc::rt;
using namespace cnnc::rt::test;
using ::testing::HasSubstr;

namespace {

EpochRecord row(int64_t epoch, double loss, double valLoss = NAN,
                double testLoss = NAN) {
  EpochRecord r;
  r.epoch = epoch;
  r.trainLoss = loss;
  r.trainAccuracy = 1 - loss / 4;
  r.valLoss = valLoss;
  r.valAccuracy = std::isnan(valLoss) ? NAN : 1 - valLoss / 4;
  r.testLoss = testLoss;
  r.testAccuracy = std::isnan(testLoss) ? NAN : 1 - testLoss / 2;
  r.learningRate = 0.01;
  r.seconds = 12.5;
  return r;
}

const std::string kHeader = std::string(kTrainingCsvHeader) + "\n";

class TrainingCsvTest : public ScratchDirTest {};

TEST_F(TrainingCsvTest, WritesOneFlushedLinePerEpoch) {
  Result<TrainingCsv> csv = TrainingCsv::create(path("log.csv"));
  ASSERT_TRUE(csv) << csv.error().message;
  EXPECT_EQ(readBytes(path("log.csv")), kHeader);
  ASSERT_TRUE(csv->append(row(1, 0.5, 0.25, 0.5)));
  // On disk before the object is closed.
  EXPECT_EQ(readBytes(path("log.csv")),
            kHeader + "1,0.5,0.875,0.25,0.9375,0.5,0.75,0.01,12.5\n");
  ASSERT_TRUE(csv->append(row(2, 0.125)));
  EXPECT_EQ(readBytes(path("log.csv")),
            kHeader + "1,0.5,0.875,0.25,0.9375,0.5,0.75,0.01,12.5\n" +
                "2,0.125,0.96875,,,,,0.01,12.5\n");
  EXPECT_EQ(csv->records().size(), 2u);
  Result<std::vector<EpochRecord>> back = readTrainingCsv(path("log.csv"));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].trainAccuracy, 0.96875);
  EXPECT_TRUE(std::isnan((*back)[1].valLoss));
  EXPECT_EQ((*back)[0].testAccuracy, 0.75);
}

TEST_F(TrainingCsvTest, ResumeKeepsRowsUpToTheEpochAndAppends) {
  writeBytes(path("log.csv"), kHeader + "1,0.5,,,,,,0.1,1\n2,0.4,,,,,,0.1,1\n" +
                                  "3,0.3,,,,,,0.1,1\n");
  Result<TrainingCsv> csv = TrainingCsv::resume(path("log.csv"), 2);
  ASSERT_TRUE(csv) << csv.error().message;
  EXPECT_EQ(csv->records().size(), 2u);
  EXPECT_EQ(readBytes(path("log.csv")),
            kHeader + "1,0.5,,,,,,0.1,1\n2,0.4,,,,,,0.1,1\n");
  ASSERT_TRUE(csv->append(row(3, 0.25)));
  EXPECT_EQ(readBytes(path("log.csv")),
            kHeader + "1,0.5,,,,,,0.1,1\n2,0.4,,,,,,0.1,1\n" +
                "3,0.25,0.9375,,,,,0.01,12.5\n");
  EXPECT_EQ(csv->records().back().epoch, 3);

  Result<TrainingCsv> fresh = TrainingCsv::resume(path("new.csv"), 4);
  ASSERT_TRUE(fresh) << fresh.error().message;
  EXPECT_EQ(readBytes(path("new.csv")), kHeader);
}

TEST_F(TrainingCsvTest, RefusesFilesThatAreNotLogs) {
  writeBytes(path("other.csv"), "a,b\n1,2\n");
  Result<TrainingCsv> csv = TrainingCsv::resume(path("other.csv"), 1);
  ASSERT_FALSE(csv);
  EXPECT_THAT(csv.error().message,
              HasSubstr("other.csv: not a cnnc training log"));
  EXPECT_EQ(readBytes(path("other.csv")), "a,b\n1,2\n"); // untouched

  writeBytes(path("bad.csv"),
             kHeader + "1,0.5,,,,,,0.1,1\n2,zero,,,,,,0.1,1\n");
  Result<std::vector<EpochRecord>> bad = readTrainingCsv(path("bad.csv"));
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, HasSubstr("bad.csv:3: field 2"));
  writeBytes(path("short.csv"), kHeader + "1,0.5\n");
  Result<std::vector<EpochRecord>> shortRow =
      readTrainingCsv(path("short.csv"));
  ASSERT_FALSE(shortRow);
  EXPECT_THAT(shortRow.error().message, HasSubstr("short.csv:2: has 2"));

  Result<TrainingCsv> nowhere = TrainingCsv::create(path("no/such/log.csv"));
  ASSERT_FALSE(nowhere);
  EXPECT_THAT(nowhere.error().message, HasSubstr("no/such/log.csv"));
}

/// A minimal XML check: balanced tags, quoted attributes, escaped text.
/// Returns "" when well-formed, else what is wrong; counts each element
/// name and each class="..." value.
std::string checkXml(const std::string &xml,
                     std::map<std::string, int> &elements) {
  std::vector<std::string> open;
  size_t i = 0;
  if (xml.compare(0, 5, "<?xml") == 0)
    i = xml.find("?>") + 2;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      if (xml[i] == '&') {
        size_t semi = xml.find(';', i);
        std::string entity = xml.substr(i, semi - i + 1);
        if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" &&
            entity != "&quot;")
          return "bad entity at " + std::to_string(i);
      }
      if (xml[i] == '>')
        return "stray > at " + std::to_string(i);
      ++i;
      continue;
    }
    size_t end = i + 1;
    bool quoted = false;
    while (end < xml.size() && (quoted || xml[end] != '>')) {
      if (xml[end] == '"')
        quoted = !quoted;
      if (!quoted && xml[end] == '<')
        return "< inside a tag at " + std::to_string(end);
      ++end;
    }
    if (end == xml.size())
      return "unterminated tag";
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1))
        return "mismatched </" + tag.substr(1) + ">";
      open.pop_back();
      continue;
    }
    bool selfClosing = tag.back() == '/';
    std::string name = tag.substr(0, tag.find_first_of(" /"));
    ++elements[name];
    size_t cls = tag.find("class=\"");
    if (cls != std::string::npos) {
      size_t start = cls + 7;
      ++elements[name + "." + tag.substr(start, tag.find('"', start) - start)];
    }
    if (!selfClosing)
      open.push_back(name);
  }
  return open.empty() ? "" : "unclosed <" + open.back() + ">";
}

TEST(TrainingPlot, IsWellFormedSvgWithACurvePerSeries) {
  std::vector<EpochRecord> rows = {row(1, 0.9, 1.0), row(2, 0.5, 0.6),
                                   row(3, 0.3), row(4, 0.2, 0.35)};
  std::string svg = trainingPlotSvg(rows, "LeNet-5 <MNIST> & more");
  std::map<std::string, int> elements;
  EXPECT_EQ(checkXml(svg, elements), "") << svg;
  EXPECT_EQ(elements["svg"], 1);
  EXPECT_THAT(svg, HasSubstr("LeNet-5 &lt;MNIST&gt; &amp; more"));
  // Training: one line per panel. Validation: epoch 3 was not measured, so
  // each panel has two pieces.
  EXPECT_EQ(elements["polyline.train"], 2);
  EXPECT_EQ(elements["polyline.validation"], 4);
  EXPECT_THAT(svg, HasSubstr(">epoch</text>"));
  EXPECT_THAT(svg, HasSubstr(">accuracy (%)</text>"));
  EXPECT_THAT(svg, HasSubstr(">validation</text>")); // the legend
  // The train curve of the loss panel has four points.
  size_t at = svg.find("class=\"train\"");
  size_t points = svg.find("points=\"", at) + 8;
  std::string list = svg.substr(points, svg.find('"', points) - points);
  EXPECT_EQ(std::count(list.begin(), list.end(), ','), 4) << list;
}

TEST(TrainingPlot, HandlesOneEpochNoValidationAndNoRows) {
  for (const std::vector<EpochRecord> &rows :
       {std::vector<EpochRecord>{row(1, 0.7)}, std::vector<EpochRecord>{}}) {
    std::map<std::string, int> elements;
    std::string svg = trainingPlotSvg(rows, "t");
    EXPECT_EQ(checkXml(svg, elements), "") << svg;
    EXPECT_EQ(elements["polyline.validation"], 0);
    EXPECT_EQ(elements["polyline.train"], rows.empty() ? 0 : 2);
    EXPECT_THAT(svg, ::testing::Not(HasSubstr("nan")));
    EXPECT_THAT(svg, ::testing::Not(HasSubstr("inf")));
  }
}

class TrainingPlotFileTest : public ScratchDirTest {};

TEST_F(TrainingPlotFileTest, WritesAtomically) {
  ASSERT_TRUE(writeTrainingPlot(path("p.svg"), {row(1, 0.5)}, "x"));
  EXPECT_EQ(readBytes(path("p.svg")), trainingPlotSvg({row(1, 0.5)}, "x"));
  EXPECT_EQ(listDir(), std::vector<std::string>{"p.svg"});
}

TEST(ProgressLine, FormatsTheLine) {
  EXPECT_EQ(formatProgress(2, 5, 30000, 60000, 8123.4, 0.43124),
            "epoch 2/5 [#####.....] 30000/60000  8,123 img/s  loss 0.4312");
  EXPECT_EQ(formatProgress(1, 1, 0, 10, NAN, NAN, 0), "epoch 1/1 0/10");
  EXPECT_EQ(groupThousands(1234567), "1,234,567");
  EXPECT_EQ(groupThousands(999), "999");
}

/// What a ProgressLine wrote, through an in-memory FILE.
class Captured {
public:
  Captured() : file_(open_memstream(&data_, &size_)) {}
  ~Captured() {
    std::fclose(file_);
    std::free(data_);
  }
  std::FILE *file() { return file_; }
  std::string text() {
    std::fflush(file_);
    return std::string(data_, size_);
  }

private:
  char *data_ = nullptr;
  size_t size_ = 0;
  std::FILE *file_;
};

TEST(ProgressLine, WritesATenthAtATimeToALog) {
  Captured out;
  ProgressLine p(out.file(), false);
  p.startEpoch(1, 2, 1000);
  for (uint64_t done = 50; done <= 1000; done += 50)
    p.updateAt(done, 0.5, double(done) / 1000);
  p.finishEpoch("epoch 1/2: loss 0.5");
  std::string text = out.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 11);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_THAT(text, HasSubstr("100/1000  1,000 img/s  loss 0.5000\n"));
  EXPECT_THAT(text, HasSubstr("\nepoch 1/2: loss 0.5\n"));
}

TEST(ProgressLine, RedrawsOneLineOnATerminal) {
  Captured out;
  ProgressLine p(out.file(), true);
  p.startEpoch(3, 5, 100);
  p.updateAt(10, 1.0, 0.01);
  p.updateAt(20, 1.0, 0.05); // within 100 ms: not drawn
  p.updateAt(30, 1.0, 0.2);
  p.updateAt(100, 0.9, 0.21); // complete: always drawn
  p.finishEpoch("done");
  std::string text = out.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 4);
  EXPECT_EQ(text.find("20/100"), std::string::npos);
  EXPECT_THAT(text, HasSubstr("\repoch 3/5 [###.......] 30/100"));
  EXPECT_THAT(text, HasSubstr("[##########] 100/100"));
  EXPECT_EQ(text.substr(text.size() - 9), "\r\x1b[Kdone\n");
}

} // namespace
