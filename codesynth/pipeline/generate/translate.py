"""`generate translate`: verified programs of one language written again in another, and verified there.

The standard way to grow multilingual data from a seed set: a program that passed its tests
in (say) Python is shown to the model with the task, and the model writes the same function
in Rust; the Rust program is judged by the same tests (data-form or stdin/stdout, which run
in every language). Sources are the passed candidates of a run directory (`from_run`) or the
problems' reference solutions in the source language. Each translation's origin names the
program it was translated from (`origin.parent_id`, `origin.extra.source_language`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from codesynth import languages
from codesynth.errors import InputError, sigterm_as_interrupt
from codesynth.generators.client import ChatClient
from codesynth.generators.solutions import TranslateItem, sample_translations
from codesynth.ids import ref_id, translation_id
from codesynth.jsonl import JsonlWriter, read_models
from codesynth.models import Candidate, Origin, Problem
from codesynth.rundir import CANDIDATES, RESULTS, REWARDS, read_run
from codesynth.sandbox.backend import Backend

from ..verify import RunRecorder, VerifyConfig, pass_at_k, using_backend, write_summary
from .common import GenerationReport, Refusals, Stage, bar, judged_counts, require_posable
from .repair import repair_as_they_fail


def verified_sources(problems: Sequence[Problem], source_language: str, from_run: str | Path | None,
                     per_problem: int = 1) -> list[tuple[Problem, Candidate]]:
    """Up to `per_problem` distinct programs per problem that passed in `source_language`.

    From a run: its passed candidates in that language (in candidate-id order, so a rerun picks
    the same ones). Without one: each problem's reference solution in that language."""
    if source_language not in languages.names():
        raise InputError(f"--source-language: unknown language {source_language!r} (one of {', '.join(languages.names())})")
    by_id = {p.id: p for p in problems}
    out: list[tuple[Problem, Candidate]] = []
    if from_run is None:
        for p in problems:
            code = p.references().get(source_language)
            if code:
                cid = ref_id(p.id) if source_language == p.language else ref_id(p.id, source_language)
                out.append((p, Candidate(candidate_id=cid, problem_id=p.id, solution=code, language=source_language,
                                         origin=Origin(kind="reference"))))
        return out
    src = Path(from_run)
    if not (src / REWARDS).exists():
        raise InputError(f"{src}: no {REWARDS} here (expected a run directory from verify or generate --verify)")
    state = read_run(src)
    seen: dict[str, set[str]] = {}
    for cid in sorted(state.rewards):
        c = state.candidates.get(cid)
        if c is None or not state.rewards[cid].passed or c.problem_id not in by_id:
            continue
        if (c.language or by_id[c.problem_id].language) != source_language:
            continue
        codes = seen.setdefault(c.problem_id, set())
        if len(codes) >= per_problem or c.solution in codes:
            continue
        codes.add(c.solution)
        out.append((by_id[c.problem_id], c))
    return out


def generate_translate(
    problems: Sequence[Problem],
    client: ChatClient,
    out: str | Path,
    *,
    language: str,
    source_language: str = "python",
    from_run: str | Path | None = None,
    n: int = 1,
    per_problem: int = 1,
    verify: bool = False,
    config: VerifyConfig | None = None,
    backend: Backend | None = None,
) -> GenerationReport:
    """n translations of each verified `source_language` program into `language` -> DIR/candidates.jsonl;
    with verify, the run-dir layout (rewards, dataset) and pass@k of the translations."""
    if language == source_language:
        raise InputError(f"--language and --source-language are both {language!r}: nothing to translate")
    sources = verified_sources(problems, source_language, from_run, per_problem)
    if not sources:
        where = f"no passed {source_language} candidate in {from_run}" if from_run else \
            f"no problem has a {source_language} reference solution"
        raise InputError(f"nothing to translate: {where}")
    require_posable([p for p, _ in sources], language)
    stage = Stage("translate", client, Path(out), config or VerifyConfig(), backend)
    stage.start({"problems": list(problems), "language": language, "source_language": source_language,
                 "from_run": str(from_run) if from_run else None, "n": n, "per_problem": per_problem,
                 "verify": verify, "sources": [(c.candidate_id, c.solution) for _, c in sources]},
                problems, (RESULTS,) if verify else (CANDIDATES,))
    items: list[TranslateItem] = [(p, c, source_language, translation_id(c.candidate_id, language, i), i)
                                  for p, c in sources for i in range(n)]
    base = {"sources": len(sources), "problems_without_source": len({p.id for p in problems} -
                                                                    {p.id for p, _ in sources}),
            "language": language, "source_language": source_language}

    if verify:
        return _with_verify(stage, problems, items, language, base)
    path = stage.out / CANDIDATES
    done = {c.candidate_id for c in read_models(path, Candidate)} if path.exists() else set()
    todo = [it for it in items if it[3] not in done]
    written = no_code = 0
    refused = Refusals()
    with JsonlWriter(path) as w:
        for c in bar(refused.drop(sample_translations(client, todo, language)), len(todo), "translate",
                     stage.config.progress):
            w.write(c)
            written += 1
            no_code += bool(c.origin.extra.get("no_code"))
    return stage.report({**base, "candidates": len(done) + written, "new": written, "no_code": no_code,
                         **refused.counts()})


def _with_verify(stage: Stage, problems: Sequence[Problem], items: list[TranslateItem], language: str,
                 base: dict) -> GenerationReport:
    """Each translation judged as it arrives (the streaming judge of the solutions mode, no repair turns)."""
    cfg = stage.config
    refused = Refusals()
    with RunRecorder(stage.out, problems, cfg.reward_scheme) as rec:
        todo = [it for it in items if it[3] not in rec.state.results]
        cands = bar(sample_translations(stage.client, todo, language), len(todo), "translate+verify", cfg.progress)
        with sigterm_as_interrupt(), using_backend(cfg, stage.backend, {language}) as b:
            executed, _ = repair_as_they_fail(rec, stage.client, b, cfg, problems, 0, cands, None, refused)
    state = read_run(stage.out)
    pass_k = pass_at_k(state.rewards.values(), mode="translate")
    write_summary(stage.out, problems, state, time.monotonic() - stage.t0, executed, cfg, pass_k)
    return stage.report({**base, **judged_counts(state, "translate"), **refused.counts()}, pass_k)
