#!/usr/bin/env python3
"""A merged capture reports what each of its parts reports alone.

For captures given (files or directories, searched recursively) this builds, with
mergecap and editcap, merged files and compares `netsift sessions --json` and
`netsift stats --json` on the merged file with the union of the runs on each part:

- pairs of different captures, merged by time (`mergecap -w`: with different link
  types a pcapng with several interfaces), concatenated (`mergecap -a`: time goes back
  where the second part starts), and overlapping (the second shifted to start a
  quarter of a second after the first, so that their packets interleave);
- each capture with itself: concatenated (`mergecap -a A A`), and merged with a copy
  shifted by an hour and by half a second (`editcap -t`), the copy's connections
  then interleaving with the original's packets. Connections picked up mid-stream
  (nothing marks the copy's start) and, in the half-second case, attempts refused by
  a RST (the copy's SYN looks like the client's retry) may fold into one, by design
  (docs/architecture.md): they are left out of the session comparison (counted).
  Where a copy interleaves with its original, which twin gets a packet new to neither
  (a pure ACK, a retransmission) is a guess: the sessions' packet counts and ends are
  not compared there, their bytes and every protocol event are.

Events are compared as multisets per event type, keyed by the whole event except what
depends on where the capture ends (a session's `state` end_of_input / timeout, a stats
flow's `end`); `auth_summary` rows are added up per (source, service, user, result);
stats are compared per flow record, per bucket (sums) and in the summary's sums. Each
merged file is also run with several workers and must give the events of one.
Exits 1 listing every difference."""
import argparse
import collections
import concurrent.futures
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

from capture_files import every_capture

EXTS = (".pcap", ".pcapng", ".cap")
# Alerts depend on what else is in the window (a merged file has more); compared apart.
ALERT_TYPES = {"alert"}


def netsift(binary, cmd, path, workers, extra=()):
    args = [binary, cmd, "-r", path, "--json", "--no-progress", "--workers", str(workers)]
    if cmd == "stats":
        args += ["--no-sqlite", "--no-geoip"]
    r = subprocess.run(args + list(extra), capture_output=True, timeout=120)
    if r.returncode not in (0, 2):
        raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: "
                           f"{r.stderr.decode(errors='replace')[-400:]}")
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def tuple4(e):
    return (e.get("src_ip"), e.get("src_port"), e.get("dst_ip"), e.get("dst_port"))


# What depends on which twin gets a packet that brings neither anything new (a pure
# ACK, a retransmission) while a copy interleaves with its original.
TWIN_FIELDS = ("ts_end", "packets_to_server", "packets_to_client", "retransmitted_bytes",
               "overlaps", "conflicting_overlaps")


def session_keys(events, skip=frozenset(), twins=frozenset()):
    """Multiset per event type of the events, as comparable strings; events of the
    4-tuples in `skip` left out, and on those in `twins` a session's TWIN_FIELDS."""
    out = collections.defaultdict(collections.Counter)
    summary = collections.Counter()
    for e in events:
        kind = e.get("event")
        if tuple4(e) in skip:
            continue
        if kind == "auth_summary":
            summary[(e["src_ip"], e["service"], e.get("user"), e["result"])] += e["count"]
            continue
        e = dict(e)
        if kind == "tcp_session" and e.get("state") in ("end_of_input", "timeout"):
            e["state"] = "open"
        if kind == "tcp_session" and tuple4(e) in twins:
            for k in TWIN_FIELDS:
                e.pop(k, None)
        out[kind][json.dumps(e, sort_keys=True)] += 1
    if not skip:  # rows add up attempts of every connection, those skipped included
        out["auth_summary"] = collections.Counter(
            {json.dumps(list(k) + [n]): 1 for k, n in summary.items()})
    return out


def endpoints(e):
    """Canonical flow key of a stats `flow` record and whether its client is the lower end."""
    a, b = (e["src_ip"], e.get("src_port", 0)), (e["dst_ip"], e.get("dst_port", 0))
    return (e["proto"],) + tuple(sorted([a, b])), a <= b


def unsplittable(events, shift):
    """4-tuples whose copy a self-merge may fold into the original, by design
    (docs/architecture.md, FlowTable): connections picked up mid-stream (no marker
    starts the copy), and, where the copy comes within seconds, connection attempts
    refused by a RST (the copy's SYN is a client's retry of the same attempt)."""
    out = set()
    for e in events:
        if e.get("event") != "tcp_session":
            continue
        refused = (e["state"] == "rst" and e["bytes_to_server"] == 0 and
                   e["bytes_to_client"] == 0 and e["packets_to_client"] <= 1)
        if e["midstream"] or (refused and shift is not None and float(shift) < 30):
            out.add(tuple4(e))
    return out


def interleaved(events, shift):
    """4-tuples on which a connection overlaps in time with a copy of one shifted by
    `shift` seconds (from the sessions of the unshifted capture)."""
    spans = collections.defaultdict(list)
    for e in events:
        if e.get("event") == "tcp_session":
            spans[(e["src_ip"], e["src_port"], e["dst_ip"], e["dst_port"])].append(
                (e["ts_start"], e["ts_end"]))
    out = set()
    for k, v in spans.items():
        if any(a1 + shift <= b0 and a0 <= b1 + shift for a0, b0 in v for a1, b1 in v):
            out.add(k)
    return out


def stats_keys(events, loose=frozenset()):
    """TCP flows seen from their SYN compared record by record; other flows (UDP, ICMP,
    picked up mid-stream) have no start marker, so a copy within the idle timeout is
    the same flow: compared by what each end sent on the 5-tuple. So are TCP flows on
    the 4-tuples in `loose`: a copy interleaving with its original ends the original's
    record at its SYN (docs/stats.md)."""
    out = collections.defaultdict(collections.Counter)
    sums = collections.Counter()
    buckets = collections.defaultdict(collections.Counter)
    for e in events:
        kind = e.get("event")
        if kind == "flow":
            e = dict(e)
            e.pop("end", None)
            e.pop("app", None)  # nDPI may name a protocol from another flow's cache
            tuple4 = (e["src_ip"], e.get("src_port"), e["dst_ip"], e.get("dst_port"))
            if e["proto"] == "tcp" and e.get("tcp_state") != "midstream" and tuple4 not in loose:
                out["flow"][json.dumps(e, sort_keys=True)] += 1
            else:
                key, lo_is_client = endpoints(e)
                key = json.dumps(key)
                c, s = ("lo", "hi") if lo_is_client else ("hi", "lo")
                out["flow_traffic"][key + c + "_packets"] += e["src_packets"]
                out["flow_traffic"][key + c + "_bytes"] += e["src_bytes"]
                out["flow_traffic"][key + s + "_packets"] += e["dst_packets"]
                out["flow_traffic"][key + s + "_bytes"] += e["dst_bytes"]
        elif kind == "stats_summary":
            for k in ("packets", "bytes", "ipv4_packets", "ipv6_packets", "tcp_packets",
                      "udp_packets", "icmp_packets", "icmpv6_packets", "arp_packets",
                      "vlan_packets", "ip_frame_bytes"):
                sums[k] += e[k]
        elif kind == "stats_bucket":
            b = buckets[e["bucket_start"]]
            for k in ("packets", "bytes"):
                b[k] += e[k]
            for k, v in e["protocol_packets"].items():
                b["proto." + k] += v
            for k, v in e["tcp_flags"].items():
                b["flag." + k] += v
    out["flow_traffic"] = +out["flow_traffic"]
    out["stats_summary"] = collections.Counter({json.dumps(sorted(sums.items())): 1})
    out["stats_bucket"] = collections.Counter(
        {json.dumps([k, sorted(v.items())]): 1 for k, v in buckets.items()})
    return out


def add(into, more):
    for kind, c in more.items():
        into[kind].update(c)


def diff(label, want, got, problems):
    for kind in sorted(set(want) | set(got)):
        if kind in ALERT_TYPES:
            continue
        w, g = want.get(kind, collections.Counter()), got.get(kind, collections.Counter())
        if w != g:
            lost, extra = w - g, g - w
            problems.append(f"{label}: {kind}: {sum(lost.values())} missing, "
                            f"{sum(extra.values())} extra; missing e.g. "
                            f"{next(iter(lost), '')[:300]} extra e.g. {next(iter(extra), '')[:300]}")


def stats_union(parts):
    """Stats sums over separate runs: the summary and buckets add up."""
    flows = collections.Counter()
    traffic = collections.Counter()
    sums = collections.Counter()
    buckets = collections.defaultdict(collections.Counter)
    for p in parts:
        flows.update(p["flow"])
        traffic.update(p["flow_traffic"])
        for s in p["stats_summary"]:
            sums.update(dict(json.loads(s)))
        for b in p["stats_bucket"]:
            start, items = json.loads(b)
            buckets[start].update(dict(items))
    return {"flow": flows, "flow_traffic": traffic,
            "stats_summary": collections.Counter({json.dumps(sorted(sums.items())): 1}),
            "stats_bucket": collections.Counter(
                {json.dumps([k, sorted(v.items())]): 1 for k, v in buckets.items()})}


def sessions_union(parts):
    out = collections.defaultdict(collections.Counter)
    summary = collections.Counter()
    for p in parts:
        for kind, c in p.items():
            if kind == "auth_summary":
                for k in c:
                    row = json.loads(k)
                    summary[tuple(row[:4])] += row[4]
            else:
                out[kind].update(c)
    out["auth_summary"] = collections.Counter(
        {json.dumps(list(k) + [n]): 1 for k, n in summary.items()})
    return out


class Unmergeable(Exception):
    pass


class Checker:
    def __init__(self, binary, tmp, workers):
        self.binary, self.tmp, self.workers = binary, tmp, workers
        self.cache = {}
        self.count = 0
        self.skipped = 0

    def alone(self, path):
        if path not in self.cache:
            self.cache[path] = (netsift(self.binary, "sessions", path, 1),
                                netsift(self.binary, "stats", path, 1))
        return self.cache[path]

    def tool(self, *args):
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:  # e.g. a capture cut short: mergecap refuses it
            raise Unmergeable(f"{' '.join(args)}: {r.stderr.strip()[:200]}")

    def check(self, label, merged, parts, shift=None, self_merge=False, shared=False):
        problems = []
        try:
            alone = [self.alone(p) for p in parts]
            skip = unsplittable(alone[0][0], shift) if self_merge else set()
            both = set()
            if shared:
                # Different captures of the same connection (examples/ has a few): what
                # a self-merge may fold, they may too.
                both = set.intersection(*({tuple4(e) for e in a[0]} for a in alone))
                skip = {t for a in alone for t in unsplittable(a[0], 0)} & both
            loose = set(skip) | (both if shared else set())
            if shift:
                loose |= interleaved(alone[0][0], float(shift))
            self.skipped += len(skip)
            twins = loose if self_merge or shared else set()
            want_s = sessions_union([session_keys(a[0], skip, twins) for a in alone])
            want_t = stats_union([stats_keys(a[1], loose) for a in alone])
            got_events = netsift(self.binary, "sessions", merged, 1)
            got_s = session_keys(got_events, skip, twins)
            diff(label + " sessions", want_s, got_s, problems)
            diff(label + " stats", want_t,
                 stats_keys(netsift(self.binary, "stats", merged, 1), loose), problems)
            self.count += sum(sum(c.values()) for c in got_s.values())
            one = sorted(json.dumps(e, sort_keys=True) for e in got_events)
            for n in self.workers:
                many = sorted(json.dumps(e, sort_keys=True)
                              for e in netsift(self.binary, "sessions", merged, n))
                if many != one:
                    problems.append(f"{label}: sessions with {n} workers differ from 1")
                # nDPI keeps caches across flows (docs/architecture.md): `app` aside.
                st1, stn = (sorted(json.dumps({k: v for k, v in e.items() if k != "app"},
                                              sort_keys=True)
                                   for e in netsift(self.binary, "stats", merged, w))
                            for w in (1, n))
                if st1 != stn:
                    problems.append(f"{label}: stats with {n} workers differ from 1")
        except (RuntimeError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            problems.append(f"{label}: {e}")
        return problems

    def start(self, path):
        r = subprocess.run(["capinfos", "-T", "-r", "-a", "-S", path], capture_output=True,
                           text=True, check=True)
        return float(r.stdout.split("\t")[-1])

    def pair(self, a, b, mode):
        """mode: "merge" (by time), "concat" (mergecap -a), "overlap" (b shifted to start
        a quarter of a second after a, then merged by time: the two interleave)."""
        name = f"{os.path.basename(a)}+{os.path.basename(b)}.{mode}"
        out = os.path.join(self.tmp, name + ".pcapng")
        if mode == "overlap":
            moved = os.path.join(self.tmp, name + ".moved.pcapng")
            self.tool("editcap", "-t", f"{self.start(a) - self.start(b) + 0.25:.6f}", b, moved)
            b = moved
        self.tool("mergecap", *(["-a"] if mode == "concat" else []), "-w", out, a, b)
        return self.check(f"{mode} {name}", out, [a, b], shared=True)

    def twice(self, a):
        base = os.path.join(self.tmp, os.path.basename(a))
        problems = []
        cat = base + ".twice.pcapng"
        self.tool("mergecap", "-a", "-w", cat, a, a)
        problems += self.check(f"mergecap -a {a} {a}", cat, [a, a], self_merge=True)
        for shift in ("3600", "0.5"):
            moved = f"{base}.t{shift}.pcapng"
            self.tool("editcap", "-t", shift, a, moved)
            merged = f"{base}.m{shift}.pcapng"
            self.tool("mergecap", "-w", merged, a, moved)
            problems += self.check(f"{a} merged with itself shifted {shift} s", merged,
                                   [a, moved], shift, self_merge=True)
        return problems


def attempt(job, args):
    try:
        return job(*args)
    except Unmergeable as e:
        print(f"not merged: {e}")
        return []


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--pairs", type=int, default=30, help="random pairs of different captures")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--self", type=int, default=1000,
                    help="captures merged with themselves (a random sample)")
    ap.add_argument("--workers", default="3")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("--known", action="append", default=[],
                    help="differences whose label holds this are reported, not failed "
                         "(a limit named in docs/architecture.md)")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    if not shutil.which("mergecap") or not shutil.which("editcap"):
        print("mergecap/editcap not installed", file=sys.stderr)
        return 77
    files = sorted(set(every_capture(args.paths, args.exclude, EXTS)))
    if len(files) < 2:
        print("need at least two captures", file=sys.stderr)
        return 1
    rng = random.Random(args.seed)
    pairs = list(itertools.combinations(files, 2))
    rng.shuffle(pairs)
    with tempfile.TemporaryDirectory(prefix="netsift-merged-") as tmp:
        c = Checker(args.bin, tmp, [int(n) for n in args.workers.split(",") if n])
        jobs = [(c.twice, (f,)) for f in rng.sample(files, min(args.self, len(files)))]
        modes = ("merge", "concat", "overlap")
        for i, (a, b) in enumerate(pairs[:args.pairs]):
            jobs.append((c.pair, (a, b, modes[i % 3])))
        problems = []
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            for p in pool.map(lambda j: attempt(*j), jobs):
                problems += p
    known = [p for p in problems if any(k in p for k in args.known)]
    problems = [p for p in problems if p not in known]
    for p in known:
        print("known:", p)
    for p in problems:
        print(p)
    print(f"{len(jobs)} merged files ({len(files)} captures), {c.count} events "
          f"({c.skipped} connections mid-stream or refused not compared in self-merges): "
          f"{len(problems)} differences, {len(known)} known")
    return 1 if problems or c.count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
