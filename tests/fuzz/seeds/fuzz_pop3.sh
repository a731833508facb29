#!/usr/bin/env bash
# Built-in pop3 conversations and the TCP streams of ../shared/corpus/pop3 (when present), in
# the input format of tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
caps=()
[ -d ../shared/corpus/pop3 ] && caps=(../shared/corpus/pop3/*.pcap)
python3 tests/fuzz/seeds/conversation_seeds.py pop3 "$1" "${caps[@]}"
