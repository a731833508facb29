"""Shared by the golden tests: the capture files under the given paths."""
import glob, os


def captures(paths):
    """Files given directly, plus every *.pcap and *.pcapng under given directories."""
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(glob.glob(os.path.join(p, "**", "*.pcap"), recursive=True))
            out += sorted(glob.glob(os.path.join(p, "**", "*.pcapng"), recursive=True))
        else:
            out.append(p)
    return out


# Every kind of capture file netsift reads, gzip'd ones included.
CAPTURE_EXTS = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz")


def every_capture(paths, exclude=(), exts=CAPTURE_EXTS):
    """Files given directly, plus every capture file (ending in one of `exts`) under
    given directories, walked in order, but for paths that contain any of `exclude`."""
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    full = os.path.join(root, f)
                    if f.endswith(exts) and not any(x in full for x in exclude):
                        yield full
        else:
            yield p
