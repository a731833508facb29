#!/usr/bin/env bash
# A long fuzzing campaign on a shared machine: every libFuzzer target in turn, SLICE
# seconds each, at the lowest CPU priority, round after round, so that CPU time builds
# up for every target across sessions. Each target's corpus lives OUTSIDE the repository
# (CORPUS_ROOT/fuzz_NAME, reused by later runs); crashes go to CORPUS_ROOT/crashes/.
# Every slice appends a row (CPU seconds, executions, corpus size, findings) to
# tests/fuzz/CAMPAIGN.md and rewrites its totals table.
#
# Usage: scripts/fuzz-campaign.sh [SLICE_SECONDS=600] [ROUNDS=1] [TARGET...]
#   CORPUS_ROOT (default /work/fuzz-corpus, else ~/.cache/netsift-fuzz)
# Stop it with SIGTERM (or ^C): the running slice ends, is logged, and the script exits.
# A crash input, once fixed, goes to tests/fuzz/regressions/fuzz_NAME/ (replayed under
# ASan by the fuzz.regressions ctest).
set -uo pipefail
cd "$(dirname "$0")/.."
slice=${1:-600}
rounds=${2:-1}
shift $(($# >= 2 ? 2 : $#))
root=${CORPUS_ROOT:-$([ -d /work ] && echo /work/fuzz-corpus || echo "$HOME/.cache/netsift-fuzz")}
log=tests/fuzz/CAMPAIGN.md
mkdir -p "$root/crashes" "$root/seeds"

if [ -z "${NETSIFT_FUZZ_PREBUILT:-}" ]; then
  cmake --preset fuzz >/dev/null && nice -n 19 cmake --build build-fuzz >/dev/null || exit 1
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/fuzz_*.cc; do targets+=("$(basename "$src" .cc)"); done
fi

current=""
stop=""
trap 'stop=1; [ -n "$current" ] && kill "$current" 2>/dev/null' TERM INT

for ((round = 1; !stop && (rounds == 0 || round <= rounds); ++round)); do
  for target in "${targets[@]}"; do
    [ -n "$stop" ] && break
    bin="build-fuzz/tests/fuzz/$target"
    [ -x "$bin" ] || { echo "no $bin" >&2; continue; }
    corpus="$root/$target"
    seeds="$root/seeds/$target"
    mkdir -p "$corpus"
    if [ ! -d "$seeds" ]; then  # seeds from the corpus captures, made once
      mkdir -p "$seeds"
      [ -x "tests/fuzz/seeds/$target.sh" ] && "tests/fuzz/seeds/$target.sh" "$seeds" >/dev/null 2>&1
    fi
    args=(-max_total_time="$slice" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$root/crashes/$target-")
    [ -f "tests/fuzz/seeds/$target.dict" ] && args+=(-dict="tests/fuzz/seeds/$target.dict")
    if [ -f "tests/fuzz/seeds/$target.flags" ]; then
      read -r -a flags <"tests/fuzz/seeds/$target.flags"
      args+=("${flags[@]}")
    fi
    before=$(ls "$root/crashes" | grep -c "^$target-" || true)
    out="$root/$target.last.log"
    start=$(date -u +%FT%TZ)
    # CPU seconds of the fuzzer alone, from its /proc entry's clock ticks at exit.
    nice -n 19 "$bin" "${args[@]}" "$corpus" "$seeds" >"$out" 2>&1 &
    current=$!
    ticks=0
    while kill -0 "$current" 2>/dev/null; do
      t=$(awk '{print $14 + $15}' "/proc/$current/stat" 2>/dev/null) && ticks=${t:-$ticks}
      sleep 5
    done
    wait "$current"
    status=$?
    current=""
    cpu=$((ticks / $(getconf CLK_TCK)))
    execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$out" | grep -o '[0-9]*$' | tail -1)
    after=$(ls "$root/crashes" | grep -c "^$target-" || true)
    found=$((after - before))
    files=$(ls "$corpus" | wc -l)
    echo "$target: ${cpu}s CPU, ${execs:-?} execs, corpus $files, findings $found (exit $status)" >&2
    python3 - "$log" "$start" "$target" "$cpu" "${execs:-0}" "$files" "$found" "$(git rev-parse --short HEAD)" <<'EOF'
import re, sys
path, start, target, cpu, execs, files, found, commit = sys.argv[1:]
text = open(path).read()
row = f"| {start} | {target} | {cpu} | {execs} | {files} | {found} | {commit} |\n"
text = text.rstrip("\n") + "\n" + row
rows = re.findall(r"^\| \d{4}-\S+ \| (\S+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|", text, re.M)
totals = {}
for t, c, e, f, n in rows:
    tot = totals.setdefault(t, [0, 0, 0, 0])
    tot[0] += int(c); tot[1] += int(e); tot[2] = int(f); tot[3] += int(n)
table = ["| target | CPU hours | executions | corpus files | findings |",
         "|---|---|---|---|---|"]
for t in sorted(totals):
    c, e, f, n = totals[t]
    table.append(f"| {t} | {c / 3600:.2f} | {e} | {f} | {n} |")
text = re.sub(r"(<!-- totals -->\n).*?(<!-- /totals -->)", lambda m: m.group(1) + "\n".join(table) + "\n" + m.group(2), text, flags=re.S)
open(path, "w").write(text)
EOF
  done
done
