#!/usr/bin/env bash
# The MongoDB conversations of the public captures, in the input format of
# tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
shopt -s nullglob
python3 tests/fuzz/seeds/conversation_seeds.py mongodb "$1" examples/mongodb-*.pcap \
  ../shared/corpus/mongodb/*.pcap ../shared/corpus/seed/wireshark/mongo.pcap
