#!/usr/bin/env python3
"""Times netsift against its peers and floors on one capture, in one run, and prints one
table of ratios (issue 12's targets). bench/run.sh builds everything and calls this.

Usage: bench/compare.py --pcap FILE [--runs N] [--peer-runs N] [--only GROUP,...]
                        [--floor DIR] [--bin NETSIFT] [--digests]
  GROUP: packets, sessions, http, stats, workers (default: all).
  --floor: the built ../shared/bench/floor (read_walk, nids_count).
  --digests: only print the md5 of `packets` and `sessions --json` output (to prove an
             optimisation leaves the output byte-identical), then exit.

Every command runs N times, interleaved round by round (so a burst of load on this shared
machine hits every command alike), output to /dev/null, page cache warm. For each the
best wall time, the best CPU time (user + sys) and the peak RSS (GNU time's
%M, the figure `/usr/bin/time -v` reports) are kept. Ratios are computed on wall time and on CPU time;
on a loaded machine the CPU ratio is the one to trust.
"""
import argparse, datetime, hashlib, os, platform, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

TSHARK_FILTER = "http or dns or mysql or pgsql or smtp or ftp"
TSHARK_FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "tcp.stream",
                 "_ws.col.Protocol", "_ws.col.Info"]


class Cmd:
    def __init__(self, key, label, argv, env=None, runs=None, netsift=False):
        self.key, self.label, self.argv, self.env = key, label, argv, env
        self.runs = runs  # None: the common --runs
        self.netsift = netsift
        self.wall = self.cpu = None
        self.rss_kb = 0

    def run_once(self):
        # Times from wait4 (microseconds; the rusage includes GNU time's reaped child).
        # Peak RSS from GNU time's %M: a child forked from this Python process would
        # count the interpreter's pages in its ru_maxrss.
        with tempfile.NamedTemporaryFile("r", prefix="netsift-bench-time-") as out:
            argv = ["/usr/bin/time", "-q", "-o", out.name, "-f", "%M"] + self.argv
            start = time.perf_counter()
            with open(os.devnull, "wb") as null:
                p = subprocess.Popen(argv, stdout=null, stderr=subprocess.DEVNULL, env=self.env)
                _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - start
            p.returncode = os.waitstatus_to_exitcode(status)
            rss = out.read().split()
        if p.returncode not in (0, 1) or len(rss) != 1:
            raise SystemExit(f"{' '.join(self.argv)} failed with {p.returncode}")
        cpu = ru.ru_utime + ru.ru_stime
        self.wall = wall if self.wall is None else min(self.wall, wall)
        self.cpu = cpu if self.cpu is None else min(self.cpu, cpu)
        self.rss_kb = max(self.rss_kb, int(rss[0]))


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def md5_of(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return hashlib.md5(p.stdout).hexdigest(), len(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "netsift"))
    ap.add_argument("--floor", default=os.path.join(ROOT, "..", "shared", "bench", "floor"))
    ap.add_argument("--runs", type=int, default=5, help="runs of each netsift command and fast peer")
    ap.add_argument("--peer-runs", type=int, default=1, help="runs of tshark (minutes per GB)")
    ap.add_argument("--only", default="packets,sessions,http,stats,workers")
    ap.add_argument("--digests", action="store_true")
    a = ap.parse_args()
    groups = set(a.only.split(","))
    if not os.path.exists(a.pcap):
        raise SystemExit(f"{a.pcap} missing: see bench/README.md")
    ns, pcap = a.bin, a.pcap
    q = ["--no-progress"]

    if a.digests:
        # One worker: the default (one per core) orders lines of different flows by
        # worker, so its bytes would differ between machines.
        one = ["--workers", "1"] if "--workers" in subprocess.run(
            [ns, "sessions", "--help"], capture_output=True, text=True).stdout else []
        for name, argv in (("packets", [ns, "packets", "-r", pcap] + q),
                           ("sessions --json", [ns, "sessions", "-r", pcap, "--json"] + one + q)):
            digest, size = md5_of(argv)
            print(f"{digest}  {size:>12} bytes  netsift {name}")
        return

    # Warm the page cache so every command reads from memory.
    with open(pcap, "rb") as f:
        while f.read(1 << 24):
            pass
    size_mb = os.path.getsize(pcap) / 1e6
    utc = dict(os.environ, TZ="UTC")
    local = {k: v for k, v in os.environ.items() if k != "TZ"}
    tmp = tempfile.mkdtemp(prefix="netsift-bench-")
    http_off = os.path.join(tmp, "http_off.yaml")
    with open(http_off, "w") as f:
        f.write("protocols:\n  http:\n    enabled: false\n")
    read_walk = os.path.join(a.floor, "read_walk")
    nids = os.path.join(a.floor, "nids_count")
    help_text = subprocess.run([ns, "sessions", "--help"], capture_output=True, text=True).stdout
    has_workers = "--workers" in help_text
    cores = os.cpu_count() or 1

    cmds = {}

    def add(key, label, argv, **kw):
        cmds[key] = Cmd(key, label, argv, **kw)

    sess = [ns, "sessions", "-r", pcap, "--json"] + q
    if has_workers:
        sess += ["--workers", "1"]
    if "packets" in groups:
        add("packets", "netsift packets", [ns, "packets", "-r", pcap] + q, env=local, netsift=True)
        add("tcpdump", "tcpdump -nn", ["tcpdump", "-nn", "-r", pcap], env=local)
        add("tcpdump_utc", "TZ=UTC tcpdump -nn", ["tcpdump", "-nn", "-r", pcap], env=utc)
    if groups & {"sessions", "http"}:
        add("sessions", "netsift sessions --json" + (" --workers 1" if has_workers else ""),
            sess, netsift=True)
    if "sessions" in groups:
        if os.path.exists(nids):
            add("nids", "libnids nids_count (reassembly only)", [nids, pcap])
        if shutil.which("tshark"):
            argv = ["tshark", "-n", "-r", pcap, "-Y", TSHARK_FILTER, "-T", "fields"]
            for field in TSHARK_FIELDS:
                argv += ["-e", field]
            add("tshark", f"tshark -Y '{TSHARK_FILTER}' -T fields", argv, runs=a.peer_runs)
    if "http" in groups:
        add("http_off", "netsift sessions --json, HTTP off (config)", sess + ["--config", http_off],
            netsift=True)
    if "stats" in groups:
        stats = [ns, "stats", "-r", pcap, "--json", "--no-geoip", "--no-sqlite"] + q
        stats_workers = "--workers" in subprocess.run(
            [ns, "stats", "--help"], capture_output=True, text=True).stdout
        one = ["--workers", "1"] if stats_workers else []
        add("stats", "netsift stats --json --no-geoip --no-sqlite" + " --workers 1" * stats_workers,
            stats + one, netsift=True)
        if os.path.exists(read_walk):
            add("read_walk", "read_walk (read() in 1 MiB blocks)", [read_walk, pcap])
        if "workers" in groups and stats_workers:
            for n in range(2, cores + 1):
                add(f"stats_workers{n}", f"netsift stats (as above) --workers {n}",
                    stats + ["--workers", str(n)], netsift=True)
    if "workers" in groups and has_workers:
        for n in range(1, cores + 1):
            if n == 1 and "sessions" in cmds:
                cmds["workers1"] = cmds["sessions"]  # the same command: run once
                continue
            add(f"workers{n}", f"netsift sessions --json --workers {n}",
                [ns, "sessions", "-r", pcap, "--json", "--workers", str(n)] + q, netsift=True)

    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = load()
    rounds = max([a.runs] + [c.runs or 0 for c in cmds.values()])
    for r in range(rounds):
        for c in cmds.values():
            if r < (c.runs if c.runs is not None else a.runs):
                c.run_once()
        print(f"  round {r + 1}/{rounds} done, load {load()}", file=sys.stderr, flush=True)
    load_after = load()

    print(f"netsift bench, {started:%Y-%m-%d %H:%M} UTC, {platform.node()}: {cpu_model()}, "
          f"{cores} cores, {platform.system()} {platform.release()}")
    print(f"capture: {pcap} ({size_mb:.0f} MB); best of {a.runs} runs "
          f"(tshark: {a.peer_runs}), interleaved, output to /dev/null; "
          f"load average before {load_before}, after {load_after}"
          + (", real-time round-robin priority (bench/run.sh --rt)"
             if os.sched_getscheduler(0) == os.SCHED_RR else ""))
    if not has_workers:
        print("(`netsift sessions --help` shows no --workers: the workers rows are left out)")
    print()
    print("| command | wall s | CPU s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    for key, c in cmds.items():
        if key == "workers1" and c is cmds.get("sessions"):
            continue
        print(f"| {c.label} | {c.wall:.3f} | {c.cpu:.3f} | {c.rss_kb / 1024:.0f} |")
    print()
    print("| ratio | wall | CPU | target | met (wall / CPU) |")
    print("|---|---:|---:|---|---|")

    def ratio(name, num, den, target, higher_better, wall_only=False):
        if num not in cmds or den not in cmds:
            return
        w = cmds[num].wall / cmds[den].wall
        c = cmds[num].cpu / cmds[den].cpu if cmds[den].cpu > 0 else float("nan")
        ok = (lambda x: x >= target) if higher_better else (lambda x: x <= target)
        sign = ">=" if higher_better else "<="
        if wall_only:  # CPU time adds up over threads: only wall time shows a speed-up
            print(f"| {name} | {w:.2f}x | n/a | {sign} {target} | {'yes' if ok(w) else 'no'} / n/a |")
            return
        met = f"{'yes' if ok(w) else 'no'} / {'yes' if ok(c) else 'no'}"
        print(f"| {name} | {w:.2f}x | {c:.2f}x | {sign} {target} | {met} |")

    ratio("tcpdump -nn / netsift packets (speed-up)", "tcpdump", "packets", 30, True)
    ratio("TZ=UTC tcpdump -nn / netsift packets", "tcpdump_utc", "packets", 12, True)
    ratio("netsift sessions --json / libnids", "sessions", "nids", 1.0, False)
    ratio("tshark / netsift sessions --json (speed-up)", "tshark", "sessions", 30, True)
    ratio("sessions --json HTTP on / HTTP off", "sessions", "http_off", 1.3, False)
    ratio("netsift stats / read_walk", "stats", "read_walk", 3, False)
    for n in range(2, cores + 1):
        ratio(f"--workers {n} speed-up over --workers 1", "workers1", f"workers{n}", round(0.8 * n, 2),
              True, wall_only=True)
    for n in range(2, cores + 1):
        ratio(f"stats --workers {n} speed-up over --workers 1", "stats", f"stats_workers{n}",
              1.0, True, wall_only=True)
    worst = max((c.rss_kb for c in cmds.values() if c.netsift), default=0)
    print(f"| peak RSS of the netsift commands, MB | {worst / 1024:.0f} | | <= 200 | "
          f"{'yes' if worst <= 200 * 1024 else 'no'} |")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
