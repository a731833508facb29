#!/usr/bin/env bash
# Seeds for fuzz_analyzers: a selector byte (the analyzer's index in the registry, read
# from src/analyzers/registry.cc so that a new analyzer does not shift the seeds) before a
# conversation in the format of tests/fuzz/conversation_fuzz.h. SSH and RDP (no target of
# their own) get the TCP streams of the corpus captures; every other analyzer its
# built-in conversations and one capture each, so that mutations cross protocols.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=$1
printf '\000\001\232SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\034SSH-2.0-OpenSSH_9.2\r\n' > "$out/ssh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
corpus=../shared/corpus
seeds() {  # NAME CAPTURE...: conversations of NAME's analyzer, selector byte prepended
  local name=$1 index
  shift
  index=$(grep -o 'k[A-Za-z0-9]*Analyzer,' src/analyzers/registry.cc |
    grep -n -i "^k${name}\(udp\)\?analyzer," | head -1 | cut -d: -f1)
  [ -n "$index" ] || return 0
  mkdir -p "$tmp/$name"
  python3 tests/fuzz/seeds/conversation_seeds.py "$name" "$tmp/$name" "$@" >/dev/null 2>&1 || true
  for f in "$tmp/$name"/*; do
    [ -f "$f" ] || continue
    { printf "\\$(printf '%03o' $((index - 1)))"; cat "$f"; } > "$out/$name-$(basename "$f")"
  done
}
[ -d "$corpus" ] || exit 0
seeds rdp "$corpus"/seed/wireshark/RDP-00*.pcap "$corpus"/seed/wireshark/rdp-ssl.pcap
seeds ssh "$corpus"/malformed/tcpdump/ssh.pcap
for p in http mysql pgsql redis smtp ftp pop3 imap mongodb; do
  case $p in pop3 | imap) dir=mail ;; *) dir=$p ;; esac
  cap=$(ls "$corpus/$p"/*.pcap* examples/"$dir"*.pcap* 2>/dev/null | head -1 || true)
  seeds "$p" ${cap:+"$cap"}
done
