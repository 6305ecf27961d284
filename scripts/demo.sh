#!/usr/bin/env bash
# The main job, for a newcomer: set up, build, and compile LeNet-5 from its
# .mdl source (models/lenet5.mdl): the per-layer summary, then the model in
# the cnn dialect, then what a mistake in a model looks like.
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
echo "== a model with a mistake (c3 reads 'c2', which does not exist):"
sed 's/c3 = conv2d(s2,/c3 = conv2d(c2,/' models/lenet5.mdl >"$root/build/lenet5-typo.mdl"
build/bin/cnnc "$root/build/lenet5-typo.mdl" --summary || true
