# Sourced by the live end-to-end tests: skips (exit 0 with a reason) unless running as
# root with the given commands, then re-runs the calling script inside a private network
# namespace with loopback up and a scratch directory in $work (removed at exit, with any
# background jobs). Usage: source netns.sh "what to install" COMMAND...
need_root_and() {
  local why=$1
  shift
  local c
  for c in "$@"; do
    if [ "$(id -u)" != 0 ] || ! command -v "$c" >/dev/null; then
      echo "SKIP: needs root and $why (scripts/setup.sh installs them)"
      exit 0
    fi
  done
}
enter_private_netns() {
  if [ -z "${NETSIFT_IN_NETNS:-}" ]; then
    export NETSIFT_IN_NETNS=1
    exec unshare --net "$0" "$@"
  fi
  ip link set lo up
  work=$(mktemp -d)
  trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
}
