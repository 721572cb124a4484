"""MkDocs hook: reference tables generated from the code at build time.

`<!-- modules: FOLDER -->` becomes a table of FOLDER's modules, each with the first sentence of
its docstring (the architecture page), so the folder map follows the tree.


A page holds a marker line `<!-- fields: module.path.Model -->`; the hook replaces it with one
table per model (nested models, such as a recipe's sections, get a table each), listing every
key with its type, default, allowed range and meaning. The meaning is the field's own
`description` in the code; fields the code leaves undescribed take theirs from MEANINGS below.
A field with neither, or a MEANINGS entry naming no field, is a build warning, so
`mkdocs build --strict` fails the moment the code and the reference disagree.
"""

from __future__ import annotations

import ast
import enum
import importlib
import logging
import re
import shutil
import tempfile
import types
import typing
from pathlib import Path

import annotated_types
from mkdocs.plugins import event_priority
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

log = logging.getLogger("mkdocs.hooks.generated_reference")

MARKER = re.compile(r"^<!-- fields: ([\w.]+) -->$", re.M)
MODULES = re.compile(r"^<!-- modules: ([\w./]+) -->$", re.M)

# Meanings of fields whose code carries no `description` (keyed "Model.field").
MEANINGS: dict[str, str] = {
    # the recipe (codesynth.pipeline.synth)
    "Recipe.name": "The run's name: in `synth.json`, the dataset card and the export's title.",
    "Recipe.endpoint": "The OpenAI-compatible endpoint (as in the config file); no `base_url` = the bundled model.",
    "Recipe.sampling": "Sampling parameters of every request.",
    "Recipe.local": "The bundled model, used when no endpoint is configured.",
    "Recipe.cache": "The on-disk response cache (a rerun or resume pays for no reply twice).",
    "Recipe.prices": "Token prices, for `--dry-run`'s estimate, `--budget` and the reported cost.",
    "Recipe.seeds": "The seed problem set: solved, and shown to the model for new problems.",
    "Recipe.problems": "The problems stage: new problems from the seeds (Self-Instruct).",
    "Recipe.tests": "The tests stage: model-written tests, kept only where the reference passes them.",
    "Recipe.solutions": "The solutions stage: samples per problem, each judged as it arrives.",
    "Recipe.repair": "Repair turns: a failing sample goes back to the model with the sandbox's feedback.",
    "Recipe.evolve": "The evolve stage: new problems from the problems the model failed most.",
    "Recipe.curate": "Curation of the passing records (the `codesynth curate` filters).",
    "Recipe.export": "The export written next to the curated records.",
    "Recipe.report": "The run's `report.json`.",
    "Recipe.execution": "Sandbox limits and pool for every program the run executes.",
    "NewProblems.k_seeds": "Seed problems shown in each proposal request.",
    "NewProblems.min_tests": "Non-trivial asserts a proposal must bring.",
    "Tests.enabled": "Run the tests stage.",
    "Tests.n": "Samples of tests asked per problem.",
    "Tests.per_sample": "Asserts asked for in each sample.",
    "Solutions.n": "Samples per problem (pass@k is computed over them).",
    "Solutions.k_shots": "Worked examples (problem -> reference) shown before each problem, drawn from the seeds.",
    "Repair.rounds": "Repair turns per failing sample (0 = no repair).",
    "Evolve.parents": "Most-failed problems to evolve from (0 = no evolve stage).",
    "Evolve.per_parent": "New problems asked per parent.",
    "Curate.enabled": "Run curation (dedup, privacy, complexity, decontamination, agreement, mutation).",
    "Curate.decontam": "Drop records overlapping HumanEval.",
    "Execution.timeout_s": "Wall-clock seconds per program.",
    "Execution.memory_mb": "Memory per program, in MB.",
    "Execution.workers": "Sandbox workers (warm containers); default: one per core.",
    "Execution.backend": "`docker` (isolated), `local` (no isolation boundary), or a registered backend such as `ray`.",
    "Prices.prompt_per_mtok": "USD per million prompt tokens (0 for a local or self-hosted endpoint).",
    "Prices.completion_per_mtok": "USD per million completion tokens.",
    # the config file (codesynth.config)
    "EndpointConfig.max_backoff_s": "Longest delay between two retries.",
    "SamplingParams.temperature": "Sampling temperature.",
    "SamplingParams.top_p": "Nucleus sampling mass.",
    "SamplingParams.max_tokens": "Most tokens in one reply.",
    "CacheConfig.enabled": "Store every reply and answer repeated requests from disk.",
    "LocalModelConfig.n_ctx": "Context window of the bundled model, in tokens.",
    "LocalModelConfig.startup_timeout_s": "How long to wait for the bundled model to complete its first token.",
    "Config.endpoint": "The OpenAI-compatible endpoint; no `base_url` = the bundled model.",
    "Config.sampling": "Sampling parameters of every request.",
    "Config.cache": "The on-disk response cache.",
    "Config.local": "The bundled model.",
    "Config.source": "Set by codesynth: the file the config came from (not a key to write).",
    # curation (codesynth.verifiers.*: `codesynth curate --config`)
    "CurateConfig.weights": "How each kept record's training weight is computed.",
    "CurateConfig.limits": "Sandbox limits of the filters that run code (agreement, mutation).",
    "DedupConfig.enabled": "Run the filter.",
    "DedupConfig.exact": "Drop programs with the same normalised token stream.",
    "DedupConfig.near": "Drop near-duplicates (Jaccard of MinHash shingles at or above `threshold`).",
    "SemanticConfig.enabled": "Run the filter.",
    "PrivacyConfig.enabled": "Run the filter.",
    "PrivacyConfig.secrets": "Look for tokens and keys (detect-secrets' format detectors).",
    "PrivacyConfig.emails": "Look for e-mail addresses.",
    "PrivacyConfig.phones": "Look for phone numbers.",
    "PrivacyConfig.ips": "Look for public IPv4 addresses.",
    "PrivacyConfig.fields": "Which fields of a record are scanned.",
    "ComplexityConfig.enabled": "Run the filter.",
    "DecontamConfig.enabled": "Run the filter.",
    "DecontamConfig.check_instruction": "Compare instructions (word n-grams).",
    "DecontamConfig.check_solution": "Compare solutions (code-token n-grams, names canonicalised).",
    "AgreementConfig.enabled": "Run the filter.",
    "AgreementConfig.mode": "`pass_rate`: counts of passing samples; `inputs`: CodeT-style clusters of equal outputs.",
    "AgreementConfig.timeout_s": "inputs mode: seconds per program run.",
    "MutationConfig.enabled": "Run the filter.",
    "MutationConfig.action": "What a record whose tests score below `min_score` gets: dropped, or a lower weight.",
    "MutationConfig.seed": "Seed of the mutant sampling (the same seed gives the same mutants).",
    "WeightConfig.use_agreement": "Multiply by the record's agreement share.",
    "WeightConfig.use_test_strength": "Multiply by the record's mutation score.",
    "WeightConfig.floor": "Smallest weight a kept record gets.",
    "Limits.open_files": "Open file descriptors per program (RLIMIT_NOFILE).",
    # reward schemes (codesynth.verifiers.rewards)
    "RewardScheme.name": "Recorded in each reward record's `scheme`.",
    "RewardScheme.pass_reward": "Reward of a candidate that passes every test.",
    "RewardScheme.category_rewards": "shaped: reward per failure category (categories not listed get 0).",
    # problems and candidates (codesynth.models)
    "Problem.id": "Unique within the file, e.g. `basic/001-reverse-words`, `HumanEval/0`, `mbpp/11`.",
    "Problem.tests": "The public tests; their form decides the problem's kind: Python test code (a string: "
    "`check(candidate)` or module-level asserts), stdin/stdout cases `[{input, output}]`, or data-form "
    "calls `[{call, expect}]` (with `signature`). Must not be empty.",
    "Problem.reference_solution": "A full program that passes the tests; `codesynth verify PROBLEMS` "
    "without `--solutions` runs it (how a set and its tests are checked).",
    "Problem.language": "The language of `reference_solution`. Python test code tests Python only; "
    "stdin/stdout and data-form tests run in every language.",
    "Problem.source": "Where the problem comes from: `codesynth-basic`, `humaneval`, `mbpp`, ...",
    "Problem.tags": "Free-form topics (`strings`, `recursion`, ...).",
    "Problem.difficulty": "`easy` / `medium` / `hard` in the shipped set.",
    "Problem.metadata": "Anything else; importers keep the original benchmark fields here.",
    "Param.name": "Parameter name (an identifier).",
    "Param.type": "`int`, `float`, `bool`, `str` or `list[...]` of them.",
    "Signature.name": "The function's name (an identifier).",
    "Signature.params": "Parameters, in order.",
    "Signature.returns": "Return type, as for a parameter.",
    "CallCase.call": "Positional arguments (JSON values of the signature's types).",
    "CallCase.expect": "The expected return value, compared on the host.",
    "IOCase.input": "What the program reads on stdin.",
    "IOCase.output": "What it must print (compared per the problem's `compare`).",
    "Origin.model": "The model that wrote it.",
    "Origin.sample_index": "Which sample of its problem it is.",
    "Origin.mode": "The generation mode that made it.",
    "Origin.turn": "Repair turn (0 = a first try).",
    "Origin.extra": "Anything else (`no_code`, `attempt`, `source_language`, ...).",
    "Candidate.candidate_id": "Unique in a run, e.g. `<problem>#s<i>`, `<root>#r<turn>`.",
    "Candidate.problem_id": "The problem it answers.",
    "Candidate.solution": "The program (an empty one for a reply that held no code).",
    "Candidate.origin": "Who produced it, and how.",
}


def _type(t) -> str:
    origin, args = typing.get_origin(t), typing.get_args(t)
    if t is type(None):
        return "null"
    if origin is typing.Annotated:
        return _type(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a!r}`".replace("'", '"') for a in args)
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type(a) for a in args)
    if origin in (list, tuple, set):
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        return f"table of {_type(args[0])} -> {_type(args[1])}" if args else "table"
    if t is typing.Any:
        return "any"
    if isinstance(t, type) and issubclass(t, BaseModel):
        return f"[{t.__name__}](#{t.__name__.lower()})"
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return " \\| ".join(f'`"{m.value}"`' for m in t)
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(t, getattr(t, "__name__", str(t)))


def _default(f) -> str:
    if f.default_factory is not None:
        v = f.default_factory()
        return "(see its table)" if isinstance(v, BaseModel) else f"`{v!r}`"
    if f.default is PydanticUndefined:
        return "**required**"
    v = f.default
    if v is None:
        return "none"
    if isinstance(v, enum.Enum):
        v = v.value
    if isinstance(v, bool):
        return f"`{str(v).lower()}`"
    return f"`{v!r}`".replace("'", '"')


def _range(f) -> str:
    out = []
    for m in f.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("min_length", "length >=")):
            v = getattr(m, attr, None)
            if v is not None and isinstance(m, (annotated_types.BaseMetadata, object)):
                out.append(f"{sym} {v}")
    return ", ".join(dict.fromkeys(out))


def _models(t, seen: dict, path: str) -> None:
    """Every model reachable from annotation `t` -> the key path it is first reached by."""
    if isinstance(t, type) and issubclass(t, BaseModel):
        if t not in seen:
            seen[t] = path
            for key, f in t.model_fields.items():
                _models(f.annotation, seen, f"{path}.{key}" if path else key)
        return
    for a in typing.get_args(t):
        _models(a, seen, path)


def tables(path: str, used: set[str]) -> str:
    module, _, name = path.rpartition(".")
    root = getattr(importlib.import_module(module), name)
    models: dict = {}
    _models(root, models, "")
    out = []
    for m, where in models.items():
        # Headed by where the table sits in the file (a recipe's `[section]`), anchored by class.
        title = f"`{where}` ({m.__name__})" if where else f"{m.__name__} (top level)"
        out.append(f"### {title} {{#{m.__name__.lower()}}}\n")
        doc = (m.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        if doc and not doc.startswith(("!!", "Usage docs")):
            out.append(doc + "\n")
        out.append("| key | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- |")
        for key, f in m.model_fields.items():
            if f.exclude:  # set by codesynth, never read from a file
                continue
            k = f"{m.__name__}.{key}"
            meaning = f.description or MEANINGS.get(k)
            if f.description and k in MEANINGS:
                # The code's own description wins; the stale entry is only noise, not an error.
                log.info("generated_reference: %s has a description in the code; drop it from MEANINGS", k)
            if not meaning:
                log.warning("generated_reference: %s has no description (add one in the code, or in MEANINGS)", k)
                meaning = ""
            used.add(k)
            cell = meaning.replace("|", "\\|")
            out.append(f"| `{key}` | {_type(f.annotation)} | {_default(f)} | {_range(f)} | {cell} |")
        out.append("")
    return "\n".join(out)


_used: set[str] = set()
_stage: Path | None = None


def _staged_sources(root: Path) -> Path:
    """A folder where `codesynth` is one package, as installed, for mkdocstrings to read.

    The layers live in top-level folders that setup.py's ROOTS installs under one namespace
    (`sandbox/` is `codesynth.sandbox`); griffe reads source folders, so it gets a tree of
    symlinks laid out as the import names are.
    """
    tree = ast.parse((root / "setup.py").read_text(encoding="utf-8"))
    roots = next(ast.literal_eval(n.value) for n in ast.walk(tree)
                 if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "ROOTS")
    stage = Path(tempfile.mkdtemp(prefix="codesynth-docs-"))
    for name, folder in sorted(roots.items()):
        dest = stage.joinpath(*name.split("."))
        dest.mkdir(parents=True, exist_ok=True)
        for entry in (root / folder).iterdir():
            if not (dest / entry.name).exists() and entry.name != "__pycache__":
                (dest / entry.name).symlink_to(entry)
    return stage


@event_priority(100)  # before mkdocstrings reads its handler options
def on_config(config):
    global _stage
    stage = _stage = _staged_sources(Path(config.config_file_path).resolve().parent)
    mkdocstrings = config.plugins.get("mkdocstrings")
    if mkdocstrings is not None:
        mkdocstrings.config.handlers.setdefault("python", {})["paths"] = [str(stage)]
    return config


def modules_table(root: Path, folder: str) -> str:
    """One row per module of `folder`: its path and the first sentence of its docstring."""
    rows = ["| module | what it holds |", "| --- | --- |"]
    for f in sorted((root / folder).rglob("*.py")):
        if "__pycache__" in f.parts:
            continue
        doc = ast.get_docstring(ast.parse(f.read_text(encoding="utf-8"))) or ""
        para = " ".join(doc.split("\n\n")[0].split())  # the first paragraph, its first sentence
        first = re.split(r"(?<=\.)\s", para, maxsplit=1)[0].rstrip(":")
        first = first or "(no module docstring)"
        rows.append(f"| `{f.relative_to(root)}` | {first.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    root = Path(config.config_file_path).resolve().parent
    markdown = MODULES.sub(lambda m: modules_table(root, m.group(1)), markdown)
    return MARKER.sub(lambda m: tables(m.group(1), _used), markdown)


def on_post_build(config) -> None:
    stale = sorted(k for k in MEANINGS if k not in _used)
    if stale:
        log.warning("generated_reference: MEANINGS names fields no reference page shows: %s", ", ".join(stale))


def on_shutdown() -> None:
    if _stage is not None:
        shutil.rmtree(_stage, ignore_errors=True)
