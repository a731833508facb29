#!/usr/bin/env python3
"""Every kind of file netsift writes, written into a shared sticky directory (like /tmp)
where another user planted links and files: a planted symbolic link is refused (exit 1,
the file named) and its target untouched; a planted file of another user or a hard link
is refused; created files never get more than rw-r--r-- whatever the umask (rw------- for
the outputs that carry credentials); --append still adds to an existing file of ours.

Usage: safe_files_test.py --bin build/netsift --examples examples
"""
import argparse, os, sqlite3, stat, subprocess, sys, tempfile

FAILED = []
NOBODY = 65534


def check(name, cond, detail=""):
    if not cond:
        FAILED.append(name)
        print("FAIL %s: %s" % (name, detail))


def run(args, umask=0o022):
    return subprocess.run(args, capture_output=True, timeout=120, preexec_fn=lambda: os.umask(umask))


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


class Shared:
    """A fresh sticky world-writable directory and a victim file outside it."""

    def __init__(self, root, name):
        self.dir = os.path.join(root, name)
        os.mkdir(self.dir)
        os.chmod(self.dir, 0o1777)
        self.victim = os.path.join(root, name + "-victim")
        with open(self.victim, "w") as f:
            f.write("keep\n")

    def path(self, name):
        return os.path.join(self.dir, name)

    def plant_link(self, name, target=None):
        p = self.path(name)
        os.symlink(target or self.victim, p)
        os.lchown(p, NOBODY, NOBODY)  # planted by another user
        return p

    def plant_file(self, name):
        p = self.path(name)
        with open(p, "w") as f:
            f.write("planted\n")
        os.chown(p, NOBODY, NOBODY)
        os.chmod(p, 0o666)
        return p

    def victim_intact(self):
        return open(self.victim, "rb").read() == b"keep\n"


def refused(p, name, what):
    """Exit 1 and the file named on stderr."""
    err = p.stderr.decode(errors="replace")
    check(what, p.returncode == 1 and name in err, (p.returncode, err[-400:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--examples", required=True)
    a = ap.parse_args()
    b = os.path.abspath(a.bin)
    cap = os.path.join(os.path.abspath(a.examples), "http-get.pcap")
    logins = os.path.join(os.path.abspath(a.examples), "ftp-vsftpd-logins.pcap")
    if os.geteuid() != 0:
        print("SKIP: needs root to plant files of another user")
        return 77
    with tempfile.TemporaryDirectory(prefix="netsift-safe-files-") as root:
        os.chmod(root, 0o755)

        # -w: a capture is replaced when it exists (as tcpdump), never through a link.
        s = Shared(root, "w")
        link = s.plant_link("cap.pcap")
        p = run([b, "packets", "-r", cap, "-q", "-w", link])
        refused(p, link, "-w refuses a planted symlink")
        check("-w leaves the link's target untouched", s.victim_intact())
        dangling = s.plant_link("new.pcap", os.path.join(root, "made-through-link"))
        p = run([b, "packets", "-r", cap, "-q", "-w", dangling])
        refused(p, dangling, "-w refuses a dangling symlink")
        check("-w creates nothing through a dangling link",
              not os.path.exists(os.path.join(root, "made-through-link")))
        planted = s.plant_file("theirs.pcap")
        p = run([b, "packets", "-r", cap, "-q", "-w", planted])
        refused(p, planted, "-w refuses a file another user planted in a shared directory")
        check("-w leaves the planted file as it was", open(planted, "rb").read() == b"planted\n")
        hard = s.path("hard.pcap")
        os.link(s.victim, hard)
        p = run([b, "packets", "-r", cap, "-q", "-w", hard])
        refused(p, hard, "-w refuses a hard link in a shared directory")
        check("-w leaves the hard link's file untouched", s.victim_intact())
        ours = s.path("ours.pcap")
        p = run([b, "packets", "-r", cap, "-q", "-w", ours], umask=0)
        check("-w writes a new capture", p.returncode == 0 and os.path.getsize(ours) > 24, p.stderr)
        check("-w capture is 0644 even with umask 0", mode(ours) == 0o644, oct(mode(ours)))
        size = os.path.getsize(ours)
        p = run([b, "packets", "-r", cap, "-q", "-w", ours])
        check("-w replaces our own capture", p.returncode == 0 and os.path.getsize(ours) == size,
              (p.returncode, p.stderr, os.path.getsize(ours), size))
        p = run([b, "packets", "-r", cap, "-q", "-w", s.path("umask.pcap")], umask=0o077)
        check("-w respects the umask", mode(s.path("umask.pcap")) == 0o600, oct(mode(s.path("umask.pcap"))))

        # --output-dir: the directory and every event file in it.
        s = Shared(root, "dir")
        victim_dir = os.path.join(root, "victim-dir")
        os.mkdir(victim_dir)
        link = s.plant_link("out", victim_dir)
        p = run([b, "sessions", "-r", cap, "--output-dir", link])
        refused(p, link, "--output-dir refuses another user's symlink in a shared directory")
        check("--output-dir writes nothing through the link", os.listdir(victim_dir) == [])
        planted_dir = s.path("theirs")
        os.mkdir(planted_dir, 0o777)
        os.chown(planted_dir, NOBODY, NOBODY)
        p = run([b, "sessions", "-r", cap, "--output-dir", planted_dir])
        refused(p, planted_dir, "--output-dir refuses another user's directory in a shared one")
        # Into the shared directory itself, appending: a planted link per kind.
        kinds = ("http.jsonl", "tcp_session.jsonl")
        for k in kinds:
            s.plant_link(k)
        p = run([b, "sessions", "-r", cap, "--output-dir", s.dir, "--append"])
        check("--output-dir --append refuses a planted event file link",
              p.returncode == 1 and any(s.path(k) in p.stderr.decode() for k in kinds),
              (p.returncode, p.stderr[-300:]))
        check("--output-dir leaves the link's target untouched", s.victim_intact())
        out = s.path("mine")
        p = run([b, "sessions", "-r", cap, "--output-dir", out], umask=0)
        files = sorted(os.listdir(out)) if os.path.isdir(out) else []
        check("--output-dir writes event files", p.returncode == 0 and files, (p.returncode, p.stderr))
        for f in files:
            check("event file %s is 0600 (credentials) with umask 0" % f,
                  mode(os.path.join(out, f)) == 0o600, oct(mode(os.path.join(out, f))))
        check("--output-dir directory is 0755 with umask 0", mode(out) == 0o755, oct(mode(out)))
        lines = {f: len(open(os.path.join(out, f)).readlines()) for f in files}
        p = run([b, "sessions", "-r", cap, "--output-dir", out, "--append"])
        again = {f: len(open(os.path.join(out, f)).readlines()) for f in files}
        check("--output-dir --append adds to our files",
              p.returncode == 0 and all(again[f] == 2 * lines[f] for f in files), (p.stderr, lines, again))
        red = s.path("redacted")
        p = run([b, "sessions", "-r", cap, "--output-dir", red, "--redact"], umask=0)
        for f in sorted(os.listdir(red)) if os.path.isdir(red) else []:
            check("--redact event file %s is 0644" % f, mode(os.path.join(red, f)) == 0o644,
                  oct(mode(os.path.join(red, f))))

        # --sqlite (sessions): the database and its -wal/-shm companions.
        s = Shared(root, "sqlite")
        link = s.plant_link("events.db")
        p = run([b, "sessions", "-r", cap, "--sqlite", link])
        refused(p, link, "--sqlite refuses a planted symlink")
        check("--sqlite leaves the link's target untouched", s.victim_intact())
        empty = os.path.join(root, "empty-victim")  # SQLite would make an empty file a database
        open(empty, "w").close()
        link = s.plant_link("empty.db", empty)
        p = run([b, "sessions", "-r", cap, "--sqlite", link])
        refused(p, link, "--sqlite refuses a planted symlink to an empty file")
        check("--sqlite leaves the empty file empty", os.path.getsize(empty) == 0)
        db = s.path("ours.db")
        wal = s.plant_link("ours.db-wal")
        p = run([b, "sessions", "-r", cap, "--sqlite", db])
        refused(p, wal, "--sqlite refuses a planted -wal symlink")
        check("--sqlite leaves the -wal link's target untouched", s.victim_intact())
        planted = s.plant_file("theirs.db")
        p = run([b, "sessions", "-r", cap, "--sqlite", planted])
        refused(p, planted, "--sqlite refuses another user's file in a shared directory")
        db = s.path("good.db")
        p = run([b, "sessions", "-r", cap, "--sqlite", db], umask=0)
        check("--sqlite writes a database", p.returncode == 0, p.stderr)
        check("--sqlite database is 0600 (credentials) with umask 0", mode(db) == 0o600, oct(mode(db)))
        rows = sqlite3.connect(db).execute("select count(*) from events").fetchone()[0]
        p = run([b, "sessions", "-r", cap, "--sqlite", db, "--append"])
        rows2 = sqlite3.connect(db).execute("select count(*) from events").fetchone()[0]
        check("--sqlite --append adds to our database", p.returncode == 0 and rows2 == 2 * rows > 0,
              (p.stderr, rows, rows2))
        for extra in ("-wal", "-shm"):
            if os.path.exists(db + extra):
                check("%s is 0600" % extra, mode(db + extra) == 0o600, oct(mode(db + extra)))

        # stats --sqlite.
        s = Shared(root, "stats")
        link = s.plant_link("stats.db", empty)
        p = run([b, "stats", "-r", cap, "--sqlite", link])
        refused(p, link, "stats --sqlite refuses a planted symlink")
        check("stats --sqlite leaves the link's target untouched", os.path.getsize(empty) == 0)
        db = s.path("ours.db")
        shm = s.plant_link("ours.db-shm")
        p = run([b, "stats", "-r", cap, "--sqlite", db])
        refused(p, shm, "stats --sqlite refuses a planted -shm symlink")
        check("stats --sqlite leaves the -shm link's target untouched", s.victim_intact())
        db = s.path("good.db")
        p = run([b, "stats", "-r", cap, "--sqlite", db], umask=0)
        check("stats --sqlite writes a database", p.returncode == 0, p.stderr)
        check("stats database is 0644 with umask 0", mode(db) == 0o644, oct(mode(db)))

        # --hashes: secrets, 0600, always a new file unless --append.
        s = Shared(root, "hashes")
        link = s.plant_link("hashes.txt")
        p = run([b, "sessions", "-r", logins, "--hashes", link, "--append"])
        refused(p, link, "--hashes --append refuses a planted symlink")
        check("--hashes leaves the link's target untouched", s.victim_intact())
        planted = s.plant_file("theirs.txt")
        p = run([b, "sessions", "-r", logins, "--hashes", planted, "--append"])
        refused(p, planted, "--hashes --append refuses another user's file")
        h = s.path("mine.txt")
        p = run([b, "sessions", "-r", logins, "--hashes", h], umask=0)
        check("--hashes writes", p.returncode == 0 and os.path.exists(h), p.stderr)
        check("--hashes file is 0600 with umask 0", os.path.exists(h) and mode(h) == 0o600)

        # --extract-files: the directory, the bodies and their sidecars.
        s = Shared(root, "extract")
        victim_dir = os.path.join(root, "victim-extract")
        os.mkdir(victim_dir)
        link = s.plant_link("files", victim_dir)
        p = run([b, "sessions", "-r", cap, "--json", "--extract-files", link])
        refused(p, link, "--extract-files refuses another user's symlink in a shared directory")
        check("--extract-files writes nothing through the link", os.listdir(victim_dir) == [])
        files = s.path("mine")
        p = run([b, "sessions", "-r", cap, "--json", "--extract-files", files], umask=0)
        names = os.listdir(files) if os.path.isdir(files) else []
        check("--extract-files writes bodies and sidecars",
              p.returncode == 0 and any(n.endswith(".json") for n in names), (p.returncode, names))
        for n in names:
            check("extracted %s is 0644 with umask 0" % n, mode(os.path.join(files, n)) == 0o644,
                  oct(mode(os.path.join(files, n))))
        open_dir = os.path.join(root, "open")
        os.mkdir(open_dir)
        os.chmod(open_dir, 0o777)
        p = run([b, "sessions", "-r", cap, "--extract-files", open_dir])
        refused(p, open_dir, "--extract-files refuses a world-writable directory without the sticky bit")

    if FAILED:
        print("%d check(s) failed" % len(FAILED))
        return 1
    print("all safe-file checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
