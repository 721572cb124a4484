"""(problem, candidate) pairs through the one executor, results in input order.

What mutants, agreement probes and the adapters need: a list in, a list out. The
parallelism is `codesynth.sandbox.executor.execute_many`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from codesynth.models import Candidate, DatasetRecord, ExecutionResult, Limits, Problem
from codesynth.sandbox.backend import Backend, build_request
from codesynth.sandbox.executor import execute_many


def run_pairs(
    pairs: Sequence[tuple[Problem, Candidate]],
    backend: Backend,
    limits: Limits | None = None,
    workers: int | None = None,
    limits_for: Callable[[Problem], Limits] | None = None,
    fail_fast: bool = False,
) -> list[ExecutionResult]:
    """Execute every pair; results come back in the order of `pairs`. `limits_for` gives a
    problem its own limits (e.g. a time limit derived from its reference), else `limits`.
    `fail_fast`: stdin/stdout problems stop at their first failing case."""
    limits = limits or Limits()
    jobs = ((i, build_request(p, c, limits_for(p) if limits_for else limits, fail_fast=fail_fast))
            for i, (p, c) in enumerate(pairs))
    out = [res for _, res in execute_many(backend, jobs, ordered=True, workers=workers)]
    if len(out) != len(pairs):  # the backend was closed under us (Ctrl-C): no partial verdict list
        from codesynth.sandbox.backend import BackendClosed

        raise BackendClosed(f"{len(pairs) - len(out)} of {len(pairs)} programs got no verdict")
    return out


def record_problem(rec: DatasetRecord) -> Problem:
    """The problem a dataset record was verified against (its tests travel with it)."""
    return Problem(
        id=rec.problem_id,
        prompt=rec.instruction,
        entry_point=rec.entry_point,
        tests=rec.tests,
        language=rec.language,
    )
