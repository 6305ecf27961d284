//===- TrainingPlot.h - training curves as an SVG picture -------*- C++ -*-===//
//
// Two panels, loss and accuracy against the epoch, each with the training
// and (when measured) validation curve, ticked and labelled axes and a
// legend. SVG is text a browser opens, so no plotting library is needed.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_REPORT_TRAININGPLOT_H
#define CNNC_RUNTIME_REPORT_TRAININGPLOT_H

#include "runtime/report/TrainingCsv.h"
#include "runtime/support/Result.h"

#include <string>
#include <vector>

namespace cnnc::rt {

/// The SVG document for `records` (accuracies drawn in percent) under
/// `title`. Each curve is one <polyline> per run of measured epochs (a NaN
/// value breaks it), with class "train" or "validation".
std::string trainingPlotSvg(const std::vector<EpochRecord> &records,
                            const std::string &title);

/// Writes trainingPlotSvg to `path` atomically, so a browser reloading it
/// during training never sees half a picture.
Status writeTrainingPlot(const std::string &path,
                         const std::vector<EpochRecord> &records,
                         const std::string &title);

} // namespace cnnc::rt

#endif // CNNC_RUNTIME_REPORT_TRAININGPLOT_H
