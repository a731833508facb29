#!/usr/bin/env bash
# An SSH exchange: analyzer selector 0 (ssh), default port, then one record per direction.
set -euo pipefail
printf '\000\001\232SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\034SSH-2.0-OpenSSH_9.2\r\n' > "$1/ssh"
