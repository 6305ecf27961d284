#!/usr/bin/env bash
# Everything the lent GPU machine is for, in one command that fits its
# limit: the GPU against the CPU (scripts/gpu-check.sh), then the speed
# against PyTorch (bench/gpu.sh), from the folders their `prepare` wrote
# here and the device tool carried there.
#
#   scripts/gpu-run.sh OUT [SECONDS]     (on the GPU machine)
#
# CHECK_DIR (default out/gpu-check) and BENCH_DIR (default out/gpu-bench)
# are the prepared folders. The check may take up to 40% of SECONDS
# (default 570); the benchmark gets what is left, less a margin for its
# table, and starts no measurement past its deadline, PyTorch's comparison
# for every case before anything else (bench/gpu.sh). What they print goes
# to OUT/check.txt and OUT/bench.txt, the benchmark's JSON lines and kernel
# profiles into OUT as well, so that a command cut short still brings back
# what was measured. Exits 1 if the check failed or was stopped, 0 else.
set -uo pipefail
[[ $# -ge 1 && $# -le 2 ]] || {
  echo "usage: scripts/gpu-run.sh OUT [SECONDS]" >&2
  exit 2
}
out=$1
budget=${2:-570}
check_dir=${CHECK_DIR:-out/gpu-check}
bench_dir=${BENCH_DIR:-out/gpu-bench}
for dir in "$check_dir" "$bench_dir"; do
  [[ -d $dir ]] || {
    echo "gpu-run: no $dir: prepare it here and carry it" >&2
    exit 2
  }
done
mkdir -p "$out"

check_status=0
timeout $((budget * 2 / 5)) "$check_dir/gpu-check.sh" run "$check_dir" \
  >"$out/check.txt" 2>&1 || check_status=$?
echo "gpu-check exited with $check_status after $SECONDS s" |
  tee -a "$out/check.txt"

# The table and the copies take a few seconds; a measurement stopped at
# its deadline ends within BENCH_TIMEOUT, which the margin bounds too.
left=$((budget - SECONDS - 20))
if ((left > 30)); then
  BENCH_DEADLINE=$((left - 30)) BENCH_TIMEOUT=${BENCH_TIMEOUT:-120} \
    timeout "$left" "$bench_dir/gpu.sh" run "$bench_dir" \
    >"$out/bench.txt" 2>&1
  echo "bench exited with $? after $SECONDS s" | tee -a "$out/bench.txt"
  cp "$bench_dir"/results-*.jsonl "$bench_dir"/profile-*.txt "$out/" \
    2>/dev/null
else
  echo "no time left for the benchmark" | tee "$out/bench.txt"
fi
tail -n 5 "$out/check.txt"
sed -n '/^case /,/^$/p' "$out/bench.txt"
((check_status == 0))
