#!/usr/bin/env bash
# The whole test suite: release build + tests, the same tests under ASan/UBSan, and a
# short libFuzzer smoke run of every fuzz target. Exits non-zero on any failure.
# Usage: scripts/test.sh            (FUZZ_SECONDS=N to change the fuzz time, 0 to skip)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "== release build and tests" >&2
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
ctest --preset release -j"$jobs"

echo "== ASan + UBSan build and tests" >&2
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan -j"$jobs" --timeout 1500

if [ "${FUZZ_SECONDS:-30}" != 0 ]; then
  echo "== libFuzzer smoke run" >&2
  scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-30}"
fi
echo "== all tests passed" >&2
