"""What every benchmark here measures the same way: percentiles and where the machine's CPU went."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def percentile(sorted_values: list[float], p: float) -> float:
    """The p-th percentile (0-100) of values already sorted, nearest rank."""
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


def machine_cpu() -> tuple[int, int]:
    """(busy, total) clock ticks of all cores since boot, from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


def cpu_by_process() -> dict[int, tuple[int, str, float]]:
    """CPU seconds used so far by every process on the machine: pid -> (parent's pid, command
    line, seconds)."""
    tick = os.sysconf("SC_CLK_TCK")
    usage = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        usage[int(entry.name)] = (int(stat[1]), command, (int(stat[11]) + int(stat[12])) / tick)
    return usage


def cpu_used(before: dict[int, tuple[int, str, float]],
             after: dict[int, tuple[int, str, float]]) -> Iterator[tuple[int, int, str, float]]:
    """(pid, parent's pid, command line, CPU seconds) of every process that used CPU between two
    `cpu_by_process` snapshots (one started meanwhile counts from zero)."""
    for pid, (parent, command, seconds) in after.items():
        used = seconds - before.get(pid, (parent, command, 0.0))[2]
        if used > 0:
            yield pid, parent, command, used
