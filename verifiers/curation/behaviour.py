"""Does a benchmark item's reference solution reproduce a record's test cases?

The strongest sign that a record *is* a benchmark item under other words: the item's own
reference, called on the record's test inputs, returns the record's expected values. A
paraphrase with an independently written solution and tests of its own shares no text with
the item, but it specifies the same function. Only the benchmark's reference runs here (data
the operator named: HumanEval, MBPP, a problem file), never the record's code, and only on the
record's literal arguments; it runs in a child process under a memory and CPU limit, each call
under a time limit, so a slow or crashing reference costs a bounded moment and no verdict.
"""

from __future__ import annotations

import copy
import math
import multiprocessing as mp
import resource
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any

#: the child's address space: a reference given a huge input fails, the curate run does not
MEMORY_BYTES = 1 << 30
CALL_SECONDS = 0.5
#: seconds of wall time a batch may take beyond its CPU limits (start-up, a loaded machine)
WALL_SLACK = 60.0

_fns: dict[str, Any] = {}


class _Slow(Exception):
    pass


def _alarm(*_):
    raise _Slow


def _init() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    signal.signal(signal.SIGVTALRM, _alarm)  # CPU time, not wall: a loaded machine is no timeout


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        try:
            return math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9)
        except TypeError:
            return False
    if isinstance(got, (list, tuple)) and isinstance(want, (list, tuple)):
        return len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want, strict=True))
    try:
        return bool(got == want)
    except Exception:  # noqa: BLE001 - a reference's odd return value is no match, not a crash
        return False


def _count(key: str, solution: str, entry: str, cases: list[tuple[tuple, Any]]) -> int:
    """In the child: how many of `cases` the reference `entry` of `solution` reproduces."""
    fn = _fns.get(key)
    if fn is None:
        ns: dict[str, Any] = {"__name__": "reference"}
        try:
            signal.setitimer(signal.ITIMER_VIRTUAL, 2 * CALL_SECONDS)
            exec(compile(solution, key, "exec"), ns)  # the benchmark's own reference: trusted data
        except BaseException:  # noqa: BLE001 - a reference that does not load reproduces nothing
            return 0
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        fn = _fns[key] = ns.get(entry)
    if not callable(fn):
        return 0
    hits = 0
    for args, want in cases:
        try:
            signal.setitimer(signal.ITIMER_VIRTUAL, CALL_SECONDS)
            got = fn(*copy.deepcopy(args))
            hits += _same(got, want)
        except BaseException:  # noqa: BLE001 - wrong arity, a crash, too slow: not reproduced
            pass
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
    return hits


class Reproducer:
    """One child process that runs benchmark references on record inputs (made lazily)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def count(self, key: str, solution: str, entry: str, cases: list[tuple[tuple, Any]]) -> int:
        if not cases or not entry:
            return 0
        for _ in range(2):  # a child that died (a reference's segfault) is replaced once
            if self._pool is None:
                # spawn, not fork: the curate process may hold threads (torch's, a sandbox pool's)
                self._pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=_init)
            try:
                # wall-clock backstop for a child stuck outside Python (the CPU limits are inside)
                return self._pool.submit(_count, key, solution, entry, cases).result(
                    timeout=CALL_SECONDS * len(cases) + WALL_SLACK)
            except (BrokenProcessPool, FutureTimeout):
                self.close()
        return 0

    def close(self) -> None:
        if self._pool is not None:
            for p in list(getattr(self._pool, "_processes", {}).values()):
                p.kill()  # a hung child: shutdown would wait for it
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Reproducer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
