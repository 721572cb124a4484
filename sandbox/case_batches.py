"""Many stdin/stdout cases per program: batches across the pool's workers, and fail-fast.

A CodeContests-style problem has hundreds of cases. Each case is a fresh process either way
(io_run / langrun fork one per case and reset the scratch directory between them), so the
cases are independent and a program's case list can be cut into contiguous batches, each run
as its own request on a worker that is free (`Backend.idle_workers`: a busy pool spreads
nothing, which would only compile a program in several containers; the compile cache is per
container, keyed by the source). The batches' answers are merged back into
the verdict the whole list would have had: outcomes in case order, the first batch that did not
pass decides the status, nothing after a time-out or output cut counts (the whole run would have
stopped there), and the time limit still bounds all cases together (the batches' CPU seconds for
Python, their run time for compiled languages, are summed against it).

`fail_fast` (RL rewards: one failing case decides a binary reward) runs the batches in waves and
stops after the first wave with a failure; cases not run count as not passed, so a pass-fraction
reward is at most what the full run gives, and a passing program's verdict is unchanged.

Expected outputs never enter a container: the batches are judged here, on the host.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence

from codesynth.models import ExecutionResult, Status
from codesynth.sandbox.backend import Backend, ExecRequest

#: Fewer cases than this per batch are not worth a request of their own (a round trip is about a
#: millisecond, a case a fork and its run).
MIN_BATCH = 8
#: fail_fast: the case list is cut into about this many waves, so a failure stops the run early.
WAVES = 4
_STOPPED = (Status.timeout, Status.output_exceeded, Status.memory_exceeded, Status.sandbox_error)


def execute(backend: Backend, req: ExecRequest) -> ExecutionResult:
    """`backend.execute(req)`, with a long stdin/stdout case list run in batches (see above)."""
    n = len(req.cases)
    # A checker judges the whole list's outputs after the run (sandbox/checking.py); batches would
    # decide and stop on exact comparison first, so such a problem runs as one request.
    if req.kind != "io" or req.host_error or req.checker is not None or n < 2 or (not req.fail_fast and n < 2 * MIN_BATCH):
        return backend.execute(req)
    # Only over workers that are free now: with the pool busy (a large run), spreading would compile
    # a program in several containers for nothing; at a run's tail, or one program alone, it cuts latency.
    width = max(1, min(backend.idle_workers(), n // MIN_BATCH if not req.fail_fast else n))
    if not req.fail_fast:
        if width < 2:
            return backend.execute(req)
        return merge(req, *_run_wave(backend, split(req, width)))
    size = max(1, math.ceil(n / (width * WAVES)), min(MIN_BATCH, math.ceil(n / width)))
    batches = split(req, math.ceil(n / size))
    done_b: list[ExecRequest] = []
    done_r: list[ExecutionResult] = []
    for start in range(0, len(batches), width):
        wave, results = _run_wave(backend, batches[start:start + width])
        done_b += wave
        done_r += results
        if any(not r.passed for r in results):
            break
    return merge(req, done_b, done_r)


def split(req: ExecRequest, parts: int) -> list[ExecRequest]:
    """`req` as `parts` requests over contiguous slices of its cases (Python ones report their CPU time)."""
    n = len(req.cases)
    parts = max(1, min(parts, n))
    bounds = [round(i * n / parts) for i in range(parts + 1)]
    pc = req.public_cases  # a batch's own count: its outcomes are marked private by their index in it
    return [req.model_copy(update={"cases": req.cases[a:b], "measure_cpu": req.measure_cpu or req.language == "python",
                                   "candidate_id": req.candidate_id,
                                   "public_cases": None if pc is None else max(0, min(b, pc) - a)})
            for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _run_wave(backend: Backend, batches: Sequence[ExecRequest]) -> tuple[list[ExecRequest], list[ExecutionResult]]:
    results: list[ExecutionResult | BaseException | None] = [None] * len(batches)

    def one(i: int) -> None:
        try:
            results[i] = backend.execute(batches[i])
        except BaseException as e:  # noqa: BLE001 - raised in the caller's thread below
            results[i] = e

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(1, len(batches))]
    for t in threads:
        t.start()
    one(0)
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return list(batches), results  # type: ignore[return-value]


def merge(req: ExecRequest, batches: Sequence[ExecRequest], results: Sequence[ExecutionResult]) -> ExecutionResult:
    """The verdict of `req` from its batches' (contiguous, in order, maybe not all of them run)."""
    tests = []
    offset = 0
    first_bad: ExecutionResult | None = None
    used = 0.0
    for b, r in zip(batches, results, strict=True):
        tests += [o.model_copy(update={"name": f"case {offset + j}"}) for j, o in enumerate(r.tests, 1)]
        used += r.cpu_s if req.language == "python" and r.cpu_s is not None else r.duration_s
        offset += len(b.cases)
        if first_bad is None and not r.passed:
            first_bad = r
        if r.status in _STOPPED:
            break  # the whole list would have stopped here
    base = first_bad or results[-1]
    update = {"tests": tests, "tests_total": len(req.cases), "tests_passed": sum(o.passed for o in tests),
              "duration_s": round(sum(r.duration_s for r in results), 6), "attempts": max(r.attempts for r in results),
              "cpu_s": round(used, 4) if req.measure_cpu and req.language == "python" else None,
              "compile_s": results[0].compile_s, "compile_cached": results[0].compile_cached}
    if first_bad is None and used > req.limits.timeout_s:
        update.update(status=Status.timeout, error_type="Timeout",
                      error_message=f"the {len(req.cases)} cases together took {used:.2f} s, over the time limit "
                                    f"of {req.limits.timeout_s:g} s")
    elif first_bad is None and len(tests) < len(req.cases):  # cannot happen: every batch passed and ran
        update.update(status=Status.sandbox_error, error_message="a batch of cases came back incomplete")
    if req.fail_fast and len(tests) < len(req.cases) and first_bad is not None and first_bad.status not in _STOPPED:
        note = f" (fail-fast: {len(req.cases) - len(tests)} later cases not run)"
        update["error_message"] = (first_bad.error_message or "") + note
    return base.model_copy(update=update)
