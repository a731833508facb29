#!/usr/bin/env bash
# The TCP connections of the bundled and corpus HTTP captures, in the input format of
# tests/fuzz/conversation_fuzz.h.
set -euo pipefail
cd "$(dirname "$0")/../../.."
caps=(examples/http-get.pcap examples/httpoxy.pcap examples/cve-2016-4971.pcap)
[ -d ../shared/corpus/http ] && caps+=(../shared/corpus/http/*.pcap)
python3 tests/fuzz/seeds/conversation_seeds.py http "$1" "${caps[@]}"
