"""The time verdict: a program's own CPU time, with the wall clock as a safety net only.

A wall-clock limit measures the machine as much as the program: beside busy containers (the
CPU is shared per cgroup) a correct program that needs 2 s of CPU can take 30 s of wall time.
So a program times out when its process group has *used* `timeout_s` seconds of CPU (user +
system, its reaped children included), read from /proc while it runs; the kernel's
RLIMIT_CPU (child.py, a little above) backs that up.

The wall clock stops what does not use the CPU it could: a sleeper, a program blocked on a
pipe. Time a program spends *waiting for a CPU* (runnable, not running: the kernel's run
delay, /proc/PID/schedstat) is the machine's, so it does not count: the net stops a program
once it has been idle (neither running nor waiting to run) for WALL_FACTOR x the limit +
WALL_EXTRA_S. A program starved by other containers is never stopped for it until
HARD_WALL_FACTOR x the limit + HARD_WALL_EXTRA_S, the bound on any run's wall time.

Reading /proc costs a directory scan, so it happens only once a run has lasted long enough
that it might be over a limit; a program that ends before is never measured.
"""

from __future__ import annotations

import os

WALL_FACTOR, WALL_EXTRA_S = 3.0, 1.0
HARD_WALL_FACTOR, HARD_WALL_EXTRA_S = 20.0, 10.0
_TICK = os.sysconf("SC_CLK_TCK")
_CORES = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def wall_limit(timeout_s: float) -> float:
    """How long a program may be idle (sleeping, blocked) under a CPU time limit of `timeout_s`."""
    return timeout_s * WALL_FACTOR + WALL_EXTRA_S


def hard_wall_limit(timeout_s: float) -> float:
    """The wall-clock bound on any run under a CPU time limit of `timeout_s`, starved or not."""
    return timeout_s * HARD_WALL_FACTOR + HARD_WALL_EXTRA_S


def group_times(pgid: int) -> tuple[float, float]:
    """(cpu_s, busy_s) of process group `pgid`: the CPU seconds its processes and the children
    they reaped used; the longest any thread of a member has been running or waiting to run (at
    least cpu_s: children it reaped were busy for their CPU time).

    A process that left the group (setsid) is not counted: RLIMIT_CPU and the hard wall-clock
    bound still limit it."""
    cpu = 0
    busy = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0.0, 0.0
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
            # After "pid (comm) ": field 3 on; pgrp is field 5, utime..cstime fields 14-17.
            rest = data[data.rfind(b")") + 2:].split()
            if int(rest[2]) != pgid:
                continue
            cpu += int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])
            busy = max(busy, _busiest_thread_ns(name))
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or no schedstat (then the idle net counts all wall time)
    cpu_s = cpu / _TICK
    return cpu_s, max(busy / 1e9, cpu_s)  # reaped children's CPU was busy time too


def _busiest_thread_ns(pid: str) -> int:
    """The longest any thread of process `pid` has been running or waiting to run (ns). Per
    thread: a JVM's or a Go program's first thread may wait the whole run while others compute."""
    busy = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        tids = []
    for tid in tids or [pid]:
        path = f"/proc/{pid}/task/{tid}/schedstat" if tids else f"/proc/{pid}/schedstat"
        try:
            with open(path, "rb") as fh:
                on_cpu_ns, waited_ns = fh.read().split()[:2]
            busy = max(busy, int(on_cpu_ns) + int(waited_ns))
        except (OSError, IndexError, ValueError):
            continue
    return busy


class CpuClock:
    """When to look at a running program, and whether a limit has stopped it.

    `pgid`: the program's process group; `limit_s`: its CPU budget; `start`: the monotonic
    time it started."""

    def __init__(self, pgid: int, limit_s: float, start: float, idle_limit_s: float):
        self.pgid, self.limit_s, self.start, self.idle_limit_s = pgid, limit_s, start, idle_limit_s
        # Neither limit can be reached sooner: CPU accrues at most `cores` seconds per second.
        self.next_check = start + min(max(limit_s, 0.0) / _CORES, idle_limit_s)
        self.used_s = 0.0
        self.idle_s = 0.0

    def expired(self, now: float) -> str | None:
        """Measure if it is time to: "cpu" once the CPU budget is used up, "idle" once the
        program has been idle for its limit, else None."""
        if now < self.next_check:
            return None
        self.used_s, busy = group_times(self.pgid)
        self.idle_s = max(0.0, (now - self.start) - busy)
        cpu_left = self.limit_s - self.used_s
        idle_left = self.idle_limit_s - self.idle_s
        if cpu_left <= 0:
            return "cpu"
        if idle_left <= 0:
            return "idle"
        self.next_check = now + max(0.02, min(cpu_left / _CORES, idle_left))
        return None
