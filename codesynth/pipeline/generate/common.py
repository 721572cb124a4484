"""What every generation mode shares: its report file, its fingerprint, its progress."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from codesynth import languages
from codesynth.errors import InputError
from codesynth.generators.client import ChatClient
from codesynth.jsonl import write_json
from codesynth.models import Candidate, Problem
from codesynth.rundir import (
    RunState,
    check_fingerprint,
    commit_fingerprint,
    forget,
    read_run,
    require_fresh,
    unusable_replies,
)
from codesynth.sandbox.backend import Backend
from codesynth.signatures import label, unposable

from ..verify import VerifyConfig, problem_sources


class GenerationReport(BaseModel):
    mode: str
    model: str
    endpoint: str
    sampling: dict[str, Any]
    out: str
    usage: dict[str, float | int]
    #: What the adaptive concurrency decided and why (GovernorSummary), None if nothing was requested.
    governor: dict[str, Any] | None = None
    counts: dict[str, Any] = Field(default_factory=dict)
    pass_at_k: dict[str, float] = Field(default_factory=dict)
    wall_time_s: float = 0.0


@dataclass
class Stage:
    """One generation mode's run: where it writes, what it talks to, how it executes."""

    mode: str
    client: ChatClient
    out: Path
    config: VerifyConfig
    backend: Backend | None = None
    t0: float = field(default_factory=time.monotonic)
    #: Set by `start` on an --update resume that changed something: what, and how many records went.
    updated: dict[str, Any] = field(default_factory=dict)

    def start(
        self,
        inputs: dict[str, Any],
        problems=(),
        fresh_files: Iterable[str] = (),
        *,
        per_problem: bool = False,
        additive: Iterable[str] = (),
        owns: Callable[[Candidate], bool] = lambda c: True,
        beyond: Callable[[Candidate], bool] = lambda c: False,
    ) -> None:
        """Refuse to mix runs (existing output without --resume, or a resume with other inputs),
        before any model call. With --update a changed input is not refused: the records it
        touches are forgotten (`per_problem`: a changed problem touches its own records only; a
        change of other inputs, all of this stage's records, `owns`) and made anew, replies that
        did not change coming from the response cache; an `additive` change (n, turns) only
        trims what lies `beyond` the new bounds."""
        require_fresh(self.out, self.config.resume, tuple(fresh_files))
        self.out.mkdir(parents=True, exist_ok=True)
        model_inputs = {
            "model": self.client.model,
            "endpoint": self.client.endpoint.identity(),
            "sampling": self.client.sampling.model_dump(),
        }
        stale = check_fingerprint(self.out, self.mode, {**model_inputs, **inputs, **self.config.execution_inputs()},
                                  problem_sources(problems), items={p.id: p for p in problems} if per_problem else None,
                                  additive=additive, update=self.config.update)  # fmt: skip
        if stale is None:
            return
        state = read_run(self.out)
        gone = {cid for cid, c in state.candidates.items()
                if owns(c) and (stale.everything or c.problem_id in stale.problems or beyond(c))}  # fmt: skip
        # A result whose candidate line a kill lost is judged by its problem id alone.
        gone |= {cid for cid, r in state.results.items() if cid not in state.candidates
                 and (stale.everything or r.problem_id in stale.problems)}  # fmt: skip
        forget(self.out, gone)
        commit_fingerprint(self.out, stale)
        self.updated = {"changed": stale.changed, "records_made_anew": len(gone)}

    def report(self, counts: dict[str, Any], pass_k: dict[str, float] | None = None) -> GenerationReport:
        rep = GenerationReport(
            mode=self.mode,
            model=self.client.model,
            endpoint=self.client.endpoint.identity(),
            sampling=self.client.sampling.model_dump(),
            out=str(self.out),
            usage=self.client.usage.as_dict(),
            governor=self.client.governor.summary().model_dump() if self.client.governor else None,
            counts=counts,
            pass_at_k=pass_k or {},
            wall_time_s=round(time.monotonic() - self.t0, 3),
        )
        if self.updated:
            rep.counts = {**rep.counts, "updated": self.updated}
        self.out.mkdir(parents=True, exist_ok=True)
        write_json(self.out / f"generation_{self.mode}.json", rep)
        return rep


@dataclass
class Refusals:
    """Samples whose request the endpoint refused (HTTP 400/422 for that request alone).

    A refusal is not the model's answer: it is neither judged nor rewarded (a reward would
    teach the model about our prompt's length), and nothing is committed for it, so the next
    --resume asks again. The count and the first message go to the report and the CLI.
    """

    count: int = 0
    first: str = ""

    def drop(self, candidates: Iterable[Candidate]) -> Iterator[Candidate]:
        for c in candidates:
            err = c.origin.extra.get("request_error")
            if err:
                self.count += 1
                self.first = self.first or str(err)
                continue
            yield c

    def counts(self) -> dict[str, Any]:
        if not self.count:
            return {}
        return {"refused_by_endpoint": self.count, "refusal": self.first,
                "refused_note": "not judged or rewarded; --resume asks them again"}


def retry_attempts(out: Path) -> dict[str, int]:
    """--retry-failed: forget the samples whose reply held no code and return the draw each is
    asked with next (one more than the draw that failed)."""
    state = read_run(out)
    ids = unusable_replies(state)
    attempts = {cid: int(state.candidates[cid].origin.extra.get("attempt", 0)) + 1 if cid in state.candidates else 1
                for cid in ids}  # fmt: skip
    forget(out, ids)
    return attempts


def judged_counts(state: RunState, mode: str) -> dict[str, Any]:
    """Candidates of one generation mode in a run directory: how many, passed, without code, by status."""
    mine = [(state.candidates[cid], r) for cid, r in state.rewards.items()
            if cid in state.candidates and state.candidates[cid].origin.mode == mode]  # fmt: skip
    return {
        "candidates": len(mine),
        "passed": sum(r.passed for _, r in mine),
        "no_code": sum(1 for c, _ in mine if c.origin.extra.get("no_code")),
        "status": dict(Counter(r.status.value for _, r in mine)),
    }


def require_posable(problems: Iterable[Problem], language: str | None) -> None:
    """Every problem can be asked for in `language` (None: each in its own), or one line naming the
    first that cannot, before any model call."""
    if language is None:
        return
    if language not in languages.names():
        raise InputError(f"--language: unknown language {language!r} (one of {', '.join(languages.names())})")
    for p in problems:
        why = unposable(p, language)
        if why:
            raise InputError(f"problem {p.id!r} cannot be posed in {label(language)}: {why}")


def languages_of(problems: Iterable[Problem], language: str | None) -> set[str]:
    """What a pool must run for these problems asked in `language` (their checkers' languages too)."""
    problems = list(problems)
    return ({language} if language else {p.language for p in problems}) | {
        lang for p in problems for lang in p.judge_languages}


def language_input(language: str | None) -> dict[str, str]:
    """The fingerprint key of --language: absent when not given, so runs from before it still resume."""
    return {"language": language} if language else {}


def bar(it: Iterable, total: int | None, desc: str, enabled: bool,
        status: Callable[[], str] | None = None) -> Iterable:
    """Requests with a live rate and ETA (tqdm on stderr), when enabled; `total` None: not known
    ahead (a repair turn fed while it runs): rate and count only. `status`: a live postfix (the
    client's in-flight requests, completions/s and concurrency limit)."""
    if not enabled or (total is not None and total <= 0):
        return it
    from tqdm import tqdm

    t = tqdm(it, total=total, desc=desc, unit="req", leave=False, dynamic_ncols=True)
    return t if status is None else _with_status(t, status)


def _with_status(t, status: Callable[[], str]) -> Iterator:
    last = 0.0
    for item in t:
        if (now := time.monotonic()) - last >= 0.5:  # tqdm redraws at most this often anyway
            t.set_postfix_str(status(), refresh=False)
            last = now
        yield item
