#!/usr/bin/env bash
# Builds every libFuzzer target (preset "asan") and runs each one briefly on its seeds
# (scripts/fuzz.sh). Usage: scripts/fuzz-smoke.sh [SECONDS per target]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
# The targets of the asan preset: the build scripts/test.sh has just made for the tests
# (a second, -O2 build of everything for a smoke run would cost CI a quarter of an hour).
cmake --preset asan >/dev/null
cmake --build build-asan
status=0
for src in tests/fuzz/fuzz_*.cc; do
  target=$(basename "$src" .cc)
  NETSIFT_FUZZ_PREBUILT=1 NETSIFT_FUZZ_PRESET=asan scripts/fuzz.sh "$target" "$secs" || { echo "FAIL: $target" >&2; status=1; }
done
exit $status
