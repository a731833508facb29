#!/usr/bin/env bash
# The Redis conversations of the bundled and public captures, in the input format of
# tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
shopt -s nullglob
python3 tests/fuzz/seeds/conversation_seeds.py redis "$1" examples/redis-*.pcap ../shared/corpus/redis/*.pcap
