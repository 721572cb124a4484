"""`generate repair`: failed candidates get their feedback back, round after round.

Every round's candidates and rewards go to DIR's reward log with origin.turn and
origin.parent_id, so it holds whole repair trajectories. Repair turns are never counted
as samples (`codesynth.rundir.counts_as_sample`): pass@k is the model's first try.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from codesynth.errors import InputError
from codesynth.generators.client import ChatClient
from codesynth.generators.solutions import sample_repairs, sample_solutions
from codesynth.ids import root_of
from codesynth.models import Candidate, Problem, RewardRecord, Status
from codesynth.rundir import REWARDS, RunState, read_run
from codesynth.sandbox.backend import Backend

from ..verify import (
    RunRecorder,
    VerifyConfig,
    pass_at_k,
    sigterm_as_interrupt,
    using_backend,
    verify_stream,
    write_summary,
)
from .common import GenerationReport, Refusals, Stage, bar


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
) -> GenerationReport:
    """Up to `rounds` repair rounds over the failures of `from_run` (or of n fresh samples)."""
    stage = Stage("repair", client, Path(out), config or VerifyConfig(), backend)
    cfg, out_ = stage.config, stage.out
    src = Path(from_run) if from_run else None
    if src is not None and not (src / REWARDS).exists():
        raise InputError(f"{src}: no {REWARDS} here (expected a run directory from verify or generate --verify)")
    same = src is not None and out_.exists() and src.resolve() == out_.resolve()
    # Repairing a run in place is the usual recipe: its verify results are its input, not a clash.
    stage.start({"problems": list(problems), "rounds": rounds, "n": n, "from_run": str(src) if src else None},
                problems, () if same else ("results.jsonl",))
    by_id = {p.id: p for p in problems}
    rounds_log: list[dict[str, int]] = []
    executed = 0
    refused = Refusals()
    with RunRecorder(out_, problems, cfg.reward_scheme) as rec, sigterm_as_interrupt(), \
            using_backend(cfg, stage.backend) as b:
        if src is None:
            done = set(rec.state.results)
            executed += verify_stream(rec, refused.drop(sample_solutions(client, problems, n, skip=done)), b, cfg)
        start = _merged(src, out_)
        initial_failing = sum(
            1 for cid, c in start.candidates.items()
            if c.origin.turn == 0 and c.problem_id in by_id and cid in start.rewards and needs_repair(start.rewards[cid])
        )  # fmt: skip
        for turn in range(1, rounds + 1):
            state = _merged(src, out_)
            items = [
                (by_id[c.problem_id], c, state.rewards[c.candidate_id].feedback)
                for c in frontier(state).values()
                if c.origin.turn == turn - 1 and c.problem_id in by_id and needs_repair(state.rewards[c.candidate_id])
            ]
            if not items:
                break
            items.sort(key=lambda t: t[1].candidate_id)
            made = verify_stream(rec, bar(refused.drop(sample_repairs(client, items, turn)), len(items),
                                          f"repair {turn}", cfg.progress), b, cfg)
            executed += made
            fixed = sum(1 for cid, r in rec.state.rewards.items()
                        if r.passed and rec.state.candidates[cid].origin.turn == turn)  # fmt: skip
            rounds_log.append({"turn": turn, "attempted": len(items), "fixed": fixed})
    final = _merged(src, out_)
    write_summary(out_, problems, final, time.monotonic() - stage.t0, executed, cfg, pass_at_k(final.rewards.values()))
    counts = {
        "initially_failing": initial_failing,
        "fixed": sum(r["fixed"] for r in rounds_log),
        "still_failing": sum(
            1 for c in frontier(final).values() if c.problem_id in by_id and needs_repair(final.rewards[c.candidate_id])
        ),
        "rounds": rounds_log,
        **refused.counts(),
    }
    return stage.report(counts)
