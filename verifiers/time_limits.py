"""Per-problem time limits derived from the reference solution's own run, as EvalPlus does.

One generic limit is either too tight for a problem whose honest solutions are slow or far
too loose for the rest (each hanging program then costs the whole limit). `timeout auto`
runs each problem's reference once in the sandbox and gives the problem
max(AUTO_FLOOR_S, AUTO_FACTOR x its run time), capped by the configured limit;
AUTO_NO_REFERENCE_S when it has no reference, or its reference fails.

The reference's time is its own CPU time, as the verdict is judged on CPU time
(docs/topics/verdicts-under-load.md): a busy machine changes neither. Where CPU time is
not measured (languages other than Python) its wall-clock duration stands in, which on a
busy machine gives a larger limit, never a smaller one.
"""

from __future__ import annotations

from collections.abc import Sequence

from codesynth.ids import ref_id
from codesynth.models import Candidate, Limits, Problem
from codesynth.sandbox.backend import Backend, build_request
from codesynth.sandbox.executor import execute_many

AUTO_FLOOR_S, AUTO_FACTOR, AUTO_NO_REFERENCE_S = 1.0, 4.0, 4.0


def auto_time_limit(reference_s: float | None, cap_s: float) -> float:
    """The time limit for a problem whose reference ran in `reference_s` (None: no usable one)."""
    t = AUTO_NO_REFERENCE_S if reference_s is None else max(AUTO_FLOOR_S, AUTO_FACTOR * reference_s)
    return round(min(cap_s, t), 3)


def reference_limits(problems: Sequence[Problem], backend: Backend, base: Limits,
                     workers: int | None = None) -> list[Limits]:
    """`base` with each problem's own time limit (aligned with `problems`), its reference run
    once. The reference's own CPU time is what counts (the verdict is judged on CPU time, and
    it does not grow on a busy machine); its wall time where CPU time is not measured."""
    refs = [(i, p) for i, p in enumerate(problems) if p.reference_solution]
    jobs = ((i, build_request(p, Candidate(candidate_id=ref_id(p.id), problem_id=p.id, solution=p.reference_solution
                                           or ""), base).model_copy(update={"measure_cpu": True}))
            for i, p in refs)
    own: dict[int, float] = {}
    for i, res in execute_many(backend, jobs, workers=workers):
        if res.passed:  # a failing reference says nothing of time
            own[i] = res.cpu_s if res.cpu_s is not None else res.duration_s
    return [base.model_copy(update={"timeout_s": auto_time_limit(own.get(i), base.timeout_s)})
            for i in range(len(problems))]
