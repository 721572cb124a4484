"""A time-out that may be the machine's, not the program's, is confirmed by one more run.

The supervisor judges time on the program's own CPU time (harness/cputime.py), so load
beside the pool no longer turns a correct program into a time-out by itself. Two cases can
still be the machine's, and only those are run a second time (the second verdict is the
one recorded; a time-out that repeats says so in its message):

- the wall-clock safety net stopped a program that was computing (it had used at least
  CONFIRM_WALL_CPU_SHARE of its CPU budget): it got too little of a CPU to finish in time;
- the CPU budget ran out while the run was contended (its wall time more than
  CONTENDED_RATIO times its CPU time): CPU time inflates a little on a busy core (shared
  caches, sibling threads), which matters only for a program near its limit.

A sleeper (no CPU used) and a loop on an idle machine are recorded at once: no second run.
"""

from __future__ import annotations

from collections.abc import Callable

from codesynth.models import ExecutionResult, Status
from codesynth.sandbox.backend import ExecRequest

CONFIRM_WALL_CPU_SHARE = 0.25
CONTENDED_RATIO = 1.25


def needs_confirmation(resp: dict | None, limit_s: float) -> bool:
    """Whether the supervisor's answer `resp` is a time-out that deserves one more run."""
    if not resp or resp.get("status") != "timeout":
        return False
    kind, cpu_s = resp.get("timeout_kind"), resp.get("cpu_s")
    if not isinstance(cpu_s, (int, float)):
        return False
    if kind == "wall":
        return cpu_s >= CONFIRM_WALL_CPU_SHARE * limit_s
    if kind == "cpu":
        wall = resp.get("duration_s")
        return isinstance(wall, (int, float)) and wall > CONTENDED_RATIO * max(cpu_s, 1e-3)
    return False


def confirmed(request: ExecRequest,
              run_once: Callable[[ExecRequest], tuple[ExecutionResult, dict | None]]) -> ExecutionResult:
    """Run `request` through `run_once` (a backend's single attempt, returning its verdict
    and the supervisor's raw answer), once more if that answer is a doubtful time-out."""
    res, resp = run_once(request)
    if not needs_confirmation(resp, request.limits.timeout_s):
        return res
    again, _ = run_once(request)
    if again.status is Status.timeout and again.error_message:
        again.error_message += " (confirmed by a second run)"
    return again
