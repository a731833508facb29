#!/usr/bin/env python3
"""Which hash lines does hashcat crack from a wordlist? Shared by the login tests.

Library use (from another test in tests/e2e):

    sys.path.insert(0, os.path.dirname(__file__))
    import hashcat_check
    cracked = hashcat_check.crack(["$mysqlna$...*..."], 11200, ["secret", "other"])
    # {"$mysqlna$...*...": "secret"}; lines hashcat could not crack are absent

Command line:

    hashcat_check.py -m MODE (--hashes FILE | --hash LINE...) (--wordlist FILE | --word W...)
                     [--expect-all]

prints one line per hash: "cracked<TAB>LINE<TAB>PASSWORD" or "not cracked<TAB>LINE"
(a password that is not printable ASCII is shown as hex:...). Exit 0, or 1 with
--expect-all when a line was not cracked, 2 when hashcat failed, 77 when hashcat is not
installed (CTest SKIP_RETURN_CODE; scripts/setup.sh installs it). `--self-test` checks
the line formats against hashcat's own example hashes, then cracks lines computed here.

The modes of wire exchanges (netsift's `hash` field, docs/events.md):
  11200  MySQL mysql_native_password challenge-response
         $mysqlna$<scramble, 20 bytes hex>*<client response, 20 bytes hex>
  11100  PostgreSQL md5 challenge-response
         $postgres$<user>*<salt, 4 bytes hex>*<the 32 hex digits after "md5">
  10200  CRAM-MD5 (SMTP/IMAP/POP3 AUTH CRAM-MD5)
         $cram_md5$<base64 of the challenge>$<base64 of "user hexdigest">
         (16400 "CRAM-MD5 Dovecot" is Dovecot's stored {CRAM-MD5} secret, not the
         challenge-response seen on the wire.)

How hashcat runs here (Debian's hashcat on the CPU through pocl, as root, no GPU):
  -D 1 (OpenCL CPU devices), --backend-ignore-cuda/--backend-ignore-hip (a GPU machine
  must not change the result), --force (hashcat refuses some pocl CPU runtimes without
  it; its own self-test still runs and must pass), --potfile-disable (every run starts
  from nothing: a line cracked before must be cracked again), --restore-disable,
  --logfile-disable, --hwmon-disable, a unique --session and XDG_DATA_HOME in a private
  temporary directory (sessions, dictionary statistics). -O (optimized kernels) unless a
  word is longer than 31 bytes. The compiled kernels stay in hashcat's cache
  (XDG_CACHE_HOME, ~/.cache/hashcat): the first run of a mode compiles its kernel for
  minutes on a small machine, later runs take seconds.
"""
import argparse
import base64
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
OPTIMIZED_MAX_LEN = 31


class HashcatError(RuntimeError):
    pass


def available():
    return shutil.which("hashcat") is not None


def _same_hash(a, b):
    return a == b or a.lower() == b.lower()


def crack(lines, mode, words, timeout=1200):
    """Returns {line: password} for the lines hashcat cracks with `words`.

    `words` are str or bytes; passwords come back as str when they decode as UTF-8,
    otherwise as bytes. Raises HashcatError when hashcat fails or is missing."""
    if not available():
        raise HashcatError("hashcat is not installed (scripts/setup.sh installs it)")
    lines = list(dict.fromkeys(l.strip() for l in lines if l.strip()))
    if not lines:
        return {}
    words = [w.encode() if isinstance(w, str) else bytes(w) for w in words]
    for w in words:
        if b"\n" in w or b"\r" in w:
            raise ValueError("a word holds a line break: %r" % w)
    with tempfile.TemporaryDirectory(prefix="hashcat-check-") as tmp:
        hashes = os.path.join(tmp, "hashes.txt")
        wordlist = os.path.join(tmp, "words.txt")
        outfile = os.path.join(tmp, "cracked.txt")
        with open(hashes, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(wordlist, "wb") as f:
            f.write(b"".join(w + b"\n" for w in words))
        env = dict(os.environ)
        env["XDG_DATA_HOME"] = os.path.join(tmp, "data")
        cmd = [
            "hashcat", "-m", str(int(mode)), "-a", "0", "-D", "1",
            "--backend-ignore-cuda", "--backend-ignore-hip", "--force",
            "--potfile-disable", "--restore-disable", "--logfile-disable",
            "--hwmon-disable", "--quiet", "--session", "check%d" % os.getpid(),
            "--outfile", outfile, "--outfile-format", "1,3",
            "--outfile-autohex-disable",
        ]
        if max((len(w) for w in words), default=0) <= OPTIMIZED_MAX_LEN:
            cmd.append("-O")
        cmd += [hashes, wordlist]
        try:
            p = subprocess.run(cmd, cwd=tmp, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HashcatError("hashcat ran past %d s" % timeout)
        # 0: all cracked, 1: exhausted (some not cracked); anything else is an error
        # (bad line format is reported on its output and the line is skipped).
        out = p.stdout.decode(errors="replace")
        if p.returncode not in (0, 1):
            raise HashcatError("hashcat exited %d:\n%s" % (p.returncode, out[-4000:]))
        if "Token length exception" in out or "Separator unmatched" in out or \
                "Line-length exception" in out or "Signature unmatched" in out:
            raise HashcatError("hashcat rejected a hash line:\n%s" % out[-4000:])
        cracked = {}
        if os.path.exists(outfile):
            with open(outfile, "rb") as f:
                for raw in f.read().splitlines():
                    # hash:hexplain (the hex of the password has no ':')
                    h, _, hexplain = raw.decode(errors="replace").rpartition(":")
                    plain = bytes.fromhex(hexplain)
                    try:
                        plain = plain.decode()
                    except UnicodeDecodeError:
                        pass
                    for line in lines:
                        if _same_hash(line, h):
                            cracked[line] = plain
        return cracked


# --- Hash lines computed independently (used by the self-test, and by tests that want
# --- to compare netsift's `hash` field with what the known password gives). ---

def mysql_native_line(password, scramble):
    """11200: the client's mysql_native_password answer to a 20-byte scramble."""
    p = password.encode() if isinstance(password, str) else password
    stage1 = hashlib.sha1(p).digest()
    stage2 = hashlib.sha1(stage1).digest()
    mix = hashlib.sha1(scramble + stage2).digest()
    response = bytes(a ^ b for a, b in zip(stage1, mix))
    return "$mysqlna$%s*%s" % (scramble.hex(), response.hex())


def postgres_md5_line(user, password, salt):
    """11100: PostgreSQL's md5 answer: "md5" + md5(md5(password + user) + salt)."""
    inner = hashlib.md5(password.encode() + user.encode()).hexdigest().encode()
    outer = hashlib.md5(inner + salt).hexdigest()
    return "$postgres$%s*%s*%s" % (user, salt.hex(), outer)


def cram_md5_line(user, password, challenge):
    """10200: CRAM-MD5 (RFC 2195): "user " + hex HMAC-MD5(password, challenge)."""
    digest = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
    return "$cram_md5$%s$%s" % (base64.b64encode(challenge).decode(),
                                base64.b64encode(("%s %s" % (user, digest)).encode()).decode())


def _example(mode):
    """hashcat's own example hash and password for a mode (--example-hashes)."""
    p = subprocess.run(["hashcat", "-m", str(mode), "--example-hashes"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    text = p.stdout.decode(errors="replace")
    h = re.search(r"Example\.Hash\.*: (\S+)", text)
    w = re.search(r"Example\.Pass\.*: (\S+)", text)
    if not h or not w:
        raise HashcatError("no example hash for mode %d:\n%s" % (mode, text[-2000:]))
    return h.group(1), w.group(1)


def self_test():
    failures = []
    # 1. The formats: recompute hashcat's example lines from their salt and password.
    ex, pw = _example(11200)
    m = re.fullmatch(r"\$mysqlna\$([0-9a-f]{40})\*([0-9a-f]{40})", ex)
    if not m or mysql_native_line(pw, bytes.fromhex(m.group(1))) != ex:
        failures.append("11200 example %s not reproduced" % ex)
    ex, pw = _example(11100)
    m = re.fullmatch(r"\$postgres\$([^*]+)\*([0-9a-f]{8})\*([0-9a-f]{32})", ex)
    if not m or postgres_md5_line(m.group(1), pw, bytes.fromhex(m.group(2))) != ex:
        failures.append("11100 example %s not reproduced" % ex)
    ex, pw = _example(10200)
    m = re.fullmatch(r"\$cram_md5\$([^$]+)\$([^$]+)", ex)
    if m:
        user = base64.b64decode(m.group(2)).decode().split(" ")[0]
        if cram_md5_line(user, pw, base64.b64decode(m.group(1))) != ex:
            m = None
    if not m:
        failures.append("10200 example %s not reproduced" % ex)
    # 2. Cracking: lines for known passwords crack to exactly those passwords; a line
    # whose password is not in the wordlist does not crack.
    words = ["winter2024", "s3cret!", "hunter2", "Pa ss:word", "letmein"]
    cases = {
        11200: ([mysql_native_line("s3cret!", bytes(range(33, 53))), "s3cret!"],
                [mysql_native_line("notinlist", bytes(range(60, 80)))]),
        11100: ([postgres_md5_line("alice", "Pa ss:word", b"\x01\x02\xfe\xff"), "Pa ss:word"],
                [postgres_md5_line("bob", "notinlist", b"\x10\x20\x30\x40")]),
        10200: ([cram_md5_line("carol", "hunter2",
                               b"<1896.697170952@postoffice.example.net>"), "hunter2"],
                [cram_md5_line("dave", "notinlist", b"<1.2@mail.example.org>")]),
    }
    for mode, ((good, password), bad) in cases.items():
        try:
            got = crack([good] + bad, mode, words)
        except HashcatError as e:
            failures.append("mode %d: %s" % (mode, e))
            continue
        if got != {good: password}:
            failures.append("mode %d: expected only %s -> %r, got %r" % (mode, good, password, got))
        else:
            print("mode %d: cracked %s, left the other alone" % (mode, good))
    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--mode", type=int)
    ap.add_argument("--hashes", help="file of hash lines")
    ap.add_argument("--hash", action="append", default=[], help="one hash line (repeatable)")
    ap.add_argument("--wordlist", help="file of candidate passwords, one a line")
    ap.add_argument("--word", action="append", default=[], help="one password (repeatable)")
    ap.add_argument("--expect-all", action="store_true", help="exit 1 unless every line cracks")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--timeout", type=int, default=1200)
    a = ap.parse_args()
    if not available():
        print("SKIP: hashcat is not installed (scripts/setup.sh installs it)", file=sys.stderr)
        return SKIP
    if a.self_test:
        return self_test()
    if a.mode is None:
        ap.error("--mode is required")
    lines = list(a.hash)
    if a.hashes:
        with open(a.hashes) as f:
            lines += f.read().splitlines()
    words = [w.encode() for w in a.word]
    if a.wordlist:
        with open(a.wordlist, "rb") as f:
            words += f.read().splitlines()
    lines = [l.strip() for l in lines if l.strip()]
    try:
        cracked = crack(lines, a.mode, words, a.timeout)
    except HashcatError as e:
        print("hashcat_check: %s" % e, file=sys.stderr)
        return 2
    for line in dict.fromkeys(lines):
        if line in cracked:
            p = cracked[line]
            shown = p if isinstance(p, str) and p.isprintable() else "hex:" + (
                p.encode() if isinstance(p, str) else p).hex()
            print("cracked\t%s\t%s" % (line, shown))
        else:
            print("not cracked\t%s" % line)
    if a.expect_all and len(cracked) < len(set(lines)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
