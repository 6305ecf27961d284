#!/usr/bin/env bash
# Training and inference speed of cnnc's CUDA code against PyTorch on the
# same NVIDIA GPU, in one run.
#
#   bench/gpu.sh prepare DIR     (here: needs the build and the CUDA toolkit)
#   bench/gpu.sh run DIR [MODEL...]  (on the GPU machine: needs PyTorch with
#                                     CUDA; MODEL lenet5 or alexnet, default
#                                     both)
#   bench/gpu.sh table DIR       (the table of DIR's results, anywhere)
#
# `prepare` compiles models/lenet5.mdl and models/alexnet.mdl (sm_90) into
# DIR, each also with --no-gpu-tiles (MODEL-untiled.so: every kernel one
# thread per output), with --gpu-tile-outputs=8 (MODEL-8x8.so: tiles of
# 128 x 128, 8 x 8 outputs per thread), with --gpu-index-bits=64
# (MODEL-index64.so: the kernels' index arithmetic in 64 bits) and with
# --gpu-aligned-slices (MODEL-aligned.so: slices along the convolutions'
# windows), with
# cnnc-bench and these scripts, so DIR alone can be carried to a machine
# without LLVM/MLIR. `run` times, with cnnc-bench --device cuda and
# bench/torch_inference.py --device cuda,
#   LeNet-5 training steps at batch 256 and 1024, inference at 1024;
#   AlexNet training steps and inference at batch 128;
# first, for every case, cnnc as built by default against PyTorch eager and
# torch.compile(mode="reduce-overhead"), both with the batch already on the
# GPU; then the rest: the other builds, the calls launched kernel by kernel
# instead of replayed as CUDA graphs (CNNC_CUDA_GRAPHS=0), calls queued two
# at a time from pinned memory (cnnc-bench --queued, as cnnc-train runs its
# steps and cnnc-run its batches), for inference calls on a pinned batch
# made one by one (--pinned), and PyTorch eager uploading the batch every
# call, as cnnc's ABI does. It prints the JSON lines and their table
# (gpu_report.py: cnnc's speed over PyTorch's and each choice's gain). Then
# each case once more with CNNC_CUDA_PROFILE (docs/gpu.md): each kernel's
# time, into DIR/profile-MODEL-MODE-bB.txt, whose slowest kernels it
# prints.
# BENCH_MIN_TIME (default 2 s) and BENCH_MIN_ITERATIONS (default 5) as in
# bench/cpu.sh. BENCH_DEADLINE=S starts no measurement after S seconds of
# the run, and BENCH_TIMEOUT (default 180 s) stops one that takes longer: a
# run must fit the GPU machine's time. See bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() {
  echo "usage: bench/gpu.sh prepare DIR | run DIR [lenet5|alexnet...] |" \
    "table DIR" >&2
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
    "$root/build/bin/cnnc" "$root/models/$model.mdl" --cuda-arch=sm_90 \
      --gpu-aligned-slices -o "$dir/$model-aligned.so"
  done
  cp "$root/build/bin/cnnc-bench" "$here"/{gpu.sh,gpu_report.py} \
    "$here"/{torch_inference.py,torch_models.py} "$dir/"
  echo "prepared $dir: carry it to the GPU machine and run $dir/gpu.sh run $dir"
  ;;
run)
  python=${PYTHON:-python3}
  min_time=${BENCH_MIN_TIME:-2}
  min_iterations=${BENCH_MIN_ITERATIONS:-5}
  deadline=${BENCH_DEADLINE:-}
  per_run=${BENCH_TIMEOUT:-180}
  results=$dir/results-$(IFS=-; echo "${models[*]}").jsonl
  : >"$results"
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
  # Runs one measurement, "$@", within BENCH_TIMEOUT seconds, unless the
  # run has passed BENCH_DEADLINE; a measurement that fails or runs out of
  # time is reported and the others go on, so a run cut short still has
  # the cases measured before (the table shows the rest as "-").
  measure() { # what, command...
    local what=$1 status=0
    shift
    if [[ -n $deadline ]] && ((SECONDS >= deadline)); then
      echo "skipped $what: past BENCH_DEADLINE=$deadline s" >&2
      return 0
    fi
    timeout "$per_run" "$@" || status=$?
    if ((status == 124)); then
      echo "$what: stopped after BENCH_TIMEOUT=$per_run s" >&2
    elif ((status != 0)); then
      echo "$what: failed with status $status" >&2
    fi
  }
  # Times cnnc and PyTorch on one case (model, mode, batch); $4 is which
  # runs: "headline" (cnnc as built by default, PyTorch eager and
  # compiled) or "variants" (cnnc's other builds and settings, PyTorch
  # uploading the batch every call).
  bench() {
    local model=$1 mode=$2 batch=$3 runs=$4 train=()
    [[ $mode == train ]] && train=(--train)
    # library, variant tag ("" for none), then VAR=value for the environment
    # and, after --, more cnnc-bench options
    time_cnnc() {
      local library=$1 tag=$2 environment=() options=()
      shift 2
      while [[ $# -gt 0 && $1 != -- ]]; do environment+=("$1"); shift; done
      [[ $# -gt 0 ]] && shift && options=("$@")
      measure "cnnc $library ${tag:-default} $mode b$batch" \
        env "${environment[@]}" "$dir/cnnc-bench" "$dir/$library" \
        --device cuda --batch "$batch" "${train[@]}" "${options[@]}" \
        --min-time "$min_time" --min-iterations "$min_iterations" \
        | sed "s/\"harness\": \"cnnc\"/&${tag:+, \"variant\": \"$tag\"}/" \
        | tee -a "$results"
    }
    time_torch() { # torch_inference.py's options for the variant
      measure "pytorch $model ${*:-eager} $mode b$batch" \
        "$python" "$dir/torch_inference.py" --model "$model" --device cuda \
        --batch "$batch" "${train[@]}" "$@" --min-time "$min_time" \
        --min-iterations "$min_iterations" | tee -a "$results"
    }
    if [[ $runs == headline ]]; then
      time_cnnc "$model.so" ""
      time_torch
      time_torch --compile
    else
      time_cnnc "$model-untiled.so" untiled
      time_cnnc "$model-8x8.so" 8x8
      time_cnnc "$model-index64.so" index64
      time_cnnc "$model-aligned.so" aligned
      time_cnnc "$model.so" no-graphs CNNC_CUDA_GRAPHS=0
      [[ $mode == infer ]] && time_cnnc "$model.so" pinned -- --pinned
      time_cnnc "$model.so" queued -- --queued
      time_torch --host-data
    fi
  }
  profile() { # model mode batch
    local model=$1 mode=$2 batch=$3 train=()
    local file=$dir/profile-$model-$mode-b$batch.txt
    [[ $mode == train ]] && train=(--train)
    rm -f "$file"
    # Kernels loaded before the first launch, so no launch times a load;
    # 50 calls, so the first (unrecorded, as the others) weighs little.
    measure "profile of $model $mode b$batch" \
      env CNNC_CUDA_PROFILE="$file" CUDA_MODULE_LOADING=EAGER \
      "$dir/cnnc-bench" "$dir/$model.so" --device cuda --batch "$batch" \
      "${train[@]}" --iterations 50 --warmup 1 >/dev/null
    [[ -f $file ]] || return 0
    echo
    echo "$model $mode b$batch, the slowest kernels ($file):"
    head -n 14 "$file"
  }
  # The comparison with PyTorch for every case first, so that a run cut
  # short by its deadline has it; then what each choice of cnnc's gains;
  # then where the time goes.
  headline() { bench "$@" headline; }
  variants() { bench "$@" variants; }
  each_case headline
  each_case variants
  echo
  "$python" "$dir/gpu_report.py" "$results"
  echo
  each_case profile
  ;;
table)
  "${PYTHON:-python3}" "$here/gpu_report.py" "$dir"/results-*.jsonl
  ;;
*) usage ;;
esac
