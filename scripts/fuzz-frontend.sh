#!/usr/bin/env bash
# Fuzzes the .mdl front end (lexer, parser, semantic analysis) with libFuzzer
# under AddressSanitizer and UndefinedBehaviorSanitizer, for a bounded time.
#
#   scripts/fuzz-frontend.sh [seconds]     default 600
#
# The corpus starts from models/ and test/frontend/ and grows in
# build-fuzz/corpus. A crash leaves build-fuzz/crash-* and a non-zero exit;
# turn each into a regression test in test/frontend/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-600}

sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
for p in clang-19 libclang-rt-19-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$p"
done
scripts/build.sh >/dev/null # generates the dialect's .inc headers

out=build-fuzz
mkdir -p "$out/corpus"
clang++-19 -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined \
  -I. -Ibuild -isystem /usr/lib/llvm-19/include \
  test/fuzz/ParserFuzzer.cpp \
  compiler/frontend/*.cpp dialects/cnn/*.cpp \
  -L/usr/lib/llvm-19/lib -lMLIR -lLLVM -lfmt -Wl,-rpath,/usr/lib/llvm-19/lib \
  -o "$out/frontend-fuzzer"

seeds=("$out/corpus" models)
[[ -d test/frontend ]] && seeds+=(test/frontend)
"$out/frontend-fuzzer" "${seeds[@]}" -max_total_time="$seconds" \
  -max_len=65536 -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$out/" \
  -print_final_stats=1
