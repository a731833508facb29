#!/usr/bin/env python3
"""SMTP server for smtp_live.sh: Debian's aiosmtpd (a real SMTP implementation) offering
AUTH PLAIN and LOGIN (built in) and CRAM-MD5 (RFC 2195, below: aiosmtpd has no CRAM-MD5),
without TLS, on the ports given. Users and passwords come as USER=PASSWORD arguments.
Each attempt's outcome is written to the log file as "OK|FAIL<TAB>MECH<TAB>USER".

Usage: smtp_server.py LOGFILE PORT[,PORT...] USER=PASSWORD...
"""
import asyncio, hmac, os, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

log = open(sys.argv[1], "a", buffering=1)
ports = [int(p) for p in sys.argv[2].split(",")]
users = dict(a.split("=", 1) for a in sys.argv[3:])


def authenticator(server, session, envelope, mechanism, data):
    if not isinstance(data, LoginPassword):
        return AuthResult(success=False, handled=False)
    user = data.login.decode(errors="replace")
    ok = users.get(user) == data.password.decode(errors="replace")
    log.write(f"{'OK' if ok else 'FAIL'}\t{mechanism}\t{user}\n")
    return AuthResult(success=ok, handled=False)


class Handler:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK queued"

    async def auth_CRAM__MD5(self, server, args):
        challenge = f"<{os.getpid()}.{time.time_ns()}@mail.e2e.test>"
        blob = await server.challenge_auth(challenge)
        if not isinstance(blob, bytes):
            return AuthResult(success=False, handled=True)  # cancelled: already answered
        user, _, digest = blob.decode(errors="replace").rpartition(" ")
        secret = users.get(user)
        ok = secret is not None and hmac.compare_digest(
            digest, hmac.new(secret.encode(), challenge.encode(), "md5").hexdigest())
        log.write(f"{'OK' if ok else 'FAIL'}\tCRAM-MD5\t{user}\n")
        return AuthResult(success=ok, handled=False)


controllers = []
for port in ports:
    c = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                   auth_required=False, auth_require_tls=False, server_hostname="mail.e2e.test")
    c.start()
    controllers.append(c)
print("ready", flush=True)
try:
    asyncio.get_event_loop().run_until_complete(asyncio.sleep(10**9))
finally:
    for c in controllers:
        c.stop()
