#!/usr/bin/env bash
# End-to-end: a real MariaDB server (mysql_native_password and ed25519 users) in a private
# network namespace, real clients (the mariadb command-line client; Python's MySQLdb,
# libmariadb, for COM_CHANGE_USER) making known good and bad logins on the default port
# 3306 and on the server's extra port 13306, while `netsift sessions -i lo --json`
# captures live. Every attempt must be reported with the right user, mechanism, outcome
# and port, none invented; every credential must verify against the password used and
# every hash line must be cracked by hashcat (db_auth_verify.py).
# Needs root; exits 77 (skipped) otherwise. Usage: mysql_live.sh NETSIFT_BINARY [SAVE.pcap]
set -euo pipefail
bin=$(readlink -f "$1")
save=${2:+$(readlink -f "$2")}
here=$(dirname "$(readlink -f "$0")")
for c in mariadbd mariadb mariadb-install-db; do
  if [ "$(id -u)" != 0 ] || ! command -v $c >/dev/null || ! /usr/bin/python3 -c 'import MySQLdb' 2>/dev/null; then
    echo "SKIP: needs root, mariadb-server, mariadb-client and python3-mysqldb (scripts/setup.sh)"
    exit 77
  fi
done
source "$here/netns.sh"
enter_private_netns "$@"

start_mariadb 3306 --extra-port=13306
mariadb -S "$work/db/sock" -u root -e "
  INSTALL SONAME 'auth_ed25519';
  CREATE DATABASE shop;
  CREATE USER alice@'%' IDENTIFIED BY 'my-Secret1';
  CREATE USER bob@'%' IDENTIFIED BY 'my-Secret2';
  CREATE USER ed@'%' IDENTIFIED VIA ed25519 USING PASSWORD('ed-Secret3');
  GRANT ALL ON shop.* TO alice@'%', bob@'%', ed@'%';" || { cat "$work/db/error.log"; exit 1; }

"$bin" sessions -i lo --json --immediate ${save:+-w "$save"} "tcp port 3306 or tcp port 13306" \
  >"$work/events.jsonl" 2>"$work/netsift.err" &
netsift_pid=$!
sleep 2
my() {  # PORT USER PASSWORD: one login with the mariadb client
  timeout 20 mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$1" -u "$2" -p"$3" \
    --skip-ssl shop -e 'SELECT 1' >/dev/null 2>&1 && echo ok || echo fail
}
results=()
results+=("alice good 3306 $(my 3306 alice my-Secret1)")
results+=("alice bad 3306 $(my 3306 alice wrong-1)")
results+=("ed good 3306 $(my 3306 ed ed-Secret3)")
results+=("ed bad 3306 $(my 3306 ed wrong-2)")
results+=("mallory bad 3306 $(my 3306 mallory nopass)")
results+=("bob good 13306 $(my 13306 bob my-Secret2)")
results+=("bob bad 13306 $(my 13306 bob wrong-3)")
# COM_CHANGE_USER on one connection: to bob (good), then to bob with a wrong password.
/usr/bin/python3 - <<'PY' || results+=("change_user script failed")
import MySQLdb
c = MySQLdb.connect(host="127.0.0.1", port=3306, user="alice", passwd="my-Secret1", db="shop")
c.query("SELECT 1"); c.store_result()
c.change_user("bob", "my-Secret2", "shop")
c.query("SELECT CURRENT_USER()"); user = c.store_result().fetch_row()[0][0]
assert (user.decode() if isinstance(user, bytes) else user).startswith("bob@"), user
try:
    c.change_user("bob", "wrong-4", "shop")
    raise SystemExit("change_user with a wrong password succeeded")
except MySQLdb.OperationalError:
    pass
# The same with the compressed protocol (CLIENT_COMPRESS, zlib): the changes of user
# travel inside compressed frames after the login's OK.
c = MySQLdb.connect(host="127.0.0.1", port=3306, user="alice", passwd="my-Secret1", db="shop",
                    compress=1)
c.query("SELECT REPEAT('x', 5000)"); c.store_result()
c.change_user("bob", "my-Secret2", "shop")
c.query("SELECT CURRENT_USER()"); user = c.store_result().fetch_row()[0][0]
assert (user.decode() if isinstance(user, bytes) else user).startswith("bob@"), user
try:
    c.change_user("bob", "wrong-5", "shop")
    raise SystemExit("compressed change_user with a wrong password succeeded")
except MySQLdb.OperationalError:
    pass
PY
sleep 1
kill -INT "$netsift_pid"
wait "$netsift_pid" || { echo "FAIL: netsift exited with $?"; cat "$work/netsift.err"; exit 1; }
printf '%s\n' "${results[@]}"
expected="alice good 3306 ok
alice bad 3306 fail
ed good 3306 ok
ed bad 3306 fail
mallory bad 3306 fail
bob good 13306 ok
bob bad 13306 fail"
if [ "$(printf '%s\n' "${results[@]}")" != "$expected" ]; then
  echo "FAIL: the clients did not get the expected outcomes (server log follows)"
  tail -20 "$work/db/error.log"
  exit 1
fi
python3 "$here/db_auth_verify.py" --events "$work/events.jsonl" --expect "$here/mysql_logins.expect.json"
