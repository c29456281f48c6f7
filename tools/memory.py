"""Resident memory of a process and its descendants, read from Linux /proc, and a sampler of
its peak: the one memory meter of the benchmark and the load test."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def rss_kb(pid: int) -> int:
    """Resident memory of a running process in KiB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def descendants(pid: int) -> list[int]:
    """All processes below pid."""
    out = []
    for tasks in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children = [int(c) for c in tasks.read_text().split()]
        except (OSError, ValueError):
            continue  # the task ended between listing and reading
        for child in children:
            out += [child, *descendants(child)]
    return out


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def descendants_rss_kb(pid: int) -> int:
    """Resident memory of all processes below pid in KiB.

    A child between fork and exec still shows its parent's pages, so it is left out, or they
    would count twice.
    """
    parent = _exe(pid)
    return sum(rss_kb(k) for k in descendants(pid) if _exe(k) not in ("", parent))


def rss_mb(pid: int, *, children: bool = False) -> float:
    """Resident memory of a process in MB; with children, plus its descendants' (0 if gone)."""
    return (rss_kb(pid) + (descendants_rss_kb(pid) if children else 0)) / 1024


class PeakSampler:
    """Peak resident memory of a process alone (`peak_mb`) and with its descendants
    (`peak_tree_mb`, e.g. the ffmpeg encoders), sampled in a thread every `poll_s`.

    ru_maxrss cannot give the second: it is per process, and for children it counts the Python
    image they were forked from. Sampling can miss a peak shorter than `poll_s`.
    """

    def __init__(self, pid: int | None = None, poll_s: float = 0.1) -> None:
        self.pid = os.getpid() if pid is None else pid
        self.poll_s = poll_s
        self.peak_mb = 0.0
        self.peak_tree_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            own_kb = rss_kb(self.pid)
            self.peak_mb = max(self.peak_mb, own_kb / 1024)
            tree_kb = own_kb + descendants_rss_kb(self.pid)
            self.peak_tree_mb = max(self.peak_tree_mb, tree_kb / 1024)
            if self._stop.wait(self.poll_s):
                return

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
