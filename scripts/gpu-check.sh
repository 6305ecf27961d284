#!/usr/bin/env bash
# Checks cnnc's CUDA code on a machine with an NVIDIA GPU but without
# LLVM/MLIR (the lent GPU machine): every model's inference and a few
# training steps on the GPU against the CPU, with the tools users run.
#
#   scripts/gpu-check.sh prepare DIR   (here: needs the build and the toolkit)
#   scripts/gpu-check.sh run DIR       (on the GPU machine: python3, numpy)
#
# `prepare` compiles every model in models/ and every op's model of
# test/e2e/Inputs/ops/ (sm_90), LeNet-5 and AlexNet also with 8 x 8 tiles
# (--gpu-tile-outputs=8) and with slices along the windows
# (--gpu-aligned-slices), and copies cnnc-run,
# cnnc-train, cnnc-runtime-tests and the libraries they need into DIR
# (about 38 MB). `run`:
#   1. runs the CUDA layer's round trip on the real driver
#      (cnnc-runtime-tests, CudaRuntimeTest.RealDeviceRoundTrip);
#   2. runs each model with cnnc-run --device cpu and --device cuda on the
#      same 16 random images, 4 per call (on the GPU the first call runs as
#      it comes, the second is recorded as a CUDA graph, the others replay
#      it), and compares the outputs (relative to the largest, tolerance
#      1e-4);
#   3. trains each model 4 steps (cnnc-train --limit 64 --batch 16, a
#      synthetic IDX data set; on the GPU the second step is recorded and
#      the last two replay it, with their own learning rate, step and
#      seed; cnnc-train queues each step before it waits for the one
#      before, and a replay's batch is uploaded from pinned memory on the
#      second stream) on both devices from the same seed and compares every
#      parameter of the checkpoints (tolerance 1e-3);
#   4. when `prepare` found MNIST in data/mnist (scripts/fetch-data.sh
#      mnist; carried gzipped, 11 MB), trains LeNet-5 on all of it with the
#      reference recipe (scripts/train-lenet5.sh: Adam, lr 1e-3 constant,
#      batch 100, 5 epochs, seed 1) on both devices and compares the test
#      accuracy after each epoch (tolerance 0.5 percentage points: the two
#      sum in different orders, and 3,000 steps let that show);
# and exits 1 if anything differs. A tool that fails on the GPU in steps 2
# and 3 is run again with each kernel launch waited for, which names a
# kernel that faults. Each tool's run is stopped after GPU_CHECK_TIMEOUT
# seconds (default 120; 5 times that for the MNIST training), so that a
# kernel that never ends fails the check instead of eating the GPU
# machine's time. GPU_CHECK_DEVICE=cpu compares the CPU
# with itself: a check of this script on a machine without a GPU. The GPU
# tests of the e2e suite need cnnc and so cannot run there; this is their
# counterpart.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  echo "usage: scripts/gpu-check.sh prepare DIR | run DIR" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
dir=$2

case $1 in
prepare)
  ninja -C "$root/build" cnnc cnnc-run cnnc-train cnnc-runtime-tests |
    tail -n 1
  mkdir -p "$dir/bin" "$dir/lib" "$dir/models"
  # The models, and GpuOpsTest's model of each op and optimizer.
  for mdl in "$root"/models/*.mdl "$root"/test/e2e/Inputs/ops/*.mdl; do
    name=$(basename "$mdl" .mdl)
    [[ $mdl == */ops/* ]] && name=op-$name
    "$root/build/bin/cnnc" "$mdl" --cuda-arch=sm_90 -o "$dir/models/$name.so"
    echo "compiled $name"
  done
  # The 8 x 8 tiles and the aligned slices bench/gpu.sh times against the
  # default ones.
  for model in lenet5 alexnet; do
    "$root/build/bin/cnnc" "$root/models/$model.mdl" --cuda-arch=sm_90 \
      --gpu-tile-outputs=8 -o "$dir/models/$model-8x8.so"
    echo "compiled $model-8x8"
    "$root/build/bin/cnnc" "$root/models/$model.mdl" --cuda-arch=sm_90 \
      --gpu-aligned-slices -o "$dir/models/$model-aligned.so"
    echo "compiled $model-aligned"
  done
  cp "$root"/build/bin/{cnnc-run,cnnc-train,cnnc-runtime-tests} "$dir/bin/"
  # Debian's libraries the tools link, in case the GPU machine lacks them.
  for lib in libpng16.so.16 libjpeg.so.62 libz.so.1; do
    cp -L "/lib/x86_64-linux-gnu/$lib" "$dir/lib/"
  done
  cp "$0" "$root/test/tools/Inputs/make-idx-dataset.py" "$dir/"
  if [[ -d $root/data/mnist ]]; then
    mkdir -p "$dir/mnist"
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte \
      t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
      if [[ -f $root/data/mnist/$f.gz ]]; then
        cp "$root/data/mnist/$f.gz" "$dir/mnist/"
      else
        gzip -c "$root/data/mnist/$f" >"$dir/mnist/$f.gz"
      fi
    done
  else
    echo "no data/mnist (scripts/fetch-data.sh mnist): step 4 will be skipped"
  fi
  du -sh "$dir"
  ;;
run)
  export LD_LIBRARY_PATH=$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  python=${PYTHON:-python3}
  per_tool=${GPU_CHECK_TIMEOUT:-120}
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
  failed=0
  # Runs a tool (its output dropped). Where it fails on the GPU, runs it
  # again with every kernel launch waited for (CNNC_CUDA_SYNC=1, which
  # records no CUDA graphs), so that a kernel that faults is named in the
  # error of its own launch rather than found by the wait at the end of a
  # call, and shows the end of what it printed.
  check() { # device, command...
    local device=$1 status=0
    shift
    timeout "$per_tool" "$@" >/dev/null || status=$?
    ((status == 0)) && return 0
    failed=1
    if ((status == 124)); then
      # Waiting for each launch would not name a kernel that never ends.
      echo "  stopped on $device after GPU_CHECK_TIMEOUT=$per_tool s: $1"
      return 0
    fi
    [[ $device == cpu ]] && return 0
    echo "  failed on $device; again with each kernel launch waited for:"
    CNNC_CUDA_SYNC=1 timeout "$per_tool" "$@" 2>&1 >/dev/null |
      tail -n 5 | sed 's/^/    /' || true
  }

  echo "== the CUDA layer on the real driver"
  timeout "$per_tool" "$dir/bin/cnnc-runtime-tests" \
    --gtest_filter='CudaRuntimeTest.*' --gtest_also_run_disabled_tests=0 ||
    failed=1

  "$python" "$dir/make-idx-dataset.py" "$work/data" --train 64 --test 16 \
    --size 28 --classes 10
  for so in "$dir"/models/*.so; do
    name=$(basename "$so" .so)
    echo "== $name"
    "$python" - "$dir/bin/cnnc-run" "$so" "$work/$name.input.npy" <<'PY'
import re, subprocess, sys, numpy as np
info = subprocess.run([sys.argv[1], sys.argv[2], "--info"], check=True,
                      capture_output=True, text=True).stdout
shape = re.search(r"input\s+\S+\s+f32 \[-1, ([0-9, ]+)\]", info).group(1)
shape = [16] + [int(d) for d in shape.split(",")]
np.save(sys.argv[3], np.random.default_rng(1).random(shape, np.float32))
PY
    for device in cpu "${GPU_CHECK_DEVICE:-cuda}"; do
      out=$work/$name.$([[ $device == cpu && -f $work/$name.cpu.npy ]] &&
        echo other || echo "${device%%:*}")
      check "$device" "$dir/bin/cnnc-run" "$so" \
        --input "$work/$name.input.npy" --seed 3 --batch 4 --show 0 \
        --device "$device" --output "$out.npy"
      check "$device" "$dir/bin/cnnc-train" "$so" --data "$work/data" \
        --epochs 1 --batch 16 --limit 64 --seed 1 --no-augment --quiet \
        --device "$device" --checkpoint "$out.safetensors"
    done
    other=$([[ ${GPU_CHECK_DEVICE:-cuda} == cpu ]] && echo other || echo cuda)
    missing=0
    for f in "$work/$name".{cpu,"$other"}.{npy,safetensors}; do
      [[ -f $f ]] || missing=1
    done
    if ((missing)); then
      echo "  nothing to compare: a run above failed"
      continue
    fi
    "$python" - "$work/$name" "$other" <<'PY' || failed=1
import json, struct, sys, numpy as np
base, other = sys.argv[1], sys.argv[2]
def rel(a, b):
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-6))
def tensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]],
                             np.float32)
            for k, v in header.items()
            if k != "__metadata__" and v["dtype"] == "F32"}
ok = True
r = rel(np.load(f"{base}.{other}.npy"), np.load(base + ".cpu.npy"))
print(f"  inference: max relative difference {r:.2e} (tolerance 1e-4)")
ok &= r <= 1e-4
cpu = tensors(base + ".cpu.safetensors")
cuda = tensors(f"{base}.{other}.safetensors")
worst = max((rel(cuda[k], cpu[k]), k) for k in cpu)
print(f"  4 training steps: worst tensor {worst[1]}, {worst[0]:.2e} "
      f"(tolerance 1e-3)")
ok &= worst[0] <= 1e-3 and cpu.keys() == cuda.keys()
sys.exit(0 if ok else 1)
PY
  done
  if [[ -d $dir/mnist ]]; then
    echo "== LeNet-5 on MNIST, 5 epochs of the reference recipe"
    for device in cpu "${GPU_CHECK_DEVICE:-cuda}"; do
      status=0
      timeout $((5 * per_tool)) \
        "$dir/bin/cnnc-train" "$dir/models/lenet5.so" --data "$dir/mnist" \
        --epochs 5 --batch 100 --lr 1e-3 --schedule constant --seed 1 \
        --quiet --device "$device" | tee -a "$work/mnist.txt" || status=$?
      if ((status == 124)); then
        echo "  stopped on $device after $((5 * per_tool)) s" \
          "(5 x GPU_CHECK_TIMEOUT)"
      fi
      ((status == 0)) || failed=1
    done
    "$python" - "$work/mnist.txt" <<'PY' || failed=1
import re, sys
acc = [float(a) for a in re.findall(r"test loss \S+ acc ([0-9.]+)%",
                                    open(sys.argv[1]).read())]
if len(acc) != 10:
    sys.exit(f"  expected 5 epochs on each device, read {len(acc)} accuracies")
worst = max(abs(a - b) for a, b in zip(acc[:5], acc[5:]))
print(f"  test accuracy: cpu {acc[4]:.2f}%, other {acc[9]:.2f}%; largest "
      f"difference over the epochs {worst:.2f} points (tolerance 0.5)")
sys.exit(0 if worst <= 0.5 else 1)
PY
  fi
  if ((failed)); then
    echo "gpu-check: FAILED"
    exit 1
  fi
  echo "gpu-check: every model agrees on the GPU and the CPU"
  ;;
*) usage ;;
esac
