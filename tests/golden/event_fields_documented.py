#!/usr/bin/env python3
"""Every JSON field netsift emits is documented in docs/events.md, for its event kind.

Runs `packets --json` (with --payload and --verify-checksums), `sessions --json` (whole
sessions and --stream) and `stats --json` over every capture given (files or
directories), collects each event kind's keys at every depth (objects inside arrays
too), and fails naming each field the docs do not mention in that kind's section (or
in a shared preamble). Keeps docs/events.md from drifting behind the code.

Usage: event_fields_documented.py --bin build/netsift --doc docs/events.md PATH...
"""
import argparse, json, os, re, subprocess, sys

MODES = [["packets", "--json", "--payload", "--verify-checksums"],
         ["sessions", "--json"], ["sessions", "--json", "--stream", "--base64"],
         ["stats", "--json"]]


def documented(doc):
    """{kind: names} from `### `kind`` sections; names outside any kind section are shared."""
    kinds, shared, current = {}, set(), None
    for line in doc.splitlines():
        m = re.match(r"^#{2,4} (.*)$", line)
        if m:
            title, _, rest = m.group(1).partition(" — ")
            heads = re.findall(r"`([a-z_][a-z0-9_]*)`", title)
            current = heads or None
            for k in heads:
                kinds.setdefault(k, set())
            # The rest of a heading may document a field ("`auth` — Redis (`service: ...`)").
            for code in re.findall(r"`([^`]+)`", rest):
                for k in heads:
                    kinds[k].update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))
            continue
        names = set()
        for code in re.findall(r"`([^`]+)`", line):
            names.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))
        if current:
            for k in current:
                kinds[k] |= names
        else:
            shared |= names
    return kinds, shared


# Objects whose keys are data, not field names (a message's header names).
OPEN_MAPS = {"req_headers", "resp_headers", "client_attributes", "protocol_packets"}


def keys(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            if k not in OPEN_MAPS:
                keys(v, out)
    elif isinstance(value, list):
        for v in value:
            keys(v, out)


def captures(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    if f.endswith((".pcap", ".pcapng", ".cap")):
                        yield os.path.join(root, f)
        else:
            yield p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    with open(a.doc) as f:
        kinds, shared = documented(f.read())
    files = list(captures(a.paths))
    emitted = {}  # kind -> {field: example file}
    for mode in MODES:
        for i in range(0, len(files), 100):
            batch = files[i:i + 100]
            args = [a.bin, *mode, "--no-progress"]
            for f in batch:
                args += ["-r", f]
            p = subprocess.run(args, capture_output=True, timeout=600)
            for line in p.stdout.decode(errors="replace").splitlines():
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                found = set()
                keys(e, found)
                for k in found:
                    emitted.setdefault(e.get("event", "?"), {}).setdefault(k, " ".join(mode))
    missing = []
    for kind, fields in sorted(emitted.items()):
        if kind not in kinds:
            missing.append(f"event kind '{kind}' has no section in {a.doc}")
            continue
        for field, mode in sorted(fields.items()):
            if field not in kinds[kind] and field not in shared:
                missing.append(f"'{kind}' field '{field}' (netsift {mode}) is not documented")
    for m in missing:
        print("FAIL " + m)
    total = sum(len(v) for v in emitted.values())
    print(f"{len(files)} captures, {len(emitted)} event kinds, {total} fields emitted, "
          f"{len(missing)} undocumented")
    sys.exit(1 if missing or not emitted else 0)


if __name__ == "__main__":
    main()
