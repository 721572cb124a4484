"""Per-problem time limits derived from the reference solution's own run, as EvalPlus does.

One generic limit is either too tight for a problem whose honest solutions are slow or far
too loose for the rest (each hanging program then costs the whole limit). `timeout auto`
runs each problem's reference once in the sandbox and gives the problem
max(AUTO_FLOOR_S, AUTO_FACTOR x its run time), capped by the configured limit;
AUTO_NO_REFERENCE_S when it has no reference, or its reference fails.

The reference's time is its wall-clock duration, which is at least its CPU time: measured
on a busy machine the limit comes out larger, never smaller, than on an idle one, and the
verdict itself is judged on CPU time (docs/topics/verdicts-under-load.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from codesynth.ids import ref_id
from codesynth.models import Candidate, Limits, Problem
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.execution import run_pairs

AUTO_FLOOR_S, AUTO_FACTOR, AUTO_NO_REFERENCE_S = 1.0, 4.0, 4.0


def auto_time_limit(reference_s: float | None, cap_s: float) -> float:
    """The time limit for a problem whose reference ran in `reference_s` (None: no usable one)."""
    t = AUTO_NO_REFERENCE_S if reference_s is None else max(AUTO_FLOOR_S, AUTO_FACTOR * reference_s)
    return round(min(cap_s, t), 3)


def reference_limits(problems: Sequence[Problem], backend: Backend, base: Limits,
                     workers: int | None = None) -> list[Limits]:
    """`base` with each problem's own time limit (aligned with `problems`), its reference run once."""
    refs = [(i, p) for i, p in enumerate(problems) if p.reference_solution]
    runs = run_pairs([(p, Candidate(candidate_id=ref_id(p.id), problem_id=p.id, solution=p.reference_solution or ""))
                      for _, p in refs], backend, base, workers=workers)
    own: dict[int, float] = {i: res.duration_s for (i, _), res in zip(refs, runs, strict=True) if res.passed}
    return [base.model_copy(update={"timeout_s": auto_time_limit(own.get(i), base.timeout_s)})
            for i in range(len(problems))]
