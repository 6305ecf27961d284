#!/usr/bin/env bash
# Training and inference speed of cnnc's CUDA code against PyTorch on the
# same NVIDIA GPU, in one run.
#
#   bench/gpu.sh prepare DIR     (here: needs the build and the CUDA toolkit)
#   bench/gpu.sh run DIR [MODEL...]  (on the GPU machine: needs PyTorch with
#                                     CUDA; MODEL lenet5 or alexnet, default
#                                     both)
#
# `prepare` compiles models/lenet5.mdl and models/alexnet.mdl (sm_90) into
# DIR, each also with --no-gpu-tiles (MODEL-untiled.so: every kernel one
# thread per output), with --gpu-tile-outputs=8 (MODEL-8x8.so: tiles of
# 128 x 128, 8 x 8 outputs per thread) and with --gpu-index-bits=64
# (MODEL-index64.so: the kernels' index arithmetic in 64 bits), with
# cnnc-bench and these scripts, so DIR alone can be carried to a machine
# without LLVM/MLIR. `run` times, with cnnc-bench --device cuda and
# bench/torch_inference.py --device cuda (eager and torch.compile
# reduce-overhead, each with the batch already on the GPU and, as cnnc's ABI
# does, uploaded every call):
#   LeNet-5 training steps at batch 256 and 1024, inference at 1024;
#   AlexNet training steps and inference at batch 128.
# and prints the JSON lines and a table with the ratio cnnc / PyTorch speed,
# the speed-up of the tiled kernels over the untiled ones, that of the 8 x 8
# tiles over the default 4 x 4 ones, that of 32-bit indices over 64-bit
# ones, and that of the
# calls replayed as CUDA graphs over the same calls launched kernel by
# kernel (CNNC_CUDA_GRAPHS=0), and that of calls queued two at a time from
# pinned memory (cnnc-bench --queued, as cnnc-train runs its steps and
# cnnc-run its batches) over calls made one by one; for inference the
# results also hold calls on a pinned batch made one by one (cnnc-bench
# --pinned, variant "pinned"). Then each case once more with
# CNNC_CUDA_PROFILE (docs/gpu.md): each kernel's time, into
# DIR/profile-MODEL-MODE-bB.txt, whose slowest kernels it prints.
# BENCH_MIN_TIME (default 2 s) and BENCH_MIN_ITERATIONS (default 5) as in
# bench/cpu.sh. See bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() {
  echo "usage: bench/gpu.sh prepare DIR | run DIR [lenet5|alexnet...]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
dir=$2
# The models `run` times: one run per model keeps each command shorter (the
# GPU machine's commands are limited in time; torch.compile takes a while).
models=("${@:3}")
[[ ${#models[@]} -gt 0 ]] || models=(lenet5 alexnet)
for model in "${models[@]}"; do
  [[ $model == lenet5 || $model == alexnet ]] || usage
done
[[ $1 == run || $# -eq 2 ]] || usage
# Runs function $1 on each case (model, mode, batch) of the models timed.
each_case() {
  local model
  for model in "${models[@]}"; do
    case $model in
    lenet5)
      "$1" lenet5 train 256
      "$1" lenet5 train 1024
      "$1" lenet5 infer 1024
      ;;
    alexnet)
      "$1" alexnet train 128
      "$1" alexnet infer 128
      ;;
    esac
  done
}

case $1 in
prepare)
  root=$(cd "$here/.." && pwd)
  ninja -C "$root/build" cnnc cnnc-bench | tail -n 1
  mkdir -p "$dir"
  for model in lenet5 alexnet; do
    /usr/bin/time -f "compiled $model in %e s" \
      "$root/build/bin/cnnc" "$root/models/$model.mdl" --cuda-arch=sm_90 \
      -o "$dir/$model.so"
    "$root/build/bin/cnnc" "$root/models/$model.mdl" --cuda-arch=sm_90 \
      --no-gpu-tiles -o "$dir/$model-untiled.so"
    "$root/build/bin/cnnc" "$root/models/$model.mdl" --cuda-arch=sm_90 \
      --gpu-tile-outputs=8 -o "$dir/$model-8x8.so"
    "$root/build/bin/cnnc" "$root/models/$model.mdl" --cuda-arch=sm_90 \
      --gpu-index-bits=64 -o "$dir/$model-index64.so"
  done
  cp "$root/build/bin/cnnc-bench" "$here/gpu.sh" "$here/torch_inference.py" \
    "$here/torch_models.py" "$dir/"
  echo "prepared $dir: carry it to the GPU machine and run $dir/gpu.sh run $dir"
  ;;
run)
  python=${PYTHON:-python3}
  min_time=${BENCH_MIN_TIME:-2}
  min_iterations=${BENCH_MIN_ITERATIONS:-5}
  results=$dir/results-$(IFS=-; echo "${models[*]}").jsonl
  : >"$results"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
  bench() { # model mode batch
    local model=$1 mode=$2 batch=$3 train=()
    [[ $mode == train ]] && train=(--train)
    # library, variant tag ("" for none), then VAR=value for the environment
    # and, after --, more cnnc-bench options
    time_cnnc() {
      local library=$1 tag=$2 environment=() options=()
      shift 2
      while [[ $# -gt 0 && $1 != -- ]]; do environment+=("$1"); shift; done
      [[ $# -gt 0 ]] && shift && options=("$@")
      env "${environment[@]}" "$dir/cnnc-bench" "$dir/$library" --device cuda \
        --batch "$batch" "${train[@]}" "${options[@]}" --min-time "$min_time" \
        --min-iterations "$min_iterations" \
        | sed "s/\"harness\": \"cnnc\"/&${tag:+, \"variant\": \"$tag\"}/" \
        | tee -a "$results"
    }
    time_cnnc "$model.so" ""
    time_cnnc "$model-untiled.so" untiled
    time_cnnc "$model-8x8.so" 8x8
    time_cnnc "$model-index64.so" index64
    time_cnnc "$model.so" no-graphs CNNC_CUDA_GRAPHS=0
    [[ $mode == infer ]] && time_cnnc "$model.so" pinned -- --pinned
    time_cnnc "$model.so" queued -- --queued
    for variant in "" "--host-data" "--compile"; do
      # shellcheck disable=SC2086 # an empty variant adds nothing
      "$python" "$dir/torch_inference.py" --model "$model" --device cuda \
        --batch "$batch" "${train[@]}" $variant --min-time "$min_time" \
        --min-iterations "$min_iterations" | tee -a "$results"
    done
  }
  each_case bench
  "$python" - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
cases = {}
for r in rows:
    cases.setdefault((r["model"], r["mode"], r["batch"]), []).append(r)
print(f"\n{'case':28} {'cnnc':>12} {'untiled':>12} {'tiles':>6} "
      f"{'8x8 tiles':>12} {'8x8':>6} {'64-bit idx':>12} {'idx32':>6} "
      f"{'no graphs':>12} {'graphs':>6} {'queued':>12} {'gain':>6} "
      f"{'torch':>12} {'ratio':>6} "
      f"{'torch+H2D':>12} {'ratio':>6} {'compiled':>12} {'ratio':>6}")
for (model, mode, batch), runs in cases.items():
    cnnc = next(r for r in runs
                if r["harness"] == "cnnc" and "variant" not in r)
    untiled = next((r for r in runs if r.get("variant") == "untiled"), None)
    eight = next((r for r in runs if r.get("variant") == "8x8"), None)
    index64 = next((r for r in runs if r.get("variant") == "index64"), None)
    no_graphs = next((r for r in runs if r.get("variant") == "no-graphs"),
                     None)
    queued = next((r for r in runs if r.get("variant") == "queued"), None)
    def torch(host, compiled):
        return next((r for r in runs if r["harness"] == "pytorch"
                     and r["host_data"] == host and r["compiled"] == compiled),
                    None)
    line = f"{model + ' ' + mode + ' b' + str(batch):28} " \
           f"{cnnc['images_per_s']:>10,.0f}/s"
    # The ratio is the default's gain over the other, except for 8 x 8,
    # whose own gain over the default it gives.
    for other, inverse in ((untiled, False), (eight, True),
                           (index64, False), (no_graphs, False)):
        if other is None or "images_per_s" not in other:
            line += f" {'-':>12} {'-':>6}"
        else:
            speedup = cnnc["images_per_s"] / other["images_per_s"]
            if inverse:
                speedup = 1 / speedup
            line += f" {other['images_per_s']:>10,.0f}/s {speedup:>6.2f}"
    if queued is None or "images_per_s" not in queued:
        line += f" {'-':>12} {'-':>6}"
    else:
        speedup = queued["images_per_s"] / cnnc["images_per_s"]
        line += f" {queued['images_per_s']:>10,.0f}/s {speedup:>6.2f}"
    for t in (torch(False, False), torch(True, False), torch(False, True)):
        if t is None or "images_per_s" not in t:
            line += f" {'-':>12} {'-':>6}"
        else:
            ratio = cnnc["images_per_s"] / t["images_per_s"]
            line += f" {t['images_per_s']:>10,.0f}/s {ratio:>6.2f}"
    print(line)
PY
  profile() { # model mode batch
    local model=$1 mode=$2 batch=$3 train=()
    local file=$dir/profile-$model-$mode-b$batch.txt
    [[ $mode == train ]] && train=(--train)
    rm -f "$file"
    # Kernels loaded before the first launch, so no launch times a load;
    # 50 calls, so the first (unrecorded, as the others) weighs little.
    CNNC_CUDA_PROFILE=$file CUDA_MODULE_LOADING=EAGER "$dir/cnnc-bench" \
      "$dir/$model.so" --device cuda --batch "$batch" "${train[@]}" \
      --iterations 50 --warmup 1 >/dev/null
    echo
    echo "$model $mode b$batch, the slowest kernels ($file):"
    head -n 14 "$file"
  }
  each_case profile
  ;;
*) usage ;;
esac
