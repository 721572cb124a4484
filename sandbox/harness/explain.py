"""How a program ended, in words: out-of-memory kills (the cgroup's counter), signals, the
CPU and wall-clock limits."""

from __future__ import annotations

import signal

import cputime
import waiting

_OOM_FILES = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")


def oom_kills() -> int | None:
    """The container cgroup's OOM-kill counter (cgroup v2 or v1), if readable."""
    for path in _OOM_FILES:
        try:
            with open(path) as fh:
                for line in fh:
                    k, _, v = line.partition(" ")
                    if k == "oom_kill":
                        return int(v)
        except (OSError, ValueError):
            continue
    return None


def time_verdict(how: str, cpu_s: float, limits: dict, oom_before: int | None, oom_after: int | None) -> dict:
    """A program stopped on time (`how`: "cpu", its CPU budget; "idle", the wall-clock net for
    sleepers; "timeout", the hard wall-clock bound).
    An out-of-memory kill during the run decides first: a memory bomb slowed down by a busy
    machine is still a memory bomb."""
    if oom_before is not None and oom_after is not None and oom_after > oom_before:
        return {"status": "memory_exceeded", "error_type": "Killed", "cpu_s": round(cpu_s, 3),
                "error_message": f"killed by the out-of-memory killer (limit {limits['memory_mb']} MB)"}
    limit = float(limits["timeout_s"])
    if how == "cpu":
        msg = f"used {cpu_s:.2f} s of CPU time; the limit is {limit:g} s"
    elif how == "idle":
        msg = (f"idle (sleeping or blocked) for {cputime.wall_limit(limit):g} s of wall-clock time, the safety net "
               f"of a {limit:g} s CPU time limit (it had used {cpu_s:.2f} s of CPU)")
    else:
        msg = (f"still running after {cputime.hard_wall_limit(limit):g} s of wall-clock time, the bound of a "
               f"{limit:g} s CPU time limit however busy the machine (it had used {cpu_s:.2f} s of CPU)")
    return {"status": "timeout", "error_type": "Timeout", "error_message": msg,
            "timeout_kind": "cpu" if how == "cpu" else "wall", "cpu_s": round(cpu_s, 3)}


def explain_death(status: int | None, limits: dict, oom_before: int | None = None,
                   cpu_s: float | None = None) -> dict:
    code, sig = waiting.decode_status(status)
    cpu_limit = int(limits["timeout_s"]) + 2  # child.limits: the soft CPU limit
    if sig == signal.SIGKILL:
        after = oom_kills()
        if oom_before is None or after is None or after > oom_before:
            return {"status": "memory_exceeded", "error_type": "Killed",
                    "error_message": f"killed by the out-of-memory killer (limit {limits['memory_mb']} MB)"}
        if cpu_s is not None and cpu_s >= cpu_limit:
            return {"status": "timeout", "error_type": "CPUTimeLimit",
                    "error_message": f"killed at the CPU time limit ({cpu_limit} s; it ignored SIGXCPU)"}
        used = f"{cpu_s:.2f} s of CPU of {cpu_limit} s, " if cpu_s is not None else ""
        return {"status": "crashed", "error_type": "SIGKILL",
                "error_message": "killed by signal SIGKILL, sent by the program itself or a process it started: "
                                 f"no limit of the sandbox was reached ({used}no out-of-memory kill, "
                                 "the sandbox kills a program only at its CPU time limit or its wall-clock safety net)"}
    if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
        name = signal.Signals(sig).name
        return {"status": "crashed", "error_type": name,
                "error_message": f"killed by signal {name} (a crash in C code; an allocation refused by the "
                                 f"{limits['memory_mb']} MB address-space limit can end this way)"}
    if sig == signal.SIGXCPU:
        return {"status": "timeout", "error_type": "CPUTimeLimit", "error_message": "exceeded the CPU time limit"}
    if sig == signal.SIGXFSZ:
        return {"status": "crashed", "error_type": "FileSizeLimit", "error_message": "exceeded the file size limit"}
    if sig is not None:
        return {"status": "crashed", "error_type": signal.Signals(sig).name,
                "error_message": f"killed by signal {signal.Signals(sig).name}"}
    if code is not None:
        return {"status": "failed", "error_type": "EarlyExit",
                "error_message": f"the program exited (code {code}) before the tests finished"}
    return {}
