#!/usr/bin/env python3
"""Command-line and config behaviour of the login detectors and --hashes: option ranges,
the detect.auth config section, and the hash file's safe creation (new, 0600, no
symlink, no overwrite).

Usage: auth_cli_test.py --bin build/netsift --examples examples
"""
import argparse, os, stat, subprocess, sys, tempfile

FAILED = []


def check(name, cond, detail=""):
    if not cond:
        FAILED.append(name)
        print("FAIL %s: %s" % (name, detail))


def run(*args):
    return subprocess.run(list(args), capture_output=True, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--examples", required=True)
    a = ap.parse_args()
    b = os.path.abspath(a.bin)
    cap = os.path.join(os.path.abspath(a.examples), "http-get.pcap")
    with tempfile.TemporaryDirectory(prefix="netsift-auth-cli-") as tmp:
        h = os.path.join(tmp, "hashes.txt")
        p = run(b, "sessions", "-r", cap, "--json", "--hashes", h)
        check("--hashes creates the file", p.returncode == 0 and os.path.isfile(h), p.stderr)
        if os.path.isfile(h):
            mode = stat.S_IMODE(os.stat(h).st_mode)
            check("--hashes file is 0600", mode == 0o600, oct(mode))
            check("no login, no line", open(h).read() == "", open(h).read())
        check("hash count on stderr", b"0 hash lines written" in p.stderr, p.stderr)
        p = run(b, "sessions", "-r", cap, "--hashes", h)
        check("--hashes refuses an existing file", p.returncode == 1 and b"already exists" in p.stderr,
              (p.returncode, p.stderr))
        p = run(b, "sessions", "-r", cap, "--hashes", h, "--append")
        check("--hashes --append adds to our private file", p.returncode == 0, p.stderr)
        os.chmod(h, 0o644)
        p = run(b, "sessions", "-r", cap, "--hashes", h, "--append")
        check("--append refuses a file others can read", p.returncode == 1, (p.returncode, p.stderr))
        victim = os.path.join(tmp, "victim")
        open(victim, "w").write("keep\n")
        link = os.path.join(tmp, "link.txt")
        os.symlink(victim, link)
        p = run(b, "sessions", "-r", cap, "--hashes", link)
        check("--hashes never follows a symlink", p.returncode == 1 and open(victim).read() == "keep\n",
              (p.returncode, p.stderr))
        dangling = os.path.join(tmp, "dangling.txt")
        os.symlink(os.path.join(tmp, "made-through-link"), dangling)
        p = run(b, "sessions", "-r", cap, "--hashes", dangling)
        check("--hashes never creates through a dangling symlink",
              p.returncode == 1 and not os.path.exists(os.path.join(tmp, "made-through-link")),
              (p.returncode, p.stderr))

        for flag, bad in (("--brute-force-failures", "0"), ("--spray-users", "1001"),
                          ("--compromise-failures", "x"), ("--auth-window", "-5"),
                          ("--auth-max-sources", "0")):
            p = run(b, "sessions", "-r", cap, flag, bad)
            check("%s %s exits 64" % (flag, bad), p.returncode == 64, (p.returncode, p.stderr))
        p = run(b, "sessions", "-r", cap, "--brute-force-failures", "3", "--spray-users", "2",
                "--compromise-failures", "4", "--auth-window", "30", "--auth-max-sources", "5",
                "--no-auth-alerts", "--no-auth-summary", "--json")
        check("detector flags accepted", p.returncode == 0, p.stderr)
        check("no login, no summary", b"auth_summary" not in p.stdout and b"Login attempts" not in p.stderr,
              p.stderr)

        good = os.path.join(tmp, "good.yaml")
        open(good, "w").write(
            "detect:\n  auth:\n    alerts: false\n    summary: true\n    window: 120.5\n"
            "    brute_force_failures: 20\n    spray_users: 3\n    compromise_failures: 5\n"
            "    max_sources: 100\n    max_alert_users: 4\n    summary_max_rows: 1000\n"
            "output:\n  hashes: %s\n" % os.path.join(tmp, "from-config.txt"))
        p = run(b, "sessions", "--config", good, "-r", cap, "--json")
        check("detect.auth config accepted", p.returncode == 0, p.stderr)
        check("output.hashes from the config", os.path.isfile(os.path.join(tmp, "from-config.txt")), p.stderr)
        for body, key in (("detect:\n  auth:\n    brute_force_failure: 3\n", "detect.auth.brute_force_failure"),
                          ("detect:\n  auth:\n    spray_users: 0\n", "detect.auth.spray_users"),
                          ("detect:\n  auth:\n    window: -1\n", "detect.auth.window"),
                          ("detect:\n  scans: {}\n", "detect.scans")):
            bad = os.path.join(tmp, "bad.yaml")
            open(bad, "w").write(body)
            p = run(b, "sessions", "--config", bad, "-r", cap)
            check("config error names %s" % key, p.returncode == 1 and key.encode() in p.stderr,
                  (p.returncode, p.stderr))
    print("%d failed" % len(FAILED) if FAILED else "all passed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
