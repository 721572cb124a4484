"""`generate solutions`: n samples per problem, judged as the model writes them (--verify)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from codesynth.errors import InputError, sigterm_as_interrupt
from codesynth.generators.client import ChatClient
from codesynth.generators.solutions import sample_solutions
from codesynth.jsonl import JsonlWriter, drop_records, read_models
from codesynth.models import Candidate, Problem
from codesynth.rundir import CANDIDATES, RESULTS
from codesynth.sandbox.backend import Backend

from ..verify import (
    RunRecorder,
    VerifyConfig,
    pass_at_k,
    started,
    using_backend,
    write_summary,
)
from .common import (
    GenerationReport,
    Refusals,
    Stage,
    bar,
    judged_counts,
    language_input,
    languages_of,
    require_posable,
    retry_attempts,
)
from .repair import repair_as_they_fail, repair_counts


def generate_solutions(
    problems: Sequence[Problem],
    client: ChatClient,
    out: str | Path,
    *,
    n: int = 1,
    fewshot_pool: Sequence[Problem] = (),
    k_shots: int = 0,
    verify: bool = False,
    repair_rounds: int = 0,
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
    language: str | None = None,
) -> GenerationReport:
    """n samples per problem -> DIR/candidates.jsonl; with verify, the full run-dir layout and pass@k.

    Generation never waits for verification: each completion goes to a sandbox worker as it
    arrives and each verdict is appended as it exists, so a kill loses at most the programs
    in flight (their completions are in the response cache). With `repair_rounds` (verify only),
    a failing sample's repair is asked as soon as its verdict exists (`repair_as_they_fail`).
    `language`: what every solution is written in (None: each problem's own; a repair keeps its
    candidate's); a problem that cannot be posed in it stops the run before any model call.
    """
    if repair_rounds and not verify:
        raise InputError("repair needs the verdicts: repair rounds come with verify")
    require_posable(problems, language)
    stage = Stage("solutions", client, Path(out), config or VerifyConfig(), backend)
    pool = fewshot_pool or (problems if k_shots else ())
    # Each problem's records depend on that problem alone; n and the repair turns only bound them.
    stage.start({"n": n, "k_shots": k_shots, "fewshot_pool": [p.id for p in pool], "verify": verify,
                 **({"repair_rounds": repair_rounds} if repair_rounds else {}), **language_input(language)}, problems,
                (RESULTS,) if verify else (CANDIDATES,), per_problem=True, additive=("n", "repair_rounds"),
                owns=lambda c: c.origin.mode in ("solutions", "repair"),
                beyond=lambda c: (c.origin.sample_index or 0) >= n or c.origin.turn > repair_rounds)
    if verify:
        return _with_verify(stage, problems, n, pool, k_shots, repair_rounds, language)
    path = stage.out / CANDIDATES
    have = {c.candidate_id: c for c in read_models(path, Candidate)} if path.exists() else {}
    attempts: dict[str, int] = {}
    if stage.config.retry_failed:
        attempts = {cid: int(c.origin.extra.get("attempt", 0)) + 1 for cid, c in have.items()
                    if c.origin.extra.get("no_code")}  # fmt: skip
        drop_records(path, "candidate_id", set(attempts))
    done = set(have) - set(attempts)
    written = no_code = 0
    todo = len(problems) * n - len(done)
    refused = Refusals()
    with JsonlWriter(path) as w:
        cands = sample_solutions(client, problems, n, fewshot_pool=pool, k_shots=k_shots, skip=done,
                                 attempts=attempts, language=language)
        for c in bar(refused.drop(cands), todo, "generate", stage.config.progress, stage.client.status):
            w.write(c)
            written += 1
            no_code += bool(c.origin.extra.get("no_code"))
    counts = {"problems": len(problems), **language_input(language), "candidates": len(done) + written,
              "new": written, "no_code": no_code, "retried": len(attempts), **refused.counts()}
    return stage.report(counts)


def _with_verify(stage: Stage, problems: Sequence[Problem], n: int, pool, k_shots: int,
                 repair_rounds: int, language: str | None) -> GenerationReport:
    cfg = stage.config
    # Read the run again only when retrying: the recorder below reads it anyway.
    attempts = retry_attempts(stage.out) if cfg.retry_failed else {}
    refused = Refusals()
    with RunRecorder(stage.out, problems, cfg.reward_scheme) as rec:
        done = set(rec.state.results)
        todo = len(problems) * n - len(done)
        # Generation starts now and runs ahead while the sandbox pool starts.
        cands = started(sample_solutions(stage.client, problems, n, fewshot_pool=pool, k_shots=k_shots, skip=done,
                                         attempts=attempts, language=language))
        langs = languages_of(problems, language) | {c.language for c in rec.state.candidates.values() if c.language}
        with sigterm_as_interrupt(), using_backend(cfg, stage.backend, langs) as b:
            executed, repairs = repair_as_they_fail(rec, stage.client, b, cfg, problems, repair_rounds,
                                                    bar(cands, todo, "generate+verify", cfg.progress, stage.client.status),
                                                    rec.state if repair_rounds else None, refused)
    state = rec.state  # what is on disk, already in memory (reading the run back cost 0.1 ms a record)
    pass_k = pass_at_k(state.rewards.values(), mode="solutions", extra_ks=[n])
    write_summary(stage.out, problems, state, time.monotonic() - stage.t0, executed, cfg, pass_k)
    counts = {
        "problems": len(problems),
        **language_input(language),
        **judged_counts(state, "solutions"),
        "retried": len(attempts),
        **refused.counts(),
    }
    if repair_rounds:
        counts["repair"] = repair_counts(problems, state, repairs)
    return stage.report(counts, pass_k)
