#!/bin/bash
# CPU seconds of each thread of `netsift sessions --json --workers N` (issue 12's
# scaling): the reader (the pump's thread, also the writer), the read-ahead threads
# and the workers, from perf's cpu-clock samples (time on a CPU, so a loaded machine
# changes the figures far less than wall times). The busiest thread bounds what N
# workers on N idle cores can do: speed-up <= (1 worker's reader CPU) / (busiest).
#
#   bench/threads.sh [--bin B] [--pcap F] [--config C] [--runs R] N...
#
# Each N runs R times (default 3, interleaved); the run with the least total CPU is
# printed. Threads are told apart by name (ns-worker, ns-read-ahead; the rest is the
# reader). Example, as a machine with N cores would run it (read-ahead on, one more
# read-ahead thread per 8 cores):
#   printf 'engine:\n  read_ahead: on\n' > /tmp/ra.yaml
#   bench/threads.sh --config /tmp/ra.yaml 2 4
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/netsift
pcap=/tmp/bench/bench-1000m.pcap
config=
runs=3
ns=()
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --pcap) pcap=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) ns+=("$1"); shift ;;
  esac
done
command -v perf >/dev/null || { echo "threads.sh: needs perf" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hz=4000
for ((r = 0; r < runs; r++)); do
  for n in "${ns[@]}"; do
    extra=()
    [ -n "$config" ] && extra=(--config "$config")
    perf record -q -e cpu-clock -F $hz -o "$tmp/perf.data" -- \
      "$bin" sessions -r "$pcap" --json --no-progress --workers "$n" "${extra[@]}" >/dev/null 2>&1
    # comm, tid and samples per thread
    perf report -i "$tmp/perf.data" --sort comm,pid --stdio -n 2>/dev/null |
      awk -v hz=$hz -v n="$n" '/^ +[0-9.]+%/ {
          split($4, a, ":"); name = a[2]; s = $2 / hz; tot += s
          if (name ~ /^ns-worker/) { w = w sprintf(" %.3f", s); if (s > wmax) wmax = s }
          else if (name ~ /^ns-read-ahead/) ra = ra sprintf(" %.3f", s)
          else reader += s }
        END { printf "%.3f workers=%s reader %.3f | read-ahead%s | workers%s | busiest worker %.3f | total %.3f\n",
                     tot, n, reader, ra, w, wmax, tot }' >> "$tmp/runs.$n"
  done
done
for n in "${ns[@]}"; do sort -n "$tmp/runs.$n" | head -1 | cut -d' ' -f2-; done
