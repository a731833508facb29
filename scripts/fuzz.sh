#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS (default 60) on its seeds, under ASan + UBSan.
# Usage: scripts/fuzz.sh fuzz_NAME [SECONDS] [extra libFuzzer flags...]
# Seeds come from tests/fuzz/seeds/fuzz_NAME.sh (run with an output directory; it may
# use examples/ and ../shared/corpus), a dictionary from tests/fuzz/seeds/fuzz_NAME.dict,
# extra libFuzzer flags from tests/fuzz/seeds/fuzz_NAME.flags.
# Targets come from the preset "fuzz" (build-fuzz/, -O2: long runs); NETSIFT_FUZZ_PRESET=asan
# takes them from build-asan/ (-O1, also the tests' build: scripts/fuzz-smoke.sh).
# The corpus it grows is kept in BUILD/corpus/fuzz_NAME (reused by later runs);
# crashes are written to BUILD/crashes/ and make the script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh fuzz_NAME [SECONDS]}
secs=${2:-60}
shift $(($# >= 2 ? 2 : 1))
preset=${NETSIFT_FUZZ_PRESET:-fuzz}
build=build-$preset
if [ ! -x "$build/tests/fuzz/$target" ] || [ -z "${NETSIFT_FUZZ_PREBUILT:-}" ]; then
  cmake --preset "$preset" >/dev/null
  cmake --build "$build" --target "$target" >/dev/null
fi
corpus="$build/corpus/$target"
crashes="$build/crashes"
mkdir -p "$corpus" "$crashes"
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
if [ -x "tests/fuzz/seeds/$target.sh" ]; then
  "tests/fuzz/seeds/$target.sh" "$seeds"
fi
dict=()
[ -f "tests/fuzz/seeds/$target.dict" ] && dict=(-dict="tests/fuzz/seeds/$target.dict")
# Per-target libFuzzer flags (e.g. -max_len=65536), one line, in fuzz_NAME.flags.
flags=()
[ -f "tests/fuzz/seeds/$target.flags" ] && read -r -a flags <"tests/fuzz/seeds/$target.flags"
echo "== $target: ${secs}s, $(ls "$seeds" | wc -l) seeds, $(ls "$corpus" | wc -l) in corpus" >&2
"$build/tests/fuzz/$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$crashes/$target-" "${flags[@]}" "${dict[@]}" "$@" "$corpus" "$seeds"
