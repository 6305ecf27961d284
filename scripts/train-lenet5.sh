#!/usr/bin/env bash
# Trains classic LeNet-5 (models/lenet5.mdl) on the full MNIST or
# Fashion-MNIST training set with the reference recipe of
# ../shared/reference/lenet5-mnist-handson.txt: Adam at a constant lr 1e-3,
# batch 100, 5 epochs, pixels in [0, 1]. (The model's own cosine schedule
# with T_max 2 drops the rate to 1e-5 in epoch 3; `--schedule cosine`
# restores it.)
# A script, not a test: it takes minutes. Writes the model, the checkpoint,
# the per-epoch CSV and the SVG curves to out/<dataset>/ and prints the
# final test accuracy.
#
#   scripts/train-lenet5.sh [mnist|fashion-mnist] [extra cnnc-train flags]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

dataset=${1:-mnist}
shift || true
case $dataset in
  mnist | fashion-mnist) ;;
  *) echo "usage: scripts/train-lenet5.sh [mnist|fashion-mnist] [cnnc-train flags]" >&2; exit 2 ;;
esac
data=data/$dataset
if [[ ! -d $data ]]; then
  echo "train-lenet5: $data is missing; run scripts/fetch-data.sh $dataset" >&2
  exit 1
fi
[[ -x build/bin/cnnc-train ]] || scripts/build.sh

out=out/$dataset
mkdir -p "$out"
build/bin/cnnc models/lenet5.mdl -o "$out/lenet5.so"
build/bin/cnnc-train "$out/lenet5.so" --data "$data" --epochs 5 --batch 100 \
  --lr 1e-3 --schedule constant --seed 1 --checkpoint "$out/lenet5.safetensors" \
  --log "$out/train.csv" --plot "$out/curves.svg" "$@"
echo "train-lenet5: curves in $out/curves.svg, log in $out/train.csv"
