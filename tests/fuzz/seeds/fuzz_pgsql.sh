#!/usr/bin/env bash
# Whole conversations (both directions, in order) of the bundled and corpus pgsql captures.
set -euo pipefail
cd "$(dirname "$0")/../../.."
shopt -s nullglob
caps=(examples/pgsql-*.pcap* ../shared/corpus/pgsql/*.pcap* ../shared/corpus/seed/wireshark/pgsql*.pcap)
[ ${#caps[@]} -gt 0 ] && python3 tests/fuzz/seeds/db_conversation_seeds.py "$1" "${caps[@]}"
exit 0
