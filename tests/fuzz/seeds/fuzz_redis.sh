#!/usr/bin/env bash
# The Redis conversations of the bundled and public captures, in the target's framing.
set -euo pipefail
cd "$(dirname "$0")/../../.."
tests/fuzz/seeds/conversation_seeds.py "$1" 6379 examples/redis-*.pcap ../shared/corpus/redis/*.pcap
