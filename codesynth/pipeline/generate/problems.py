"""New problems: Self-Instruct (`problems`), OSS-Instruct (`grounded`) and `evolve`.

Propose -> parse -> novelty -> tests a do-nothing function passes are dropped -> the
proposed reference must pass its own tests -> DIR/problems.jsonl.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from codesynth.generators.client import ChatClient, ChatRequest, Completion
from codesynth.generators.prompts import (
    EVOLVE_OPERATIONS,
    evolve_messages,
    grounded_messages,
    propose_messages,
)
from codesynth.generators.proposals import null_solution, parse_proposal, to_problem, trivial_data_tests
from codesynth.generators.retrieval import collect_snippets, pick_snippets
from codesynth.generators.selection import draw, failure_rates, hardest
from codesynth.generators.similarity import NoveltyFilter
from codesynth.ids import null_id, ref_id
from codesynth.jsonl import write_models
from codesynth.models import Candidate, Origin, Problem, RewardRecord, Status
from codesynth.problems import save_problems
from codesynth.rundir import RESULTS, read_run
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.curation.benchmarks import problem_items
from codesynth.verifiers.curation.decontam import problem_copies

from ..verify import RunRecorder, VerifyConfig, run_candidates, using_backend, verify_stream
from .common import GenerationReport, Stage, bar, language_input, require_posable


class ProposalSettings(BaseModel):
    """How proposals are judged: novelty threshold, tests they must keep, ids they get."""

    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(default=0.7, gt=0, le=1)
    min_tests: int = Field(default=2, ge=1)
    check_seeds: bool = Field(default=True, description="Refuse a proposal that is a seed under other words "
                              "(decontamination's checks: meaning with code, cases or behaviour).")
    id_prefix: str = Field(default="synth", min_length=1)


class ProposalRecord(BaseModel):
    index: int
    problem_id: str
    accepted: bool = False
    reason: str | None = None
    similarity: float | None = Field(
        default=None, description="ROUGE-L to the nearest seed/accepted problem."
    )
    nearest: str | None = None
    entry_point: str | None = None
    benchmark_match: dict[str, Any] | None = Field(default=None, description="The seed a `benchmark_copy` "
                                                   "copies, with decontamination's evidence.")
    description: str = ""
    dropped_tests: dict[str, int] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)


@dataclass
class _Ask:
    index: int
    messages: list[dict[str, str]]
    sample_index: int
    meta: dict[str, Any] = field(default_factory=dict)


def _new_problems(stage: Stage, asks: list[_Ask], existing: Sequence[Problem], settings: ProposalSettings,
                  extra_counts: dict[str, Any] | None = None, language: str | None = None) -> GenerationReport:
    """Propose -> parse -> dedup -> trivial-tests check -> reference must pass -> problems.jsonl.

    In a `language` other than Python a proposal is a data-form problem in that language: a
    signature, the reference in that language, and {call, expect} tests every language runs."""
    client, out, config, mode = stage.client, stage.out, stage.config, stage.mode
    lang = language or "python"
    stage.start({"asks": [a.messages for a in asks], "existing": list(existing), **settings.model_dump(),
                 **language_input(language)}, existing, (RESULTS, "proposals.jsonl"))
    replies: dict[int, tuple[_Ask, Completion]] = {}
    reqs = (ChatRequest(messages=a.messages, sample_index=a.sample_index, tag=a) for a in asks)
    for req, comp in bar(client.map(reqs), len(asks), f"generate {mode}", config.progress):
        replies[req.tag.index] = (req.tag, comp)

    novelty = NoveltyFilter(settings.threshold, ())
    for p in existing:
        novelty.add(p.prompt, label=p.id, entry_point=p.entry_point)
    records: list[ProposalRecord] = []
    drafts: dict[str, Problem] = {}
    for i in sorted(replies):
        ask, comp = replies[i]
        pid = f"{settings.id_prefix}/{i:04d}"
        prop = parse_proposal(comp.text, i, min_tests=settings.min_tests, language=lang)
        rec = ProposalRecord(
            index=i,
            problem_id=pid,
            reason=prop.reason,
            entry_point=prop.entry_point,
            description=prop.description[:500],
            dropped_tests=prop.dropped_tests,
            metadata=ask.meta,
        )
        records.append(rec)
        if rec.reason:
            continue
        ok, score, who = novelty.accept(prop.description, label=pid, entry_point=prop.entry_point)
        rec.similarity, rec.nearest = round(score, 4), who
        if not ok:
            rec.reason = "too_similar"
            continue
        meta = {
            "generator": {"mode": mode, "model": client.model, "sample_index": ask.sample_index},
            **ask.meta,
        }
        prob = to_problem(prop, pid, f"codesynth:{mode}", meta, tags=["generated", mode])
        if prob is None:
            rec.reason = "invalid_problem"
            continue
        drafts[pid] = prob

    by_id = {r.problem_id: r for r in records}
    if settings.check_seeds and drafts and existing:
        # ROUGE-L misses a reworded seed; decontamination's meaning test (one code path) does not
        for pid, m in problem_copies(list(drafts.values()), problem_items(existing)).items():
            by_id[pid].reason, by_id[pid].nearest, by_id[pid].benchmark_match = "benchmark_copy", m["item"], m
            drafts.pop(pid)
    survivors: list[Problem] = []
    if drafts:
        probs = list(drafts.values())
        with using_backend(config, stage.backend, {lang}) as b:
            # Tests that a do-nothing function passes check nothing (data-form: read off the values).
            for p in probs:
                if p.kind == "calls" and trivial_data_tests(p):
                    by_id[p.id].reason = "trivial_tests"
            nulls = [
                Candidate(
                    candidate_id=null_id(p.id), problem_id=p.id, solution=null_solution(p.entry_point or "f")
                )
                for p in probs if p.kind == "function"
            ]
            for c, res in run_candidates(probs, nulls, b, config, trust_tests=False):
                if res.status is Status.passed:
                    by_id[c.problem_id].reason = "trivial_tests"
            live = [p for p in probs if not by_id[p.id].reason]
            refs = [
                Candidate(
                    candidate_id=ref_id(p.id),
                    problem_id=p.id,
                    solution=p.reference_solution or "",
                    origin=Origin(kind="reference", model=client.model, mode=mode),
                    language=None if lang == "python" else lang,
                )
                for p in live
            ]
            # model-written tests: never in the long-lived tester
            with RunRecorder(out, probs, config.reward_scheme) as rec:
                verify_stream(rec, refs, b, config.model_copy(update={"trust_tests": False}))
        state = read_run(out)
        for p in live:
            rew = state.rewards.get(ref_id(p.id))
            if rew is not None and rew.passed:
                by_id[p.id].accepted = True
                survivors.append(p)
            else:
                by_id[p.id].reason = f"solution_fails_tests:{rew.status.value if rew else 'not_run'}"
    out.mkdir(parents=True, exist_ok=True)
    save_problems(out / "problems.jsonl", survivors)
    write_models(out / "proposals.jsonl", records)
    counts = {
        "proposals": len(records),
        "accepted": len(survivors),
        "dropped": dict(Counter(_reason_key(r.reason) for r in records if not r.accepted)),
        **(extra_counts or {}),
    }
    return stage.report(counts)


def _check_language(language: str | None) -> None:
    require_posable((), language)  # an unknown language is one line before any request


def _reason_key(reason: str | None) -> str:
    return (reason or "unknown").split(":")[0]


def generate_problems(
    seeds: Sequence[Problem],
    client: ChatClient,
    out: str | Path,
    *,
    n: int = 10,
    k_seeds: int = 3,
    threshold: float = 0.7,
    min_tests: int = 2,
    id_prefix: str = "synth",
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
    language: str | None = None,
) -> GenerationReport:
    """Self-Instruct: n proposals, each shown k seed problems; the survivors form DIR/problems.jsonl."""
    _check_language(language)
    asks = []
    for i in range(n):
        shown = draw(seeds, k_seeds, "self-instruct", client.sampling.seed, i)
        asks.append(_Ask(i, propose_messages(shown, language or "python"), i, {"seeds": [s.id for s in shown]}))
    stage = Stage("problems", client, Path(out), config or VerifyConfig(), backend)
    return _new_problems(stage, asks, seeds, ProposalSettings(threshold=threshold, min_tests=min_tests,
                                                              id_prefix=id_prefix), language=language)


def generate_grounded(
    source: str | Path,
    client: ChatClient,
    out: str | Path,
    *,
    n: int = 10,
    query: str | None = None,
    window: int = 40,
    existing: Sequence[Problem] = (),
    threshold: float = 0.7,
    min_tests: int = 2,
    id_prefix: str = "grounded",
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
    language: str | None = None,
) -> GenerationReport:
    """OSS-Instruct: problems inspired by snippets of a folder, with (file, span) provenance."""
    _check_language(language)
    snippets = collect_snippets(source, window=window)
    picks = pick_snippets(snippets, n, seed=client.sampling.seed or 0, query=query)
    asks = [
        _Ask(i, grounded_messages(s.text, s.where, language or "python"), i,
             {"grounding": {**s.provenance(), "root": str(source)}})
        for i, s in enumerate(picks)
    ]
    extra = {"snippets_available": len(snippets), "query": query}
    stage = Stage("grounded", client, Path(out), config or VerifyConfig(), backend)
    return _new_problems(stage, asks, existing, ProposalSettings(threshold=threshold, min_tests=min_tests,
                                                                 id_prefix=id_prefix), extra, language)


def generate_evolve(
    problems: Sequence[Problem],
    rewards: Iterable[RewardRecord],
    client: ChatClient,
    out: str | Path,
    *,
    parents: int = 5,
    per_parent: int = 3,
    min_fail_rate: float = 0.5,
    threshold: float = 0.7,
    min_tests: int = 2,
    id_prefix: str = "evolved",
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
    language: str | None = None,
) -> GenerationReport:
    """The problems failed most often in a reward log seed similar or harder new problems."""
    _check_language(language)
    by_id = {p.id: p for p in problems}
    rates = {pid: r for pid, r in failure_rates(rewards).items() if pid in by_id}
    chosen = hardest(rates, parents, min_fail_rate)
    asks = []
    for pid, rate, attempts in chosen:
        for j in range(per_parent):
            op = EVOLVE_OPERATIONS[j % len(EVOLVE_OPERATIONS)]
            meta = {"evolved_from": pid, "parent_fail_rate": round(rate, 4), "parent_attempts": attempts,
                    "operation": ("similar", "harder", "edge_cases")[j % len(EVOLVE_OPERATIONS)]}  # fmt: skip
            asks.append(_Ask(len(asks), evolve_messages(by_id[pid], op, language or "python"), j, meta))
    extra = {"problems_in_log": len(rates), "parents": [pid for pid, _, _ in chosen]}
    stage = Stage("evolve", client, Path(out), config or VerifyConfig(), backend)
    return _new_problems(stage, asks, problems, ProposalSettings(threshold=threshold, min_tests=min_tests,
                                                                 id_prefix=id_prefix), extra, language)
