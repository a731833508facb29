#!/usr/bin/env bash
# End-to-end, live: Debian nginx serves static files (one gzip'd, sent chunked, one
# zstd-encoded), takes a PUT upload with "Expect: 100-continue" (WebDAV module), guards
# /private with Basic auth (a user file made by openssl passwd) and proxies a WebSocket
# handshake to a small backend, on port 80 and on 8081 (found by probing, also for a
# request whose 9 KB URI is longer than what probing keeps), and HTTP/2 with prior
# knowledge on 8082 (the preface reported, the frames not parsed), inside a private network
# namespace while `netsift sessions -i lo --json --extract-files DIR` captures live. Clients: curl
# (keep-alive, upload, good and bad passwords) and raw sockets (pipelining, Upgrade).
# Every exchange, status and login is asserted, nothing else may be reported, and the
# extracted files must equal the served and uploaded files byte for byte.
# Needs root; exits 77 (CTest: skipped) otherwise. Usage: http_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
for c in nginx curl openssl python3 unshare zstd; do
  if [ "$(id -u)" != 0 ] || ! command -v "$c" >/dev/null; then
    echo "SKIP: needs root and nginx, curl, openssl, zstd (scripts/setup.sh installs them)"
    exit 77
  fi
done
if [ -z "${NETSIFT_IN_NETNS:-}" ]; then
  export NETSIFT_IN_NETNS=1
  exec unshare --net "$0" "$@"
fi
ip link set lo up
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/www/private" "$work/www/dav" "$work/files" "$work/nginx"
python3 - "$work/www" <<'PY'
import os, random, sys
root = sys.argv[1]
random.seed(7)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
open(os.path.join(root, "index.html"), "w").write("<html><body>netsift live test</body></html>\n")
open(os.path.join(root, "big.txt"), "w").write(
    "\n".join(" ".join(random.choice(words) for _ in range(12)) for _ in range(4000)) + "\n")
open(os.path.join(root, "blob.bin"), "wb").write(bytes(random.getrandbits(8) for _ in range(30000)))
open(os.path.join(root, "private", "secret.txt"), "w").write("the secret\n")
open(os.path.join(root, "upload.bin"), "wb").write(bytes(random.getrandbits(8) for _ in range(20000)))
for n in ("a", "b", "c"):
    open(os.path.join(root, n + ".txt"), "w").write(f"file {n}\n" * (3 + ord(n) - 97))
PY
mv "$work/www/upload.bin" "$work/upload.bin"
# A zstd-encoded response (RFC 9659: curl --compressed asks for it; nginx has no zstd
# filter, so the file is compressed here and served with the coding named).
mkdir -p "$work/www/z"
zstd -q -19 "$work/www/big.txt" -o "$work/www/z/big.txt"
printf 'alice:%s\n' "$(openssl passwd -apr1 'correct horse')" > "$work/htpasswd"
cat > "$work/nginx/nginx.conf" <<CONF
user root;
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  types { text/html html; text/plain txt; application/octet-stream bin; }
  server {
    listen 127.0.0.1:80;
    listen 127.0.0.1:8081;
    listen 127.0.0.1:8082 http2;
    root $work/www;
    gzip on;
    gzip_types text/plain;
    gzip_min_length 100;
    location /dav/ { dav_methods PUT; create_full_put_path on; }
    location /private/ { auth_basic "netsift"; auth_basic_user_file $work/htpasswd; }
    location /z/ { gzip off; add_header Content-Encoding zstd; }
    location /ws {
      proxy_pass http://127.0.0.1:9001;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection "upgrade";
    }
  }
}
CONF
# WebSocket backend: answers the handshake (RFC 6455 4.2.2) and sends one text frame.
python3 - <<'PY' &
import base64, hashlib, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9001))
s.listen(4)
while True:
    c, _ = s.accept()
    req = b""
    while b"\r\n\r\n" not in req:
        req += c.recv(4096)
    key = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n") if l.lower().startswith(b"sec-websocket-key")][0]
    accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n" + b"\x81\x05hello")
    c.close()
PY
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
"$bin" sessions -i lo --json --immediate --extract-files "$work/files" \
  >"$work/events.jsonl" 2>"$work/netsift.err" &
ns_pid=$!
sleep 2
c() { curl -s --max-time 5 "$@" >/dev/null || true; }
# keep-alive: three static files on one connection; the gzip'd one comes chunked
c --http1.1 http://127.0.0.1/index.html http://127.0.0.1/blob.bin http://127.0.0.1/big.txt \
  -H "Accept-Encoding: gzip"
c --compressed http://127.0.0.1/z/big.txt
# HTTP/2 in the clear with prior knowledge (as gRPC without TLS): the preface is reported
c --http2-prior-knowledge http://127.0.0.1:8082/a.txt
# probing on a port no analyzer names; there also a 9 KB URI (in one segment, past what
# probing keeps), which nginx refuses with 414
c http://127.0.0.1:8081/a.txt
c "http://127.0.0.1:8081/$(printf 'x%.0s' $(seq 9000))"
# upload with 100-continue
c -T "$work/upload.bin" -H "Expect: 100-continue" http://127.0.0.1/dav/up.bin
# Basic auth: challenge without credentials, a wrong password, the right one
c http://127.0.0.1/private/secret.txt
c -u "alice:wrong" http://127.0.0.1/private/secret.txt
c -u "alice:correct horse" http://127.0.0.1/private/secret.txt
# pipelining and the WebSocket handshake over raw sockets
python3 - <<'PY'
import socket, time
s = socket.create_connection(("127.0.0.1", 80))
s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n"
          b"GET /c.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
while s.recv(65536):
    pass
s.close()
w = socket.create_connection(("127.0.0.1", 80))
w.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
time.sleep(0.5)
w.recv(65536)
w.sendall(b"\x81\x85abcd" + bytes(x ^ y for x, y in zip(b"hello", b"abcdabcd")))
time.sleep(0.3)
w.close()
PY
sleep 2
kill -INT "$ns_pid"
# A live capture notices the stop request when its next packet arrives: send one.
ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1 || true
wait "$ns_pid" || echo "netsift exit status $?"
cat "$work/netsift.err" >&2
python3 - "$work" <<'PY'
import hashlib, json, os, sys
work = sys.argv[1]
www = os.path.join(work, "www")
ev = [json.loads(l) for l in open(os.path.join(work, "events.jsonl")) if l.strip()]
http = [e for e in ev if e["event"] == "http"]
auth = [e for e in ev if e["event"] == "auth"]
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
fails = []
def check(name, cond):
    print(("ok   " if cond else "FAIL ") + name)
    if not cond:
        fails.append(name)
def find(uri, port=80, method="GET"):
    return [e for e in http if e.get("req_uri") == uri and e["dst_port"] == port and e.get("req_method") == method]
want = [("/index.html", 80, "GET", "200"), ("/blob.bin", 80, "GET", "200"), ("/big.txt", 80, "GET", "200"),
        ("/a.txt", 8081, "GET", "200"), ("/" + "x" * 9000, 8081, "GET", "414"),
        ("/dav/up.bin", 80, "PUT", "201"), ("/z/big.txt", 80, "GET", "200"), ("*", 8082, "PRI", ""),
        ("/private/secret.txt", 80, "GET", "401"), ("/private/secret.txt", 80, "GET", "401"),
        ("/private/secret.txt", 80, "GET", "200"), ("/a.txt", 80, "GET", "200"),
        ("/b.txt", 80, "GET", "200"), ("/c.txt", 80, "GET", "200"), ("/ws", 80, "GET", "101"),
        ("/ws", 9001, "GET", "101")]  # nginx's own request to the backend, found by probing
got = sorted((e.get("req_uri", ""), e["dst_port"], e.get("req_method", ""), e.get("resp_status", ""))
             for e in http)
check(f"exactly the {len(want)} exchanges made, with their statuses", got == sorted(want))
if got != sorted(want):
    print("    got: ", got, "\n    want:", sorted(want))
ka = find("/index.html") + find("/blob.bin") + find("/big.txt")
check("keep-alive: three exchanges on one connection, in order",
      len(ka) == 3 and len({e["src_port"] for e in ka}) == 1 and [e["trans_depth"] for e in ka] == [1, 2, 3])
big = find("/big.txt")[0]
check("gzip'd and chunked response decoded to the served file",
      big.get("resp_content_encoding") == "gzip"
      and big["resp_headers"].get("transfer-encoding") == "chunked"
      and big["resp_body_sha256"] == sha(os.path.join(www, "big.txt"))
      and big["resp_body_len"] == os.path.getsize(os.path.join(www, "big.txt")))
h2 = find("*", 8082, "PRI")
check("HTTP/2 preface: one exchange, upgrade h2c, the frames after it not parsed",
      len(h2) == 1 and h2[0].get("upgrade") == "h2c" and h2[0].get("req_version") == "2.0"
      and not h2[0].get("anomalies") and len([e for e in http if e["dst_port"] == 8082]) == 1)
zst = find("/z/big.txt")[0]
check("zstd-encoded response decoded to the original file",
      zst.get("resp_content_encoding") == "zstd"
      and zst.get("resp_body_sha256") == sha(os.path.join(www, "big.txt"))
      and zst["resp_body_len"] == os.path.getsize(os.path.join(www, "big.txt")))
blob = find("/blob.bin")[0]
check("binary body hashed, escaped and cut at 4096",
      blob["resp_body_sha256"] == sha(os.path.join(www, "blob.bin")) and blob["resp_body_truncated"])
up = find("/dav/up.bin", method="PUT")[0]
check("100-continue upload: continued, body hashed",
      up.get("continued") is True and up["req_body_sha256"] == sha(os.path.join(work, "upload.bin")))
check("probing on 8081", find("/a.txt", 8081)[0]["resp_body_sha256"] == sha(os.path.join(www, "a.txt")))
pipe = find("/a.txt") + find("/b.txt") + find("/c.txt")
check("pipelined requests paired in order",
      len({e["src_port"] for e in pipe}) == 1 and [e["trans_depth"] for e in pipe] == [1, 2, 3]
      and all(e["resp_body_sha256"] == sha(os.path.join(www, e["req_uri"][1:])) for e in pipe))
ws = find("/ws")[0]  # the client's side, through nginx
check("websocket upgrade reported, nothing parsed after it",
      ws.get("upgrade") == "websocket" and len([e for e in http if e["src_port"] == ws["src_port"]]) == 1)
check("two logins: wrong password failure, right one success (a bare challenge is none)",
      sorted((a["user"], a.get("password"), a["result"], a["mechanism"], a["service"]) for a in auth)
      == [("alice", "correct horse", "success", "Basic", "http"), ("alice", "wrong", "failure", "Basic", "http")])
files = os.path.join(work, "files")
for name, path in [("big.txt", os.path.join(www, "big.txt")), ("blob.bin", os.path.join(www, "blob.bin")),
                   ("upload", os.path.join(work, "upload.bin")), ("index.html", os.path.join(www, "index.html"))]:
    h = sha(path)
    f = os.path.join(files, h)
    side = json.load(open(f + ".json")) if os.path.exists(f + ".json") else {}
    check(f"extracted {name} equals the original byte for byte, with its sidecar",
          os.path.exists(f) and open(f, "rb").read() == open(path, "rb").read() and side.get("sha256") == h
          and side.get("uri") and side.get("flow", "").startswith("tcp 127.0.0.1:"))
check("extracted files not world-writable, no temporaries left",
      all(not (os.stat(os.path.join(files, n)).st_mode & 0o002) and not n.startswith(".tmp")
          for n in os.listdir(files)))
print("all passed" if not fails else f"{len(fails)} failed")
sys.exit(1 if fails else 0)
PY
