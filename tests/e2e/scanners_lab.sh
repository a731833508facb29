#!/usr/bin/env bash
# Scanner lab (not a ctest: about 10 minutes): real servers (nginx with Basic auth,
# redis, PostgreSQL, MariaDB, vsftpd, aiosmtpd, dnsmasq) in a private network namespace,
# and in a second namespace behind a veth pair a scanner 10.9.0.66 attacking 10.9.0.1
# while an ordinary client 10.9.0.7 keeps logging in to 10.9.0.2 (the same servers):
# nmap -sS/-sT -p-, -sU, -sn of a /24, -sV --version-all, -sC, the brute scripts,
# hping3 SYN/UDP/ICMP floods, a connection spike, brute force and spraying with the real
# clients. tcpdump writes OUT/lab.pcap; the servers' logs (the truth to compare
# `netsift sessions` against) and nmap's reports land in OUT, the phases' start times
# in OUT/timeline.txt. examples/nmap-*.pcap were cut from its output (examples/README.md).
# Needs root, nmap, hping3, tcpdump and the servers of scripts/setup.sh.
# Usage: scanners_lab.sh [OUT]
set -u
OUT=$(readlink -f "${1:-/tmp/scanlab/out}")
if [ -z "${LAB_IN_NS:-}" ]; then
  export LAB_IN_NS=1; mkdir -p "$OUT"
  exec unshare --net --mount "$0" "$OUT"
fi
mount -t tmpfs none /run/netns 2>/dev/null || mkdir -p /run/netns
W=$(mktemp -d /tmp/scanlab.XXXX); chmod 755 $W
PIDS=()
bg() { "$@" & PIDS+=($!); }
NS=scn$$
cleanup() { for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; sleep 1; for p in "${PIDS[@]}"; do kill -9 $p 2>/dev/null; done; ip netns del $NS 2>/dev/null; rm -rf $W; }
trap cleanup EXIT
log() { echo "[$(date +%T)] $*" >&2; echo "$(date +%s.%N) $*" >> $OUT/timeline.txt; }
: > $OUT/timeline.txt
ip link set lo up
ip netns add $NS
ip link add veth0 type veth peer name veth1 netns $NS
ip addr add 10.9.0.1/24 dev veth0; ip addr add 10.9.0.2/24 dev veth0
for i in $(seq 1 12); do ip addr add 10.9.2.$((i*17))/32 dev veth0; done
ip link set veth0 up
ethtool -K veth0 tso off gso off gro off >/dev/null 2>&1
sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv4.tcp_syncookies=1 net.ipv4.tcp_max_syn_backlog=65536 net.core.somaxconn=4096
X() { ip netns exec $NS "$@"; }
X ip link set lo up
X ip addr add 10.9.0.66/24 dev veth1; X ip addr add 10.9.0.7/24 dev veth1
X ip link set veth1 up
X ethtool -K veth1 tso off gso off gro off >/dev/null 2>&1
X ip route replace 10.9.0.1/32 dev veth1 src 10.9.0.66
X ip route replace 10.9.0.2/32 dev veth1 src 10.9.0.7
X ip route add 10.9.2.0/24 via 10.9.0.1 src 10.9.0.66
sleep 1

# ---- servers
mkdir -p $W/www/secret
echo hello > $W/www/index.html; echo top > $W/www/secret/index.html
printf 'webuser:%s\n' "$(openssl passwd -apr1 web-Secret1)" > $W/htpasswd
mkdir -p $W/nginx/logs
cat > $W/nginx/nginx.conf <<EOF
daemon off; master_process on; worker_processes 1; user root;
pid $W/nginx/nginx.pid; error_log $W/nginx/logs/error.log warn;
events { worker_connections 4096; }
http { access_log $W/nginx/logs/access.log;
  server { listen 80; root $W/www;
    location /secret/ { auth_basic "lab"; auth_basic_user_file $W/htpasswd; } } }
EOF
bg nginx -c $W/nginx/nginx.conf -p $W/nginx
mkdir -p $W/redis
cat > $W/redis/redis.conf <<EOF
port 6379
bind 10.9.0.1 10.9.0.2
protected-mode no
daemonize no
save ""
appendonly no
dir $W/redis
requirepass redis-Secret1
user alice on >alice-Redis2 ~* &* +@all
logfile $W/redis/log
EOF
bg redis-server $W/redis/redis.conf
PGBIN=/usr/lib/postgresql/15/bin
mkdir -p $W/pg $W/pgsock; chown postgres: $W/pg $W/pgsock
runuser -u postgres -- $PGBIN/initdb -D $W/pg/data -U postgres --auth-local=trust --auth-host=scram-sha-256 >$W/pg/initdb.log 2>&1
cat >> $W/pg/data/postgresql.conf <<EOF
listen_addresses = '*'
port = 5432
unix_socket_directories = '$W/pgsock'
ssl = off
log_connections = on
fsync = off
max_connections = 200
EOF
cat > $W/pg/data/pg_hba.conf <<EOF
local all all trust
host  all bob   0.0.0.0/0 md5
host  all all   0.0.0.0/0 scram-sha-256
EOF
runuser -u postgres -- $PGBIN/postgres -D $W/pg/data >$OUT/pg.log 2>&1 & PIDS+=($!)
mkdir -p $W/mysql
mariadb-install-db --no-defaults --datadir=$W/mysql/data --user=root --skip-test-db --auth-root-authentication-method=socket >$W/mysql/install.log 2>&1
bg mariadbd --no-defaults --datadir=$W/mysql/data --socket=$W/mysql/sock --port=3306 --bind-address=0.0.0.0 --user=root --skip-name-resolve --pid-file=$W/mysql/pid --log-error=$OUT/mysql-error.log --skip-log-bin --general-log=1 --general-log-file=$OUT/mysql-general.log --max-connections=500 --max-connect-errors=100000
mkdir -p $W/ftp-empty $W/ftp; chmod 555 $W/ftp-empty; echo f > $W/ftp/f.txt; chmod -R a+rX $W/ftp
cat > $W/vsftpd.conf <<EOF
listen=YES
listen_ipv6=NO
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
local_root=$W/ftp
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30999
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
delay_failed_login=0
delay_successful_login=0
max_login_fails=3
max_clients=500
max_per_ip=500
pam_service_name=vsftpd-bench
secure_chroot_dir=$W/ftp-empty
xferlog_enable=YES
xferlog_std_format=NO
vsftpd_log_file=$OUT/vsftpd.log
log_ftp_protocol=YES
EOF
bg vsftpd $W/vsftpd.conf
cat > $W/smtpd.py <<'EOF'
import asyncio, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
USERS = {"alice@lab.test": "smtp-Secret1", "bob": "smtp-Secret2"}
logf = open(sys.argv[1], "a", buffering=1)
def auth(server, session, envelope, mechanism, data):
    if not isinstance(data, LoginPassword):
        logf.write(f"FAIL\t{mechanism}\t?\n"); return AuthResult(success=False, handled=False)
    u = data.login.decode(errors="replace"); ok = USERS.get(u) == data.password.decode(errors="replace")
    logf.write(f"{'OK' if ok else 'FAIL'}\t{mechanism}\t{u}\t{session.peer}\n")
    return AuthResult(success=ok, handled=False)
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK queued"
c = Controller(Sink(), hostname="0.0.0.0", port=25, authenticator=auth, auth_required=False,
               auth_require_tls=False, server_hostname="mail.lab.test", data_size_limit=0)
c.start()
try: asyncio.get_event_loop().run_until_complete(asyncio.sleep(10**9))
finally: c.stop()
EOF
bg /usr/bin/python3 -W ignore $W/smtpd.py $OUT/smtp.log
bg dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --listen-address=10.9.0.1 --listen-address=10.9.0.2 --bind-interfaces --port=53 --user=root --pid-file=$W/dnsmasq.pid --address=/lab.test/10.9.0.2
for p in 80 6379 5432 3306 21 25; do for _ in $(seq 100); do ss -Hlnt "sport = :$p" | grep -q . && break; sleep 0.1; done; done
sleep 1
psql -h $W/pgsock -U postgres -X -q -c "CREATE ROLE alice LOGIN PASSWORD 'pg-Secret1'" -c "SET password_encryption='md5'" -c "CREATE ROLE bob LOGIN PASSWORD 'pg-Secret2'" -c "CREATE DATABASE lab OWNER alice"
mariadb -S $W/mysql/sock -u root -e "CREATE USER alice@'%' IDENTIFIED BY 'my-Secret1'; CREATE USER bob@'%' IDENTIFIED BY 'my-Secret2'; GRANT ALL ON *.* TO alice@'%';"
# The same services on other ports, claimed by content (socat forwards to the servers).
for pp in 8080:80 13306:3306 15432:5432 16379:6379 2121:21; do
  bg socat TCP-LISTEN:${pp%%:*},bind=10.9.0.1,fork,reuseaddr TCP:10.9.0.1:${pp##*:}
done
log "servers up"

tcpdump -i veth0 -s 0 -B 262144 -n -w $OUT/lab.pcap 2>$OUT/tcpdump.err & TCPD=$!
for _ in $(seq 50); do grep -q listening $OUT/tcpdump.err 2>/dev/null && break; sleep 0.1; done
sleep 0.5
# ---- traffic: X runs a command in the client namespace
T=10.9.0.1; L=10.9.0.2
printf 'root\nadmin\nalice\nbob\nwebuser\nbenchftp\ntest\n' > $W/users.txt
printf '123456\npassword\nwrong-1\nmy-Secret1\npg-Secret2\nftp-Secret1\nweb-Secret1\nredis-Secret1\nsmtp-Secret2\n' > $W/pass.txt
legit() {  # ordinary clients, all along
  local i=0
  while [ -e $W/legit.on ]; do
    X curl -s -o /dev/null http://$L/ ; X curl -s -o /dev/null -u webuser:web-Secret1 http://$L/secret/
    X redis-cli -h $L --no-auth-warning -a redis-Secret1 PING >/dev/null 2>&1
    if [ $((i % 5)) = 0 ]; then
      X env PGPASSWORD=pg-Secret1 psql -h $L -U alice -d lab -X -q -c 'select 1' >/dev/null 2>&1
      X mariadb -h $L -u alice -pmy-Secret1 -e 'select 1' >/dev/null 2>&1
      X curl -s -o /dev/null ftp://benchftp:ftp-Secret1@$L/f.txt
      X dig +short @$L www.lab.test >/dev/null 2>&1
    fi
    i=$((i+1)); sleep 0.5
  done
}
touch $W/legit.on; legit & LEGIT=$!
sleep 3
if [ "${LAB_PHASES:-all}" = nondefault ]; then
  # -sV and the brute scripts against the services on ports where only content tells.
  NP=8080,13306,15432,16379,2121
  log "phase sV-nondefault"; X nmap -n -Pn -sV --version-all -p $NP $T -oN $OUT/nmap-sV-nondefault.txt >/dev/null 2>&1
  log "phase brute-nondefault"
  X nmap -n -Pn -sV -p $NP $T --script mysql-brute,pgsql-brute,ftp-brute,redis-brute,http-brute \
    --script-args userdb=$W/users.txt,passdb=$W/pass.txt,http-brute.path=/secret/,unpwdb.timelimit=60s,brute.delay=0 \
    -oN $OUT/nmap-brute-nondefault.txt >/dev/null 2>&1
else
  P=21,25,53,80,3306,5432,6379
  log "phase sS";   X nmap -n -Pn -sS -p- -T5 $T -oN $OUT/nmap-sS.txt >/dev/null 2>&1
  log "phase sT";   X nmap -n -Pn -sT -p- -T5 $T -oN $OUT/nmap-sT.txt >/dev/null 2>&1
  log "phase sU";   X nmap -n -Pn -sU -p 1-300 --max-retries 1 -T5 $T -oN $OUT/nmap-sU.txt >/dev/null 2>&1
  log "phase sn";   X nmap -n -sn 10.9.2.0/24 -oN $OUT/nmap-sn.txt >/dev/null 2>&1
  log "phase sV";   X nmap -n -Pn -sV --version-all -p $P $T -oN $OUT/nmap-sV.txt >/dev/null 2>&1
  log "phase sC";   X nmap -n -Pn -sC -p $P $T -oN $OUT/nmap-sC.txt >/dev/null 2>&1
  log "phase brute-nse"
  X nmap -n -Pn -d -p 21,25,80,3306,5432,6379 $T --script mysql-brute,pgsql-brute,ftp-brute,redis-brute,smtp-brute,http-brute \
    --script-args userdb=$W/users.txt,passdb=$W/pass.txt,http-brute.path=/secret/,unpwdb.timelimit=60s,brute.delay=0 \
    -oN $OUT/nmap-brute.txt > $OUT/nmap-brute-debug.txt 2>&1
  log "phase synflood"; X timeout 60 hping3 -q -S -p 80 -c 200000 --faster $T > $OUT/hping-syn.txt 2>&1
  sleep 2
  log "phase udpflood"; X timeout 60 hping3 -q --udp -p 9999 -c 200000 --faster $T > $OUT/hping-udp.txt 2>&1
  sleep 2
  log "phase icmpflood"; X timeout 60 hping3 -q --icmp -c 100000 --faster $T > $OUT/hping-icmp.txt 2>&1
  sleep 2
  log "phase spike"
  X bash -c 'for i in $(seq 1 600); do curl -s -o /dev/null http://10.9.0.1/ & if [ $((i % 50)) = 0 ]; then wait; fi; done; wait
  for i in $(seq 1 300); do redis-cli -h 10.9.0.1 --no-auth-warning -a redis-Secret1 PING >/dev/null 2>&1; done'
  log "phase brute-clients"
  X bash -c 'T=10.9.0.1; W="w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12"
  for pw in $W redis-Secret1; do redis-cli -h $T --no-auth-warning -a $pw PING >/dev/null 2>&1; done
  for pw in $W pg-Secret1; do PGPASSWORD=$pw psql -h $T -U alice -d lab -X -q -c "select 1" >/dev/null 2>&1; done
  for pw in $W pg-Secret2; do PGPASSWORD=$pw psql -h $T -U bob -d lab -X -q -c "select 1" >/dev/null 2>&1; done
  for pw in $W my-Secret1; do mariadb -h $T -u alice -p$pw -e "select 1" >/dev/null 2>&1; done
  for pw in $W ftp-Secret1; do curl -s -o /dev/null ftp://benchftp:$pw@$T/f.txt; done
  for pw in $W smtp-Secret2; do swaks -s $T --auth LOGIN -au bob -ap $pw --to x@lab.test --from bob@lab.test --quit-after AUTH >/dev/null 2>&1; done
  for pw in $W web-Secret1; do curl -s -o /dev/null -u webuser:$pw http://$T/secret/; done'
  log "phase spray"
  X bash -c 'for u in u1 u2 u3 u4 u5 u6 u7 u8 u9 u10 u11 u12 u13 u14 u15; do mariadb -h 10.9.0.1 -u $u -pSpring2026 -e "select 1" >/dev/null 2>&1; done'
fi
log "phase end"
rm -f $W/legit.on; wait $LEGIT
cp $W/nginx/logs/access.log $OUT/nginx-access.log
sleep 2
kill -INT $TCPD; wait $TCPD
cat $OUT/tcpdump.err
