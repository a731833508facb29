#!/usr/bin/env bash
# End-to-end, live, as a new user would try it: real servers on ports netsift has no map
# for (redis 7001, PostgreSQL 5499, MariaDB 3399, vsftpd 2121, aiosmtpd 2526, nginx 8088
# with Basic auth, dnsmasq 5353), real clients logging in with unusual user names
# (UTF-8, spaces, a quote, 80 characters, an empty password), while
# `netsift sessions -i lo --json` runs in a private network namespace. Checks: every
# login is reported with its user, result, mechanism and port, before netsift is stopped
# (not only at exit); SIGTERM ends it with status 0, the login summary flushed and its
# table showing the names as they are; `stats -i lo` stopped by SIGINT prints its report
# once and leaves a complete SQLite run with the scan alert; `-c N` stops by itself.
# Needs root; exits 77 (CTest: skipped) otherwise. Usage: odd_names_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
source "$here/netns.sh"
need_root_and "the servers and clients of scripts/setup.sh" redis-server redis-cli psql \
  mariadbd mariadb mariadb-install-db vsftpd nginx /usr/sbin/dnsmasq dig swaks curl openssl \
  useradd chpasswd /usr/bin/python3
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ ! -x "$PGBIN/postgres" ] || ! id postgres >/dev/null 2>&1 ||
  ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "SKIP: needs postgresql and python3-aiosmtpd (scripts/setup.sh)"
  exit 77
fi
enter_private_netns "$@"
fuser=nsoddnames_ftp_user_with_long_n  # 31 characters, the most useradd takes here is 32
long=$(printf 'u%.0s' $(seq 79))x       # 80 characters, MariaDB's longest user name
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true
      userdel "$fuser" 2>/dev/null || true; rm -f /etc/pam.d/netsift-e2e-odd; rm -rf "$work"' EXIT
chmod 755 "$work"

printf 'port 7001\nbind 127.0.0.1\nsave ""\nappendonly no\ndir %s\nrequirepass Redis-Pw0\nuser jürgen on >Jü-pw ~* &* +@all\n' \
  "$work" >"$work/redis.conf"
redis-server "$work/redis.conf" >"$work/redis.log" 2>&1 &

mkdir -p "$work/pg" "$work/sock"
chown postgres: "$work/pg" "$work/sock"
runuser -u postgres -- "$PGBIN/initdb" -D "$work/pg/data" -U postgres --auth-local=trust \
  --auth-host=scram-sha-256 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; exit 1; }
printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nssl = off\nfsync = off\n" \
  "$work/sock" >>"$work/pg/data/postgresql.conf"
printf 'local all all trust\nhost all "Zoë Ünal" 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 scram-sha-256\n' \
  >"$work/pg/data/pg_hba.conf"
runuser -u postgres -- "$PGBIN/postgres" -D "$work/pg/data" -p 5499 >"$work/pg.log" 2>&1 &

mariadb-install-db --no-defaults --datadir="$work/db" --user=root --skip-test-db \
  --auth-root-authentication-method=socket >"$work/mi.log" 2>&1 || { cat "$work/mi.log"; exit 1; }
mariadbd --no-defaults --datadir="$work/db" --socket="$work/my.sock" --port=3399 \
  --bind-address=127.0.0.1 --user=root --skip-name-resolve --pid-file="$work/my.pid" \
  --log-error="$work/my.err" --skip-log-bin --innodb-buffer-pool-size=16M --skip-ssl &

id "$fuser" >/dev/null 2>&1 || useradd -M -d "$work/home" -s /bin/sh "$fuser"
echo "$fuser:Ftp Pw 1" | chpasswd
printf 'auth required pam_unix.so nodelay\naccount required pam_unix.so\n' >/etc/pam.d/netsift-e2e-odd
mkdir -p "$work/home" "$work/empty"
chown "$fuser" "$work/home"
cat >"$work/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=2121
background=NO
anonymous_enable=NO
local_enable=YES
pam_service_name=netsift-e2e-odd
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
delay_failed_login=0
delay_successful_login=0
secure_chroot_dir=$work/empty
CONF
vsftpd "$work/vsftpd.conf" 2>"$work/vsftpd.log" &

/usr/bin/python3 -W ignore "$here/smtp_server.py" "$work/smtp.log" 2526 \
  "Jörg Smith@ex.test=Smtp Pw" >"$work/smtp.out" 2>&1 &

mkdir -p "$work/www/private" "$work/nginx"
echo secret >"$work/www/private/s.txt"
printf 'jürgen müller:%s\n' "$(openssl passwd -apr1 'pässwörd')" >"$work/htpasswd"
cat >"$work/nginx/nginx.conf" <<CONF
user root; daemon off; worker_processes 1; pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off; client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server { listen 127.0.0.1:8088; root $work/www;
    location /private/ { auth_basic "odd"; auth_basic_user_file $work/htpasswd; } }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &

/usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=127.0.0.1 \
  --bind-interfaces --port=5353 --user=root --auth-zone=odd.test \
  --auth-server=ns.odd.test,127.0.0.1 --host-record=www.odd.test,192.0.2.10 \
  --local=/odd.test/ 2>"$work/dnsmasq.log" &

for _ in $(seq 100); do mariadb -S "$work/my.sock" -u root -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
mariadb -S "$work/my.sock" -u root -e "CREATE USER 'élodie o''neil'@'%' IDENTIFIED BY '';
  CREATE USER '$long'@'%' IDENTIFIED BY 'Long-Pw1';" || { cat "$work/my.err"; exit 1; }
for _ in $(seq 100); do psql -h "$work/sock" -p 5499 -U postgres -X -q -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.2; done
psql -h "$work/sock" -p 5499 -U postgres -X -q -v ON_ERROR_STOP=1 -c "SET password_encryption='md5'" \
  -c "CREATE ROLE \"Zoë Ünal\" LOGIN PASSWORD 'Pg pw 1'" -c "RESET password_encryption" \
  -c "CREATE ROLE \"a b\" LOGIN PASSWORD 'Pg-pw-2'" || { cat "$work/pg.log"; exit 1; }
for _ in $(seq 50); do redis-cli -p 7001 PING >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 50); do grep -q ready "$work/smtp.out" 2>/dev/null && break; sleep 0.1; done

"$bin" sessions -i lo --json --no-progress >"$work/events.jsonl" 2>"$work/netsift.err" &
netsift_pid=$!
# Ready when a refused connection to port 9 is reported.
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null || true
  grep -q '"dst_port":9,' "$work/events.jsonl" 2>/dev/null && break
  sleep 0.2
done

my() { mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P 3399 -u "$1" --password="$2" \
         --skip-ssl -e 'SELECT 1' >/dev/null 2>&1 || true; }
pg() { PGPASSWORD=$2 psql "host=127.0.0.1 port=5499 user='$1' dbname=postgres sslmode=disable" \
         -X -c 'SELECT 1' >/dev/null 2>&1 || true; }
smtp() { swaks --server 127.0.0.1 --port 2526 --from a@ex.test --to b@ex.test --auth "$1" \
           --auth-user 'Jörg Smith@ex.test' --auth-password "$2" >/dev/null 2>&1 || true; }
redis-cli -p 7001 --user jürgen --pass 'Jü-pw' PING >/dev/null 2>&1 || true
redis-cli -p 7001 --user jürgen --pass 'wrong' PING >/dev/null 2>&1 || true
pg 'Zoë Ünal' 'Pg pw 1'
pg 'a b' nope
pg 'a b' Pg-pw-2
my "élodie o'neil" ''
my "$long" Long-Pw1
my "élodie o'neil" bad
curl -s -o /dev/null "ftp://$fuser:Ftp%20Pw%201@127.0.0.1:2121/" || true
curl -s -o /dev/null "ftp://$fuser:bad@127.0.0.1:2121/" || true
smtp PLAIN 'Smtp Pw'
smtp LOGIN bad
curl -s -o /dev/null -u 'jürgen müller:pässwörd' http://127.0.0.1:8088/private/s.txt || true
curl -s -o /dev/null -u 'jürgen müller:bad' http://127.0.0.1:8088/private/s.txt || true
dig @127.0.0.1 -p 5353 +tries=1 +time=2 www.odd.test A >/dev/null || true
dig @127.0.0.1 -p 5353 +tries=1 +time=2 nx.odd.test A >/dev/null || true
# Live output is written within 200 ms of a session's end: everything is there before
# netsift is stopped.
sleep 1
cp "$work/events.jsonl" "$work/before-stop.jsonl"
kill -TERM "$netsift_pid"
rc=0
wait "$netsift_pid" || rc=$?

# stats, live, stopped by SIGINT: one report, a complete run with the scan alert.
mkdir "$work/stats"
(cd "$work/stats" && exec "$bin" stats -i lo --scan-ports 100 --no-progress tcp \
   >"$work/stats.out" 2>"$work/stats.err") &
stats_pid=$!
sleep 1.5
/usr/bin/python3 - <<'PY'
import socket
for port in range(3000, 3120):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        pass
    s.close()
PY
sleep 0.5
kill -INT "$stats_pid"
stats_rc=0
wait "$stats_pid" || stats_rc=$?

# -c N ends the capture by itself.
("$bin" packets -i lo -q -c 3 --no-progress udp port 9999 >"$work/count.out" 2>"$work/count.err"
 echo $? >"$work/count.rc") &
count_pid=$!
sleep 1
for i in $(seq 10); do echo "x$i" >/dev/udp/127.0.0.1/9999 || true; sleep 0.05; done
for _ in $(seq 50); do [ -s "$work/count.rc" ] && break; sleep 0.1; done
[ -s "$work/count.rc" ] || kill "$count_pid" 2>/dev/null || true

/usr/bin/python3 - "$work" "$rc" "$stats_rc" "$long" "$fuser" <<'PY'
import json, os, sqlite3, sys
work, rc, stats_rc, long_user, ftp_user = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
fails = []
def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    if not ok:
        fails.append(name)
def load(name):
    return [json.loads(l) for l in open(os.path.join(work, name)) if l.strip()]
ev, before = load("events.jsonl"), load("before-stop.jsonl")
def logins(events):
    return [(e["service"], e["dst_port"], e["user"], e["result"], e["mechanism"])
            for e in events if e["event"] == "auth"]
want = [
    ("redis", 7001, "jürgen", "success", "AUTH"),
    ("redis", 7001, "jürgen", "failure", "AUTH"),
    ("pgsql", 5499, "Zoë Ünal", "success", "md5"),
    ("pgsql", 5499, "a b", "failure", "SCRAM-SHA-256"),
    ("pgsql", 5499, "a b", "success", "SCRAM-SHA-256"),
    ("mysql", 3399, "élodie o'neil", "success", "mysql_native_password"),
    ("mysql", 3399, long_user, "success", "mysql_native_password"),
    ("mysql", 3399, "élodie o'neil", "failure", "mysql_native_password"),
    ("ftp", 2121, ftp_user, "success", "USER"),
    ("ftp", 2121, ftp_user, "failure", "USER"),
    ("smtp", 2526, "Jörg Smith@ex.test", "success", "PLAIN"),
    ("smtp", 2526, "Jörg Smith@ex.test", "failure", "LOGIN"),
    ("http", 8088, "jürgen müller", "success", "Basic"),
    ("http", 8088, "jürgen müller", "failure", "Basic"),
]
# Workers write the events of different flows in any order (JSON Lines): compared sorted.
want = sorted(want)
check("every login with its user, result, mechanism and port", sorted(logins(ev)) == want, logins(ev))
check("every login was written before netsift was stopped", sorted(logins(before)) == want,
      logins(before))
pw = {(e["service"], e["result"]): e.get("password") for e in ev if e["event"] == "auth"}
check("cleartext passwords as typed (spaces, UTF-8)", pw[("redis", "success")] == "Jü-pw"
      and pw[("ftp", "success")] == "Ftp Pw 1" and pw[("smtp", "success")] == "Smtp Pw"
      and pw[("http", "success")] == "pässwörd", pw)
empty = [e for e in ev if e["event"] == "auth" and e["service"] == "mysql" and e["result"] == "success"][0]
check("an empty MySQL password has no hash to crack", "hash" not in empty, empty)
dns = [e for e in ev if e["event"] == "dns" and e["direction"] == "response"]
check("DNS on 5353: both answers, NXDOMAIN named",
      sorted((e["dst_port"], e["questions"][0]["qname"], e["header"]["rcode"]) for e in dns)
      == [(5353, "nx.odd.test", "NXDOMAIN"), (5353, "www.odd.test", "NOERROR")], dns)
check("SIGTERM: exit status 0", rc == 0, rc)
summary = [e for e in ev if e["event"] == "auth_summary"]
check("SIGTERM: the login summary is flushed", len(summary) == 14 and not
      any(e["event"] == "auth_summary" for e in before), len(summary))
err = open(os.path.join(work, "netsift.err"), encoding="utf-8", errors="replace").read()
check("SIGTERM: the run summary on stderr", "14 login attempts" in err and "frames read" in err, err)
table = [l for l in err.splitlines() if l.startswith("  127.0.0.1 ")]
check("the login table shows the names as they are, aligned",
      any(" jürgen müller " in l for l in table) and any(" Zoë Ünal " in l for l in table)
      and "\\x" not in err and len({l.index(" success ") if " success " in l else l.index(" failure ")
                                    for l in table}) == 1, table)
out = open(os.path.join(work, "stats.out")).read()
check("stats: SIGINT, exit status 0", stats_rc == 0, (stats_rc, open(os.path.join(work, "stats.err")).read()))
check("stats: the report is printed once", out.count("== netsift stats ==") == 1, out[:2000])
check("stats: the report names the scan", "port_scan 127.0.0.1 -> 127.0.0.1" in out, out[-800:])
db = os.path.join(work, "stats", "netsift-lo.stats.sqlite")
if os.path.exists(db):
    con = sqlite3.connect(db)
    runs = con.execute("SELECT input, complete FROM stats_runs").fetchall()
    scans = con.execute("SELECT kind, count FROM alerts").fetchall()
    check("stats: netsift-lo.stats.sqlite holds one complete run", runs == [("live:lo", 1)], runs)
    check("stats: the scan alert is stored", scans == [("port_scan", 120)], scans)
else:
    check("stats: netsift-lo.stats.sqlite in the current directory", False, os.listdir(os.path.join(work, "stats")))
crc = open(os.path.join(work, "count.rc")).read().strip() if os.path.exists(os.path.join(work, "count.rc")) else "none"
lines = open(os.path.join(work, "count.out")).read().splitlines()
check("-c 3 stops the capture by itself, status 0, 3 packets", crc == "0" and len(lines) == 3, (crc, lines))
sys.exit(1 if fails else 0)
PY
