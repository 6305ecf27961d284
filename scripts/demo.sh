#!/usr/bin/env bash
# The main job, for a newcomer: set up, build, and show the cnn dialect at
# work on LeNet-5 (models/lenet5.mlir): cnnc-opt parses it, computes and checks
# every layer's shape, and prints it back.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh
echo
echo "== cnnc-opt models/lenet5.mlir"
build/bin/cnnc-opt models/lenet5.mlir
echo
echo "== a shape error is caught, with its place in the source:"
sed 's/tensor<6x1x5x5xf32>/tensor<6x3x5x5xf32>/g' models/lenet5.mlir |
  build/bin/cnnc-opt - 2>&1 | head -3 || true
