"""Memory readings shared by the benchmarks: a process's current and peak resident memory."""

from __future__ import annotations

import resource
import sys


def _status_kib(veld: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(veld + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_bytes() -> int:
    """The process's own peak resident memory so far."""
    # VmHWM belongs to the process's own address space; ru_maxrss would start at the parent's
    # peak, because Linux carries it over fork and exec.
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib * 1024
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def rss_bytes() -> int:
    """The process's resident memory now (the peak where /proc is not there)."""
    kib = _status_kib("VmRSS")
    return kib * 1024 if kib is not None else peak_rss_bytes()
