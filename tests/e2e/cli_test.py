#!/usr/bin/env python3
"""Command-line behaviour of netsift: exit codes, -r/-c/-w, stdin, BPF filters,
asset filters, damaged files, several inputs. Runs against the bundled examples.

Usage: cli_test.py --bin build/netsift --examples examples
Prints 'N passed, M failed' and exits non-zero on any failure.
"""
import argparse, gzip, json, os, re, shutil, sqlite3, struct, subprocess, sys, tempfile

RESULTS = []


def check(name, cond, detail=""):
    RESULTS.append((name, bool(cond), detail))
    if not cond:
        print(f"FAIL {name}: {detail}")


def run(binary, *args, stdin=None):
    return subprocess.run([binary, *args], capture_output=True, input=stdin, timeout=120)


def events(p):
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def udp_capture(path, count, payload=100):
    """A pcap of `count` UDP datagrams 10.0.0.1:5000 -> 10.0.0.2:6000 (Ethernet)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(count):
            data = bytes((i + j) & 0xFF for j in range(payload))
            udp = struct.pack("!HHHH", 5000, 6000, 8 + len(data), 0) + data
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                             bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
            frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp
            f.write(struct.pack("<IIII", 1000 + i, 0, len(frame), len(frame)) + frame)


def write_pcap(path, linktype, frames):
    """frames: [(seconds as float, bytes)]"""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for ts, frame in frames:
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int(round((ts - sec) * 1e6)), len(frame), len(frame)) + frame)


def ipv4_tcp(src, dst, sport, dport, seq, ack, flags, data=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, bytes(src), bytes(dst))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp


def summary_flows(stderr):
    line = [l for l in stderr.decode().splitlines() if "TCP session" in l][0]
    return line


def flow_tests(b, ex, tmp):
    """Issue 7 items 10, 12, 13, 14: flow expiry follows the capture, several files are
    separate captures, session filters on protocol events, cut and unknown frames,
    conflicting overlaps."""
    http = os.path.join(ex, "http-get.pcap")
    reasm = os.path.join(ex, "tcp-reassembly.pcap")

    def sessions(*args):
        p = run(b, "sessions", "--json", *args)
        return p, [(e["src_port"], e["state"], e["bytes_to_server"], e["bytes_to_client"], e["gap_bytes"])
                   for e in events(p) if e["event"] == "tcp_session"]

    _, alone = sessions("-r", reasm)
    _, http_alone = sessions("-r", http)
    _, ab = sessions("-r", http, "-r", reasm)
    _, ba = sessions("-r", reasm, "-r", http)
    check("several -r files: results do not depend on their order",
          sorted(ab) == sorted(ba) == sorted(alone + http_alone) and len(alone) == 1, (ab, ba, alone))
    if shutil.which("mergecap"):
        spliced = os.path.join(tmp, "spliced.pcap")
        subprocess.run(["mergecap", "-a", "-w", spliced, http, reasm], check=True)  # 2013, then 2004
        _, sp = sessions("-r", spliced)
        check("one file spliced back in time: conversations stay whole", sorted(sp) == sorted(alone + http_alone), sp)
    # One datagram stamped a day ahead in a steady UDP flow does not expire the flow.
    frames = []
    for i in range(300):
        ts = 1000 + i * 0.001
        if i == 150:
            ts += 86400
        udp = struct.pack("!HHHH", 5000, 6000, 12, 0) + b"ping"
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        frames.append((ts, b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp))
    outlier = os.path.join(tmp, "outlier.pcap")
    write_pcap(outlier, 1, frames)
    p = run(b, "sessions", "-r", outlier, "--no-udp")
    check("a lone packet's jump ahead does not expire flows", b"1 UDP flow," in p.stderr, p.stderr)
    # A capture rotated into two files: separate captures unless --one-capture.
    if shutil.which("editcap"):
        part1, part2 = os.path.join(tmp, "rot1.pcap"), os.path.join(tmp, "rot2.pcap")
        subprocess.run(["editcap", "-r", http, part1, "1-7"], check=True)
        subprocess.run(["editcap", "-r", http, part2, "8-14"], check=True)
        _, split = sessions("-r", part1, "-r", part2)
        _, joined = sessions("-r", part1, "-r", part2, "--one-capture")
        check("rotated files are separate captures by default",
              len(split) == 2 and split[0][1] == "end_of_input", split)
        check("--one-capture continues flows across files", joined == http_alone, (joined, http_alone))

    # Item 12: session filters select protocol events too.
    dns = os.path.join(ex, "ipv6-fragmented-dns.pcap")
    p = run(b, "sessions", "-r", dns, "--json", "--udp-ip", "10.0.0.1")
    check("--udp-ip drops other flows' dns events", p.returncode == 0 and not events(p), events(p)[:1])
    server = [e for e in events(run(b, "sessions", "-r", dns, "--json")) if e["event"] == "dns"][0]["dst_ip"]
    p = run(b, "sessions", "-r", dns, "--json", "--udp-ip", server)
    check("--udp-ip keeps its flows' dns events", len([e for e in events(p) if e["event"] == "dns"]) == 5, p.stderr)
    c, s_ = [10, 0, 0, 1], [10, 0, 0, 2]
    banner_c, banner_s = b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n", b"SSH-2.0-OpenSSH_9.2\r\n"
    ssh = os.path.join(tmp, "ssh.pcap")
    write_pcap(ssh, 1, [
        (1.0, ipv4_tcp(c, s_, 40000, 22, 100, 0, 0x02)),
        (1.1, ipv4_tcp(s_, c, 22, 40000, 500, 101, 0x12)),
        (1.2, ipv4_tcp(c, s_, 40000, 22, 101, 501, 0x10)),
        (1.3, ipv4_tcp(s_, c, 22, 40000, 501, 101, 0x18, banner_s)),
        (1.4, ipv4_tcp(c, s_, 40000, 22, 101, 501 + len(banner_s), 0x18, banner_c)),
    ])
    kinds = [e["event"] for e in events(run(b, "sessions", "-r", ssh, "--json"))]
    check("ssh exchange yields an ssh event", "ssh" in kinds, kinds)
    kinds = [e["event"] for e in events(run(b, "sessions", "-r", ssh, "--json", "--tcp-dst-port", "80"))]
    check("--tcp-dst-port 80 drops the ssh event on port 22", kinds == [], kinds)

    # Item 13: a frame cut inside the IPv4 header; a link type netsift does not decode.
    full = ipv4_tcp(c, s_, 1, 2, 0, 0, 0x02)
    cut = os.path.join(tmp, "cut-ip.pcap")
    write_pcap(cut, 1, [(1.0, full[:14 + 8])])
    ev = events(run(b, "packets", "-r", cut, "--json"))
    check("IPv4 cut before its protocol byte: proto unknown", ev and ev[0]["proto"] == "unknown", ev)
    odd = os.path.join(tmp, "linktype147.pcap")
    write_pcap(odd, 147, [(1.0, b"\x01\x02\x03\x04")])
    p = run(b, "packets", "-r", odd)
    check("unsupported link type is not printed as [ETHER]", p.stdout.startswith(b"[LINK]")
          and b"linktype=147" in p.stdout and b"link.unsupported_linktype" in p.stdout, p.stdout)

    # Item 14: GOOD then EVIL at the same sequence number.
    s = [e for e in events(run(b, "sessions", "-r", os.path.join(ex, "tcp-overlap.pcap"), "--json"))
         if e["event"] == "tcp_session"]
    check("differing retransmitted bytes are a conflicting overlap",
          len(s) == 1 and s[0]["conflicting_overlaps"] >= 1, s)


def output_tests(b, ex, tmp):
    """Issue 7 items 1 and 5: outputs that cannot be written, and existing outputs."""
    http = os.path.join(ex, "http-get.pcap")
    dns = os.path.join(ex, "ipv6-fragmented-dns.pcap")
    afile = os.path.join(tmp, "afile")
    open(afile, "w").close()
    p = run(b, "sessions", "-r", http, "--output-dir", afile)
    check("--output-dir on a file: rc 1 naming it", p.returncode == 1 and b"afile: exists and is not a directory" in p.stderr,
          (p.returncode, p.stderr))
    notdb = os.path.join(tmp, "notdb.db")
    shutil.copy(os.path.join(ex, "README.md"), notdb)
    p = run(b, "sessions", "-r", http, "--sqlite", notdb)
    check("--sqlite on a non-database: rc 1 naming it", p.returncode == 1 and b"notdb.db: file is not a database" in p.stderr,
          (p.returncode, p.stderr))
    d = os.path.join(tmp, "kinddir")
    os.makedirs(os.path.join(d, "dns.jsonl"))
    p = run(b, "sessions", "-r", dns, "--output-dir", d, "--append")
    check("event file that is a directory: rc 1 naming it",
          p.returncode == 1 and b"dns.jsonl: cannot open: Is a directory" in p.stderr, (p.returncode, p.stderr))
    p = subprocess.run(f"'{b}' packets -r '{http}' > /dev/full", shell=True, capture_output=True)
    check("stdout on a full device: rc 1 with the cause", p.returncode == 1
          and b"standard output: write failed: No space left on device" in p.stderr, (p.returncode, p.stderr))
    # The stats text report (and the report of a `run` with a stats job) too: it was
    # written past the checked output, so a full device went unnoticed (exit 0).
    for cmd in (["stats", "-r", http, "--no-sqlite"], ["stats", "-r", http, "--no-sqlite", "--json"]):
        p = subprocess.run(" ".join(f"'{a}'" for a in [b, *cmd]) + " > /dev/full", shell=True,
                           capture_output=True)
        check(f"{' '.join(cmd[:1] + cmd[3:])} on a full device: rc 1 with the cause",
              p.returncode == 1 and b"standard output: write failed: No space left on device"
              in p.stderr, (p.returncode, p.stderr))
    cfg = os.path.join(tmp, "run-stats.yaml")
    with open(cfg, "w") as f:
        f.write(f"input:\n  pcap_file: {http}\njobs:\n  tcp: false\n  udp: false\n"
                "stats:\n  sqlite: false\n  geoip: false\n")
    p = subprocess.run(f"'{b}' run --config '{cfg}' > /dev/full", shell=True, capture_output=True)
    check("run with a stats job on a full device: rc 1 with the cause", p.returncode == 1
          and b"standard output: write failed: No space left on device" in p.stderr, (p.returncode, p.stderr))
    p = run(b, "packets", "-r", http, "-q", "-w", "/dev/full")
    check("-w on a full device: rc 1 with the cause", p.returncode == 1
          and b"/dev/full: write failed: No space left on device" in p.stderr, (p.returncode, p.stderr))
    # A small full filesystem (root: a private mount namespace with a 256 KiB tmpfs).
    if os.geteuid() == 0 and shutil.which("unshare"):
        many = os.path.join(tmp, "many.pcap")
        udp_capture(many, 4000)
        mnt = os.path.join(tmp, "small")
        os.makedirs(mnt)
        script = (f"mount -t tmpfs -o size=256k none '{mnt}' && "
                  f"'{b}' sessions -r '{many}' --output-dir '{mnt}/out' > /dev/null; echo dir=$?; "
                  f"rm -rf '{mnt}/out'; '{b}' sessions -r '{many}' --sqlite '{mnt}/e.db' > /dev/null; echo db=$?; "
                  f"ls -l '{mnt}'")
        p = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, timeout=120)
        out = p.stdout.decode()
        check("--output-dir on a full filesystem: rc 1, names the file and the cause",
              "dir=1" in out and b"udp.jsonl: write failed: No space left on device" in p.stderr, (out, p.stderr))
        check("--sqlite on a full filesystem: rc 1 with the cause",
              "db=1" in out and b"e.db: " in p.stderr and b"full" in p.stderr, (out, p.stderr))
    else:
        print("skip full-filesystem checks (needs root and unshare)")

    outdir = os.path.join(tmp, "again")
    db = os.path.join(tmp, "again.db")
    p = run(b, "sessions", "-r", dns, "--output-dir", outdir, "--sqlite", db, "--json")
    first = len(events(p))
    check("first run into new outputs", p.returncode == 0 and first == 10, (p.returncode, first, p.stderr))
    p = run(b, "sessions", "-r", dns, "--output-dir", outdir)
    check("second run into the same --output-dir is refused", p.returncode == 1
          and b"already holds event files" in p.stderr and b"--append" in p.stderr, (p.returncode, p.stderr))
    p = run(b, "sessions", "-r", dns, "--sqlite", db)
    check("second run into the same --sqlite is refused", p.returncode == 1
          and b"already holds 10 events" in p.stderr, (p.returncode, p.stderr))
    rows = sqlite3.connect(db).execute("select count(*) from events").fetchone()[0]
    check("a refused run leaves the database as it was", rows == 10, rows)
    p = run(b, "sessions", "-r", dns, "--output-dir", outdir, "--sqlite", db, "--append")
    rows = sqlite3.connect(db).execute("select count(*) from events").fetchone()[0]
    with open(os.path.join(outdir, "dns.jsonl")) as f:
        lines = len(f.readlines())
    check("--append adds to both", p.returncode == 0 and rows == 20 and lines == 10, (p.returncode, rows, lines))


def capture_tests(b, ex, tmp):
    """Issue 7 items 3, 4, 9, 16 (files): -w -, -w from mixed link types, BPF per link type,
    gzip, directories."""
    http = os.path.join(ex, "http-get.pcap")
    p = subprocess.run([b, "packets", "-r", http, "-w", "-"], capture_output=True)
    check("-w - : stdout is the capture only", p.returncode == 0 and p.stdout[:4] == b"\x4d\x3c\xb2\xa1", p.stdout[:40])
    back = run(b, "packets", "-r", "-", "--json", stdin=p.stdout)
    check("-w - : the capture reads back whole", back.returncode == 0 and len(events(back)) == 14, back.stderr)
    if shutil.which("tcpdump"):
        t = subprocess.run(["tcpdump", "-nr", "-"], input=p.stdout, capture_output=True)
        check("-w - : tcpdump reads it", t.returncode == 0 and len(t.stdout.splitlines()) == 14, t.stderr)

    if shutil.which("mergecap"):
        mixed = os.path.join(tmp, "mixed.pcapng")
        inputs = [os.path.join(ex, n) for n in ("sll-linuxsll-arp.pcap", "http-get.pcap", "rawip-payload-syn.pcap")]
        subprocess.run(["mergecap", "-F", "pcapng", "-w", mixed, *inputs], check=True)
        want = len(events(run(b, "packets", "-r", mixed, "--json")))
        out = os.path.join(tmp, "mixed-copy")
        p = run(b, "packets", "-r", mixed, "-q", "-w", out)
        got = events(run(b, "packets", "-r", out, "--json"))
        orig = events(run(b, "packets", "-r", mixed, "--json"))
        check("-w from mixed link types keeps every frame (pcapng)", p.returncode == 0 and len(got) == want
              and sorted(e["linktype"] for e in got) == sorted(e["linktype"] for e in orig)
              and [e["ts"] for e in got] == [e["ts"] for e in orig], (p.returncode, len(got), want, p.stderr))
        if shutil.which("tshark"):
            t = subprocess.run(["tshark", "-r", out], capture_output=True)
            check("-w pcapng reads in tshark", t.returncode == 0 and len(t.stdout.splitlines()) == want, t.stderr[:200])
        p = run(b, "packets", "-r", http, "-q", "-w", os.path.join(tmp, "x.pcapng"))
        with open(os.path.join(tmp, "x.pcapng"), "rb") as f:
            check("-w NAME.pcapng writes pcapng", f.read(4) == b"\x0a\x0d\x0d\x0a")

    p = run(b, "packets", "-r", os.path.join(ex, "rawip-payload-syn.pcap"), "tcp")
    check("BPF on raw IP (LINKTYPE_RAW -> DLT_RAW)", p.returncode == 0 and len(p.stdout.splitlines()) == 6, p.stderr)
    p = run(b, "packets", "-r", os.path.join(ex, "null-http-connect-with-header.pcap"), "tcp")
    check("BPF on BSD loopback (BSD AF_INET6 values)", p.returncode == 0 and len(p.stdout.splitlines()) == 58, p.stderr)
    p = run(b, "packets", "-r", os.path.join(ex, "nflog-http.pcap"), "tcp")
    check("BPF that cannot apply to NFLOG says so, rc 1", p.returncode == 1
          and b"cannot be applied" in p.stderr and b"NFLOG" in p.stderr, (p.returncode, p.stderr))

    gz = os.path.join(tmp, "http.pcap.gz")
    with open(http, "rb") as f, gzip.open(gz, "wb") as g:
        g.write(f.read())
    plain = run(b, "packets", "-r", http, "--json").stdout
    p = run(b, "packets", "-r", gz, "--json")
    check("gzip-compressed capture", p.returncode == 0 and p.stdout == plain, p.stderr)
    with open(gz, "rb") as f:
        p = run(b, "packets", "-r", "-", "--json", stdin=f.read())
    check("gzip-compressed stdin", p.returncode == 0 and p.stdout == plain, p.stderr)
    with open(gz, "rb") as f:
        cut = f.read()[:-40]
    with open(gz + ".cut", "wb") as f:
        f.write(cut)
    p = run(b, "packets", "-r", gz + ".cut", "--json")
    check("cut gzip: rc 2 naming the cause", p.returncode == 2 and b"gzip data ends early" in p.stderr, p.stderr)
    p = run(b, "packets", "-r", ex)
    check("a directory given to -r is named as such", p.returncode == 1 and b"is a directory" in p.stderr, p.stderr)


def pipe_tests(b, ex, tmp):
    """Issue 7 items 7 and 8 on files: a closed pipe stops the run quietly; -l writes each
    packet at once."""
    big = os.path.join(tmp, "big.pcap")
    udp_capture(big, 20000)
    p = subprocess.run(f"'{b}' packets -r '{big}' | head -1 > /dev/null; echo ${{PIPESTATUS[0]}}",
                       shell=True, executable="/bin/bash", capture_output=True, timeout=60)
    check("closed pipe: rc 0, quiet", p.stdout.strip() == b"0" and p.stderr == b"", (p.stdout, p.stderr))
    p = subprocess.run(f"'{b}' packets -r '{big}' -w - | head -c 100 > /dev/null; echo ${{PIPESTATUS[0]}}",
                       shell=True, executable="/bin/bash", capture_output=True, timeout=60)
    check("closed pipe under -w -: rc 0, quiet", p.stdout.strip() == b"0" and p.stderr == b"", (p.stdout, p.stderr))
    # -l: with the input still open, the first packet's line is already out.
    with open(os.path.join(ex, "http-get.pcap"), "rb") as f:
        data = f.read()
    first = 24 + 16 + struct.unpack("<I", data[24 + 8:24 + 12])[0]
    for flags, want in ((["-l"], True), ([], False)):
        proc = subprocess.Popen([b, "packets", "-r", "-", "-q", *flags], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdin.write(data[:first])
        proc.stdin.flush()
        import select
        ready = select.select([proc.stdout], [], [], 2)[0]
        line = proc.stdout.readline() if ready else b""
        proc.stdin.close()
        proc.wait(timeout=10)
        check(f"packets {' '.join(flags) or 'without -l'}: first line {'at once' if want else 'buffered'}",
              bool(line) == want and (not want or b" TCP 141.142.228.5:59856 > " in line), line)


def progress_tests(b, ex, tmp):
    """Issue 7 item 18: progress goes to a terminal only when stdout is not that terminal,
    and counts the frames of the file it names."""
    import pty
    big = os.path.join(tmp, "progress.pcap")
    udp_capture(big, 70000, payload=8)  # progress is considered every 65536 frames
    http = os.path.join(ex, "http-get.pcap")

    def stderr_on_tty(stdout_to_tty):
        master, slave = pty.openpty()
        out = slave if stdout_to_tty else subprocess.DEVNULL
        proc = subprocess.Popen([b, "packets", "-q", "-r", http, "-r", big], stdout=out, stderr=slave)
        os.close(slave)
        data = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        proc.wait(timeout=60)
        os.close(master)
        return data

    shown = stderr_on_tty(False)
    check("progress on a terminal names the file and counts its frames",
          b"[2/2] " in shown and b"progress.pcap" in shown and b"(65536 frames)" in shown, shown[-300:])
    shared = stderr_on_tty(True)
    check("no progress line when stdout is the same terminal", b"\x1b[K" not in shared, shared[-300:])


def usage_tests(b, ex, tmp):
    """Issue 7 items 11, 15, 16, 18: one validation path, exit status 64, tcpdump flags."""
    http = os.path.join(ex, "http-get.pcap")
    bad_cli = [
        (["sessions", "--tcp-dst-ip", "banana"], b"--tcp-dst-ip: 'banana' is not an IP address"),
        (["sessions", "--udp-ip", "1.2.3.999"], b"--udp-ip: '1.2.3.999' is not an IP address"),
        (["sessions", "--tcp-timeout", "-5"], b"--tcp-timeout: '-5' is not a positive number of seconds"),
        (["sessions", "--max-flows", "0"], b"--max-flows: '0' is not a positive whole number"),
        (["packets", "--data-max", "-1"], b"--data-max: '-1' is not a whole number"),
        (["packets", "-c", "0"], b"--count: '0' is not a positive whole number"),
        (["packets", "-c", "-1"], b"--count: '-1' is not a positive whole number"),
        (["packets", "-c", "99999999999999999999"], b"--count: '99999999999999999999' is too large"),
        (["sessions", "--tcp-dst-port", "70000"], b"--tcp-dst-port: '70000' is not a port number"),
        (["sessions", "--data-level", "3"], b"--data-level: '3' is not one of 0, 1, 2"),
        (["packets", "--host", "1.2.3.999"], b"--host: '1.2.3.999' is not an IP address"),
        (["stats", "--top", "0"], b"--top: '0' is not a positive whole number"),
        (["sessions", "--workers", "0"], b"--workers: '0' is not a number of workers (auto, or 1-256)"),
    ]
    for args, msg in bad_cli:
        p = run(b, args[0], "-r", http, *args[1:])
        check(f"bad value {' '.join(args[1:])}: rc 64 and the reason", p.returncode == 64 and msg in p.stderr,
              (p.returncode, p.stderr))
    # The config file rejects the same values with the same reasons.
    cfg = os.path.join(tmp, "values.yaml")
    for body, msg in [("filters:\n  tcp:\n    dst_ips: [banana]\n", b"'banana' is not an IP address"),
                      ("limits:\n  tcp_timeout: -5\n", b"'-5' is not a positive number of seconds"),
                      ("limits:\n  max_flows: 0\n", b"'0' is not a positive whole number"),
                      ("filters:\n  udp:\n    ports: [70000]\n", b"'70000' is not a port number"),
                      ("engine:\n  workers: banana\n", b"'banana' is not a number of workers")]:
        with open(cfg, "w") as f:
            f.write(body)
        p = run(b, "sessions", "-r", http, "--config", cfg)
        check(f"config rejects it too: {body.strip()!r}", p.returncode == 1 and msg in p.stderr, p.stderr)

    # Item 17: duplicate keys, paths relative to the config file.
    with open(cfg, "w") as f:
        f.write("output:\n  json: true\n  utc: true\n  json: false\n")
    p = run(b, "sessions", "-r", http, "--config", cfg)
    check("a YAML key given twice is an error", p.returncode == 1
          and b"'output.json' is given twice (lines 2 and 4)" in p.stderr, p.stderr)
    cdir = os.path.join(tmp, "cfgdir")
    os.makedirs(cdir)
    shutil.copy(http, os.path.join(cdir, "in.pcap"))
    with open(os.path.join(cdir, "c.yaml"), "w") as f:
        f.write("input:\n  pcap_file: in.pcap\noutput:\n  stdout: false\n  directory: out\n  sqlite: ev.db\n")
    elsewhere = os.path.join(tmp, "elsewhere")
    os.makedirs(elsewhere)
    p = subprocess.run([b, "run", "--config", os.path.join(cdir, "c.yaml")], capture_output=True, cwd=elsewhere)
    check("config paths are relative to the config file", p.returncode == 0
          and os.path.exists(os.path.join(cdir, "out", "tcp_session.jsonl"))
          and os.path.exists(os.path.join(cdir, "ev.db")) and not os.listdir(elsewhere),
          (p.returncode, p.stderr))

    p = run(b, "packets")
    check("no input exits 64", p.returncode == 64 and b"-r FILE" in p.stderr, p.stderr)
    p = run(b, "packets", "-r", http, "-i", "lo")
    check("-r with -i exits 64", p.returncode == 64 and b"not both" in p.stderr, p.stderr)
    # --fanout needs one live device and one reader of each socket's output.
    for args, msg in (((("-r", http)), b"needs -i IFACE"), (("-i", "any"), b"not 'any'"),
                      (("-i", "lo", "-w", os.path.join(tmp, "f.pcap")), b"-w does not combine"),
                      (("-i", "lo", "--ordered"), b"--ordered needs one reader")):
        p = run(b, "sessions", "--fanout", *args)
        check(f"sessions --fanout {' '.join(args[:2])}: 64 and why", p.returncode == 64 and msg in p.stderr,
              p.stderr)
    p = run(b, "packets", "-i", "lo", "--fanout")
    check("packets has no --fanout", p.returncode == 64 and b"--fanout" in p.stderr, p.stderr)
    p = run(b, "frobnicate")
    check("unknown command named, 64", p.returncode == 64 and b"unknown command 'frobnicate'" in p.stderr, p.stderr)
    # tcpdump habit: no command, options first -> packets (same bytes, filter included).
    p = run(b, "-r", http, "-c", "3", "tcp", "port", "80")
    q = run(b, "packets", "-r", http, "-c", "3", "tcp", "port", "80")
    check("no command with -r runs packets", p.returncode == 0 and p.stdout == q.stdout
          and p.stdout.count(b"\n") == 3, p.stderr)
    p = run(b, "-nn", "-r", http, "-c", "1")
    check("no command with -nn first runs packets", p.returncode == 0 and p.stdout.count(b"\n") == 1,
          p.stderr)
    p = run(b, "-r", http, "--nosuch")
    check("no command, bad option: packets names it, 64", p.returncode == 64 and b"--nosuch" in p.stderr,
          p.stderr)
    p = run(b, "--workers", "2", "-r", http)
    check("no command, a long option first: a command is required, 64",
          p.returncode == 64 and b"a command comes first" in p.stderr, p.stderr)
    p = run(b)
    check("nothing at all: usage, 64", p.returncode == 64, p.stderr)
    p = run(b, "--help")
    check("top-level help names the tcpdump habit", b"runs `packets`" in p.stdout.replace(b"\n", b" "), p.stdout)
    p = run(b, "--help")
    check("top-level help promises no missing subcommand", b"statistics" not in p.stdout or b" stats " in p.stdout, p.stdout)
    for sub in ("packets", "sessions", "stats", "run"):
        p = run(b, sub, "--help")
        check(f"{sub} --help shows no CLI11 internals", p.returncode == 0 and b"{false}" not in p.stdout
              and b"INT" not in p.stdout and b"TEXT" not in p.stdout, p.stdout)

    hexed = run(b, "packets", "-r", http, "--hex").stdout
    p = run(b, "packets", "-r", http, "-X")
    check("-X is --hex", p.returncode == 0 and p.stdout == hexed and b"0x0000:" in p.stdout)
    p = run(b, "packets", "-r", http, "-A")
    check("-A shows the whole payload", p.returncode == 0 and b"User-Agent: Wget/1.14 (darwin12.2.0)" in p.stdout, p.stdout[:300])
    p = run(b, "packets", "-r", http, "-t")
    check("-t drops the timestamp", p.returncode == 0 and p.stdout.startswith(b"[TCP]\t141.142.228.5:59856"), p.stdout[:100])
    p = run(b, "packets", "-r", http, "-t", "-q")
    check("-t -q drops the timestamp", p.returncode == 0 and p.stdout.startswith(b"TCP 141.142.228.5:59856 >"), p.stdout[:100])
    p = run(b, "packets", "-r", http, "-tttt", "-q", "--utc", "-c", "1")
    check("-tttt -q shows the calendar time, as tcpdump -tttt", p.returncode == 0
          and p.stdout == b"2013-03-07 21:42:06.869344 TCP 141.142.228.5:59856 > 192.150.187.43:80 len=0\n",
          p.stdout[:100])
    p = run(b, "-r", http, "-ttq", "-c", "1")
    check("-tt -q keeps the epoch", p.returncode == 0 and p.stdout.startswith(b"1362692526.869344 TCP "),
          p.stdout[:100])
    p = run(b, "packets", "-r", http, "-e", "-n", "-l", "-v", "--json")
    check("-e -n -l -v accepted", p.returncode == 0 and len(events(p)) == 14, p.stderr)
    p = run(b, "packets", "-r", http, "-S")
    check("tcpdump flag that does not apply says why, rc 64",
          p.returncode == 64 and b"tcpdump's -S does not apply" in p.stderr, p.stderr)

    p = run(b, "sessions", "-r", http)
    check("summary counts in the singular", b"1 TCP session," in p.stderr and b"0 UDP flows" in p.stderr, p.stderr)
    p = run(b, "packets", "-r", http, "--host", "10.9.9.9")
    check("frames dropped by --host are not 'decoded cleanly'",
          b"14 frames read, 0 decoded cleanly, 0 malformed, 14 filtered out" in p.stderr, p.stderr)


def new_user_tests(b, ex, tmp):
    """What a new user met: one-line errors naming the help, tcpdump's -t counts, config
    errors with their line and cause, a text file given as a capture."""
    http = os.path.join(ex, "http-get.pcap")

    def one_line(p):
        return p.stderr.count(b"\n") == 1 and p.stderr.startswith(b"netsift: ")

    # Every option a command's --help lists is in the man page under one of its names
    # (--max-session-data and --max-session-data-total were not).
    man_path = os.path.join(ex, "..", "docs", "netsift.1")
    if os.path.exists(man_path):
        with open(man_path) as f:
            man = f.read().replace("\\-", "-")
        missing = []
        for cmd in ("packets", "sessions", "stats", "run"):
            for line in run(b, cmd, "--help").stdout.decode().splitlines():
                names = line.strip().split(" ")[0].split(",")
                if not names[0].startswith("-") or "--help" in names:
                    continue
                if not any(re.search(re.escape(n) + r"(?![\w-])", man) for n in names):
                    missing.append(f"{cmd} {names}")
        check("every option of --help is in the man page", not missing, missing)

    p = run(b, "sessions", "-r", http, "--bogus")
    check("unknown option: one line naming it and the help, 64", p.returncode == 64 and one_line(p)
          and b"unknown option --bogus (see netsift sessions --help)" in p.stderr, p.stderr)
    p = run(b, "packets", "-r", http, "-c", "abc")
    check("bad value: one line, 64", p.returncode == 64 and one_line(p)
          and b"--count: 'abc' is not a positive whole number" in p.stderr, p.stderr)
    p = run(b, "run")
    check("run without --config: one line, 64", p.returncode == 64 and one_line(p)
          and b"--config is required" in p.stderr, p.stderr)
    for args in (["--bogus"], []):
        p = run(b, *args)
        check(f"no command {args}: one line naming the commands, 64", p.returncode == 64 and one_line(p)
              and b"packets, sessions" in p.stderr, p.stderr)
    # -t counts as in tcpdump: -t none, -tt/-tttt the (epoch and calendar) time, -ttt refused.
    plain = run(b, "packets", "-r", http, "-c", "2").stdout
    for flag in ("-tt", "-tttt"):
        p = run(b, "-r", http, "-c", "2", flag)
        check(f"{flag} keeps the timestamp", p.returncode == 0 and p.stdout == plain, p.stdout[:120])
    p = run(b, "-r", http, "-c", "2", "-ttt")
    check("-ttt (deltas) is refused with the reason, 64", p.returncode == 64 and one_line(p)
          and b"tcpdump's -ttt (time between packets) does not apply" in p.stderr, p.stderr)
    for args, flag in ((["-Q", "in"], b"-Q"), (["--time-stamp-precision=nano"], b"--time-stamp-precision"),
                       (["-d"], b"-d"), (["--nano"], b"--nano"), (["-V", "list.txt"], b"-V"),
                       (["--direction=in"], b"--direction")):
        p = run(b, "-r", http, *args)
        check(f"tcpdump's {args[0]} is refused with the reason", p.returncode == 64 and one_line(p)
              and b"tcpdump's " + flag + b" does not apply to netsift: " in p.stderr, p.stderr)
    # tcpdump's long spellings of -s and --immediate.
    p = run(b, "-r", http, "-c", "1", "--snapshot-length=0", "--immediate-mode")
    check("--snapshot-length and --immediate-mode are accepted", p.returncode == 0, p.stderr)
    p = run(b, "-r", http, "-c", "2", "-vv")
    check("-vv is -v", p.returncode == 0 and p.stdout.count(b"\n") == 2, p.stderr)

    cfg = os.path.join(tmp, "newuser.yaml")
    with open(cfg, "w") as f:
        f.write("engine:\n  workers: 2\n  wrokers: 3\n")
    p = run(b, "sessions", "-r", http, "--config", cfg)
    check("config: an unknown key names its line", p.returncode == 1 and one_line(p)
          and b"unknown key 'engine.wrokers' (line 3;" in p.stderr, p.stderr)
    with open(cfg, "w") as f:
        f.write("stats:\n  bucket: 60\n  bukcet: 30\n")
    p = run(b, "stats", "-r", http, "--no-sqlite", "--config", cfg)
    check("stats config: an unknown key names its line", p.returncode == 1 and one_line(p)
          and b"unknown key 'stats.bukcet' (line 3;" in p.stderr, p.stderr)
    with open(cfg, "w") as f:
        f.write("engine:\n  workers: [\n")
    p = run(b, "sessions", "-r", http, "--config", cfg)
    check("config: a YAML syntax error names its line", p.returncode == 1 and one_line(p)
          and b"YAML syntax error at line 3" in p.stderr, p.stderr)
    for body, rc, msg in (("engine: 5\n", 1, b"'engine' (line 1) must be a mapping of keys"),
                          ("- a\n- b\n", 1, b"the file must be a mapping of sections"),
                          ("stats:\n  alerts: 5\n", 1, b"'stats.alerts' (line 2) must be a mapping of keys"),
                          ("stats:\n  alerts:\n    conn_burst_ports: [22, 70000]\n", 1,
                           b"bad port in 'stats.alerts.conn_burst_ports' (line 3)"),
                          ("engine:\noutput:\n", 0, b"frames read")):
        with open(cfg, "w") as f:
            f.write(body)
        p = run(b, "run", "-r", http, "--config", cfg)
        check(f"config {body!r}: {msg.decode()}", p.returncode == rc and msg in p.stderr, p.stderr)
    p = run(b, "sessions", "-r", http, "--config", os.path.join(tmp, "no-such.yaml"))
    check("config: a missing file says why", p.returncode == 1 and one_line(p)
          and b"no-such.yaml: cannot read config file: No such file or directory" in p.stderr, p.stderr)
    p = run(b, "sessions", "-r", http, "--config", tmp)
    check("config: a directory says so", p.returncode == 1 and one_line(p)
          and b"cannot read config file: is a directory" in p.stderr, p.stderr)

    # SIGINT/SIGTERM while a file (here a pipe that stays open) is read: what was read is
    # written, the summary says the input was not read to the end, status 0 as tcpdump.
    import signal, time
    small = os.path.join(tmp, "ten.pcap")
    udp_capture(small, 10)
    data = open(small, "rb").read()
    def signal_quiet_pipe(args, head, sig):
        """Runs netsift reading `head` from a pipe that stays open, then sends `sig`:
        (status, stdout, stderr)."""
        proc = subprocess.Popen([b, *args, "-r", "-"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdin.write(head)
        proc.stdin.flush()
        time.sleep(0.5)
        proc.send_signal(sig)  # stdin stays open: netsift waits in read() on a quiet pipe
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.stdin.close()
        return proc.returncode, proc.stdout.read(), proc.stderr.read()

    for sig in (signal.SIGINT, signal.SIGTERM):
        rc, out, err = signal_quiet_pipe(["sessions", "--json", "--workers", "1"], data, sig)
        check(f"{signal.Signals(sig).name} on a quiet pipe: stops at once, status 0, output flushed, "
              "the summary says so", rc == 0 and out.count(b"\n") == 10
              and b"10 frames read" in err and b"stopped by a signal before the end of the input" in err,
              (rc, out[-200:], err))
    # The same before the capture header came (or only part of it): no packets, stopped,
    # status 0; it used to say "empty or unreadable file" and exit 1.
    for head in (b"", data[:10]):
        rc, out, err = signal_quiet_pipe(["packets"], head, signal.SIGINT)
        check(f"SIGINT on a quiet pipe after {len(head)} bytes, before the capture header: "
              "status 0, stopped, no error", rc == 0 and not out
              and b"0 frames read" in err and b"stopped by a signal" in err
              and b"unreadable" not in err and b"truncated" not in err, (rc, out[-200:], err))
    p = run(b, "packets", "-r", small)
    check("a file read to its end is not 'stopped'", p.returncode == 0 and b"stopped" not in p.stderr, p.stderr)

    # stats' default database in a directory that cannot be written: say how to avoid it.
    if os.getuid() == 0:
        ro = os.path.join(tmp, "readonly")
        os.makedirs(ro)
        shutil.copy(http, os.path.join(ro, "in.pcap"))
        os.chmod(os.path.join(ro, "in.pcap"), 0o644)
        os.chmod(tmp, 0o755)
        p = subprocess.run(["runuser", "-u", "nobody", "--", b, "stats", "-r", "in.pcap"], cwd=ro,
                           capture_output=True, timeout=60)
        check("stats: an unwritable default database says how to put it elsewhere",
              p.returncode == 1 and b"in.stats.sqlite: cannot create: Permission denied (the default "
              b"database of stats; give --sqlite FILE or --no-sqlite)" in p.stderr, p.stderr)

    for body in (b"hello\n", b"# notes about the capture\nmore text here\n"):
        txt = os.path.join(tmp, "notes.txt")
        with open(txt, "wb") as f:
            f.write(body)
        p = run(b, "packets", "-r", txt)
        check(f"a text file of {len(body)} bytes is not a capture, and says what it holds",
              p.returncode == 1 and one_line(p)
              and b"not a pcap or pcapng file (it starts with text: " in p.stderr, p.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--examples", required=True)
    a = ap.parse_args()
    b, ex = os.path.abspath(a.bin), os.path.abspath(a.examples)
    http = os.path.join(ex, "http-get.pcap")
    tmp = tempfile.mkdtemp(prefix="netsift-cli-")
    try:
        p = run(b, "--help")
        check("help exits 0", p.returncode == 0 and b"packets" in p.stdout, p.stderr)
        p = run(b, "packets", "--no-such-flag", "-r", http)
        check("bad flag exits 64", p.returncode == 64, p.returncode)

        p = run(b, "packets", "-r", os.path.join(tmp, "missing.pcap"))
        check("missing file exits 1 naming it", p.returncode == 1 and b"missing.pcap" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", http, "--json")
        all_events = events(p)
        check("one event per frame", len(all_events) == 14 and [e["frame"] for e in all_events] == list(range(1, 15)),
              len(all_events))
        check("summary on stderr", b"14 frames read" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", http, "--json", "-c", "3")
        check("-c 3 stops after three", len(events(p)) == 3, len(events(p)))

        p = run(b, "packets", "-r", http, "--json", "tcp", "and", "src", "port", "80")
        ev = events(p)
        check("BPF filter", len(ev) > 0 and all(e["src_port"] == 80 for e in ev), ev[:1])
        check("BPF filtered counted", b"filtered out" in p.stderr and b" 0 filtered" not in p.stderr, p.stderr)
        p = run(b, "packets", "-r", http, "icmp")
        check("BPF excluding all", p.returncode == 0 and p.stdout == b"", p.stdout[:100])
        p = run(b, "packets", "-r", http, "tcp", "port", "(")
        check("bad BPF exits 1", p.returncode == 1 and b"filter" in p.stderr, p.stderr)
        # `-r a.pcap b.pcap` (a shell glob after one -r): b.pcap lands in the filter.
        p = run(b, "packets", "-r", http, http)
        check("second file after one -r: told to repeat -r",
              p.returncode == 1 and b"give each input its own -r" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", http, "--json", "--host", "192.150.187.43", "--port", "80")
        check("asset filters keep matching", len(events(p)) == 14)
        p = run(b, "packets", "-r", http, "--json", "--host", "10.9.9.9")
        check("asset host filter drops others", len(events(p)) == 0)
        p = run(b, "packets", "-r", http, "--json", "--port", "443,22")
        check("asset port filter drops others", len(events(p)) == 0)
        p = run(b, "packets", "-r", http, "--host", "not-an-ip")
        check("bad --host exits 64", p.returncode == 64, p.stderr)

        out = os.path.join(tmp, "copy.pcap")
        p = run(b, "packets", "-r", http, "-w", out, "-q", "port", "80")
        check("-w writes", p.returncode == 0 and os.path.getsize(out) > 24, p.stderr)
        p = run(b, "packets", "-r", out, "--json")
        copy = events(p)
        check("-w round trip", [(e["tcp_seq"], e["ts"]) for e in copy] == [(e["tcp_seq"], e["ts"]) for e in all_events])

        with open(http, "rb") as f:
            data = f.read()
        p = run(b, "packets", "-r", "-", "--json", stdin=data)
        check("stdin", len(events(p)) == 14, p.stderr)

        cut = os.path.join(tmp, "cut.pcap")
        with open(cut, "wb") as f:
            f.write(data[: len(data) - 30])
        p = run(b, "packets", "-r", cut, "--json")
        check("damaged file exits 2", p.returncode == 2, p.returncode)
        check("damaged file: packets before the damage", len(events(p)) == 13, len(events(p)))
        check("damaged file: names file and offset", b"cut.pcap" in p.stderr and b"byte offset" in p.stderr, p.stderr)

        p = run(b, "packets", "-r", http, "-r", os.path.join(ex, "zeek-icmp-ping.pcap"), "--json")
        ev = events(p)
        check("several inputs", len(ev) == 18 and ev[14]["frame"] == 1, len(ev))

        p = run(b, "packets", "-r", os.path.join(ex, "pcapng-multi-interface.pcapng"), "--json")
        ev = events(p)
        check("pcapng multi-interface", len(ev) == 6 and p.returncode == 0, p.stderr)

        p = run(b, "packets", "-r", http, "--utc")
        lines = p.stdout.decode().splitlines()
        check("text one line per frame", len(lines) == 14 and lines[0].startswith("[TCP]\t[1362692526.869344\t2013-03-07 21:42:06]"),
              lines[:1])
        p = run(b, "packets", "-r", http, "--hex", "-c", "1")
        check("--hex dump", b"\t0x0000:  " in p.stdout, p.stdout[:200])

        # sessions
        p = run(b, "sessions", "-r", http, "--json")
        ev = events(p)
        s = [e for e in ev if e["event"] == "tcp_session"]
        check("sessions: one tcp_session", len(s) == 1 and s[0]["bytes_to_server"] == 136
              and s[0]["bytes_to_client"] == 5007 and s[0]["state"] == "fin", s)
        p = run(b, "sessions", "-r", http, "--json", "--stream")
        data = [e for e in events(p) if e["event"] == "tcp_data"]
        check("sessions --stream: chunks in order per direction",
              sum(e["length"] for e in data if e["direction"] == "to_client") == 5007
              and data[0]["direction"] == "to_server" and data[0]["offset"] == 0, data[:1])
        p = run(b, "sessions", "-r", http, "--utc")
        check("sessions text", b"[TCP DATA Bi-Direct]" in p.stdout and b">>> client to server data (136 bytes)" in p.stdout,
              p.stdout[:200])
        # One worker: with N workers the total cap is shared out, 100/N bytes each
        # (docs/architecture.md, Threads), and this one flow would get only its share.
        p = run(b, "sessions", "-r", http, "--utc", "--max-session-data-total", "100", "--workers", "1")
        check("whole-session text respects the total cap and says so",
              b"[36 bytes to_server not shown" in p.stdout and b"[5007 bytes to_client not shown" in p.stdout,
              p.stdout[-300:])
        p = run(b, "sessions", "-r", http, "--json", "--tcp-dst-port", "443")
        check("sessions filter by server port", not [e for e in events(p) if e["event"] == "tcp_session"])

        cfg = os.path.join(ex, "netsift.yaml")
        p = subprocess.run([b, "run", "--config", cfg], capture_output=True, cwd=os.path.dirname(ex))
        check("run --config example", p.returncode == 0 and b"[TCP DATA Bi-Direct]" in p.stdout, p.stderr)
        # A stats: section is a job `run` runs too, in the same pass: its events beside the
        # sessions', its database written; jobs.stats: false turns it off.
        sdb = os.path.join(tmp, "run.stats.sqlite")
        scfg = os.path.join(tmp, "stats-run.yaml")
        with open(scfg, "w") as f:
            f.write(f"input:\n  pcap_file: {http}\noutput:\n  json: true\n"
                    f"stats:\n  json: true\n  geoip: false\n  sqlite: {sdb}\n")
        p = run(b, "run", "--config", scfg)
        ev = events(p)
        summary = [e for e in ev if e["event"] == "stats_summary"]
        check("run --config runs the stats job of the stats: section",
              p.returncode == 0 and len(summary) == 1 and summary[0]["packets"] > 0
              and any(e["event"] == "tcp_session" for e in ev) and os.path.exists(sdb),
              (p.returncode, p.stderr, [e["event"] for e in ev]))
        alone = events(run(b, "stats", "--config", scfg, "-r", http, "--no-sqlite"))
        alone_summary = [e for e in alone if e["event"] == "stats_summary"]
        check("run's stats job counts what `netsift stats` counts",
              summary and alone_summary and summary[0]["packets"] == alone_summary[0]["packets"]
              and summary[0]["bytes"] == alone_summary[0]["bytes"],
              (summary, alone_summary))
        with open(scfg, "a") as f:
            f.write("jobs:\n  stats: false\n")
        os.remove(sdb)
        p = run(b, "run", "--config", scfg)
        check("jobs.stats: false leaves it out",
              p.returncode == 0 and not [e for e in events(p) if e["event"] == "stats_summary"]
              and not os.path.exists(sdb), p.stderr)
        with open(scfg, "w") as f:
            f.write(f"input:\n  pcap_file: {http}\nstats:\n  geoip: false\n  sqlite: false\n")
        p = run(b, "run", "--config", scfg)
        check("run --config, text: the stats report follows the sessions",
              p.returncode == 0 and b"[TCP DATA Bi-Direct]" in p.stdout
              and p.stdout.find(b"[TCP DATA Bi-Direct]") < p.stdout.find(b"== netsift stats =="),
              p.stdout[-400:])
        with open(scfg, "w") as f:
            f.write(f"input:\n  pcap_file: {http}\noutput:\n  stdout: false\n  json: true\n"
                    f"stats:\n  json: true\n  geoip: false\n  sqlite: {sdb}\n")
        p = run(b, "run", "--config", scfg)
        check("run --config, stdout off: the stats job keeps to its database, report on stderr",
              p.returncode == 0 and p.stdout == b"" and os.path.exists(sdb)
              and b"== netsift stats ==" in p.stderr, (p.stdout[:200], p.stderr[-300:]))
        # Relative database paths in a config file are taken from the file's directory,
        # for stats.sqlite as for output.sqlite, whatever the current directory.
        sdir = os.path.join(tmp, "relcfg")
        os.makedirs(sdir, exist_ok=True)
        rcfg = os.path.join(sdir, "rel.yaml")
        with open(rcfg, "w") as f:
            f.write(f"input:\n  pcap_file: {http}\noutput:\n  json: true\n  sqlite: ev.db\n"
                    f"stats:\n  json: true\n  geoip: false\n  sqlite: st.db\n")
        elsewhere = os.path.join(tmp, "relcfg-cwd")
        os.makedirs(elsewhere, exist_ok=True)
        p = subprocess.run([b, "run", "--config", rcfg], capture_output=True, cwd=elsewhere)
        check("run --config: relative output.sqlite and stats.sqlite beside the config file",
              p.returncode == 0 and os.path.exists(os.path.join(sdir, "ev.db"))
              and os.path.exists(os.path.join(sdir, "st.db")) and os.listdir(elsewhere) == [],
              (p.returncode, p.stderr[-300:], os.listdir(sdir), os.listdir(elsewhere)))
        os.remove(os.path.join(sdir, "st.db"))
        p = subprocess.run([b, "stats", "--config", rcfg], capture_output=True, cwd=elsewhere)
        check("stats --config: relative stats.sqlite beside the config file",
              p.returncode == 0 and os.path.exists(os.path.join(sdir, "st.db"))
              and os.listdir(elsewhere) == [],
              (p.returncode, p.stderr[-300:], os.listdir(sdir), os.listdir(elsewhere)))
        p = subprocess.run([b, "sessions", "--config", cfg, "--json"], capture_output=True, cwd=os.path.dirname(ex))
        check("command line overrides config (--json)", p.returncode == 0 and p.stdout.startswith(b"{"), p.stdout[:80])
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write("output:\n  jsn: true\n")
        p = run(b, "run", "--config", bad)
        check("unknown config key names it", p.returncode == 1 and b"output.jsn" in p.stderr, p.stderr)
        with open(bad, "w") as f:
            f.write("limits:\n  udp_timeout: -3\n")
        p = run(b, "run", "--config", bad)
        check("bad config value names it", p.returncode == 1 and b"limits.udp_timeout" in p.stderr, p.stderr)

        outdir = os.path.join(tmp, "out")
        db = os.path.join(tmp, "events.db")
        p = run(b, "sessions", "-r", os.path.join(ex, "ipv6-fragmented-dns.pcap"), "--output-dir", outdir,
                "--sqlite", db)
        files = sorted(os.listdir(outdir)) if os.path.isdir(outdir) else []
        check("--output-dir: one file per event kind", files == ["dns.jsonl", "udp.jsonl"], files)
        rows = sqlite3.connect(db).execute("select event, count(*) from events group by event").fetchall()
        check("--sqlite stores events", rows == [("dns", 5), ("udp", 5)], rows)

        output_tests(b, ex, tmp)
        capture_tests(b, ex, tmp)
        usage_tests(b, ex, tmp)
        pipe_tests(b, ex, tmp)
        flow_tests(b, ex, tmp)
        progress_tests(b, ex, tmp)
        new_user_tests(b, ex, tmp)
    finally:
        shutil.rmtree(tmp)
    passed = sum(1 for r in RESULTS if r[1])
    failed = len(RESULTS) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
