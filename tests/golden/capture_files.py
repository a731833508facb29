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
