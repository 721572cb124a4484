"""`codesynth tests harden` and `tests certify` over a problem file: resumable, with progress.

With a model (`client`, `generators` > 0), the model first writes input generators for each
problem (HardTests-style); each runs in the sandbox and its inputs join the mutated ones,
judged the same way (verifiers/suites/generated_inputs.py).

Each problem is written to the output the moment it is done (one whole JSONL line, appended);
a sidecar `OUT.state.json` holds the fingerprint of the inputs (the problems and the settings),
and `OUT.outcomes.jsonl` what was done to each problem. Run again with the same inputs, it
skips the problems already written; with different inputs, it refuses (one line, exit 2).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from statistics import mean
from typing import Any

from codesynth.errors import InputError
from codesynth.extract import extract_code
from codesynth.generators.client import ChatClient, ChatRequest
from codesynth.generators.prompts import input_generator_messages
from codesynth.jsonl import JsonlWriter, iter_json_lines, repair_tail, write_json
from codesynth.models import Candidate, Problem, SuiteStrength
from codesynth.rundir import digest
from codesynth.sandbox.backend import Backend
from codesynth.verifiers.suites.generated_inputs import run_input_generator
from codesynth.verifiers.suites.harden import HardenConfig, HardenOutcome, harden_problem, strength_of
from codesynth.verifiers.suites.strength_report import strength_summary

from .generate.common import bar
from .verify import VerifyConfig, using_backend


def _state_path(out: Path) -> Path:
    return out.with_name(out.name + ".state.json")


def _outcomes_path(out: Path) -> Path:
    return out.with_name(out.name + ".outcomes.jsonl")


def _done(out: Path, fingerprint: str) -> tuple[set[str], list[HardenOutcome]]:
    """Problems already written by a run with the same inputs (refuses a different run's output)."""
    state = _state_path(out)
    if not out.exists():
        return set(), []
    import json

    try:
        saved = json.loads(state.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        saved = None
    if saved != fingerprint:
        raise InputError(f"{out}: exists and was not written by this command with these inputs "
                         "(other problems or settings); choose another --out or remove it")
    for f in (out, _outcomes_path(out)):  # a line cut short by a kill mid-write is not a record
        if f.exists():
            repair_tail(f)
    done = {str(obj.get("id")) for _, obj in iter_json_lines(out)}
    last = {obj.get("problem_id"): obj for _, obj in iter_json_lines(_outcomes_path(out))} \
        if _outcomes_path(out).exists() else {}
    return done, [HardenOutcome.model_validate(obj) for pid, obj in last.items() if pid in done]


def summarize(before: list[SuiteStrength | None], after: list[SuiteStrength | None],
              outcomes: Sequence[HardenOutcome]) -> dict[str, Any]:
    """Mean certificate before and after, and what was done (the --json summary)."""
    def cert(vals: list[SuiteStrength | None]) -> dict[str, Any]:
        sizes = [v.tests_public + v.tests_private for v in vals if v is not None]
        return {**strength_summary(vals), "tests_per_problem": round(mean(sizes), 2) if sizes else None}

    return {
        "problems": len(outcomes),
        "by_status": dict(Counter(o.status for o in outcomes)),
        "tests_added": sum(o.added for o in outcomes),
        "inputs_tried": sum(o.inputs for o in outcomes),
        "inputs_invalid": sum(o.invalid for o in outcomes),
        "inputs_drawn": sum(o.drawn for o in outcomes),
        "inputs_generated": sum(o.generated for o in outcomes),
        "cases_disputed": sum(o.disputed for o in outcomes),
        "seconds_per_problem": round(mean([o.seconds for o in outcomes]), 3) if outcomes else None,
        "before": cert(before),
        "after": cert(after),
    }


def generator_programs(client: ChatClient, problems: Sequence[Problem], n: int, n_inputs: int,
                       ) -> dict[str, list[str]]:
    """`n` input generator programs per problem, written by the model (replies without code dropped)."""
    reqs = (ChatRequest(messages=input_generator_messages(p, n_inputs), sample_index=i, tag=p)
            for p in problems for i in range(n))
    out: dict[str, list[str]] = {}
    for req, comp in client.map(reqs):
        code = extract_code(comp.text)
        if code:
            out.setdefault(req.tag.id, []).append(code)
    return out


def harden_file(problems: Sequence[Problem], out: str | Path, cfg: HardenConfig | None = None,
                config: VerifyConfig | None = None, backend: Backend | None = None,
                certify_only: bool = False, samples: Sequence[Candidate] = (),
                client: ChatClient | None = None, generators: int = 0) -> dict[str, Any]:
    """Harden (or only certify) every problem, appending each to `out` when done; the summary.
    `samples`: sampled solutions (wrong-pool members beside a reference; the deciding agreement without one).
    `client`, `generators`: that many model-written input generators per problem (0: none)."""
    cfg, config, out = cfg or HardenConfig(), config or VerifyConfig(), Path(out)
    generators = generators if client is not None and not certify_only else 0
    fp = digest({"problems": [p.model_dump(mode="json") for p in problems], "config": cfg.model_dump(),
                 "limits": config.limits.model_dump(), "certify_only": certify_only,
                 **({"samples": [c.model_dump(mode="json") for c in samples]} if samples else {}),
                 **({"generators": generators, "model": client.model} if generators else {})})
    by_problem: dict[str, list[Candidate]] = {}
    for c in samples:
        by_problem.setdefault(c.problem_id, []).append(c)
    done, outcomes = _done(out, fp)
    write_json(_state_path(out), {"fingerprint": fp})
    todo = [p for p in problems if p.id not in done]
    langs = {lang for p in todo for lang in (p.language, *p.reference_solutions, *p.judge_languages)} | {
        "python"} | {c.language for c in samples if c.language}
    programs = generator_programs(client, todo, generators, cfg.max_inputs) if generators and todo else {}
    if todo:
        with using_backend(config, backend, langs) as b, JsonlWriter(out) as w, \
                JsonlWriter(_outcomes_path(out)) as ow:
            for p in bar(todo, len(todo), "certify" if certify_only else "harden", config.progress):
                t0 = time.monotonic()
                if certify_only:
                    strength, o = strength_of(p, b, cfg, config.limits, by_problem.get(p.id, ()))
                    new = p.model_copy(update={"strength": strength})
                else:
                    extra = [a for prog in programs.get(p.id, ())
                             for a in run_input_generator(p, prog, b, config.limits, cfg.max_inputs)]
                    new, o = harden_problem(p, b, cfg, config.limits, by_problem.get(p.id, ()), extra)
                o.seconds = round(time.monotonic() - t0, 3)
                ow.write(o)  # first: the problem's line is the commit point, an outcome without it is redone
                w.write(new)
                outcomes.append(o)
    final = {str(obj.get("id")): obj for _, obj in iter_json_lines(out)}
    written = [Problem.model_validate(final[p.id]) for p in problems if p.id in final]
    before = [SuiteStrength.model_validate(q.metadata["strength_before"]) if "strength_before" in q.metadata
              else q.strength for q in written]
    return {"out": str(out), **summarize(before, [q.strength for q in written], outcomes)}
