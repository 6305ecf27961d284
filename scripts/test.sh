#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds cnnc and runs every test: the lit
# suite (dialect, and later front end, lowering, ...) and the GoogleTest unit
# tests, then checks formatting. Exits non-zero if anything fails.
#
#   scripts/test.sh               release build
#   scripts/test.sh --sanitize    the same suite under ASan + UBSan
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

build_dir=build
[[ ${1:-} == --sanitize ]] && build_dir=build-asan

scripts/setup.sh || exit 1
scripts/build.sh "$@" || exit 1
# MNIST for the accuracy test (a download at set-up, never at run time);
# with CNNC_REQUIRE_DATA the test fails rather than skips without it.
scripts/fetch-data.sh mnist || exit 1
export CNNC_REQUIRE_DATA=1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== lit tests"
/usr/lib/llvm-19/build/utils/lit/lit.py -sv "$build_dir/test"
lit_status=$?

echo "== unit tests"
unit_status=0
for tests in "$build_dir"/bin/cnnc-*-tests; do
  echo "-- $(basename "$tests")"
  "$tests" --gtest_brief=1 || unit_status=1
done

echo "== formatting"
scripts/check-format.sh
format_status=$?

status() { [[ $1 -eq 0 ]] && echo passed || echo FAILED; }
echo
echo "summary: lit $(status $lit_status), unit $(status $unit_status), format $(status $format_status)"
[[ $lit_status -eq 0 && $unit_status -eq 0 && $format_status -eq 0 ]]
