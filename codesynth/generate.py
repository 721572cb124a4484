"""Generation modes that end in execution: solutions (--verify), tests, problems,
grounded, repair and evolve.

The generators layer talks to the model and shapes replies; this module runs what it
produced through the sandbox (`codesynth.run`) and keeps what survives. Every mode
writes `generation_<mode>.json` (model, sampling, token usage, counts) next to its
outputs. Completions come from the response cache when they were received before,
so a killed run resumed with `resume=True` pays for nothing twice.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from codesynth.errors import InputError
from codesynth.generators.client import ChatClient, ChatRequest, Completion
from codesynth.generators.extract import extract_code, is_trivial_assert, split_asserts
from codesynth.generators.prompts import (
    EVOLVE_OPERATIONS,
    evolve_messages,
    grounded_messages,
    propose_messages,
    tests_messages,
)
from codesynth.generators.proposals import null_solution, parse_proposal, to_problem
from codesynth.generators.retrieval import collect_snippets, pick_snippets
from codesynth.generators.selection import draw, dual_agreement, failure_rates, hardest
from codesynth.generators.similarity import NoveltyFilter
from codesynth.generators.solutions import root_of, sample_repairs, sample_solutions
from codesynth.jsonl import JsonlWriter, read_models, write_json, write_models
from codesynth.models import Candidate, Origin, Problem, RewardRecord, Status
from codesynth.problems import save_problems
from codesynth.run import (
    CANDIDATES,
    RESULTS,
    REWARDS,
    SUMMARY,
    RunState,
    VerifyConfig,
    execute,
    open_backend,
    read_run,
    verify_candidates,
)
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.metrics import mean_pass_at_k
from codesynth.verifiers.rewards import feedback as result_feedback

#: Candidates verified per batch while generating: results land on disk as the model
#: writes, and an endpoint failure late in a run loses no verdicts.
BATCH = 128


class GenerationReport(BaseModel):
    mode: str
    model: str
    endpoint: str
    sampling: dict[str, Any]
    out: str
    usage: dict[str, float | int]
    counts: dict[str, Any] = Field(default_factory=dict)
    pass_at_k: dict[str, float] = Field(default_factory=dict)
    wall_time_s: float = 0.0


# --------------------------------------------------------------------------- shared plumbing


def _report(mode: str, client: ChatClient, out: Path, t0: float, counts: dict, pass_k: dict | None = None):
    rep = GenerationReport(
        mode=mode,
        model=client.model,
        endpoint=client.endpoint.identity(),
        sampling=client.sampling.model_dump(),
        out=str(out),
        usage=client.usage.as_dict(),
        counts=counts,
        pass_at_k=pass_k or {},
        wall_time_s=round(time.monotonic() - t0, 3),
    )
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / f"generation_{mode}.json", rep)
    return rep


def _require_fresh(out: Path, resume: bool, files: Sequence[str] = (RESULTS,)) -> None:
    """Refuse to mix a new run into an old one unless resuming (checked before any model call)."""
    if resume:
        return
    for name in files:
        p = out / name
        if p.exists() and p.stat().st_size > 0:
            raise InputError(
                f"{out}: already holds {name}; pass --resume to continue it, or choose a new --out"
            )


@contextmanager
def _backend(config: VerifyConfig, backend: Backend | None) -> Iterator[Backend]:
    if backend is not None:
        yield backend
        return
    b = open_backend(config)
    try:
        yield b
    finally:
        b.close()


def _bar(it: Iterable, total: int, desc: str, enabled: bool) -> Iterable:
    if not enabled or total <= 0:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, desc=desc, unit="req", leave=False, dynamic_ncols=True)


def _batches(it: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for x in it:
        batch.append(x)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _verify_stream(
    problems: Sequence[Problem], cands: Iterable[Candidate], out: Path, config: VerifyConfig, backend: Backend
) -> int:
    """Verify candidates batch by batch as they are generated; return how many were generated."""
    n = 0
    cfg = config.model_copy(update={"resume": True, "progress": False})
    for batch in _batches(cands, BATCH):
        verify_candidates(problems, batch, out, cfg, backend=backend)
        n += len(batch)
    return n


def _pass_at_k(state: RunState, n: int, mode: str) -> dict[str, float]:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for cid, rew in state.rewards.items():
        c = state.candidates.get(cid)
        if c is None or c.origin.mode != mode or c.origin.turn != 0:
            continue
        per[rew.problem_id][0] += 1
        per[rew.problem_id][1] += rew.passed
    ks = sorted({1, n, *(k for k in (10, 100) if k <= n)})
    return mean_pass_at_k({p: (a, b) for p, (a, b) in per.items()}, ks)


def _add_pass_at_k_to_summary(out: Path, pass_k: dict[str, float]) -> None:
    from codesynth.models import RunSummary

    p = out / SUMMARY
    if p.exists() and pass_k:
        s = RunSummary.model_validate_json(p.read_text())
        s.pass_at_k.update(pass_k)
        write_json(p, s)


# --------------------------------------------------------------------------- 1. solutions


def generate_solutions(
    problems: Sequence[Problem],
    client: ChatClient,
    out: str | Path,
    *,
    n: int = 1,
    fewshot_pool: Sequence[Problem] = (),
    k_shots: int = 0,
    verify: bool = False,
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
) -> GenerationReport:
    """n samples per problem -> DIR/candidates.jsonl; with verify, the full run-dir layout and pass@k."""
    config = config or VerifyConfig()
    out = Path(out)
    t0 = time.monotonic()
    pool = fewshot_pool or (problems if k_shots else ())
    if verify:
        _require_fresh(out, config.resume)
        done = set(read_run(out).results) if out.exists() else set()
        todo = len(problems) * n - len(done)
        cands = sample_solutions(client, problems, n, fewshot_pool=pool, k_shots=k_shots, skip=done)
        with _backend(config, backend) as b:
            _verify_stream(problems, _bar(cands, todo, "generate+verify", config.progress), out, config, b)
        state = read_run(out)
        pass_k = _pass_at_k(state, n, "solutions")
        _add_pass_at_k_to_summary(out, pass_k)
        mine = [(state.candidates[cid], r) for cid, r in state.rewards.items()
                if cid in state.candidates and state.candidates[cid].origin.mode == "solutions"]  # fmt: skip
        counts = {
            "problems": len(problems),
            "candidates": len(mine),
            "passed": sum(r.passed for _, r in mine),
            "no_code": sum(1 for c, _ in mine if c.origin.extra.get("no_code")),
            "status": dict(Counter(r.status.value for _, r in mine)),
        }
        return _report("solutions", client, out, t0, counts, pass_k)
    _require_fresh(out, config.resume, (CANDIDATES,))
    path = out / CANDIDATES
    done = {c.candidate_id for c in read_models(path, Candidate)} if path.exists() else set()
    written = no_code = 0
    todo = len(problems) * n - len(done)
    with JsonlWriter(path) as w:
        for c in _bar(
            sample_solutions(client, problems, n, fewshot_pool=pool, k_shots=k_shots, skip=done),
            todo,
            "generate",
            config.progress,
        ):
            w.write(c)
            written += 1
            no_code += bool(c.origin.extra.get("no_code"))
    counts = {
        "problems": len(problems),
        "candidates": len(done) + written,
        "new": written,
        "no_code": no_code,
    }
    return _report("solutions", client, out, t0, counts)


# --------------------------------------------------------------------------- 2. tests


class GeneratedTest(BaseModel):
    problem_id: str
    test_id: str
    code: str
    sample_index: int
    kept: bool = False
    reason: str | None = Field(default=None, description="Why it was dropped.")
    detail: str | None = None


def _drop(t: GeneratedTest, reason: str, detail: str | None = None) -> None:
    t.kept, t.reason, t.detail = False, reason, detail


def generate_tests(
    problems: Sequence[Problem],
    client: ChatClient,
    out: str | Path,
    *,
    n: int = 1,
    tests_per_sample: int = 5,
    n_solutions: int = 5,
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
) -> GenerationReport:
    """Model-written assert tests, kept only when the reference solution passes them.

    Without a reference solution, `n_solutions` sampled solutions stand in for it
    (CodeT dual agreement: the largest group of solutions agreeing on a set of tests
    decides which tests are kept). Writes DIR/tests.jsonl (every test with its fate),
    DIR/problems.jsonl (the set with kept tests appended) and generation_tests.json.
    """
    config = config or VerifyConfig()
    out = Path(out)
    t0 = time.monotonic()
    _require_fresh(out, config.resume, ("tests.jsonl",))
    fn = [p for p in problems if p.kind == "function" and p.entry_point]
    skipped = [p.id for p in problems if p not in fn]

    # 1. ask for tests; split replies into single asserts; drop the ones that test nothing
    reqs = (
        ChatRequest(messages=tests_messages(p, tests_per_sample), sample_index=i, tag=p)
        for p in fn
        for i in range(n)
    )
    tests: dict[str, list[GeneratedTest]] = defaultdict(list)
    for req, comp in _bar(client.map(reqs), len(fn) * n, "generate tests", config.progress):
        _collect_tests(req.tag, comp, req.sample_index, tests[req.tag.id])
    for p in fn:
        tests[p.id] = _dedup_tests(tests[p.id])

    # 2. sample solutions for problems without a reference (CodeT)
    sols: dict[str, list[Candidate]] = defaultdict(list)
    no_ref = [p for p in fn if not p.reference_solution]
    if no_ref:
        for c in sample_solutions(client, no_ref, n_solutions, mode="tests-solutions"):
            if c.solution.strip():
                sols[c.problem_id].append(c)

    # 3. run every live test against the reference (or against each sampled solution)
    synth: list[Problem] = []
    pairs: list[Candidate] = []
    for p in fn:
        for t in tests[p.id]:
            if t.reason:
                continue
            sp = Problem(id=t.test_id, prompt=p.prompt, entry_point=p.entry_point, tests=t.code)
            synth.append(sp)
            runners = (
                [Candidate(candidate_id=f"{p.id}#ref", problem_id=p.id, solution=p.reference_solution)]
                if p.reference_solution
                else sols[p.id]
            )
            for r in runners:
                pairs.append(
                    Candidate(
                        candidate_id=f"{t.test_id}@{r.candidate_id}",
                        problem_id=sp.id,
                        solution=r.solution,
                        origin=Origin(kind="test-check", extra={"runner": r.candidate_id}),
                    )
                )
    outcome: dict[str, dict[str, tuple[Status, str, str | None]]] = defaultdict(
        dict
    )  # test -> runner -> verdict
    if pairs:
        with _backend(config, backend) as b:
            for c, res in execute(synth, pairs, b, config.limits, config.workers):
                outcome[c.problem_id][c.origin.extra["runner"]] = (
                    res.status,
                    result_feedback(res),
                    res.error_type,
                )

            # 4. decide, and append kept tests to each problem
            augmented = _decide_tests(fn, tests, outcome, sols, client.model)
            checked = _check_augmented(augmented, fn, b, config)
    else:
        _decide_tests(fn, tests, outcome, sols, client.model)  # nothing ran: say why for every test
        checked = {}
    new_set = [checked.get(p.id, p) for p in problems]

    all_tests = [t for p in fn for t in tests[p.id]]
    write_models(out / "tests.jsonl", all_tests)
    save_problems(out / "problems.jsonl", new_set)
    reasons = Counter(t.reason for t in all_tests if not t.kept)
    counts = {
        "problems": len(problems),
        "problems_skipped_io": len(skipped),
        "tests_generated": len(all_tests),
        "tests_kept": sum(t.kept for t in all_tests),
        "dropped": dict(reasons),
        "problems_augmented": len(checked),
        "decided_by_agreement": len(no_ref),
    }
    return _report("tests", client, out, t0, counts)


def _collect_tests(p: Problem, comp: Completion, idx: int, into: list[GeneratedTest]) -> None:
    code = extract_code(comp.text)
    first = f"{p.id}#t{idx}.0"
    if code is None:
        into.append(
            GeneratedTest(problem_id=p.id, test_id=first, code="", sample_index=idx, reason="no_code")
        )
        return
    preamble, asserts = split_asserts(code, p.entry_point)
    if not asserts:
        into.append(
            GeneratedTest(problem_id=p.id, test_id=first, code=code, sample_index=idx, reason="no_asserts")
        )
        return
    for j, a in enumerate(asserts):
        t = GeneratedTest(
            problem_id=p.id,
            test_id=f"{p.id}#t{idx}.{j}",
            code=(preamble + "\n" if preamble else "") + a,
            sample_index=idx,
        )
        why = is_trivial_assert(a, p.entry_point or "")
        if why:
            _drop(t, why)
        into.append(t)


def _dedup_tests(tests: list[GeneratedTest]) -> list[GeneratedTest]:
    """Sample order (not arrival order), and the same assert from two samples counted once."""
    tests.sort(key=lambda t: (t.sample_index, int(t.test_id.rsplit(".", 1)[1])))
    seen: set[str] = set()
    for t in tests:
        if t.reason:
            continue
        norm = " ".join(t.code.split())
        if norm in seen:
            _drop(t, "duplicate")
        seen.add(norm)
    return tests


def _decide_tests(fn, tests, outcome, sols, model) -> dict[str, Problem]:
    augmented: dict[str, Problem] = {}
    for p in fn:
        live = [t for t in tests[p.id] if not t.reason]
        if not live:
            continue
        if p.reference_solution:
            for t in live:
                status, fb, etype = outcome[t.test_id].get(
                    f"{p.id}#ref", (Status.sandbox_error, "not run", None)
                )
                if status is Status.passed:
                    t.kept = True
                else:
                    _drop(t, _fail_reason(status, etype), fb[:300])
        else:
            passes = {
                s.candidate_id: {
                    t.test_id
                    for t in live
                    if outcome[t.test_id].get(s.candidate_id, (None,))[0] is Status.passed
                }
                for s in sols[p.id]
            }
            kept, agreeing, score = dual_agreement(passes, [t.test_id for t in live])
            for t in live:
                if t.test_id in kept:
                    t.kept, t.detail = (
                        True,
                        f"agreed by {len(agreeing)} of {len(sols[p.id])} sampled solutions",
                    )
                else:
                    _drop(t, "disagreement" if passes else "no_solutions")
        kept_tests = [t for t in live if t.kept]
        if kept_tests:
            extra = "\n".join(t.code for t in kept_tests)
            augmented[p.id] = p.model_copy(
                update={
                    "tests": f"{p.tests.rstrip()}\n\n# Tests written by {model}, kept after execution.\n{extra}\n",
                    "metadata": {**p.metadata, "generated_tests": len(kept_tests)},
                }
            )
    return augmented


def _fail_reason(status: Status, error_type: str | None) -> str:
    if status is Status.failed:
        # An assertion that does not hold is a wrong expected value; any other exception
        # (NameError in the test, TypeError from bad arguments) means the test is broken.
        return "wrong_expectation" if error_type in (None, "AssertionError") else "test_raises"
    return {
        Status.timeout: "timeout",
        Status.error: "test_error",
        Status.sandbox_error: "sandbox_error",
    }.get(status, status.value)


def _check_augmented(
    augmented: dict[str, Problem], fn, b: Backend, config: VerifyConfig
) -> dict[str, Problem]:
    """The reference (or an agreeing solution) must pass the augmented tests as a whole."""
    if not augmented:
        return {}
    cands = [
        Candidate(candidate_id=f"{pid}#ref", problem_id=pid, solution=p.reference_solution)
        for pid, p in augmented.items()
        if p.reference_solution
    ]
    ok = {pid for pid, p in augmented.items() if not p.reference_solution}
    for c, res in execute(list(augmented.values()), cands, b, config.limits, config.workers):
        if res.status is Status.passed:
            ok.add(c.problem_id)
    return {pid: p for pid, p in augmented.items() if pid in ok}


# --------------------------------------------------------------------------- 3-6. new problems


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
    description: str = ""
    dropped_tests: dict[str, int] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)


@dataclass
class _Ask:
    index: int
    messages: list[dict[str, str]]
    sample_index: int
    meta: dict[str, Any] = field(default_factory=dict)


def _new_problems(
    asks: list[_Ask],
    client: ChatClient,
    out: Path,
    *,
    mode: str,
    existing: Sequence[Problem],
    id_prefix: str,
    threshold: float,
    min_tests: int,
    config: VerifyConfig,
    backend: Backend | None,
    t0: float,
    extra_counts: dict[str, Any] | None = None,
) -> GenerationReport:
    """Propose -> parse -> dedup -> trivial-tests check -> reference must pass -> problems.jsonl."""
    _require_fresh(out, config.resume, (RESULTS, "proposals.jsonl"))
    replies: dict[int, tuple[_Ask, Completion]] = {}
    reqs = (ChatRequest(messages=a.messages, sample_index=a.sample_index, tag=a) for a in asks)
    for req, comp in _bar(client.map(reqs), len(asks), f"generate {mode}", config.progress):
        replies[req.tag.index] = (req.tag, comp)

    novelty = NoveltyFilter(threshold, ())
    for p in existing:
        novelty.add(p.prompt, label=p.id)
    records: list[ProposalRecord] = []
    drafts: dict[str, Problem] = {}
    for i in sorted(replies):
        ask, comp = replies[i]
        pid = f"{id_prefix}/{i:04d}"
        prop = parse_proposal(comp.text, i, min_tests=min_tests)
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
        ok, score, who = novelty.accept(prop.description, label=pid)
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
    survivors: list[Problem] = []
    if drafts:
        probs = list(drafts.values())
        with _backend(config, backend) as b:
            # Tests that a do-nothing function passes check nothing.
            nulls = [
                Candidate(
                    candidate_id=f"{p.id}#null", problem_id=p.id, solution=null_solution(p.entry_point or "f")
                )
                for p in probs
            ]
            for c, res in execute(probs, nulls, b, config.limits, config.workers):
                if res.status is Status.passed:
                    by_id[c.problem_id].reason = "trivial_tests"
            live = [p for p in probs if not by_id[p.id].reason]
            refs = [
                Candidate(
                    candidate_id=f"{p.id}#ref",
                    problem_id=p.id,
                    solution=p.reference_solution or "",
                    origin=Origin(kind="reference", model=client.model, mode=mode),
                )
                for p in live
            ]
            # model-written tests: never in the long-lived tester
            verify_candidates(probs, refs, out, config.model_copy(update={"resume": True, "trust_tests": False}),
                              backend=b)
        state = read_run(out)
        for p in live:
            rew = state.rewards.get(f"{p.id}#ref")
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
    return _report(mode, client, out, t0, counts)


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
) -> GenerationReport:
    """Self-Instruct: n proposals, each shown k seed problems; the survivors form DIR/problems.jsonl."""
    t0 = time.monotonic()
    asks = []
    for i in range(n):
        shown = draw(seeds, k_seeds, "self-instruct", client.sampling.seed, i)
        asks.append(_Ask(i, propose_messages(shown), i, {"seeds": [s.id for s in shown]}))
    return _new_problems(
        asks, client, Path(out), mode="problems", existing=seeds, id_prefix=id_prefix, threshold=threshold,
        min_tests=min_tests, config=config or VerifyConfig(), backend=backend, t0=t0,
    )  # fmt: skip


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
) -> GenerationReport:
    """OSS-Instruct: problems inspired by snippets of a folder, with (file, span) provenance."""
    t0 = time.monotonic()
    snippets = collect_snippets(source, window=window)
    picks = pick_snippets(snippets, n, seed=client.sampling.seed or 0, query=query)
    asks = [
        _Ask(i, grounded_messages(s.text, s.where), i, {"grounding": {**s.provenance(), "root": str(source)}})
        for i, s in enumerate(picks)
    ]
    extra = {"snippets_available": len(snippets), "query": query}
    return _new_problems(
        asks, client, Path(out), mode="grounded", existing=existing, id_prefix=id_prefix, threshold=threshold,
        min_tests=min_tests, config=config or VerifyConfig(), backend=backend, t0=t0, extra_counts=extra,
    )  # fmt: skip


def read_rewards(path: str | Path) -> list[RewardRecord]:
    """A reward log: a run directory or a rewards.jsonl file."""
    p = Path(path)
    if p.is_dir():
        p = p / REWARDS
    return read_models(p, RewardRecord)


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
) -> GenerationReport:
    """The problems failed most often in a reward log seed similar or harder new problems."""
    t0 = time.monotonic()
    by_id = {p.id: p for p in problems}
    rates = {pid: r for pid, r in failure_rates(rewards).items() if pid in by_id}
    chosen = hardest(rates, parents, min_fail_rate)
    asks = []
    for pid, rate, attempts in chosen:
        for j in range(per_parent):
            op = EVOLVE_OPERATIONS[j % len(EVOLVE_OPERATIONS)]
            meta = {"evolved_from": pid, "parent_fail_rate": round(rate, 4), "parent_attempts": attempts,
                    "operation": ("similar", "harder", "edge_cases")[j % len(EVOLVE_OPERATIONS)]}  # fmt: skip
            asks.append(_Ask(len(asks), evolve_messages(by_id[pid], op), j, meta))
    extra = {"problems_in_log": len(rates), "parents": [pid for pid, _, _ in chosen]}
    return _new_problems(
        asks, client, Path(out), mode="evolve", existing=problems, id_prefix=id_prefix, threshold=threshold,
        min_tests=min_tests, config=config or VerifyConfig(), backend=backend, t0=t0, extra_counts=extra,
    )  # fmt: skip


# --------------------------------------------------------------------------- 5. repair


def _merged_state(src: Path | None, out: Path) -> RunState:
    st = read_run(out) if out.exists() else RunState()
    if src is not None and src.resolve() != out.resolve():
        base = read_run(src)
        for name in ("results", "rewards", "candidates", "dataset"):
            merged = dict(getattr(base, name))
            merged.update(getattr(st, name))
            setattr(st, name, merged)
    return st


def _frontier(state: RunState) -> dict[str, Candidate]:
    """The latest judged candidate of every trajectory."""
    latest: dict[str, Candidate] = {}
    for cid, c in state.candidates.items():
        if cid not in state.rewards:
            continue
        root = root_of(cid)
        if root not in latest or c.origin.turn > latest[root].origin.turn:
            latest[root] = c
    return latest


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
    """Failed candidates get their feedback back for up to `rounds` rounds.

    Without `from_run`, turn 0 is sampled here (n per problem). Every round's
    candidates and rewards go to DIR's reward log with origin.turn and
    origin.parent_id, so it holds whole repair trajectories.
    """
    config = config or VerifyConfig()
    out = Path(out)
    src = Path(from_run) if from_run else None
    t0 = time.monotonic()
    if src is not None and not (src / REWARDS).exists():
        raise InputError(
            f"{src}: no {REWARDS} here (expected a run directory from verify or generate --verify)"
        )
    same = src is not None and out.exists() and src.resolve() == out.resolve()
    if not same:
        _require_fresh(out, config.resume)
    by_id = {p.id: p for p in problems}
    rounds_log: list[dict[str, int]] = []
    with _backend(config, backend) as b:
        if src is None:
            done = set(read_run(out).results) if out.exists() else set()
            _verify_stream(problems, sample_solutions(client, problems, n, skip=done), out, config, b)
        start = _merged_state(src, out)
        initial_failing = sum(
            1 for cid, c in start.candidates.items()
            if c.origin.turn == 0 and c.problem_id in by_id and cid in start.rewards
            and _needs_repair(start.rewards[cid])
        )  # fmt: skip
        for turn in range(1, rounds + 1):
            state = _merged_state(src, out)
            items = [
                (by_id[c.problem_id], c, state.rewards[c.candidate_id].feedback)
                for c in _frontier(state).values()
                if c.origin.turn == turn - 1
                and c.problem_id in by_id
                and _needs_repair(state.rewards[c.candidate_id])
            ]
            if not items:
                break
            items.sort(key=lambda t: t[1].candidate_id)
            made = _verify_stream(
                problems, _bar(sample_repairs(client, items, turn), len(items), f"repair {turn}", config.progress),
                out, config, b,
            )  # fmt: skip
            after = read_run(out)
            fixed = sum(
                1
                for cid, r in after.rewards.items()
                if r.passed and after.candidates[cid].origin.turn == turn
            )
            rounds_log.append({"turn": turn, "attempted": made, "fixed": fixed})
    final = _merged_state(src, out)
    fixed_total = sum(r["fixed"] for r in rounds_log)
    counts = {
        "initially_failing": initial_failing,
        "fixed": fixed_total,
        "still_failing": sum(
            1
            for c in _frontier(final).values()
            if c.problem_id in by_id and _needs_repair(final.rewards[c.candidate_id])
        ),
        "rounds": rounds_log,
    }
    return _report("repair", client, out, t0, counts)


def _needs_repair(r: RewardRecord) -> bool:
    # A sandbox error says nothing about the code; showing it to the model would teach noise.
    return not r.passed and r.status is not Status.sandbox_error
