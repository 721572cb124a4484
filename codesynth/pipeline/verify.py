"""Verify: problems + candidates -> sandbox -> verdicts -> the run directory.

`verify_candidates` is the whole verify stage (fingerprint, resume, summary);
`RunRecorder` + `verify_stream` are what every generation mode uses to judge candidates
as the model writes them: each record lands on disk as soon as its verdict exists.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ConfigDict

from codesynth.errors import InputError, SandboxUnavailable, sigterm_as_interrupt
from codesynth.jsonl import write_json
from codesynth.models import Candidate, ExecutionResult, Problem, RunSummary, Status
from codesynth.rundir import (
    SUMMARY,
    RunState,
    check_fingerprint,
    problem_tallies,
    require_fresh,
)
from codesynth.sandbox.backend import Backend
from codesynth.sandbox.executor import execute_many
from codesynth.verifiers.outputs.metrics import mean_pass_at_k
from codesynth.verifiers.run_recorder import RunRecorder
from codesynth.verifiers.scoring import judge, request_for
from codesynth.verifiers.settings import ExecutionSettings, RunOptions

T = TypeVar("T")


class VerifyConfig(ExecutionSettings, RunOptions):
    """A verify run's settings: what decides verdicts (`ExecutionSettings`, hashed into the run's
    fingerprint) and how the run proceeds (`RunOptions`: resume, update, progress)."""

    model_config = ConfigDict(extra="forbid")

    def execution(self) -> ExecutionSettings:
        return ExecutionSettings.model_validate(self.model_dump(include=set(ExecutionSettings.model_fields)))


def backend_for(config: ExecutionSettings, run_id: str | None = None, languages: set[str] | None = None) -> Backend:
    """A started backend as `config` says (the caller closes it); `languages`: what it must run."""
    return config.open_backend(run_id, languages)


@contextmanager
def using_backend(config: ExecutionSettings, backend: Backend | None,
                  languages: set[str] | None = None) -> Iterator[Backend]:
    """The caller's backend, or one opened for the duration and closed after."""
    if backend is not None:
        yield backend
        return
    b = backend_for(config, languages=languages)
    try:
        yield b
    finally:
        b.close()


# --------------------------------------------------------------------------- recording


def verify_stream(
    recorder: RunRecorder,
    candidates: Iterable[Candidate],
    backend: Backend,
    config: VerifyConfig,
    on_result=None,
) -> int:
    """Judge candidates as they arrive (a generator the model is still filling is fine),
    recording each verdict the moment it exists. Returns how many programs ran."""
    config.measure_limits(recorder.by_pid.values(), backend)

    def jobs():
        for c in candidates:
            if recorder.done(c.candidate_id):
                continue
            p = recorder.by_pid.get(c.problem_id)
            if p is None:
                raise InputError(f"candidate '{c.candidate_id}' names unknown problem '{c.problem_id}'")
            yield c, request_for(p, c, config.limits_for(p), config.interpreter, config.trust_tests, config.fail_fast)

    n = 0
    try:
        for c, res in execute_many(backend, jobs(), workers=config.workers):
            recorder.record(c, res)
            n += 1
            if on_result is not None:
                on_result(c, res)
    except SandboxUnavailable as e:
        # The engine went away mid-run (stopped, restarted): what finished is on disk.
        raise SandboxUnavailable(
            f"{e}; {len(recorder.state.results)} results are kept in {recorder.out}: once the engine "
            "answers again (`codesynth sandbox setup`), continue with the same command plus --resume"
        ) from None
    return n


def started(items: Iterable[T]) -> Iterator[T]:
    """`items`, already being produced: its first element is fetched on a thread of its own from
    the moment of the call, so a model's generation (which then runs ahead, see ChatClient.map)
    overlaps whatever slow thing the caller does next, like starting the sandbox pool."""
    it = iter(items)
    first: list[Any] = []

    def fetch() -> None:
        try:
            first.append(next(it))
        except BaseException as e:  # noqa: BLE001 - StopIteration included: re-raised in the consumer
            first.append(e)

    thread = threading.Thread(target=fetch, daemon=True, name="codesynth-first")
    thread.start()

    def rest() -> Iterator[T]:
        while thread.is_alive():
            thread.join(0.2)  # in slices, so Ctrl-C gets through
        if isinstance(first[0], StopIteration):
            return
        if isinstance(first[0], BaseException):
            raise first[0]
        yield first[0]
        yield from it

    return rest()


def run_candidates(
    problems: Sequence[Problem], candidates: Iterable[Candidate], backend: Backend, config: VerifyConfig,
    trust_tests: bool | None = None,
) -> Iterator[tuple[Candidate, ExecutionResult]]:
    """Verdicts without a run directory (checks inside a generation mode), in completion order."""
    by_id = {p.id: p for p in problems}
    trust = config.trust_tests if trust_tests is None else trust_tests
    config.measure_limits(problems, backend)
    jobs = ((c, request_for(by_id[c.problem_id], c, config.limits_for(by_id[c.problem_id]), config.interpreter, trust,
                            config.fail_fast))
            for c in candidates)
    # judged like every verdict: what a generation mode shows a model names public failures only
    return ((c, judge(by_id[c.problem_id], res)) for c, res in execute_many(backend, jobs, workers=config.workers))


# --------------------------------------------------------------------------- the verify stage


def problem_sources(problems: Sequence[Problem]) -> dict[str, str]:
    return {p.id: p.source for p in problems if p.source}


def verify_candidates(
    problems: Sequence[Problem],
    candidates: Iterable[Candidate] | None,
    out: str | os.PathLike,
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
) -> RunSummary:
    """Verify candidates (or each problem's reference solution) into the run directory `out`."""
    from codesynth.solutions import reference_candidates

    config = config or VerifyConfig()
    d = Path(out)
    if d.exists() and not d.is_dir():
        raise InputError(f"{d}: exists and is not a directory")
    missing_ref: list[str] = []
    if candidates is None:
        cands, missing_ref = reference_candidates(problems)
    else:
        cands = list(candidates)
    by_pid = {p.id: p for p in problems}
    for c in cands:
        if c.problem_id not in by_pid:
            raise InputError(f"candidate '{c.candidate_id}' names unknown problem '{c.problem_id}'")
    require_fresh(d, config.resume)
    d.mkdir(parents=True, exist_ok=True)
    check_fingerprint(d, "verify", {"problems": list(problems), "candidates": cands, **config.execution_inputs()},
                      problem_sources(problems))

    t0 = time.monotonic()
    executed = 0
    sandbox = None
    with RunRecorder(d, problems, config.reward_scheme, cands) as rec:
        todo = [c for c in cands if not rec.done(c.candidate_id)]
        if todo:
            langs = {c.language or by_pid[c.problem_id].language for c in todo} | {
                lang for c in todo for lang in by_pid[c.problem_id].judge_languages}
            with sigterm_as_interrupt(), using_backend(config, backend, langs) as b:
                sandbox = b.describe()  # which image and profile served the run (the summary says)
                bar = progress_bar(len(todo), "verify", config.progress)  # after the sandbox is up
                try:
                    executed = verify_stream(rec, todo, b, config, on_result=_bar_update(bar, rec.state))
                finally:
                    if bar is not None:
                        bar.close()
        state = rec.state
    summary = summarize(problems, state, time.monotonic() - t0, executed, config, d)
    if missing_ref:
        summary.extra["problems_without_reference"] = missing_ref
    if sandbox:
        summary.extra["sandbox"] = sandbox
    write_json(d / SUMMARY, summary)
    return summary


def progress_bar(total: int, desc: str, enabled: bool, unit: str = "prog"):
    """A tqdm bar (rate and ETA) on stderr, or None."""
    if not enabled or total <= 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, dynamic_ncols=True, leave=False)


def _bar_update(bar, state: RunState):
    if bar is None:
        return None

    def update(c: Candidate, res: ExecutionResult) -> None:
        bar.update(1)
        c_ = Counter(r.status.value for r in state.results.values())
        passed = c_.get("passed", 0)
        bar.set_postfix_str(f"passed={passed} failed={sum(c_.values()) - passed}", refresh=False)

    return update


def pass_at_k(rewards: Iterable[Any], mode: str | None = None, extra_ks: Iterable[int] = ()) -> dict[str, float]:
    """pass@1/10/100 (and any `extra_ks`) where every problem has enough samples."""
    tallies = problem_tallies(rewards, mode)
    min_n = min((t.samples for t in tallies.values()), default=0)
    ks = sorted({1, 10, 100, *extra_ks} | ({min_n} if min_n > 1 else set()))
    return mean_pass_at_k({p: (t.samples, t.passed) for p, t in tallies.items()}, ks)


def summarize(problems: Sequence[Problem], state: RunState, wall: float, executed: int,
              config: VerifyConfig, out: Path | None = None) -> RunSummary:
    counts = Counter(r.status.value for r in state.results.values())
    previous = _previous_timing(out) if out is not None and not executed else None
    turns = Counter(r.origin.turn for r in state.rewards.values())
    extra: dict[str, Any] = {"executed_this_session": executed, "problems_in_set": len(problems)}
    if any(t > 0 for t in turns):
        extra["candidates_by_turn"] = {str(t): n for t, n in sorted(turns.items())}
    if previous is not None:
        # Nothing ran this time (a resume of a finished run): show the run's own figures.
        wall_s, rate = previous
        extra["timing_from"] = "the earlier session that ran the programs"
    else:
        wall_s = round(wall, 3)
        rate = round(executed / wall, 2) if wall > 0 and executed else 0.0
    return RunSummary(
        problems=len({r.problem_id for r in state.results.values()}),
        candidates=len(state.results),
        passed=counts.get("passed", 0),
        counts={s.value: counts.get(s.value, 0) for s in Status},
        pass_at_k=pass_at_k(state.rewards.values()),
        wall_time_s=wall_s,
        programs_per_second=rate,
        backend=config.backend,
        limits=config.limits,
        extra=extra,
    )


def _previous_timing(out: Path) -> tuple[float, float] | None:
    p = out / SUMMARY
    if not p.exists():
        return None
    try:
        s = RunSummary.model_validate_json(p.read_text())
    except ValueError:
        return None
    return (s.wall_time_s, s.programs_per_second) if s.programs_per_second else None


def verify(
    problems: str | os.PathLike | Sequence[Problem],
    solutions: str | os.PathLike | Iterable[Candidate] | None = None,
    out: str | os.PathLike = "runs/verify",
    config: VerifyConfig | None = None,
    **overrides: Any,
) -> RunSummary:
    """Library entry point behind `codesynth verify`.

    `problems` is a problem-set path or a list of Problems; `solutions` a candidates
    file, a list of Candidates, or None for the reference solutions.
    """
    from codesynth.problems import load_problems
    from codesynth.solutions import load_candidates

    cfg = VerifyConfig.model_validate({**(config or VerifyConfig()).model_dump(), **overrides})
    probs = load_problems(problems) if isinstance(problems, (str, os.PathLike)) else list(problems)
    cands: Iterable[Candidate] | None
    if isinstance(solutions, (str, os.PathLike)):
        cands = load_candidates(solutions, probs)
    else:
        cands = solutions
    return verify_candidates(probs, cands, out, cfg)


def write_summary(out: Path, problems: Sequence[Problem], state: RunState, wall: float, executed: int,
                  config: VerifyConfig, pass_k: Mapping[str, float] | None = None) -> RunSummary:
    """summary.json from the run's state (plus a generation mode's own pass@k)."""
    summary = summarize(problems, state, wall, executed, config, out)
    summary.pass_at_k.update(pass_k or {})
    write_json(out / SUMMARY, summary)
    return summary
