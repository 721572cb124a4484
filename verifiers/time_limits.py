"""Per-problem time limits derived from the reference solution's own run, as EvalPlus does.

One generic limit is either too tight for a problem whose honest solutions are slow or far
too loose for the rest (each hanging program then costs the whole limit). `timeout auto`
runs each problem's reference once in the sandbox and gives the problem
max(AUTO_FLOOR_S, AUTO_FACTOR x its run time), capped by the configured limit;
AUTO_NO_REFERENCE_S when it has no reference, or its reference fails.

The reference's time is its own CPU time, as the verdict is judged on CPU time in every
language (docs/topics/verdicts-under-load.md): a busy machine changes neither.

`ReferenceTimes` is the one code path: `verify`, `synth`, the service and the TRL adapter each
keep one, which measures a problem's reference once (keyed by the problem's content and the
limits it ran under, so rows that share an id but not their tests are measured apart) and
then gives the problem its limit, blocking (`measure`) or awaited (`ameasure`, the service).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence

from codesynth.ids import ref_id
from codesynth.models import Candidate, ExecutionResult, Limits, Problem
from codesynth.rundir import digest
from codesynth.sandbox.backend import Backend, ExecRequest, build_request
from codesynth.sandbox.executor import execute_many

AUTO_FLOOR_S, AUTO_FACTOR, AUTO_NO_REFERENCE_S = 1.0, 4.0, 4.0

#: Executes requests, yielding (index, result) in completion order (verifiers.scoring.Runner).
Runner = Callable[[Sequence[ExecRequest]], AsyncIterator[tuple[int, ExecutionResult]]]


def auto_time_limit(reference_s: float | None, cap_s: float) -> float:
    """The time limit for a problem whose reference ran in `reference_s` (None: no usable one)."""
    t = AUTO_NO_REFERENCE_S if reference_s is None else max(AUTO_FLOOR_S, AUTO_FACTOR * reference_s)
    return round(min(cap_s, t), 3)


def own_time(res: ExecutionResult) -> float | None:
    """A reference run's own time: its CPU time where measured, else its wall time; None when
    it failed (a failing reference says nothing of time)."""
    if not res.passed:
        return None
    return res.cpu_s if res.cpu_s is not None else res.duration_s


class ReferenceTimes:
    """Each problem's reference run time, measured once, and the limits it gives the problem."""

    def __init__(self, max_entries: int = 100_000):
        self._own: dict[str, float | None] = {}
        self._max = max_entries  # a long-lived server meets new problems forever
        # A problem's digest by object (it is asked for every candidate; a suite can be large).
        self._digests: dict[int, tuple[Problem, str]] = {}

    def _key(self, problem: Problem, base: Limits) -> str:
        known = self._digests.get(id(problem))
        if known is None or known[0] is not problem:
            if len(self._digests) >= self._max:
                self._digests.clear()
            known = self._digests[id(problem)] = (problem, digest(problem))
        return known[1] + digest(base)

    def pending(self, problems: Iterable[Problem], base: Limits) -> dict[str, ExecRequest]:
        """The reference runs still to make under `base`, by key (a problem without a reference
        is settled at once: the no-reference limit)."""
        todo: dict[str, ExecRequest] = {}
        for p in problems:
            key = self._key(p, base)
            if key in self._own or key in todo:
                continue
            if not p.reference_solution:
                self._remember(key, None)
                continue
            ref = Candidate(candidate_id=ref_id(p.id), problem_id=p.id, solution=p.reference_solution)
            todo[key] = build_request(p, ref, base).model_copy(update={"measure_cpu": True})
        return todo

    def _remember(self, key: str, own: float | None) -> None:
        if len(self._own) >= self._max:
            self._own.clear()  # measured again when met again: better than unbounded memory
        self._own[key] = own

    def measure(self, problems: Iterable[Problem], backend: Backend, base: Limits, workers: int | None = None) -> None:
        """Run the references not measured yet under `base`, blocking."""
        todo = self.pending(problems, base)
        for key, res in execute_many(backend, todo.items(), workers=workers):
            self._remember(key, own_time(res))

    async def ameasure(self, problems: Iterable[Problem], base: Limits, run: Runner) -> None:
        """`measure`, awaited: the requests go through `run` (the service's admission)."""
        todo = list(self.pending(problems, base).items())
        if todo:
            async for i, res in run([req for _, req in todo]):
                self._remember(todo[i][0], own_time(res))

    def limits_for(self, problem: Problem, base: Limits) -> Limits:
        """`base` with the problem's own time limit (at most `base.timeout_s`), once measured."""
        key = self._key(problem, base)
        if key not in self._own:
            return base
        return base.model_copy(update={"timeout_s": auto_time_limit(self._own[key], base.timeout_s)})


def reference_limits(problems: Sequence[Problem], backend: Backend, base: Limits,
                     workers: int | None = None) -> list[Limits]:
    """`base` with each problem's own time limit (aligned with `problems`), its reference run once."""
    times = ReferenceTimes()
    times.measure(problems, backend, base, workers)
    return [times.limits_for(p, base) for p in problems]
