"""Figures: latency percentiles, and a process's memory and CPU read from /proc."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


def percentiles(seconds: Sequence[float]) -> dict[str, float | None]:
    """p50/p90/p99/max/mean in milliseconds (nearest rank), None when nothing was measured."""
    if not seconds:
        return {"p50": None, "p90": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(seconds)
    n = len(ordered)

    def rank(p: float) -> float:
        return round(ordered[min(n - 1, max(0, int(p * n + 0.5) - 1))] * 1000, 3)

    return {
        "p50": rank(0.50),
        "p90": rank(0.90),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": round(ordered[-1] * 1000, 3),
        "mean": round(sum(ordered) / n * 1000, 3),
    }


@dataclass(frozen=True, slots=True)
class ProcSample:
    rss_kib: int
    cpu_seconds: float  # user + system, all threads
    wait_seconds: float  # runnable but waiting for a CPU (other processes had it), all threads


def sample(pid: int) -> ProcSample | None:
    """The process's resident memory and CPU time so far; None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        # After the command's closing parenthesis: field 3 is the state, so utime and stime are 12 and 13.
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    return ProcSample(rss, cpu, _runqueue_wait(pid))


def _runqueue_wait(pid: int) -> float:
    """From /proc/PID/task/*/schedstat: nanoseconds on a CPU, waiting for one, timeslices."""
    waited = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as schedstat:
                    waited += int(schedstat.read().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    except OSError:
        return 0.0
    return waited / 1e9


def cpu_percent(before: ProcSample | None, after: ProcSample | None, wall_seconds: float) -> float | None:
    """CPU used between two samples, as a percentage of one core."""
    if before is None or after is None or wall_seconds <= 0:
        return None
    return round((after.cpu_seconds - before.cpu_seconds) / wall_seconds * 100, 1)


def wait_percent(before: ProcSample | None, after: ProcSample | None, wall_seconds: float) -> float | None:
    """Time the process was ready to run but another process held the CPU: the noise of a busy machine."""
    if before is None or after is None or wall_seconds <= 0:
        return None
    return round((after.wait_seconds - before.wait_seconds) / wall_seconds * 100, 1)
