#!/usr/bin/env bash
# The MongoDB conversations of the public captures, in the target's framing.
set -euo pipefail
cd "$(dirname "$0")/../../.."
tests/fuzz/seeds/conversation_seeds.py "$1" 27017 ../shared/corpus/mongodb/*.pcap \
  ../shared/corpus/seed/wireshark/mongo.pcap
