#!/usr/bin/env bash
# The TCP connections of the bundled and corpus mysql captures, in the input format of
# tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
shopt -s nullglob
caps=(examples/mysql-*.pcap* ../shared/corpus/mysql/*.pcap* ../shared/corpus/seed/wireshark/mysql*.pcap)
python3 tests/fuzz/seeds/conversation_seeds.py mysql "$1" "${caps[@]}"
