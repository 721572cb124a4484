"""Running many (problem, candidate) pairs through a backend, in parallel, in input order.

The verifiers' own small executor (mutants, agreement probes, adapters): the verify
pipeline's orchestration lives above this layer and is not imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from codesynth.models import Candidate, DatasetRecord, ExecutionResult, Limits, Problem
from codesynth.sandbox.backend import Backend, build_request


def run_pairs(
    pairs: Sequence[tuple[Problem, Candidate]],
    backend: Backend,
    limits: Limits | None = None,
    workers: int | None = None,
) -> list[ExecutionResult]:
    """Execute every pair; results come back in the order of `pairs`."""
    if not pairs:
        return []
    limits = limits or Limits()
    n = max(1, min(len(pairs), workers or backend.capacity))
    reqs = [build_request(p, c, limits) for p, c in pairs]
    if n == 1:
        return [backend.execute(r) for r in reqs]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="codesynth-verify") as pool:
        return list(pool.map(backend.execute, reqs))


def record_problem(rec: DatasetRecord) -> Problem:
    """The problem a dataset record was verified against (its tests travel with it)."""
    return Problem(
        id=rec.problem_id,
        prompt=rec.instruction,
        entry_point=rec.entry_point,
        tests=rec.tests,
        language=rec.language,
    )
