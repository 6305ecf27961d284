#!/usr/bin/env bash
# The main job, for a newcomer: set up, build, and compile LeNet-5 from its
# .mdl source (models/lenet5.mdl): the per-layer summary, the model in the
# cnn dialect, the shared library, training it on MNIST with cnnc-train (one
# epoch over 10,000 images, to keep the demo short; scripts/train-lenet5.sh
# runs the full recipe), inference on MNIST's test digits with cnnc-run,
# then what a mistake in a model looks like.
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
scripts/fetch-data.sh mnist
echo
echo "== cnnc-train build/lenet5.so --data data/mnist --epochs 1 --limit 10000 --batch 20"
build/bin/cnnc-train build/lenet5.so --data data/mnist --epochs 1 --limit 10000 \
  --batch 20 --checkpoint build/lenet5.safetensors --log build/lenet5-train.csv \
  --plot build/lenet5-curves.svg
echo
echo "== cnnc-run on the 10,000 MNIST test digits with the trained parameters"
build/bin/cnnc-run build/lenet5.so --input data/mnist/t10k-images-idx3-ubyte \
  --labels data/mnist/t10k-labels-idx1-ubyte --weights build/lenet5.safetensors --show 3
echo
echo "== a model with a mistake (c3 reads 'c2', which does not exist):"
sed 's/c3 = conv2d(s2,/c3 = conv2d(c2,/' models/lenet5.mdl >"$root/build/lenet5-typo.mdl"
build/bin/cnnc "$root/build/lenet5-typo.mdl" --summary || true
