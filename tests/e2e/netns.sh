# Sourced by the live end-to-end tests: skips (exit 77 with a reason, which CTest reports
# as "skipped": tests/CMakeLists.txt gives every e2e.*_live test SKIP_RETURN_CODE 77)
# unless running as root with the given commands and network namespaces available, then
# re-runs the calling script inside a private network namespace with loopback up and a
# scratch directory in $work (removed at exit, with any background jobs).
# Usage: source netns.sh "what to install" COMMAND...
kSkip=77
need_root_and() {
  local why=$1
  shift
  local c
  for c in "$@"; do
    if [ "$(id -u)" != 0 ] || ! command -v "$c" >/dev/null; then
      echo "SKIP: needs root and $why (scripts/setup.sh installs them)"
      exit $kSkip
    fi
  done
  if [ -z "${NETSIFT_IN_NETNS:-}" ] && ! unshare --net true 2>/dev/null; then
    echo "SKIP: cannot create a network namespace here (unshare --net)"
    exit $kSkip
  fi
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
