#!/usr/bin/env bash
# Builds every libFuzzer target (preset "fuzz") and runs each one briefly on its seeds
# (scripts/fuzz.sh). Usage: scripts/fuzz-smoke.sh [SECONDS per target]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
cmake --preset fuzz >/dev/null
cmake --build build-fuzz
status=0
for src in tests/fuzz/fuzz_*.cc; do
  target=$(basename "$src" .cc)
  NETSIFT_FUZZ_PREBUILT=1 scripts/fuzz.sh "$target" "$secs" || { echo "FAIL: $target" >&2; status=1; }
done
exit $status
