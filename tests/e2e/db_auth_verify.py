#!/usr/bin/env python3
"""Checks netsift's MySQL/PostgreSQL `auth` events against what the test did, and every
secret in them against the passwords the test used, by independent computation:

  mysql_native_password  response == SHA1(pw) xor SHA1(salt + SHA1(SHA1(pw)))
  caching_sha2_password  response == SHA256(pw) xor SHA256(SHA256(SHA256(pw)) + salt)
  client_ed25519         response is MariaDB's Ed25519 signature of the nonce, the key
                         derived from SHA-512 of the password (checked here in pure Python)
  pgsql md5              response == MD5(hex(MD5(pw + user)) + salt)
  SCRAM-SHA-256          the client proof of client_final, from PBKDF2 of the password
                         (RFC 5802 / RFC 7677)
  cleartext              password field equals a password the test used

and every `hash` line is cracked by hashcat from a wordlist holding the test's passwords
(tests/e2e/hashcat_check.py).

Usage: db_auth_verify.py (--events EVENTS.jsonl | --bin NETSIFT --capture FILE)
                         --expect EXPECT.json [--no-hashcat]
EXPECT.json: {"passwords": {"user": ["pw", ...]},          # every password tried per user
              "attempts": [{"service", "user", "mechanism", "result", "dst_port",
                            "change_user"?, "tls"?, "credential_accepted"?}, ...]}
                                                        # exactly these, in any order
A failure with credential_accepted (refused after the password was accepted) must carry a
secret made from the right password, as a success does.
Exit 0 when everything matches, 1 otherwise, 77 (skip) when hashcat is needed and absent.
"""
import argparse
import base64
import collections
import hashlib
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


# ---- Ed25519 over a password (MariaDB auth_ed25519), from the RFC 8032 definitions ----
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P


def _add(a, b):
    # Extended homogeneous coordinates (X, Y, Z, T), twisted Edwards a = -1.
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(k, pt):
    acc = (0, 1, 1, 0)
    while k:
        if k & 1:
            acc = _add(acc, pt)
        pt = _add(pt, pt)
        k >>= 1
    return acc


def _encode(pt):
    x, y, z, _ = pt
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def _base():
    y = 4 * pow(5, P - 2, P) % P
    xx = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    if x & 1:
        x = P - x
    return (x, y, 1, x * y % P)


def ed25519_password_signature(password, message):
    """MariaDB's client_ed25519: Ed25519 with SHA-512(password) in place of SHA-512(seed)."""
    h = hashlib.sha512(password).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    B = _base()
    public = _encode(_mul(a, B))
    r = int.from_bytes(hashlib.sha512(h[32:] + message).digest(), "little") % L
    R = _encode(_mul(r, B))
    k = int.from_bytes(hashlib.sha512(R + public + message).digest(), "little") % L
    return R + ((r + k * a) % L).to_bytes(32, "little")


# ---- the other computations -----------------------------------------------------------
def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def native_ok(salt, response, pw):
    s1 = hashlib.sha1(pw).digest()
    return response == xor(s1, hashlib.sha1(salt + hashlib.sha1(s1).digest()).digest())


def caching_sha2_ok(salt, response, pw):
    d1 = hashlib.sha256(pw).digest()
    d2 = hashlib.sha256(d1).digest()
    return response == xor(d1, hashlib.sha256(d2 + salt).digest())


def ed25519_ok(nonce, signature, pw):
    return ed25519_password_signature(pw, nonce) == signature


def pg_md5_ok(user, salt, response_hex, pw):
    inner = hashlib.md5(pw + user.encode()).hexdigest().encode()
    return hashlib.md5(inner + salt).hexdigest() == response_hex


def scram_ok(cred, pw):
    client_first = cred["client_first"]
    bare = client_first.split(",", 2)[2]  # after the GS2 header "n,," / "p=...,,"
    server_first = cred["server_first"]
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    final = cred["client_final"]
    without_proof, proof = final.rsplit(",p=", 1)
    salted = hashlib.pbkdf2_hmac("sha256", pw, base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    auth_message = ",".join([bare, server_first, without_proof]).encode()
    signature = hmac.new(stored_key, auth_message, "sha256").digest()
    return xor(client_key, signature) == base64.b64decode(proof)


def which_password(event, candidates):
    """The candidate password the event's secret was made from (None if none fits), and
    whether the event carried anything to check."""
    cred = event.get("credential") or {}
    mech = event.get("mechanism")
    user = event.get("user", "")
    for pw_text in candidates:
        pw = pw_text.encode()
        if "password" in event:
            if event["password"] == pw_text:
                return pw_text, True
            continue
        if event.get("service") == "mysql" and "response" in cred:
            salt, resp = bytes.fromhex(cred["salt"]), bytes.fromhex(cred["response"])
            ok = {"mysql_native_password": native_ok, "caching_sha2_password": caching_sha2_ok,
                  "client_ed25519": ed25519_ok}.get(mech)
            if ok is None:
                return None, False
            if ok(salt, resp, pw):
                return pw_text, True
        elif event.get("service") == "pgsql" and mech == "md5" and "response" in cred:
            if pg_md5_ok(user, bytes.fromhex(cred["salt"]), cred["response"], pw):
                return pw_text, True
        elif event.get("service") == "pgsql" and "client_final" in cred:
            if scram_ok(cred, pw):
                return pw_text, True
        else:
            return None, False
    return None, True


def key(d):
    return (d.get("service"), d.get("user"), d.get("mechanism"), d.get("result"),
            int(d.get("dst_port", 0)), bool(d.get("change_user", False)), bool(d.get("tls", False)),
            bool(d.get("credential_accepted", False)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", help="netsift's JSON Lines output")
    ap.add_argument("--bin", help="netsift, to run on --capture")
    ap.add_argument("--capture")
    ap.add_argument("--expect", required=True)
    ap.add_argument("--no-hashcat", action="store_true")
    a = ap.parse_args()
    expect = json.load(open(a.expect))
    if a.capture:
        import subprocess
        text = subprocess.run([a.bin, "sessions", "-r", a.capture, "--json", "--no-progress"],
                              capture_output=True, check=True).stdout.decode("utf-8", "replace")
    else:
        text = open(a.events, encoding="utf-8", errors="replace").read()
    events = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            e = json.loads(line)
            if e.get("event") == "auth":
                events.append(e)
    fails = []

    def check(name, cond, detail=""):
        print(("ok   " if cond else "FAIL ") + name + ("" if cond else f": {detail}"))
        if not cond:
            fails.append(name)

    # An expected mechanism of null matches any (MariaDB answers a login as an unknown
    # user with a plugin of its choosing, so that accounts cannot be told apart).
    got = collections.Counter(key(e) for e in events)
    want = collections.Counter(key(x) for x in expect["attempts"] if x.get("mechanism"))
    missing, extra = want - got, got - want
    for x in expect["attempts"]:
        if x.get("mechanism"):
            continue
        k = key(x)
        hit = next((g for g in extra if g[:2] == k[:2] and g[3:] == k[3:]), None)
        if hit:
            extra[hit] -= 1
            extra = +extra
        else:
            missing[k] += 1
    check(f"exactly the {len(expect['attempts'])} attempts made (user, mechanism, result, port)",
          not missing and not extra, f"missing {dict(missing)}, invented {dict(extra)}")

    passwords = expect["passwords"]
    for e in events:
        label = f"{e.get('service')} {e.get('user')} {e.get('mechanism')} {e.get('result')}"
        candidates = passwords.get(e.get("user"), [])
        pw, checkable = which_password(e, candidates)
        if not checkable:
            continue
        if e.get("result") == "success" or e.get("credential_accepted"):
            label += " (credential accepted)" if e.get("credential_accepted") else ""
            check(f"{label}: secret made from the right password", pw == candidates[0],
                  f"matches {pw!r}")
        else:
            check(f"{label}: secret made from one of the passwords tried", pw is not None)

    lines = collections.defaultdict(list)
    for e in events:
        if e.get("hash"):
            lines[e["hash_mode"]].append(e["hash"])
    if lines and not a.no_hashcat:
        import hashcat_check
        if not hashcat_check.available():
            print("SKIP: hashcat is not installed (scripts/setup.sh installs it)")
            sys.exit(77)
        words = sorted({w for ws in passwords.values() for w in ws} | {"wrong", "123456"})
        for mode, hs in sorted(lines.items()):
            cracked = hashcat_check.crack(sorted(set(hs)), mode, words)
            check(f"hashcat -m {mode} cracks all {len(set(hs))} hash lines",
                  len(cracked) == len(set(hs)), f"{len(cracked)} cracked")
    check("at least one hash line when a native/md5 login was made",
          bool(lines) or not any(x.get("mechanism") in ("mysql_native_password", "md5")
                                 for x in expect["attempts"]))
    print(f"{len(fails)} failed")
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
