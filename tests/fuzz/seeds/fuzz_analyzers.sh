#!/usr/bin/env bash
# An SSH exchange in the target's framing (analyzer selector, then control bytes): by
# port, and found by probing (selector: an odd multiple of the registry's size, 4 now).
set -euo pipefail
printf '\000\232SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\034SSH-2.0-OpenSSH_9.2\r\n' > "$1/ssh"
printf '\004\232SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n\034SSH-2.0-OpenSSH_9.2\r\n' > "$1/ssh-probed"
