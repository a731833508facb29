#!/usr/bin/env bash
# Built-in smtp conversations and the TCP streams of ../shared/corpus/smtp (when present), in
# the input format of tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
caps=()
[ -d ../shared/corpus/smtp ] && caps=(../shared/corpus/smtp/*.pcap)
python3 tests/fuzz/seeds/conversation_seeds.py smtp "$1" "${caps[@]}"
