"""`generate repair`: failed candidates get their feedback back, turn after turn.

Every turn's candidates and rewards go to DIR's reward log with origin.turn and
origin.parent_id, so it holds whole repair trajectories. Repair turns are never counted
as samples (`codesynth.rundir.counts_as_sample`): pass@k is the model's first try.

The turns stream into each other (`repair_as_they_fail`): a candidate's repair is asked the
moment its failing verdict exists, while the model is still writing other first tries, so no
turn waits for the previous one to finish.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from codesynth.errors import InputError, sigterm_as_interrupt
from codesynth.generators.client import ChatClient
from codesynth.generators.solutions import RepairItem, sample_repairs, sample_solutions
from codesynth.ids import root_of
from codesynth.models import Candidate, FailureCategory, Problem, RewardRecord, Status
from codesynth.rundir import REWARDS, RunState, read_run
from codesynth.sandbox.backend import Backend

from ..verify import (
    RunRecorder,
    VerifyConfig,
    pass_at_k,
    using_backend,
    verify_stream,
    write_summary,
)
from .common import GenerationReport, Refusals, Stage, bar, language_input, languages_of, require_posable


def needs_repair(r: RewardRecord) -> bool:
    # A sandbox error says nothing about the code; showing it to the model would teach noise.
    return not r.passed and r.status is not Status.sandbox_error


def frontier(state: RunState) -> dict[str, Candidate]:
    """The latest judged candidate of every trajectory."""
    latest: dict[str, Candidate] = {}
    for cid, c in state.candidates.items():
        if cid not in state.rewards:
            continue
        root = root_of(cid)
        if root not in latest or c.origin.turn > latest[root].origin.turn:
            latest[root] = c
    return latest


def _merged(src: Path | None, out: Path) -> RunState:
    st = read_run(out)
    if src is not None and src.resolve() != out.resolve():
        st = st.merged_over(read_run(src))
    return st


_CLOSED = object()


class Handoff:
    """What one turn hands the next while both run: iterating blocks until an item arrives or
    the producing turn closes it; `abort` ends every reader at once."""

    def __init__(self) -> None:
        self._q: queue.Queue = queue.Queue()
        self._aborted = False
        self.taken = 0

    def put(self, item: RepairItem) -> None:
        self._q.put(item)

    def close(self) -> None:
        self._q.put(_CLOSED)

    def abort(self) -> None:
        self._aborted = True
        self._q.put(_CLOSED)

    def __iter__(self) -> Iterator[RepairItem]:
        while True:
            item = self._q.get()
            if item is _CLOSED or self._aborted:
                self._q.put(_CLOSED)  # stays closed for whoever looks next
                return
            self.taken += 1
            yield item


class _Stopped(Exception):
    """Another turn failed or the run was interrupted: this turn stops starting programs."""


def repair_as_they_fail(
    rec: RunRecorder,
    client: ChatClient,
    backend: Backend,
    cfg: VerifyConfig,
    problems: Sequence[Problem],
    rounds: int,
    first: Iterable[Candidate] = (),
    on_disk: RunState | None = None,
    refused: Refusals | None = None,
) -> tuple[int, list[dict[str, int]]]:
    """Judge `first` (turn 0) and run repair turns 1..rounds at the same time, each failure of
    turn t-1 handed to turn t as its verdict lands. Failures already `on_disk` (a resumed run,
    or a run repaired in place) whose next turn is not judged yet join their turn at the start.
    Returns (programs run, per-turn {turn, attempted, fixed})."""
    by_id = {p.id: p for p in problems}
    refused = refused or Refusals()
    hand = [Handoff() for _ in range(rounds + 2)]  # hand[t]: what turn t repairs
    errors: list[BaseException] = []
    stop = threading.Event()
    executed = [0] * (rounds + 1)

    def feed(c: Candidate, r: RewardRecord | None) -> None:
        t = c.origin.turn + 1
        if r is not None and t <= rounds and c.problem_id in by_id and needs_repair(r):
            # a compile error is said as such: its feedback is the compiler's message
            hand[t].put((by_id[c.problem_id], c, r.feedback, r.failure_category is FailureCategory.compile_error))

    for c in sorted(frontier(on_disk).values(), key=lambda c: c.candidate_id) if on_disk else ():
        feed(c, on_disk.rewards.get(c.candidate_id))

    def guarded(cands: Iterable[Candidate]) -> Iterator[Candidate]:
        for c in cands:
            if stop.is_set():
                raise errors[0] if errors else _Stopped()
            yield c

    def judge(turn: int, cands: Iterable[Candidate]) -> None:
        executed[turn] += verify_stream(rec, guarded(refused.drop(cands)), backend, cfg,
                                        on_result=lambda c, _res: feed(c, rec.state.rewards.get(c.candidate_id)))

    def run_turn(t: int) -> None:
        try:
            judge(t, bar(sample_repairs(client, hand[t], t), None, f"repair {t}", cfg.progress))
        except _Stopped:
            pass
        except BaseException as e:  # noqa: BLE001 - raised again by the main thread
            errors.append(e)
            halt()
        finally:
            hand[t + 1].close()

    def halt() -> None:
        stop.set()
        for h in hand:
            h.abort()

    threads = [threading.Thread(target=run_turn, args=(t,), daemon=True, name=f"codesynth-repair-{t}")
               for t in range(1, rounds + 1)]  # fmt: skip
    for th in threads:
        th.start()
    try:
        judge(0, first)
        hand[1].close()
        for th in threads:
            while th.is_alive():  # a timed join keeps Ctrl-C working
                th.join(0.2)
        if errors:
            raise errors[0]
    except BaseException:
        halt()
        for th in threads:
            th.join(5)  # programs in flight finish (bounded by their limits) or are abandoned
        raise
    log = [{"turn": t, "attempted": hand[t].taken,
            "fixed": sum(1 for cid, r in list(rec.state.rewards.items())
                         if r.passed and rec.state.candidates[cid].origin.turn == t)}
           for t in range(1, rounds + 1)]  # fmt: skip
    return sum(executed), [row for row in log if row["attempted"]]


def generate_repair(
    problems: Sequence[Problem],
    client: ChatClient,
    out: str | Path,
    *,
    rounds: int = 2,
    from_run: str | Path | None = None,
    n: int = 1,
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
    language: str | None = None,
) -> GenerationReport:
    """Up to `rounds` repair turns over the failures of `from_run` (or of n fresh samples in
    `language`). Every repair is asked for in the failed candidate's own language, with its
    feedback (a compiler's message for a compile error)."""
    require_posable(problems, language)
    stage = Stage("repair", client, Path(out), config or VerifyConfig(), backend)
    cfg, out_ = stage.config, stage.out
    src = Path(from_run) if from_run else None
    if src is not None and not (src / REWARDS).exists():
        raise InputError(f"{src}: no {REWARDS} here (expected a run directory from verify or generate --verify)")
    same = src is not None and out_.exists() and src.resolve() == out_.resolve()
    # Repairing a run in place is the usual recipe: its verify results are its input, not a clash.
    stage.start({"problems": list(problems), "rounds": rounds, "n": n, "from_run": str(src) if src else None,
                 **language_input(language)}, problems, () if same else ("results.jsonl",),
                # --update makes this stage's own records anew, never the run it repairs in place
                owns=lambda c: src is None or c.origin.turn > 0)
    refused = Refusals()
    by_id = {p.id: p for p in problems}
    known = _merged(src, out_).candidates.values()
    langs = languages_of(problems, language) | {c.language or by_id[c.problem_id].language for c in known
                                                if c.problem_id in by_id}
    with RunRecorder(out_, problems, cfg.reward_scheme) as rec, sigterm_as_interrupt(), \
            using_backend(cfg, stage.backend, langs) as b:
        start = _merged(src, out_)
        first: Iterable[Candidate] = ()
        if src is None:
            first = sample_solutions(client, problems, n, skip=set(rec.state.results), language=language)
        executed, rounds_log = repair_as_they_fail(rec, client, b, cfg, problems, rounds, first, start, refused)
    final = _merged(src, out_)
    write_summary(out_, problems, final, time.monotonic() - stage.t0, executed, cfg, pass_at_k(final.rewards.values()))
    return stage.report({**repair_counts(problems, final, rounds_log), **refused.counts()})


def repair_counts(problems: Sequence[Problem], final: RunState, rounds_log: list[dict[str, int]]) -> dict:
    """What the repair turns did: first tries failing, fixed per turn, still failing at the end."""
    by_id = {p.id: p for p in problems}
    return {
        "initially_failing": sum(
            1 for cid, c in final.candidates.items()
            if c.origin.turn == 0 and c.problem_id in by_id and cid in final.rewards and needs_repair(final.rewards[cid])
        ),
        # from the run's records, not this invocation's log: a resume that repairs nothing new still
        # reports every repair the run made
        "fixed": sum(
            1 for cid, c in final.candidates.items()
            if c.origin.turn > 0 and c.problem_id in by_id and cid in final.rewards and final.rewards[cid].passed
        ),
        "still_failing": sum(
            1 for c in frontier(final).values() if c.problem_id in by_id and needs_repair(final.rewards[c.candidate_id])
        ),
        "rounds": rounds_log,
    }
