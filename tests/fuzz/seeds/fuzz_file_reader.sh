#!/usr/bin/env bash
# Whole capture files: the bundled examples and small malformed captures.
set -euo pipefail
cd "$(dirname "$0")/../../.."
cp examples/*.pcap* "$1/"
if [ -d ../shared/corpus/malformed ]; then
  find ../shared/corpus/malformed -type f -size -64k | head -200 | xargs -I{} cp {} "$1/" || true
fi
