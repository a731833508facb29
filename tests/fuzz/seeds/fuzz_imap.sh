#!/usr/bin/env bash
# Built-in imap conversations and the TCP streams of ../shared/corpus/imap (when present), in
# the input format of tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
caps=()
[ -d ../shared/corpus/imap ] && caps=(../shared/corpus/imap/*.pcap)
python3 tests/fuzz/seeds/conversation_seeds.py imap "$1" "${caps[@]}"
