#!/usr/bin/env bash
# End-to-end: the real MongoDB driver (Debian python3-pymongo) logs in with SCRAM-SHA-256
# and SCRAM-SHA-1, good and bad passwords, against a wire-level stand-in server
# (mongodb_standin.py; Debian has no MongoDB server) on loopback in a private network
# namespace while netsift captures live (`sessions -i lo --json`): on port 27017 the
# stand-in answers speculativeAuthenticate in the handshake, on 27999 (found by content)
# it ignores it and the driver runs saslStart. Every attempt must be reported with user,
# mechanism and outcome, nothing invented, and every SCRAM credential must verify against
# the password the test used (PBKDF2/HMAC computed here with hashlib, independently of
# netsift and of the stand-in). Needs root; exits 77 (CTest SKIP_RETURN_CODE) otherwise.
# Usage: mongodb_live.sh NETSIFT_BINARY
set -euo pipefail
bin=$(readlink -f "$1")
here=$(dirname "$(readlink -f "$0")")
PY=/usr/bin/python3
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! "$PY" -c 'import pymongo' 2>/dev/null; then
  echo "SKIP: needs root and python3-pymongo (scripts/setup.sh installs it)"
  exit 77
fi
source "$here/netns.sh"
enter_private_netns "$@"

"$PY" "$here/mongodb_standin.py" 27017 --speculative 2>"$work/standin-27017.log" &
"$PY" "$here/mongodb_standin.py" 27999 2>"$work/standin-27999.log" &
sleep 1
"$bin" sessions -i lo --immediate --json --no-progress tcp >"$work/events.jsonl" \
  2>"$work/netsift.err" &
netsift_pid=$!
# Wait until the capture runs: refused connections to port 9 until one is reported.
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/9) 2>/dev/null || true
  grep -q '"dst_port":9,' "$work/events.jsonl" && break
  sleep 0.1
done
"$PY" - <<'PY'
import pymongo
from pymongo.errors import OperationFailure
for port in (27017, 27999):
    for user, password, mech in [("alice", "alice-Mongo1", "SCRAM-SHA-256"),
                                 ("alice", "not-alice", "SCRAM-SHA-256"),
                                 ("bob", "bob-Mongo2", "SCRAM-SHA-1"),
                                 ("bob", "not-bob", "SCRAM-SHA-1")]:
        client = pymongo.MongoClient("127.0.0.1", port, username=user, password=password,
                                     authSource="admin", authMechanism=mech,
                                     serverSelectionTimeoutMS=5000, connectTimeoutMS=3000)
        try:
            client.admin.command("ping")
            outcome = "ok"
        except OperationFailure as e:
            outcome = f"refused ({e.code})"
        finally:
            client.close()
        print(f"driver: {user} {mech} port {port}: {outcome}")
PY
sleep 1
kill -INT "$netsift_pid"
wait "$netsift_pid" || { echo "FAIL netsift exited with $?"; cat "$work/netsift.err"; exit 1; }

"$PY" - "$work/events.jsonl" <<'PY'
import base64, collections, hashlib, hmac, json, sys
PASSWORDS = {("alice", "SCRAM-SHA-256"): ["alice-Mongo1", "not-alice"],
             ("bob", "SCRAM-SHA-1"): ["bob-Mongo2", "not-bob"]}
events = [json.loads(l) for l in open(sys.argv[1])]
auth = [e for e in events if e["event"] == "auth"]
fails = []
def check(name, cond):
    print(("ok   " if cond else "FAIL ") + name)
    if not cond:
        fails.append(name)

def attrs(msg):
    return dict(p.split("=", 1) for p in msg.split(",") if "=" in p)

def proof_for(user, mech, password, cred):
    """RFC 5802 ClientProof and ServerSignature for `password` over the captured messages."""
    if mech == "SCRAM-SHA-1":  # MongoDB hashes the password first for SCRAM-SHA-1
        password = hashlib.md5(f"{user}:mongo:{password}".encode()).hexdigest()
    digest = "sha1" if mech == "SCRAM-SHA-1" else "sha256"
    sf = attrs(cred["server_first"])
    salted = hashlib.pbkdf2_hmac(digest, password.encode(), base64.b64decode(sf["s"]), int(sf["i"]))
    client_final = cred["client_final"]
    without_proof = client_final.rsplit(",p=", 1)[0]
    bare = cred["client_first"].split(",", 2)[2]
    auth_message = ",".join([bare, cred["server_first"], without_proof]).encode()
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    signature = hmac.new(hashlib.new(digest, client_key).digest(), auth_message, digest).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature))).decode()
    server_key = hmac.new(salted, b"Server Key", digest).digest()
    server = base64.b64encode(hmac.new(server_key, auth_message, digest).digest()).decode()
    return proof, server

for port in (27017, 27999):
    got = [e for e in auth if e["dst_port"] == port]
    have = collections.Counter((e["user"], e["mechanism"], e["result"]) for e in got)
    want = collections.Counter([("alice", "SCRAM-SHA-256", "success"),
                                ("alice", "SCRAM-SHA-256", "failure"),
                                ("bob", "SCRAM-SHA-1", "success"),
                                ("bob", "SCRAM-SHA-1", "failure")])
    check(f"port {port}: every login with user, mechanism, outcome; nothing invented", have == want)
    if have != want:
        print("  missing:", dict(want - have), "\n  extra:", dict(have - want))
    check(f"port {port}: database, service, reasons",
          all(e["database"] == "admin" and e["service"] == "mongodb" and
              (e["result"] == "success" or e["reason"] == "18 AuthenticationFailed: Authentication failed.")
              for e in got))
    for e in got:
        cred = e.get("credential", {})
        good, bad = PASSWORDS[(e["user"], e["mechanism"])]
        proof = attrs(cred.get("client_final", ""))["p"] if "client_final" in cred else None
        if e["result"] == "success":
            p, v = proof_for(e["user"], e["mechanism"], good, cred)
            check(f"port {port}: {e['user']} {e['mechanism']} proof and server signature verify "
                  "with the right password", proof == p and cred.get("server_final") == "v=" + v)
        else:
            p_good, _ = proof_for(e["user"], e["mechanism"], good, cred)
            p_bad, _ = proof_for(e["user"], e["mechanism"], bad, cred)
            check(f"port {port}: {e['user']} {e['mechanism']} failed proof is the wrong password's",
                  proof == p_bad and proof != p_good and "server_final" not in cred)
sessions = [e for e in events if e["event"] == "tcp_session" and e["dst_port"] in (27017, 27999)]
check("every session analysed as mongodb", sessions and all(e["app"] == "mongodb" for e in sessions))
print(f"{len(fails)} failed")
sys.exit(1 if fails else 0)
PY
