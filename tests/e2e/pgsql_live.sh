#!/usr/bin/env bash
# End-to-end: a real PostgreSQL server (scram-sha-256, md5 and password users, SSL off so
# that psql's SSLRequest is refused and the startup follows on the same connection) in a
# private network namespace, psql making known good and bad logins, a login without a
# password (libpq gives up once asked for one), a client that requires SSL and hangs up,
# on the default port 5432 and, after a restart, on 6543, while
# `netsift sessions -i lo --json` captures live. Every attempt must be reported with the
# right user, mechanism, outcome and port, none invented; every credential must verify
# against the password used and every hash line must be cracked by hashcat
# (db_auth_verify.py). Needs root; exits 77 (skipped) otherwise.
# Usage: pgsql_live.sh NETSIFT_BINARY [SAVE.pcap]
set -euo pipefail
bin=$(readlink -f "$1")
save=${2:+$(readlink -f "$2")}
here=$(dirname "$(readlink -f "$0")")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ "$(id -u)" != 0 ] || [ ! -x "$PGBIN/postgres" ] || ! command -v psql >/dev/null ||
  ! id postgres >/dev/null 2>&1; then
  echo "SKIP: needs root, postgresql and postgresql-client (scripts/setup.sh)"
  exit 77
fi
source "$here/netns.sh"
enter_private_netns "$@"

init_postgres
cat >"$work/pg/data/pg_hba.conf" <<EOF
local all all trust
host all carol 127.0.0.1/32 password
host all bob 127.0.0.1/32 md5
host all all 127.0.0.1/32 scram-sha-256
EOF
stop_pg() {  # fast shutdown, signalled to the postmaster itself (runuser does not pass SIGINT)
  kill -INT "$(head -1 "$work/pg/data/postmaster.pid")"
  wait "$pg_pid" || true
}
run_postgres 5432
psql -h "$work/sock" -U postgres -X -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE alice LOGIN PASSWORD 'pg-Secret1'" \
  -c "SET password_encryption = 'md5'" -c "CREATE ROLE bob LOGIN PASSWORD 'pg-Secret2'" \
  -c "CREATE ROLE carol LOGIN PASSWORD 'pg-Secret3'" -c "CREATE DATABASE shop OWNER alice" \
  >/dev/null

"$bin" sessions -i lo --json --immediate ${save:+-w "$save"} "tcp port 5432 or tcp port 6543" \
  >"$work/events.jsonl" 2>"$work/netsift.err" &
netsift_pid=$!
sleep 2
pg() {  # PORT USER PASSWORD [libpq options]: one login with psql, -w: never prompt
  PGPASSWORD=$3 PGCONNECT_TIMEOUT=10 timeout 20 psql -X -w \
    "host=127.0.0.1 port=$1 user=$2 dbname=shop application_name=netsift-e2e ${4:-}" \
    -c 'SELECT 1' >/dev/null 2>&1 && echo ok || echo fail
}
results=()
results+=("alice good $(pg 5432 alice pg-Secret1)")
results+=("alice bad $(pg 5432 alice bad-1)")
results+=("bob good $(pg 5432 bob pg-Secret2)")
results+=("bob bad $(pg 5432 bob bad-2)")
results+=("carol good $(pg 5432 carol pg-Secret3)")
results+=("carol bad $(pg 5432 carol bad-3)")
results+=("mallory bad $(pg 5432 mallory x)")
results+=("alice none $(PGPASSWORD= pg 5432 alice '')")
results+=("alice require-ssl $(pg 5432 alice pg-Secret1 sslmode=require)")
stop_pg
run_postgres 6543
results+=("alice good-6543 $(pg 6543 alice pg-Secret1)")
results+=("bob bad-6543 $(pg 6543 bob bad-4)")
sleep 1
kill -INT "$netsift_pid"
wait "$netsift_pid" || { echo "FAIL: netsift exited with $?"; cat "$work/netsift.err"; exit 1; }
stop_pg
printf '%s\n' "${results[@]}"
expected="alice good ok
alice bad fail
bob good ok
bob bad fail
carol good ok
carol bad fail
mallory bad fail
alice none fail
alice require-ssl fail
alice good-6543 ok
bob bad-6543 fail"
if [ "$(printf '%s\n' "${results[@]}")" != "$expected" ]; then
  echo "FAIL: the clients did not get the expected outcomes (server log follows)"
  tail -20 "$work/pg.log"
  exit 1
fi
python3 "$here/db_auth_verify.py" --events "$work/events.jsonl" --expect "$here/pgsql_logins.expect.json"
