//===- Summary.h - the layer table of cnnc --summary ------------*- C++ -*-===//
//
// What torchsummary prints for a PyTorch model, for a checked .mdl model:
// one row per layer with its output shape and parameter count, the totals,
// and a memory estimate for one example.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_COMPILER_FRONTEND_SUMMARY_H
#define CNNC_COMPILER_FRONTEND_SUMMARY_H

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace cnnc {

struct CheckedModel;

/// Prints the table: "Layer (type)", "Output Shape" (the batch shown as -1,
/// as torchsummary does) and "Param #" per layer; then total, trainable and
/// non-trainable parameters; then sizes in MB (MiB, as torchsummary) for a
/// batch of one: the inputs inference reads, forward and backward
/// activations (twice each layer's output; flatten is a view and adds
/// nothing), the stored parameters, and their sum.
void printSummary(const CheckedModel &model, llvm::raw_ostream &os);

} // namespace cnnc

#endif // CNNC_COMPILER_FRONTEND_SUMMARY_H
