#!/usr/bin/env bash
# Whole conversations (both directions, in order) of the bundled and corpus mysql captures.
set -euo pipefail
cd "$(dirname "$0")/../../.."
shopt -s nullglob
caps=(examples/mysql-*.pcap* ../shared/corpus/mysql/*.pcap* ../shared/corpus/seed/wireshark/mysql*.pcap)
[ ${#caps[@]} -gt 0 ] && python3 tests/fuzz/seeds/db_conversation_seeds.py "$1" "${caps[@]}"
exit 0
