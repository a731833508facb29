#!/usr/bin/env bash
# The end-to-end benchmark in one command: builds the release tree and the floor
# programs, makes (or reuses) the bench capture, and prints one table of ratios measured
# in the same run (bench/compare.py). See bench/README.md and docs/performance.md.
#
# Usage: bench/run.sh [--size MB] [--pcap FILE] [--runs N] [--peer-runs N]
#                     [--only packets,sessions,http,stats,workers] [--no-build] [--digests]
#                     [--rt]
#   --size MB    capture size for make-bench-pcap.sh (default 200; the issue's figure is
#                1000). The capture is /tmp/bench/bench-${MB}m.pcap, made once (root,
#                about a minute per 200 MB) and reused after.
#   --pcap FILE  use this capture instead (nothing is generated)
#   --runs N     runs of every command but tshark, best kept (default 5)
#   --peer-runs N  runs of tshark (default 1: it takes about 100x netsift's time)
#   --digests    print the md5 of `packets` and `sessions --json` output and stop
#   --rt         run every command at real-time round-robin priority (chrt -r 50, root):
#                on a machine shared with other work it shuts that work out for the
#                seconds of each run, so wall times (the workers rows) mean something
# Environment: SHARED (default ../shared from the repository root) holds
# bench/make-bench-pcap.sh and bench/floor (read_walk.c, nids_count.c).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$root/../shared}
size=200
pcap=""
build=1
args=()
rt=()
while (($#)); do
  case $1 in
    --size) size=$2; shift 2 ;;
    --pcap) pcap=$2; shift 2 ;;
    --runs | --peer-runs | --only) args+=("$1" "$2"); shift 2 ;;
    --digests) args+=("$1"); shift ;;
    --no-build) build=0; shift ;;
    --rt) rt=(chrt -r 50); shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
done

cd "$root"
if ((build)); then
  cmake --preset release >/dev/null
  cmake --build --preset release -j"$(nproc)" --target netsift >/dev/null
fi
if [[ -d $shared/bench/floor ]]; then
  make -s -C "$shared/bench/floor" read_walk nids_count >/dev/null ||
    echo "bench/run.sh: floor programs not built (libnids-dev missing?): rows left out" >&2
fi
if [[ -z $pcap ]]; then
  pcap=/tmp/bench/bench-${size}m.pcap
  if [[ ! -s $pcap ]]; then
    [[ -x $shared/bench/make-bench-pcap.sh ]] || {
      echo "bench/run.sh: $pcap missing and $shared/bench/make-bench-pcap.sh not found" >&2
      exit 1
    }
    echo "bench/run.sh: making $pcap (root, real servers in a private namespace)" >&2
    "$shared/bench/make-bench-pcap.sh" /tmp/bench "$size" >&2
  fi
fi
exec "${rt[@]}" python3 "$root/bench/compare.py" --pcap "$pcap" --bin "$root/build/netsift" \
  --floor "$shared/bench/floor" "${args[@]}"
