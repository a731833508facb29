#!/usr/bin/env bash
# End-to-end, as a new user tries it: PostgreSQL and MariaDB with names and clients the
# other live tests do not use — UTF-8, a space and 63 characters in role/user names,
# empty and wrong passwords, a database that does not exist, psql with sslmode=prefer
# against a server that refuses SSL (the SSLRequest answered 'N', then the login in the
# clear on the same connection), the mariadb client with --default-auth naming a plugin
# the server then switches away from — on non-default ports, netsift capturing live. Each
# login must be reported once with its user, database and the outcome the client saw;
# none invented (no TLS attempt for the refused SSLRequest).
# Needs root (namespaces, servers as their users, live capture); exits 77 otherwise.
set -euo pipefail
bin=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ "$(id -u)" != 0 ] || [ ! -x "$PGBIN/postgres" ] || ! command -v psql >/dev/null ||
  ! command -v mariadbd >/dev/null || ! id postgres >/dev/null 2>&1; then
  echo "SKIP: needs root, postgresql, postgresql-client and mariadb-server (scripts/setup.sh)"
  exit 77
fi
source "$here/netns.sh"
enter_private_netns "$@"

long=$(printf 'u%.0s' $(seq 63))  # PostgreSQL's longest name (NAMEDATALEN - 1)

# --- PostgreSQL on 15432, SSL off, scram-sha-256 for everyone
init_postgres -E UTF8 --locale=C.UTF-8
run_postgres 15432
psql -h "$work/sock" -p 15432 -U postgres -X -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE alice LOGIN PASSWORD 'pg-Secret1'" \
  -c "CREATE ROLE \"jörg\" LOGIN PASSWORD 'pg-Jörg1'" \
  -c "CREATE ROLE \"john doe\" LOGIN PASSWORD 'pg-Space1'" \
  -c "CREATE ROLE $long LOGIN PASSWORD 'pg-Long1'" \
  -c "CREATE DATABASE shop" >/dev/null

# --- MariaDB on 13307, no SSL
start_mariadb 13307 --character-set-server=utf8mb4
mariadb -S "$work/db/sock" -u root --default-character-set=utf8mb4 -e "
  CREATE DATABASE shop;
  CREATE USER alice@'%' IDENTIFIED BY 'my-Secret1';
  CREATE USER 'jörg'@'%' IDENTIFIED BY 'my-Jörg1';
  CREATE USER 'john doe'@'%' IDENTIFIED BY 'my-Space1';
  GRANT ALL ON shop.* TO alice@'%', 'jörg'@'%', 'john doe'@'%';" ||
  { cat "$work/db/error.log"; exit 1; }

"$bin" sessions -i lo --json --immediate --no-progress "tcp port 15432 or tcp port 13307" \
  >"$work/events.jsonl" 2>"$work/netsift.err" &
netsift_pid=$!
sleep 2

outcomes="$work/outcomes.tsv"  # service, user, database, ok|fail: what each client saw
pg() {  # USER PASSWORD DB [libpq options]
  local r=fail
  PGPASSWORD=$2 PGCONNECT_TIMEOUT=10 timeout 20 psql -X -w \
    "host=127.0.0.1 port=15432 user='$1' dbname=$3 ${4:-}" -c 'SELECT 1' >/dev/null 2>&1 && r=ok
  printf 'pgsql\t%s\t%s\t%s\n' "$1" "$3" "$r" >>"$outcomes"
}
my() {  # USER PASSWORD DB [client options]
  local r=fail
  timeout 20 mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P 13307 \
    --default-character-set=utf8mb4 -u "$1" ${2:+-p"$2"} --skip-ssl ${4:-} "$3" \
    -e 'SELECT 1' >/dev/null 2>&1 && r=ok
  printf 'mysql\t%s\t%s\t%s\n' "$1" "$3" "$r" >>"$outcomes"
}
pg alice pg-Secret1 shop sslmode=prefer   # SSLRequest refused, then the login in the clear
pg alice wrong-1 shop sslmode=prefer
pg "jörg" pg-Jörg1 shop
pg "john doe" wrong-2 shop
pg "john doe" pg-Space1 shop
pg "$long" pg-Long1 shop
pg alice pg-Secret1 nosuchdb              # authenticated, then FATAL 3D000
my alice my-Secret1 shop --default-auth=client_ed25519   # switched to the native plugin
my alice wrong-3 shop --default-auth=mysql_clear_password
my "jörg" my-Jörg1 shop
my "john doe" wrong-4 shop
my "john doe" "" shop                      # no password at all
my alice my-Secret1 nosuchdb               # ERR 1049 after the password was checked
sleep 1
kill -INT "$netsift_pid"
(exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null || true
wait "$netsift_pid" || { echo "FAIL netsift exited with $?"; cat "$work/netsift.err"; exit 1; }
python3 - "$work/events.jsonl" "$outcomes" <<'PY'
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
auth = [e for e in events if e["event"] == "auth"]
want = collections.Counter()
for line in open(sys.argv[2], encoding="utf-8"):
    service, user, db, r = line.rstrip("\n").split("\t")
    want[(service, user, db, "success" if r == "ok" else "failure", False)] += 1
got = collections.Counter((e["service"], e.get("user"), e.get("database"), e["result"],
                           e.get("tls", False)) for e in auth)
fail = 0
for k in sorted(set(want) | set(got), key=repr):
    if want[k] != got[k]:
        fail += 1
        print(f"FAIL {k}: clients saw {want[k]}, netsift reported {got[k]}")
switched = [e for e in auth if e["service"] == "mysql" and e["user"] == "alice"
            and e.get("database") == "shop" and e["result"] == "success"]
if [e.get("mechanism") for e in switched] != ["mysql_native_password"]:
    fail += 1
    print(f"FAIL the --default-auth login: {switched}")
if not fail:
    print(f"ok   {sum(got.values())} logins, each as the client saw it")
sys.exit(1 if fail else 0)
PY
echo "db login trials: all attempts reported"
