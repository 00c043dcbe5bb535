"""CPU time per process from /proc, for the CPU-per-report figure of SPEC §9.

A process "tree" counts the process, its threads and its living children (PostgreSQL's backends), plus
the CPU of children that already exited (cutime/cstime), so a backend that ends during a phase still
counts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # fields after "pid (comm)"; comm may hold spaces


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return out


def tree_cpu_seconds(pid: int) -> float:
    """user+system CPU of `pid`, its descendants and its reaped children, in seconds (0 if it is gone)."""
    try:
        f = _stat(pid)
    except OSError:
        return 0.0
    # after the comm: utime, stime, cutime, cstime are fields 12-15 (0-based 11-14)
    ticks = int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    total = ticks / TICKS
    try:
        kids = _children(pid)
    except OSError:
        kids = []
    for child in kids:
        total += tree_cpu_seconds(child)
    return total


class CpuMeter:
    """Snapshots of named process trees; `since()` gives each one's CPU seconds between snapshots."""

    def __init__(self, pids: Mapping[str, list[int]]) -> None:
        self.pids = {name: list(p) for name, p in pids.items()}
        self.start = self.read()

    def read(self) -> dict[str, float]:
        return {name: sum(tree_cpu_seconds(p) for p in pids) for name, pids in self.pids.items()}

    def since(self) -> dict[str, float]:
        now = self.read()
        return {name: now[name] - self.start[name] for name in now}


def local_stack_pids(run_dir: Path) -> dict[str, list[int]]:
    """Kafka's and PostgreSQL's PIDs from the local stack's `.local/run/<name>.pid`."""
    out = {}
    for name in ("kafka", "postgres"):
        try:
            out[name] = [int((run_dir / f"{name}.pid").read_text().split()[0])]
        except (OSError, ValueError, IndexError):
            pass
    return out
