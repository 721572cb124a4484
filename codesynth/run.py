"""The verify pipeline: problems + candidates -> sandbox -> verdicts -> run directory.

A run directory holds append-only JSONL files; `results.jsonl` is the commit point
(a candidate is done once its result line exists), the other files are derived and
repaired on `--resume`, so a kill at any moment loses nothing and repeats nothing.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.errors import InputError, SandboxUnavailable
from codesynth.jsonl import JsonlWriter, read_models, write_json
from codesynth.models import (
    Candidate,
    DatasetRecord,
    ExecutionResult,
    Limits,
    Problem,
    RewardRecord,
    RunSummary,
    Status,
)
from codesynth.sandbox.backend import Backend, BackendClosed, build_request
from codesynth.verifiers.dataset import make_dataset_record
from codesynth.verifiers.metrics import mean_pass_at_k
from codesynth.verifiers.rewards import make_reward

RESULTS, REWARDS, DATASET, CANDIDATES, SUMMARY = (
    "results.jsonl", "rewards.jsonl", "dataset.jsonl", "candidates.jsonl", "summary.json",
)


class VerifyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workers: int | None = Field(default=None, description="Programs in parallel; default = cores.")
    limits: Limits = Field(default_factory=Limits)
    backend: Literal["docker", "local"] = "docker"
    resume: bool = False
    reward_scheme: str = "binary"
    progress: bool = True
    recycle_after: int = 1000
    trust_tests: bool = Field(
        default=True,
        description="The problem set's tests are the user's own code. Set False for model-written tests: "
        "then every program's tests run in a fresh forked tester.",
    )
    interpreter: Literal["fork", "fresh"] = Field(
        default="fork", description="fork: child of the warm supervisor; fresh: new python3 per program."
    )


def open_backend(config: VerifyConfig, run_id: str | None = None) -> Backend:
    """A started backend for `config` (the caller closes it)."""
    if config.backend == "local":
        from codesynth.sandbox.local_backend import LocalBackend

        b: Backend = LocalBackend(workers=config.workers)
    else:
        from codesynth.sandbox.docker_backend import DockerBackend

        b = DockerBackend(workers=config.workers, limits=config.limits, run_id=run_id,
                          recycle_after=config.recycle_after)
    b.start()
    return b


# --------------------------------------------------------------------------- run state


@dataclass
class RunState:
    results: dict[str, ExecutionResult] = field(default_factory=dict)
    rewards: dict[str, RewardRecord] = field(default_factory=dict)
    dataset: dict[str, DatasetRecord] = field(default_factory=dict)
    candidates: dict[str, Candidate] = field(default_factory=dict)


def read_run(out: str | os.PathLike) -> RunState:
    d = Path(out)
    st = RunState()

    def load(name, model):
        p = d / name
        if not p.exists():
            return []
        from codesynth.jsonl import repair_tail

        repair_tail(p)  # a kill mid-write leaves at most one partial line: drop it
        return read_models(p, model)

    st.results = {r.candidate_id: r for r in load(RESULTS, ExecutionResult)}
    st.rewards = {r.candidate_id: r for r in load(REWARDS, RewardRecord)}
    st.dataset = {r.candidate_id: r for r in load(DATASET, DatasetRecord)}
    st.candidates = {c.candidate_id: c for c in load(CANDIDATES, Candidate)}
    return st


# --------------------------------------------------------------------------- execution


class _Stop(Exception):
    pass


def execute(
    problems: Sequence[Problem], candidates: Iterable[Candidate], backend: Backend, limits: Limits,
    workers: int | None = None, interpreter: str = "fork", trust_tests: bool = False,
) -> Iterator[tuple[Candidate, ExecutionResult]]:
    """Run candidates on `backend` with `workers` threads; yield in completion order.

    If the consumer stops early (or is interrupted), no new program is started and the
    results that already finished are still yielded first when possible.
    """
    by_id = {p.id: p for p in problems}
    todo: queue.Queue = queue.Queue()
    n = 0
    for c in candidates:
        todo.put(c)
        n += 1
    if n == 0:
        return
    done: queue.Queue = queue.Queue()
    stop = threading.Event()
    def worker() -> None:
        while not stop.is_set():
            try:
                c = todo.get_nowait()
            except queue.Empty:
                return
            try:
                res = backend.execute(build_request(by_id[c.problem_id], c, limits, interpreter, trust_tests))  # type: ignore[arg-type]
            except BackendClosed:
                return
            except BaseException as e:  # noqa: BLE001 - hand it to the consumer thread
                done.put((c, e))
                return
            done.put((c, res))

    threads = [threading.Thread(target=worker, daemon=True, name=f"codesynth-w{i}")
               for i in range(max(1, min(workers or backend.capacity, n)))]
    for t in threads:
        t.start()
    received = 0
    try:
        while received < n:
            try:
                c, res = done.get(timeout=0.2)
            except queue.Empty:
                if not any(t.is_alive() for t in threads) and done.empty():
                    break
                continue
            received += 1
            if isinstance(res, BaseException):
                raise res
            yield c, res
    finally:
        stop.set()


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM stops a run the way Ctrl-C does: finished records kept, containers removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


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

    state = read_run(d) if d.exists() else RunState()
    if state.results and not config.resume:
        raise InputError(f"{d}: already holds results; pass --resume to continue it, or choose a new --out")
    d.mkdir(parents=True, exist_ok=True)

    t0 = time.monotonic()
    executed = 0
    with JsonlWriter(d / RESULTS) as w_res, JsonlWriter(d / CANDIDATES) as w_cand, \
            JsonlWriter(d / REWARDS) as w_rew, JsonlWriter(d / DATASET) as w_data:

        def record(c: Candidate, res: ExecutionResult) -> None:
            if c.candidate_id not in state.results:
                w_res.write(res)  # the commit point
                state.results[c.candidate_id] = res
            if c.candidate_id not in state.candidates:
                w_cand.write(c)
                state.candidates[c.candidate_id] = c
            if c.candidate_id not in state.rewards:
                rew = make_reward(res, c, config.reward_scheme)
                w_rew.write(rew)
                state.rewards[c.candidate_id] = rew
            if res.status is Status.passed and c.candidate_id not in state.dataset:
                rec = make_dataset_record(by_pid[c.problem_id], c, res)
                w_data.write(rec)
                state.dataset[c.candidate_id] = rec

        # Repair derived files for results that landed just before a kill.
        cand_by_id = {c.candidate_id: c for c in cands}
        for cid, res in list(state.results.items()):
            c = state.candidates.get(cid) or cand_by_id.get(cid)
            if c is not None:
                record(c, res)

        todo = [c for c in cands if c.candidate_id not in state.results]
        if todo:
            own = backend is None
            with _sigterm_as_interrupt():
                b = backend or open_backend(config, run_id=None)
                bar = _progress(len(todo), config.progress)  # after the sandbox is up: an error stays one line
                try:
                    for c, res in execute(problems, todo, b, config.limits, config.workers, config.interpreter,
                                             config.trust_tests):
                        record(c, res)
                        executed += 1
                        if bar is not None:
                            bar.update(1)
                            bar.set_postfix_str(_postfix(state.results.values()), refresh=False)
                except SandboxUnavailable as e:
                    # The engine went away mid-run (stopped, restarted): what finished is on disk.
                    raise SandboxUnavailable(
                        f"{e}; {len(state.results)} of {len(cands)} results are kept in {d}: once the engine "
                        "answers again (`codesynth sandbox setup`), continue with the same command plus --resume"
                    ) from None
                finally:
                    if bar is not None:
                        bar.close()
                    if own:
                        b.close()
    wall = time.monotonic() - t0
    summary = summarize(problems, state, wall, executed, config)
    if missing_ref:
        summary.extra["problems_without_reference"] = missing_ref
    write_json(d / SUMMARY, summary)
    return summary


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="prog", desc="verify", dynamic_ncols=True, leave=False)


def _postfix(results: Iterable[ExecutionResult]) -> str:
    c = Counter(r.status.value for r in results)
    return f"passed={c.get('passed', 0)} failed={sum(c.values()) - c.get('passed', 0)}"


def summarize(problems: Sequence[Problem], state: RunState, wall: float, executed: int,
              config: VerifyConfig) -> RunSummary:
    counts = Counter(r.status.value for r in state.results.values())
    per_problem: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in state.results.values():
        per_problem[r.problem_id][0] += 1
        per_problem[r.problem_id][1] += r.status is Status.passed
    counts_nc = {k: (n, c) for k, (n, c) in per_problem.items()}
    # pass@1/10/100 where every problem has enough samples, plus pass@n for the common n
    min_n = min((n for n, _ in counts_nc.values()), default=0)
    pass_k = mean_pass_at_k(counts_nc, ks=sorted({1, 10, 100} | ({min_n} if min_n > 1 else set())))
    return RunSummary(
        problems=len(per_problem),
        candidates=len(state.results),
        passed=counts.get("passed", 0),
        counts={s.value: counts.get(s.value, 0) for s in Status},
        pass_at_k=pass_k,
        wall_time_s=round(wall, 3),
        programs_per_second=round(executed / wall, 2) if wall > 0 and executed else 0.0,
        backend=config.backend,
        limits=config.limits,
        extra={"executed_this_session": executed, "problems_in_set": len(problems)},
    )


def verify(
    problems: str | os.PathLike | Sequence[Problem],
    solutions: str | os.PathLike | Iterable[Candidate] | None = None,
    out: str | os.PathLike = "runs/verify",
    config: VerifyConfig | None = None,
    **overrides,
) -> RunSummary:
    """Library entry point behind `codesynth verify`.

    `problems` is a problem-set path or a list of Problems; `solutions` a candidates
    file, a list of Candidates, or None for the reference solutions.
    """
    from codesynth.problems import load_problems
    from codesynth.solutions import load_candidates

    cfg = (config or VerifyConfig()).model_copy(update=overrides)
    probs = load_problems(problems) if isinstance(problems, (str, os.PathLike)) else list(problems)
    if isinstance(solutions, (str, os.PathLike)):
        cands: Iterable[Candidate] | None = load_candidates(solutions, probs)
    else:
        cands = solutions
    return verify_candidates(probs, cands, out, cfg)
