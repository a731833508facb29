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
# A PostgreSQL cluster for a test, in $work/pg/data: trust on the socket in $work/sock,
# scram-sha-256 over TCP (pg_hba.conf may be rewritten before run_postgres), listening on
# 127.0.0.1 with SSL off. $PGBIN: the server's bin directory.
init_postgres() {  # [initdb option...]
  chmod 755 "$work"
  mkdir -p "$work/pg" "$work/sock"
  chown postgres: "$work/pg" "$work/sock"
  runuser -u postgres -- "$PGBIN/initdb" -D "$work/pg/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 "$@" >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; exit 1; }
  printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n%s\n" "$work/sock" \
    "ssl = off
fsync = off" >>"$work/pg/data/postgresql.conf"
}
# Starts the cluster on PORT (its pid in $pg_pid) and waits until it answers.
run_postgres() {  # PORT
  runuser -u postgres -- "$PGBIN/postgres" -D "$work/pg/data" -p "$1" >>"$work/pg.log" 2>&1 &
  pg_pid=$!
  for _ in $(seq 100); do
    psql -h "$work/sock" -p "$1" -U postgres -X -q -c 'SELECT 1' >/dev/null 2>&1 && return
    sleep 0.2
  done
  cat "$work/pg.log"
  exit 1
}
# A MariaDB server for a test: data in $work/db/data, socket $work/db/sock (root by the
# socket alone), on 127.0.0.1:PORT without SSL; started and waited for.
start_mariadb() {  # PORT [mariadbd option...]
  local port=$1
  shift
  mkdir -p "$work/db"
  mariadb-install-db --no-defaults --datadir="$work/db/data" --user=root --skip-test-db \
    --auth-root-authentication-method=socket >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; exit 1; }
  mariadbd --no-defaults --datadir="$work/db/data" --socket="$work/db/sock" --port="$port" \
    --bind-address=127.0.0.1 --user=root --skip-name-resolve --pid-file="$work/db/pid" \
    --log-error="$work/db/error.log" --skip-log-bin --innodb-buffer-pool-size=16M --skip-ssl \
    "$@" &
  for _ in $(seq 100); do
    mariadb -S "$work/db/sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && return
    sleep 0.2
  done
  cat "$work/db/error.log"
  exit 1
}
