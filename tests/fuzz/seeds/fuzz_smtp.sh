#!/usr/bin/env bash
# Built-in smtp conversations and the TCP streams of ../shared/corpus/smtp (when present), in
# the input format of tests/fuzz/text_analyzer_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
caps=()
[ -d ../shared/corpus/smtp ] && caps=(../shared/corpus/smtp/*.pcap)
python3 tests/fuzz/seeds/text_seeds.py smtp "$1" "${caps[@]}"
