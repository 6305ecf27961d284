#!/usr/bin/env bash
# Weights trained by PyTorch, run by cnnc: trains LeNet-5 (models/lenet5.mdl)
# in PyTorch for one epoch, saves the state_dict as safetensors, compiles the
# model with cnnc and evaluates the MNIST test set with cnnc-run. The two
# accuracies must agree and the logits match to 1e-4. Needs a build
# (scripts/build.sh), MNIST (scripts/fetch-data.sh) and Debian's
# python3-torch; not part of the test suite (it trains for a minute).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[[ -x build/bin/cnnc && -x build/bin/cnnc-run ]] || { echo "run scripts/build.sh first" >&2; exit 1; }
scripts/fetch-data.sh >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 scripts/torch_train_lenet5.py --out "$work/lenet5.safetensors" --logits "$work/torch-logits.npy"
build/bin/cnnc models/lenet5.mdl -o "$work/lenet5.so"
build/bin/cnnc-run "$work/lenet5.so" --input data/mnist/t10k-images-idx3-ubyte \
  --labels data/mnist/t10k-labels-idx1-ubyte --weights "$work/lenet5.safetensors" \
  --output "$work/cnnc-logits.npy" --show 3
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
a = np.load(f"{work}/cnnc-logits.npy"); b = np.load(f"{work}/torch-logits.npy")
rel = np.abs(a - b).max() / np.abs(b).max()
same = (a.argmax(1) == b.argmax(1)).mean()
print(f"logits: max |cnnc - torch| = {np.abs(a - b).max():.3g}, relative {rel:.3g}; same prediction on {100 * same:.2f}% of images")
sys.exit(0 if rel < 1e-4 else 1)
PY
