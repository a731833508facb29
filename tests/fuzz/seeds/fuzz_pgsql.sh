#!/usr/bin/env bash
# The TCP connections of the bundled and corpus pgsql captures, in the input format of
# tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
shopt -s nullglob
caps=(examples/pgsql-*.pcap* ../shared/corpus/pgsql/*.pcap* ../shared/corpus/seed/wireshark/pgsql*.pcap)
python3 tests/fuzz/seeds/conversation_seeds.py pgsql "$1" "${caps[@]}"
