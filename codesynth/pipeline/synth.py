"""`codesynth synth RECIPE.toml --out DIR`: seeds -> new problems -> tests -> solutions ->
verify -> repair -> evolve -> curate -> export + report, in one resumable run.

Each stage is a generation mode of its own with its own fingerprint in DIR (so a resume
with a changed recipe says which stage changed), streaming inside: a completion is judged
the moment it arrives and each verdict lands on disk as it exists. Completions live in the
response cache, so a killed run resumed with `--resume` pays for no reply it received.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

import codesynth
from codesynth.config import CacheConfig, Config, EndpointConfig, LocalModelConfig, SamplingParams
from codesynth.errors import InputError
from codesynth.generators.budget import Budget, Prices, estimate_tokens
from codesynth.jsonl import describe_validation_error, write_json
from codesynth.models import Language, Limits, Problem
from codesynth.problems import load_problems
from codesynth.rundir import record_invocation, require_fresh, run_totals
from codesynth.verifiers.outputs.formats import get_format

from .curation import curate_run
from .generate.common import require_posable
from .stages import STAGES, Context, RecordingClient
from .verify import VerifyConfig

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - 3.10
    import tomli as tomllib  # type: ignore[no-redef]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Seeds(_Section):
    problems: str | None = Field(default=None, description="A problem set (path relative to the recipe).")
    limit: int | None = Field(default=None, ge=1, description="Only the first N seed problems.")
    ids: list[str] = Field(default_factory=list, description="Only these seed problems.")
    kind: str | None = Field(default=None, description="Only 'function' or 'io' problems.")


class NewProblems(_Section):
    n: int = Field(default=0, ge=0, description="Self-Instruct proposals (0 = solve the seeds only).")
    k_seeds: int = Field(default=3, ge=1)
    similarity: float = Field(default=0.7, gt=0, le=1, description="Drop a proposal at least this similar to a "
                              "known problem (the CLI's --similarity).")
    min_tests: int = Field(default=2, ge=1)


class Tests(_Section):
    enabled: bool = False
    n: int = Field(default=1, ge=1)
    per_sample: int = Field(default=5, ge=1)


class Solutions(_Section):
    n: int = Field(default=1, ge=1)
    k_shots: int = Field(default=0, ge=0)
    language: Language | None = Field(default=None, description="Write every solution (and its repairs) in "
                                      "this language (default: each problem's own).")


class Repair(_Section):
    rounds: int = Field(default=1, ge=0)


class Evolve(_Section):
    parents: int = Field(default=0, ge=0)
    per_parent: int = Field(default=2, ge=1)


class Curate(_Section):
    enabled: bool = True
    mutation: bool = Field(default=False, description="Mutation testing (runs every mutant: slower).")
    decontam: bool = True
    filters: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Curation filter name -> its options, for any registered filter "
        "(plugins too): `[curate.filters.strength]` `min_tnr = 0.9`. Checked when the recipe loads.")

    @field_validator("filters")
    @classmethod
    def _known_filters(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        from codesynth.verifiers.curation.curate import CurateConfig

        CurateConfig.model_validate(v)  # an unknown filter or a bad option fails here, before any model call
        return v


class Export(_Section):
    format: str = Field(default="openai", description="An export format name (openai, alpaca, sharegpt, "
                        "parquet, hf, or a registered one: see docs/extending/export-formats.md).")


class Report(_Section):
    semantic: bool = Field(default=False, description="Diversity by meaning (embeddings; codesynth[semantic]).")


class Execution(_Section):
    timeout_s: float = Field(default=10.0, gt=0)
    timeout_auto: bool = Field(default=False, description="Each problem's time limit from its reference's own "
                               "run (4 x, 1 s at least, timeout_s at most), as `verify --timeout auto`.")
    memory_mb: int = Field(default=512, ge=32)
    workers: int | None = Field(default=None, ge=1)
    backend: str = "docker"


class Recipe(_Section):
    name: str = "synth"
    endpoint: EndpointConfig = Field(default_factory=EndpointConfig)
    sampling: SamplingParams = Field(default_factory=SamplingParams)
    local: LocalModelConfig = Field(default_factory=LocalModelConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    prices: Prices = Field(default_factory=Prices)
    seeds: Seeds = Field(default_factory=Seeds)
    problems: NewProblems = Field(default_factory=NewProblems)
    tests: Tests = Field(default_factory=Tests)
    solutions: Solutions = Field(default_factory=Solutions)
    repair: Repair = Field(default_factory=Repair)
    evolve: Evolve = Field(default_factory=Evolve)
    curate: Curate = Field(default_factory=Curate)
    export: Export = Field(default_factory=Export)
    report: Report = Field(default_factory=Report)
    execution: Execution = Field(default_factory=Execution)
    #: Where relative paths in the recipe point (the recipe's folder); not a recipe key.
    base_dir: str | None = Field(default=None, exclude=True)

    def config(self) -> Config:
        return Config(endpoint=self.endpoint, sampling=self.sampling, cache=self.cache, local=self.local)

    def verify_config(self, resume: bool, progress: bool, retry_failed: bool = False,
                      update: bool = False) -> VerifyConfig:
        ex = self.execution
        return VerifyConfig(workers=ex.workers, limits=Limits(timeout_s=ex.timeout_s, memory_mb=ex.memory_mb),
                            backend=ex.backend, resume=resume, progress=progress, retry_failed=retry_failed,
                            update=update, timeout_auto=ex.timeout_auto)


def curate_config(recipe: Recipe, limits: Any = None):
    """The curation config a recipe asks for: its `[curate]` switches and `[curate.filters.NAME]`
    tables (any registered filter, plugins included) over the registry's defaults."""
    from codesynth.verifiers.curation.curate import CurateConfig

    c = recipe.curate
    data: dict[str, Any] = {**c.filters,
                            "mutation": {"enabled": c.mutation, **c.filters.get("mutation", {})},
                            "decontam": {"enabled": c.decontam, **c.filters.get("decontam", {})}}
    if limits is not None:
        data["limits"] = limits.model_dump()
    return CurateConfig.model_validate(data)


def load_recipe(path: str | os.PathLike, overrides: dict[str, Any] | None = None) -> Recipe:
    """A recipe file, with `overrides` ({"endpoint": {"base_url": ...}}) applied; one clear line on errors."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: recipe not found") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror or e})") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{p}: invalid TOML ({e})") from None
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as e:
        raise InputError(f"{p}: {describe_validation_error(e)}") from None
    try:
        get_format(recipe.export.format)  # known before any request is paid for
    except InputError as e:
        raise InputError(f"{p}: export.format: {e}") from None
    recipe.base_dir = str(p.resolve().parent)
    return recipe


def seed_problems(recipe: Recipe) -> list[Problem]:
    s = recipe.seeds
    if s.problems is None:
        return []
    path = Path(s.problems)
    if not path.is_absolute() and recipe.base_dir:
        path = Path(recipe.base_dir) / path
    problems = load_problems(path)
    if s.ids:
        missing = sorted(set(s.ids) - {p.id for p in problems})
        if missing:
            raise InputError(f"{path}: seeds.ids names problems not in the set: {', '.join(missing[:5])}")
        problems = [p for p in problems if p.id in set(s.ids)]
    if s.kind:
        problems = [p for p in problems if p.kind == s.kind]
    return problems[: s.limit] if s.limit else problems


# --------------------------------------------------------------------------- the plan


class StageEstimate(BaseModel):
    stage: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    upper_bound: bool = Field(default=False, description="Repair rounds: at most, if every sample failed.")
    example: list[dict[str, str]] = Field(default_factory=list, exclude=True,
                                          description="The stage's first request, as sent (prompts.json).")


class Plan(BaseModel):
    recipe: str
    seeds: int
    stages: list[StageEstimate]
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


def require_runnable(recipe: Recipe, seeds: list[Problem]) -> None:
    """What the run and its plan both refuse before any request (exit 2 from either)."""
    if not seeds and not recipe.problems.n:
        raise InputError("the recipe has no seed problems and asks for no new ones: nothing to do")


def plan(recipe: Recipe, seeds: list[Problem]) -> Plan:
    """What the run will ask the endpoint for, before it asks (`--dry-run`): the run's own stage list,
    each estimated from the requests its prompt functions build."""
    require_runnable(recipe, seeds)
    max_out = recipe.sampling.max_tokens
    # Every proposal may be accepted: the later stages also plan for the new problems, at most
    # (stand-ins: the seeds' prompts, cycled; a recipe without seeds plans with what it has).
    proposed = recipe.problems.n if seeds else 0
    problems = [*seeds, *(seeds[i % len(seeds)] for i in range(proposed))]
    est: list[StageEstimate] = []
    for st in STAGES:
        if not st.enabled(recipe):
            continue
        a = st.asks(recipe, seeds, problems)
        # a stage asked once per problem counts the proposals as if all were accepted: at most
        upper = a.upper or (bool(proposed) and st.name not in ("problems", "evolve"))
        prompt = sum(estimate_tokens("".join(m["content"] for m in msgs)) for msgs in a.messages) * a.n_each
        reqs = len(a.messages) * a.n_each
        est.append(StageEstimate(stage=st.name, requests=reqs, prompt_tokens=prompt,
                                 completion_tokens=reqs * max_out, upper_bound=upper,
                                 example=a.messages[0] if a.messages else []))
    pt = sum(e.prompt_tokens for e in est)
    ct = sum(e.completion_tokens for e in est)
    return Plan(recipe=recipe.name, seeds=len(seeds), stages=est, requests=sum(e.requests for e in est),
                prompt_tokens=pt, completion_tokens=ct, cost_usd=round(recipe.prices.cost(pt, ct), 4))


# --------------------------------------------------------------------------- the run


class SynthSummary(BaseModel):
    recipe: str
    out: str
    model: str
    codesynth: str
    seeds: int
    new_problems: int
    problems_solved_for: int
    stages: dict[str, dict[str, Any]]
    dataset_records: int = 0
    curated_records: int = 0
    export: str | None = None
    report: str | None = None
    failure_categories: dict[str, int] = Field(default_factory=dict)
    cost_usd: float = 0.0
    usage: dict[str, float | int] = Field(default_factory=dict, description="The whole run's, over every "
                                         "invocation (a resume adds to it).")
    invocations: int = Field(default=1, description="How many times the run was started or resumed.")
    wall_time_s: float = Field(default=0.0, description="The whole run's wall time, over every invocation.")


def synth(
    recipe: Recipe,
    out: str | os.PathLike,
    *,
    resume: bool = False,
    update: bool = False,
    retry_failed: bool = False,
    budget_usd: float | None = None,
    progress: bool = True,
    log: Callable[[str], None] = lambda m: None,
) -> SynthSummary:
    """Run every stage of `recipe` into `out`; see the module docstring."""
    from codesynth.generators.session import open_client
    from codesynth.rundir import load_dataset
    from codesynth.verifiers.outputs.exports import export
    from codesynth.verifiers.outputs.report import build_report
    from codesynth.verifiers.outputs.report_html import write_html

    t0 = time.monotonic()
    d = Path(out)
    require_fresh(d, resume, ("synth.json", "run/results.jsonl"))
    seeds = seed_problems(recipe)
    require_runnable(recipe, seeds)
    for flag, on in (("--retry-failed", retry_failed), ("--update", update)):
        if on and not resume:
            raise InputError(f"{flag} continues a run: pass --resume too")
    lang = recipe.solutions.language
    if lang:
        # refused before any model call: every stage's problems must be askable in that language
        require_posable(seeds, lang)
        if lang != "python" and recipe.problems.n:
            raise InputError(f"solutions.language = {lang!r}: the problems stage writes problems with Python "
                             "test code, which only Python solves; set problems.n = 0 (or solve in Python)")
    # Each stage resumes its own part; --retry-failed asks the solution samples that held no code again.
    vcfg = recipe.verify_config(resume=True, progress=progress, retry_failed=retry_failed, update=update)
    d.mkdir(parents=True, exist_ok=True)
    with open_client(recipe.config(), max_tokens_given=True, log=log) as inner:
        if budget_usd is not None:
            inner.budget = Budget(budget_usd, recipe.prices)
        client = RecordingClient(inner)
        ctx = Context(recipe, client, d, vcfg, log, seeds, problems=list(seeds))  # type: ignore[arg-type]
        ended = "interrupted"
        try:
            for st in STAGES:
                if st.enabled(recipe) and st.run is not None:
                    client.stage = st.name
                    st.run(ctx)
            ended = "finished"
        finally:
            # what this invocation spent is the run's, however it ends (a resume adds, never replaces)
            record_invocation(d, inner.usage.as_dict(),
                              recipe.prices.cost(inner.usage.prompt_tokens, inner.usage.completion_tokens),
                              time.monotonic() - t0, ended)
        model = inner.model
    stages, new, problems, run = ctx.counts, ctx.new, ctx.problems, ctx.run_dir
    totals = run_totals(d)
    t_stages_done = time.monotonic()

    dataset = load_dataset(run) if (run / "dataset.jsonl").exists() else []
    summary = SynthSummary(recipe=recipe.name, out=str(d), model=model, codesynth=codesynth.__version__,
                           seeds=len(seeds), new_problems=len(new), problems_solved_for=len(problems),
                           stages=stages, dataset_records=len(dataset), usage=totals["usage"],
                           cost_usd=totals["cost_usd"], invocations=totals["invocations"])
    if recipe.curate.enabled and dataset:
        ccfg = curate_config(recipe, vcfg.limits)
        crep = curate_run(run, d / "curated.jsonl", ccfg, backend=vcfg.backend, workers=vcfg.workers)
        # the summary's own dict: pydantic copied `stages` when the summary was made
        summary.stages["curate"] = {f.name: f.reasons for f in crep.filters if f.enabled}
        summary.curated_records = crep.output_records
    final = load_dataset(d / "curated.jsonl") if (d / "curated.jsonl").exists() else dataset
    rep_json = build_report(run, benchmarks=["humaneval"] if recipe.curate.decontam else [],
                            semantic=recipe.report.semantic)
    write_json(d / "report.json", rep_json)
    summary.failure_categories = rep_json.get("failure_categories", {})
    if final:
        fmt = recipe.export.format
        target = d / get_format(fmt).default_name()
        export(final, fmt, target, title=f"{recipe.name}: verified code data", run_facts=run_facts(summary, recipe),
               card_path=d / "README.md")
        summary.export = str(target)
    summary.report = str(write_html(run, rep_json, d / "report.html", run_facts(summary, recipe)))
    # every invocation's stages, plus this one's curation, report and export
    summary.wall_time_s = round(totals["wall_time_s"] + time.monotonic() - t_stages_done, 3)
    # Reproducibility: the recipe as run and the prompts it sent (each stage's first request as the
    # client was handed it, system prompt included), next to what it made.
    write_json(d / "recipe.json", recipe.model_dump(mode="json"))
    write_json(d / "prompts.json", _prompts_sent(d / "prompts.json", client.first, update))
    write_json(d / "synth.json", summary)
    return summary


def _prompts_sent(path: Path, recorded: dict[str, list], update: bool) -> dict[str, list]:
    """Each stage's first request over the whole run, in stage order: a resume that sends nothing
    (or only the rest) keeps what the first invocation recorded; --update's new prompts replace it."""
    prior: dict[str, list] = {}
    if path.is_file():
        try:
            prior = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            prior = {}  # written by us; unreadable means a torn write: this invocation's record stands
    merged = {**prior, **recorded} if update else {**recorded, **prior}
    return {st.name: merged[st.name] for st in STAGES if st.name in merged}


def run_facts(s: SynthSummary, recipe: Recipe) -> list[tuple[str, object]]:
    """What the dataset card says about the run that made the data."""
    pk = s.stages.get("solutions", {}).get("pass_at_k", {})
    failures = ", ".join(f"{k}={v}" for k, v in sorted(s.failure_categories.items()))
    return [
        ("recipe", f"{s.recipe} (recipe.json)"),
        ("model", s.model),
        ("codesynth", s.codesynth),
        ("seed problems / new problems", f"{s.seeds} / {s.new_problems}"),
        ("samples per problem", recipe.solutions.n),
        *((k, f"{v:.4f}") for k, v in pk.items()),
        ("verified programs / after curation", f"{s.dataset_records} / {s.curated_records}"),
        *((("repairs (fixed / first tries failing)",
            f"{s.stages['repair'].get('fixed', 0)} / {s.stages['repair'].get('initially_failing', 0)}"),)
          if "repair" in s.stages else ()),
        ("failure categories (all attempts)", failures or "-"),
        ("requests / tokens", f"{s.usage.get('requests', 0)} / {s.usage.get('prompt_tokens', 0)} prompt + "
                              f"{s.usage.get('completion_tokens', 0)} completion"),
        ("cost", f"${s.cost_usd:.4f}"),
        ("invocations (start + resumes)", s.invocations),
    ]


def facts_of_run(run_dir: str | os.PathLike) -> list[tuple[str, object]]:
    """The card's run facts for a synth's run/ directory (read from its synth.json and recipe.json),
    or none for a run that `synth` did not make."""
    top = Path(run_dir).resolve().parent
    try:
        summary = SynthSummary.model_validate_json((top / "synth.json").read_text(encoding="utf-8"))
        recipe = Recipe.model_validate_json((top / "recipe.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return run_facts(summary, recipe)
