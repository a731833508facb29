#!/usr/bin/env bash
# End-to-end: logins whose password is right but whose session the server then refuses,
# against real servers in a private network namespace while `netsift sessions -i lo`
# captures live. PostgreSQL 15 (scram-sha-256) answers AuthenticationOk and then FATAL:
# a database that does not exist (3D000), a NOLOGIN role (28000), a role with CONNECTION
# LIMIT 0 (53300). MariaDB answers ERR after accepting the password: no access to the
# database (1044), an unknown database for a privileged account (1049), a locked account
# (4151). The same logins with a wrong password are refused for the password (28P01,
# 1045). Every refusal after the right password must be a failure with
# credential_accepted whose credential verifies against the right password; the others
# failures without it (db_auth_verify.py). Needs root; exits 77 (skipped) otherwise.
# Usage: db_refused_after_auth.sh NETSIFT_BINARY [SAVE_PGSQL.pcap SAVE_MYSQL.pcap]
set -euo pipefail
bin=$(readlink -f "$1")
save_pg=${2:+$(readlink -f "$2")}
save_my=${3:+$(readlink -f "$3")}
here=$(dirname "$(readlink -f "$0")")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ "$(id -u)" != 0 ] || [ ! -x "$PGBIN/postgres" ] || ! command -v psql >/dev/null ||
  ! id postgres >/dev/null 2>&1 || ! command -v mariadbd >/dev/null ||
  ! command -v mariadb-install-db >/dev/null || ! command -v mariadb >/dev/null; then
  echo "SKIP: needs root, postgresql, postgresql-client, mariadb-server and mariadb-client"
  exit 77
fi
source "$here/netns.sh"
enter_private_netns "$@"

# ---- servers ---------------------------------------------------------------------------
init_postgres
run_postgres 5432
start_mariadb 3306
psql -h "$work/sock" -U postgres -X -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE alice LOGIN PASSWORD 'pg-Secret1'" \
  -c "CREATE ROLE dave NOLOGIN PASSWORD 'pg-Secret4'" \
  -c "CREATE ROLE erin LOGIN CONNECTION LIMIT 0 PASSWORD 'pg-Secret5'" \
  -c "CREATE DATABASE shop OWNER alice" >/dev/null
mariadb -S "$work/db/sock" -u root -e "
  CREATE DATABASE shop; CREATE DATABASE vault;
  CREATE USER alice@'%' IDENTIFIED BY 'my-Secret1'; GRANT ALL ON shop.* TO alice@'%';
  CREATE USER adm@'%' IDENTIFIED BY 'my-Secret6'; GRANT ALL ON *.* TO adm@'%';
  CREATE USER lk@'%' IDENTIFIED BY 'my-Secret7' ACCOUNT LOCK;" ||
  { cat "$work/db/error.log"; exit 1; }

# ---- logins, captured ------------------------------------------------------------------
capture() {  # SAVE FILTER EVENTS: netsift in the background
  "$bin" sessions -i lo --json --immediate --no-progress ${1:+-w "$1"} "$2" >"$3" \
    2>"$3.err" &
}
capture "$save_pg" "tcp port 5432" "$work/pg.jsonl"
pg_cap=$!
capture "$save_my" "tcp port 3306" "$work/my.jsonl"
my_cap=$!
sleep 2
pg() {  # USER PASSWORD DATABASE: one login with psql, never prompting
  PGPASSWORD=$2 PGCONNECT_TIMEOUT=10 timeout 20 psql -X -w \
    "host=127.0.0.1 port=5432 user=$1 dbname=$3 sslmode=disable" -c 'SELECT 1' 2>&1 |
    grep -oE 'does not exist|not permitted to log in|too many connections|password authentication failed' |
    head -1 || true
}
my() {  # USER PASSWORD DATABASE: one login with the mariadb client
  timeout 20 mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P 3306 -u "$1" -p"$2" \
    --skip-ssl "$3" -e 'SELECT 1' 2>&1 | grep -oE '^ERROR [0-9]+' | head -1 || true
}
results=()
results+=("pg alice good nodb: $(pg alice pg-Secret1 nodb)")
results+=("pg alice bad nodb: $(pg alice bad-1 nodb)")
results+=("pg dave good: $(pg dave pg-Secret4 shop)")
results+=("pg dave bad: $(pg dave bad-4 shop)")
results+=("pg erin good: $(pg erin pg-Secret5 shop)")
results+=("my alice good vault: $(my alice my-Secret1 vault)")
results+=("my alice bad vault: $(my alice wrong-1 vault)")
results+=("my adm good nodb: $(my adm my-Secret6 nodb)")
results+=("my lk good: $(my lk my-Secret7 shop)")
results+=("my lk bad: $(my lk wrong-7 shop)")
sleep 1
kill -INT "$pg_cap" "$my_cap"
wait "$pg_cap" || { echo "FAIL: netsift exited with $?"; cat "$work/pg.jsonl.err"; exit 1; }
wait "$my_cap" || { echo "FAIL: netsift exited with $?"; cat "$work/my.jsonl.err"; exit 1; }
printf '%s\n' "${results[@]}"
expected="pg alice good nodb: does not exist
pg alice bad nodb: password authentication failed
pg dave good: not permitted to log in
pg dave bad: password authentication failed
pg erin good: too many connections
my alice good vault: ERROR 1044
my alice bad vault: ERROR 1045
my adm good nodb: ERROR 1049
my lk good: ERROR 4151
my lk bad: ERROR 1045"
if [ "$(printf '%s\n' "${results[@]}")" != "$expected" ]; then
  echo "FAIL: the servers did not refuse as expected (logs follow)"
  tail -20 "$work/pg.log" "$work/db/error.log"
  exit 1
fi
rc=0
python3 "$here/db_auth_verify.py" --events "$work/pg.jsonl" \
  --expect "$here/pgsql_refused.expect.json" || rc=1
python3 "$here/db_auth_verify.py" --events "$work/my.jsonl" \
  --expect "$here/mysql_refused.expect.json" || rc=1
exit $rc
