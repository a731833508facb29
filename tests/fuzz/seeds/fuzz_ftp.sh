#!/usr/bin/env bash
# Built-in ftp conversations and the TCP streams of ../shared/corpus/ftp (when present), in
# the input format of tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
caps=()
[ -d ../shared/corpus/ftp ] && caps=(../shared/corpus/ftp/*.pcap)
python3 tests/fuzz/seeds/conversation_seeds.py ftp "$1" "${caps[@]}"
