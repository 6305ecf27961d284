//===- cnnc-opt.cpp - run any pass on any .mlir file ----------------------===//
//
// mlir-opt with the cnn dialect: parses, verifies, prints and transforms IR
// that mixes cnn with the upstream dialects the pipeline lowers through. The
// lit tests drive it.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  cnnc::registerDialects(registry);
  cnnc::registerPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "cnnc optimizer driver: the cnn dialect and its passes\n",
      registry));
}
