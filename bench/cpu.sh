#!/usr/bin/env bash
# Inference and training speed of cnnc against PyTorch on this CPU, in one
# run.
#
#   bench/cpu.sh [--results FILE]
#
# 1. builds cnnc and cnnc-bench (ninja in build/; scripts/build.sh if
#    build/ is not configured yet);
# 2. compiles models/lenet5.mdl and models/alexnet.mdl with cnnc into a
#    temporary directory, timing each compile;
# 3. checks that both compiled models compute what PyTorch computes with the
#    same parameters on the same input (relative difference < 1e-4);
# 4. times inference for LeNet-5 at batch 1 and 256 and AlexNet at batch 1
#    and 16, and training steps (forward, loss, backward, the model's
#    optimizer) for LeNet-5 at batch 64 and 256 and AlexNet at batch 16,
#    with cnnc (bench/cnnc-bench) and with PyTorch
#    (bench/torch_inference.py, 2 threads and 1 thread), and prints a table
#    with the ratio cnnc speed / PyTorch speed;
# 5. times LeNet-5 built as usual against LeNet-5 built with --no-fuse
#    (inference at batch 256, training at 64 and 256), the two libraries in
#    turn for 3 rounds, and prints what fusion buys
#    (bench/fusion_report.py).
#
# Each case runs one untimed warm-up call (more for fast ones), then at least
# BENCH_MIN_ITERATIONS (3) timed calls and at least BENCH_MIN_TIME (2) seconds;
# the median call is reported. The whole run takes about 5 minutes on a
# 2-core machine.
#
# Needs Debian's python3-torch and python3-numpy for /usr/bin/python3 (the
# python3 first on PATH may be another one). --results FILE keeps the JSON
# lines of every timed case (those of step 5 in FILE.fusion). See
# bench/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

results_copy=
if [[ ${1:-} == --results && $# -eq 2 ]]; then
  results_copy=$2
elif [[ $# -gt 0 ]]; then
  echo "usage: bench/cpu.sh [--results FILE]" >&2
  exit 2
fi

python=/usr/bin/python3
min_time=${BENCH_MIN_TIME:-2}
min_iterations=${BENCH_MIN_ITERATIONS:-3}

if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  echo "error: $python cannot import torch and numpy;" \
    "install Debian's python3-torch and python3-numpy" >&2
  exit 1
fi

echo "== build"
if [[ -f build/build.ninja ]]; then
  ninja -C build cnnc cnnc-bench | tail -n 1
else
  echo "build/ is not configured: running scripts/build.sh (a full build)"
  scripts/build.sh
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results.jsonl

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load average $(load)"
echo "PyTorch $("$python" -c 'import torch; print(torch.__version__)'); cnnc $(git rev-parse --short HEAD 2>/dev/null || echo '(no git)')"
# Debian's PyTorch does its dense products through libblas.so.3: the
# reference BLAS unless an optimised one (libopenblas0-pthread) is installed.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
echo "PyTorch's BLAS: ${blas:-unknown}"
if awk -v n="$(nproc)" '{ exit !($1 > n / 2) }' /proc/loadavg; then
  echo "warning: the machine is busy (load average $(load)): other processes" \
    "compete for the cores and PyTorch's 2-thread times suffer most"
fi

echo
echo "== compile (build/bin/cnnc MODEL.mdl -o MODEL.so)"
for model in lenet5 alexnet; do
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f '%e s, peak memory %M KiB' -o "$work/time.txt" \
      build/bin/cnnc "models/$model.mdl" -o "$work/$model.so"
    echo "$model: $(cat "$work/time.txt")"
  else
    TIMEFORMAT='%R s'
    { time build/bin/cnnc "models/$model.mdl" -o "$work/$model.so"; } 2>"$work/time.txt"
    echo "$model: $(cat "$work/time.txt")"
  fi
done

echo
echo "== correctness: cnnc's logits against PyTorch's, same parameters and input"
check() { # model batch
  build/bin/cnnc-bench "$work/$1.so" --batch "$2" --iterations 0 \
    --save-params "$work/check-$1" >/dev/null
  "$python" bench/torch_inference.py --check "$work/check-$1"
  rm -rf "$work/check-$1"
}
check lenet5 8
check alexnet 2

echo
echo "== timing (min ${min_time} s and ${min_iterations} calls per case)"
timed=(--min-time "$min_time" --min-iterations "$min_iterations")
bench() { # model batch [--train]
  build/bin/cnnc-bench "$work/$1.so" --batch "$2" ${3:-} "${timed[@]}" | tee -a "$results"
  for threads in 2 1; do
    "$python" bench/torch_inference.py --model "$1" --batch "$2" ${3:-} \
      --threads "$threads" "${timed[@]}" | tee -a "$results"
  done
}
bench lenet5 1
bench lenet5 256
bench alexnet 1
bench alexnet 16
bench lenet5 64 --train
bench lenet5 256 --train
bench alexnet 16 --train

echo
echo "== fusion: LeNet-5 against LeNet-5 built with --no-fuse, in turn, 3 rounds"
build/bin/cnnc models/lenet5.mdl --no-fuse -o "$work/lenet5-unfused.so"
fusion=$work/fusion.jsonl
fusion() { # batch [--train]
  for round in 1 2 3; do
    for library in fused unfused; do
      so=$work/lenet5.so
      [[ $library == unfused ]] && so=$work/lenet5-unfused.so
      build/bin/cnnc-bench "$so" --batch "$1" ${2:-} "${timed[@]}" |
        sed "s/^{/{\"library\": \"$library\", /" | tee -a "$fusion"
    done
  done
}
fusion 256
fusion 64 --train
fusion 256 --train
if [[ -n $results_copy ]]; then
  cp "$results" "$results_copy"
  cp "$fusion" "$results_copy.fusion"
fi

echo
echo "== results (load average at the end: $(load))"
"$python" bench/report.py "$results"
echo
"$python" bench/fusion_report.py "$fusion"
