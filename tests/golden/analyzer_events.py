#!/usr/bin/env python3
"""Golden "capture -> expected events" test for protocol analyzers.

Each case is one file tests/golden/expected/analyzers/NAME.json (one file per case, so
analyzers add theirs without touching anyone else's):

  {"capture": "examples/x.pcap",        # relative to the repository root; a path under
                                          # ../shared/corpus is skipped when it is absent
   "args": ["--weird"],                 # extra `netsift sessions --json` arguments
   "kinds": ["dns"],                    # event kinds compared (others ignored)
   "events": [{...}, ...]}              # exactly these, in this order

The events are compared as JSON values, field by field. `--update` rewrites the "events"
of every case (or of the cases named with --case) from the current output: review the
diff before committing it.

Usage: analyzer_events.py --bin build/netsift [--root .] [--update] [--case NAME]
"""
import argparse, glob, json, os, subprocess, sys


def run_case(binary, root, case):
    capture = os.path.join(root, case["capture"])
    if not os.path.exists(capture):
        return None, f"capture {case['capture']} not present"
    # The reviewed events are one engine's, in its order (other worker counts give the
    # same events, golden.workers_*, with other flows' events interleaved differently).
    cmd = [binary, "sessions", "--json", "--no-progress", "--workers", "1", "-r", capture] + case.get("args", [])
    p = subprocess.run(cmd, capture_output=True, timeout=120)
    if p.returncode != 0:
        return None, f"exit {p.returncode}: {p.stderr.decode(errors='replace')[-300:]}"
    kinds = set(case["kinds"])
    events = []
    for line in p.stdout.splitlines():
        e = json.loads(line)
        if e.get("event") in kinds:
            events.append(e)
    return events, None


def first_difference(got, want):
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            keys = sorted(set(g) | set(w))
            diff = [f"    {k}: got {json.dumps(g.get(k))}, want {json.dumps(w.get(k))}"
                    for k in keys if g.get(k) != w.get(k)]
            return f"  event {i} ({w.get('event')}) differs:\n" + "\n".join(diff)
    return f"  {len(got)} events, want {len(want)}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--case", action="append", default=[])
    a = ap.parse_args()
    pattern = os.path.join(a.root, "tests", "golden", "expected", "analyzers", "*.json")
    files = sorted(glob.glob(pattern))
    if not files:
        print("no cases found under tests/golden/expected/analyzers/")
        return 1
    failures = checked = 0
    for path in files:
        name = os.path.basename(path)[:-5]
        if a.case and name not in a.case:
            continue
        with open(path) as f:
            case = json.load(f)
        got, problem = run_case(a.bin, a.root, case)
        if got is None:
            if problem.endswith("not present") and case["capture"].startswith("../shared/"):
                print(f"skip {name}: {problem}")
                continue
            print(f"FAIL {name}: {problem}")
            failures += 1
            continue
        if a.update:
            case["events"] = got
            with open(path, "w") as f:
                json.dump(case, f, indent=1, ensure_ascii=False)
                f.write("\n")
            print(f"updated {name}: {len(got)} events")
            continue
        checked += 1
        if not case["events"]:
            print(f"FAIL {name}: no expected events (a case must expect something)")
            failures += 1
        elif got == case["events"]:
            print(f"ok   {name}: {len(got)} events")
        else:
            print(f"FAIL {name}: {case['capture']}\n{first_difference(got, case['events'])}")
            failures += 1
    print(f"{checked - failures} of {checked} cases match")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
