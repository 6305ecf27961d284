#!/usr/bin/env bash
# Configures (once) and builds cnnc with CMake and Ninja.
#
#   scripts/build.sh              release build in build/
#   scripts/build.sh --sanitize   ASan + UBSan build of our code in build-asan/
#
# Warnings in cnnc's own code are errors; LLVM/MLIR headers are exempt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

build_dir=$root/build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [[ ${1:-} == --sanitize ]]; then
  build_dir=$root/build-asan
  cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DCNNC_SANITIZE=ON)
elif [[ $# -gt 0 ]]; then
  echo "usage: scripts/build.sh [--sanitize]" >&2
  exit 2
fi

if [[ ! -f $build_dir/build.ninja ]]; then
  cmake -G Ninja -S "$root" -B "$build_dir" "${cmake_args[@]}" \
    -DCNNC_WERROR=ON \
    -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-19/build/utils/lit/lit.py
fi
ninja -C "$build_dir"
