#!/usr/bin/env python3
"""A wire-level MongoDB stand-in for the live test (Debian packages no MongoDB server):
answers the handshake (isMaster/hello over OP_QUERY or OP_MSG, speculativeAuthenticate
when asked to), SCRAM-SHA-1 and SCRAM-SHA-256 saslStart/saslContinue as mongod does
(RFC 5802 / RFC 7677; SCRAM-SHA-1 over MongoDB's password digest md5("user:mongo:pw")),
failing a bad proof with code 18, and {ok: 1} to anything else.

Usage: mongodb_standin.py PORT [--speculative]   (users: alice, bob; see USERS)"""
import base64, datetime, hashlib, hmac, os, socketserver, struct, sys

import bson

USERS = {"alice": "alice-Mongo1", "bob": "bob-Mongo2"}
ITERATIONS = {"SCRAM-SHA-1": 10000, "SCRAM-SHA-256": 15000}
SALTS = {}
SPECULATIVE = "--speculative" in sys.argv


def salted_password(mech, user, password, salt, iterations):
    if mech == "SCRAM-SHA-1":
        password = hashlib.md5(f"{user}:mongo:{password}".encode()).hexdigest()
    digest = "sha1" if mech == "SCRAM-SHA-1" else "sha256"
    return hashlib.pbkdf2_hmac(digest, password.encode(), salt, iterations), digest


def attrs(msg):
    return dict(part.split("=", 1) for part in msg.split(",") if "=" in part)


class Connection(socketserver.BaseRequestHandler):
    def recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def send(self, response_to, opcode, body):
        self.next_id += 1
        self.request.sendall(struct.pack("<iiii", 16 + len(body), self.next_id, response_to,
                                         opcode) + body)

    def handle(self):
        self.conversations, self.next_id = {}, 0
        while True:
            header = self.recv(16)
            if not header:
                return
            length, request_id, _, opcode = struct.unpack("<iiii", header)
            body = self.recv(length - 16)
            if body is None:
                return
            if opcode == 2004:  # OP_QUERY: flags, collection, skip, return, query
                nul = body.index(b"\0", 4)
                db = body[4:nul].decode().split(".")[0]
                start = nul + 9
                size = struct.unpack("<i", body[start:start + 4])[0]
                reply = self.command(bson.decode(body[start:start + size]), db)
                self.send(request_id, 1, struct.pack("<iqii", 8, 0, 0, 1) + bson.encode(reply))
            elif opcode == 2013:  # OP_MSG: flags, kind-0 body first
                size = struct.unpack("<i", body[5:9])[0]
                doc = bson.decode(body[5:5 + size])
                reply = self.command(doc, doc.get("$db", "admin"))
                self.send(request_id, 2013, struct.pack("<I", 0) + b"\0" + bson.encode(reply))
            else:
                return

    def command(self, doc, db):
        name = next(iter(doc))
        if name.lower() in ("ismaster", "hello"):
            reply = {"ismaster": True, "maxBsonObjectSize": 16777216,
                     "maxMessageSizeBytes": 48000000, "maxWriteBatchSize": 100000,
                     "localTime": datetime.datetime.now(datetime.timezone.utc),
                     "logicalSessionTimeoutMinutes": 30, "connectionId": 1,
                     "minWireVersion": 0, "maxWireVersion": 9, "readOnly": False, "ok": 1.0}
            spec = doc.get("speculativeAuthenticate")
            if spec and SPECULATIVE:
                step = self.sasl_start(spec)
                if step.get("ok") == 1.0:
                    reply["speculativeAuthenticate"] = {
                        k: step[k] for k in ("conversationId", "done", "payload")}
            return reply
        if name == "saslStart":
            return self.sasl_start(doc)
        if name == "saslContinue":
            return self.sasl_continue(doc)
        return {"ok": 1.0}

    def sasl_start(self, doc):
        mech = doc.get("mechanism")
        if mech not in ITERATIONS:
            return {"ok": 0.0, "errmsg": f"Received authentication for mechanism {mech} which "
                    "is not enabled", "code": 334, "codeName": "MechanismUnavailable"}
        client_first = bytes(doc["payload"]).decode()
        bare = client_first.split(",", 2)[2]
        a = attrs(bare)
        user = a["n"].replace("=2C", ",").replace("=3D", "=")
        salt = SALTS.setdefault((user, mech), os.urandom(16))
        nonce = a["r"] + base64.b64encode(os.urandom(18)).decode()
        server_first = f"r={nonce},s={base64.b64encode(salt).decode()},i={ITERATIONS[mech]}"
        cid = len(self.conversations) + 1
        self.conversations[cid] = dict(mech=mech, user=user, bare=bare, server_first=server_first,
                                       nonce=nonce, verified=False,
                                       skip=bool((doc.get("options") or {}).get("skipEmptyExchange")))
        return {"conversationId": cid, "done": False, "payload": bson.Binary(server_first.encode()),
                "ok": 1.0}

    def sasl_continue(self, doc):
        failed = {"ok": 0.0, "errmsg": "Authentication failed.", "code": 18,
                  "codeName": "AuthenticationFailed"}
        c = self.conversations.get(doc.get("conversationId"))
        if c is None:
            return failed
        if c["verified"]:
            return {"conversationId": doc["conversationId"], "done": True,
                    "payload": bson.Binary(b""), "ok": 1.0}
        client_final = bytes(doc["payload"]).decode()
        without_proof, proof = client_final.rsplit(",p=", 1)
        a = attrs(c["server_first"])
        password = USERS.get(c["user"])
        if password is None or attrs(without_proof).get("r") != c["nonce"]:
            return failed
        sp, digest = salted_password(c["mech"], c["user"], password, base64.b64decode(a["s"]),
                                     int(a["i"]))
        h = lambda key, msg: hmac.new(key, msg.encode(), digest).digest()
        client_key = h(sp, "Client Key")
        stored_key = hashlib.new(digest, client_key).digest()
        auth_message = ",".join([c["bare"], c["server_first"], without_proof])
        expected = bytes(x ^ y for x, y in zip(client_key, h(stored_key, auth_message)))
        if not hmac.compare_digest(expected, base64.b64decode(proof)):
            return failed
        c["verified"] = True
        server_signature = h(h(sp, "Server Key"), auth_message)
        return {"conversationId": doc["conversationId"], "done": c["skip"],
                "payload": bson.Binary(b"v=" + base64.b64encode(server_signature)), "ok": 1.0}


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server(("127.0.0.1", int(sys.argv[1])), Connection).serve_forever()
