"""The run directory: its file names, reading and merging it, its one tally, its fingerprint.

A run directory holds append-only JSONL files. `results.jsonl` is the commit point (a
candidate is done once its result line exists); the other files are derived and are
repaired from it on resume, so a kill at any moment loses nothing and repeats nothing.
`run.json` records, per stage (verify, a generation mode, synth), a fingerprint of the
inputs that define the stage, so a resume with different inputs is refused before any work.

Every reader (the pipeline, curation, reports, adapters) goes through this module.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from codesynth.errors import InputError
from codesynth.jsonl import (
    drop_records,
    read_models,
    read_unique,
    repair_tail,
    write_json,
)
from codesynth.models import Candidate, DatasetRecord, ExecutionResult, RewardRecord, Status

RESULTS = "results.jsonl"
REWARDS = "rewards.jsonl"
DATASET = "dataset.jsonl"
CANDIDATES = "candidates.jsonl"
SUMMARY = "summary.json"
MANIFEST = "run.json"
#: Every model turn of code-environment episodes (codesynth.verifiers.environment), one line each.
EPISODES = "episodes.jsonl"


# --------------------------------------------------------------------------- reading


@dataclass
class RunState:
    """Everything a run directory holds, one record per candidate id (the last one written)."""

    path: Path | None = None
    results: dict[str, ExecutionResult] = field(default_factory=dict)
    rewards: dict[str, RewardRecord] = field(default_factory=dict)
    dataset: dict[str, DatasetRecord] = field(default_factory=dict)
    candidates: dict[str, Candidate] = field(default_factory=dict)

    def merged_over(self, base: RunState) -> RunState:
        """This state on top of `base` (records here win): e.g. repair rounds over the run they repair."""
        out = RunState(path=self.path)
        for name in ("results", "rewards", "dataset", "candidates"):
            setattr(out, name, {**getattr(base, name), **getattr(self, name)})
        return out


def _load(p: Path, model: type, key: str) -> dict:
    if not p.exists():
        return {}
    repair_tail(p)  # a kill mid-write leaves at most one partial line: drop it
    return {getattr(r, key): r for r in read_models(p, model)}


def _dataset_file(p: Path) -> dict[str, DatasetRecord]:
    """A dataset file the user gave (a curated or exported one, files joined): every record by
    its own id. Not repaired like a run's files (a last line without a newline is a record, not a
    crash's leftover) and not keyed by candidate id (files of two runs share candidate ids);
    a repeated record id is refused with its line, since a filter's drops name records by id."""
    return {r.id: r for r in read_unique(p, DatasetRecord, "record")}

def read_run(path: str | os.PathLike) -> RunState:
    """A run directory (missing files are empty), or a bare dataset file (dataset only)."""
    p = Path(path)
    if p.is_file():
        return RunState(path=p, dataset=_dataset_file(p))
    if not p.exists():
        return RunState(path=p)
    return RunState(
        path=p,
        results=_load(p / RESULTS, ExecutionResult, "candidate_id"),
        rewards=_load(p / REWARDS, RewardRecord, "candidate_id"),
        dataset=_load(p / DATASET, DatasetRecord, "candidate_id"),
        candidates=_load(p / CANDIDATES, Candidate, "candidate_id"),
    )


def load_run(path: str | os.PathLike) -> RunState:
    """`read_run` for commands that need an existing run (curate, report, export)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such run directory or dataset file")
    if p.is_dir() and not (p / DATASET).exists() and not (p / REWARDS).exists():
        if (p / "run" / REWARDS).exists() or (p / "synth.json").exists():
            raise InputError(f"{p}: a synth output folder, not a run directory: its run is {p / 'run'} "
                             f"(the curated dataset: {p / 'curated.jsonl'})")
        raise InputError(f"{p}: not a run directory (no {DATASET} or {REWARDS}; run `codesynth verify` first)")
    return read_run(p)


def unusable_replies(state: RunState) -> set[str]:
    """Candidates judged on a reply that held no program (`NoCode`: no code in the reply, or a
    request the endpoint refused in a run of an older version): what `--retry-failed` asks again."""
    return {cid for cid, r in state.results.items() if r.error_type == "NoCode"}


def forget(out: Path, ids: set[str]) -> None:
    """Remove these candidates from the run directory, so a resumed run makes them anew.

    The commit point goes first: once results.jsonl no longer holds a candidate it is not done,
    and a kill before the derived files are rewritten leaves orphans there that
    `drop_orphans` removes when the run is next opened. Each file is replaced atomically.
    """
    if not ids:
        return
    drop_records(out / RESULTS, "candidate_id", ids)
    for name in (REWARDS, DATASET, CANDIDATES):
        drop_records(out / name, "candidate_id", ids)


def drop_orphans(out: Path, state: RunState) -> None:
    """Rewards and dataset rows are derived from results: a row without its result is what an
    interrupted `forget` leaves, and must not outlive it (in the files or in `state`)."""
    for name, rows in ((REWARDS, state.rewards), (DATASET, state.dataset)):
        orphans = set(rows) - set(state.results)
        if orphans:
            drop_records(out / name, "candidate_id", orphans)
            for cid in orphans:
                del rows[cid]


def require_fresh(out: Path, resume: bool, files: Iterable[str] = (RESULTS,)) -> None:
    """Refuse to mix a new run into an old one unless resuming (checked before any work)."""
    if resume:
        return
    for name in files:
        f = out / name
        if f.exists() and f.stat().st_size > 0:
            raise InputError(f"{out}: already holds {name}; pass --resume to continue it, or choose a new --out")


# --------------------------------------------------------------------------- the tally


class Tally(NamedTuple):
    samples: int
    passed: int


def counts_as_sample(r: RewardRecord) -> bool:
    """The one rule for what a pass rate counts.

    - A repair turn (origin.turn > 0) is not a sample: it saw the feedback of a failed
      attempt, so counting it would inflate pass@k. Repair gains are reported on their own.
    - A `sandbox_error` is not an attempt: our infrastructure failed and the code has no
      verdict; counting it would charge the model for it.
    """
    return r.origin.turn == 0 and r.status is not Status.sandbox_error


def problem_tallies(rewards: Iterable[RewardRecord], mode: str | None = None) -> dict[str, Tally]:
    """problem_id -> (samples, passed) under `counts_as_sample`; optionally one generation mode only."""
    t: dict[str, list[int]] = {}
    for r in rewards:
        if not counts_as_sample(r) or (mode is not None and r.origin.mode != mode):
            continue
        c = t.setdefault(r.problem_id, [0, 0])
        c[0] += 1
        c[1] += int(r.passed)
    return {pid: Tally(n, c) for pid, (n, c) in t.items()}


# --------------------------------------------------------------------------- fingerprint


def digest(value: Any) -> str:
    """A short stable hash of any JSON-able value (pydantic models included)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, (list, tuple)):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class StageFingerprint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    digests: dict[str, str] = Field(description="Input name -> hash of its content.")
    shown: dict[str, str] = Field(default_factory=dict, description="Input name -> a short readable value.")
    items: dict[str, str] = Field(default_factory=dict,
                                  description="Problem id -> hash of that problem (what its records depend on).")


class Stale(NamedTuple):
    """What an `--update` resume must make anew: everything, or the records of these problems.
    The caller forgets those records, then `commit_fingerprint` records the new inputs (in that
    order: a kill in between leaves the old fingerprint, so the next run sees the change again)."""

    everything: bool
    problems: frozenset[str]
    changed: str  # in words, for the log line
    stage: str
    fingerprint: StageFingerprint
    sources: dict[str, str]


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stages: dict[str, StageFingerprint] = Field(default_factory=dict)
    problem_sources: dict[str, str] = Field(default_factory=dict, description="problem id -> its source.")


def read_manifest(out: Path) -> Manifest:
    p = out / MANIFEST
    if not p.exists():
        return Manifest()
    try:
        return Manifest.model_validate_json(p.read_text())
    except ValueError as e:
        raise InputError(f"{p}: not a codesynth run manifest ({str(e).splitlines()[0]})") from None


def _shown(v: Any) -> str:
    if isinstance(v, (str, int, float, bool)) or v is None:
        s = str(v)
        return s if len(s) <= 60 else s[:57] + "..."
    return ""


def check_fingerprint(
    out: Path,
    stage: str,
    inputs: Mapping[str, Any],
    sources: Mapping[str, str] | None = None,
    *,
    items: Mapping[str, Any] | None = None,
    additive: Iterable[str] = (),
    update: bool | None = None,
) -> Stale | None:
    """Record the stage's inputs, or refuse when they differ from the ones it was started with.

    Call after `require_fresh` and before any work: a resumed run must continue the run it
    resumes, never mix in results of other code, tests, limits or reward schemes. `items` are
    per-problem inputs (a changed problem touches only its own records). With `update`, a change
    is not refused: the returned `Stale` says what the stage must make anew (the caller forgets
    those records, then `commit_fingerprint`); a change of an `additive` input
    (a sample count, a number of turns) stales nothing by itself: the stage trims or extends.
    `update=None`: the command has no --update (`verify`), so the refusal does not offer it.
    """
    fp = StageFingerprint(
        digests={k: digest(v) for k, v in inputs.items()},
        shown={k: s for k, v in inputs.items() if (s := _shown(v))},
        items={k: digest(v) for k, v in (items or {}).items()},
    )
    man = read_manifest(out)
    old = man.stages.get(stage)
    if old is not None:
        changed = [k for k in sorted(set(old.digests) | set(fp.digests)) if old.digests.get(k) != fp.digests.get(k)]
        touched = {k for k in set(old.items) | set(fp.items) if old.items.get(k) != fp.items.get(k)}
        if changed or touched:
            parts = []
            for k in changed:
                a, b = old.shown.get(k), fp.shown.get(k)
                parts.append(f"{k} ({a} -> {b})" if a is not None and b is not None else k)
            if touched:
                added = len(set(fp.items) - set(old.items))
                removed = len(set(old.items) - set(fp.items))
                parts.append(f"problems ({len(touched) - added - removed} changed, {added} added, {removed} removed)")
            if not update:
                offer = "pass --update to make anew only what the change touches, or " if update is not None else ""
                raise InputError(
                    f"{out}: cannot resume: this {stage} run was started with different inputs: changed "
                    + ", ".join(parts) + f"; {offer}choose a new --out (or start over without --resume in an "
                    "empty one)"
                )
            return Stale(everything=bool(set(changed) - set(additive)), problems=frozenset(touched),
                         changed=", ".join(parts), stage=stage, fingerprint=fp, sources=dict(sources or {}))
        if not sources or set(sources.items()) <= set(man.problem_sources.items()):
            return None
    _record(out, man, stage, fp, sources)
    return None


def commit_fingerprint(out: Path, stale: Stale) -> None:
    """After the stale records are gone: the stage's new inputs become the run's."""
    _record(out, read_manifest(out), stale.stage, stale.fingerprint, stale.sources)


def _record(out: Path, man: Manifest, stage: str, fp: StageFingerprint, sources: Mapping[str, str] | None) -> None:
    man.stages[stage] = fp
    if sources:
        man.problem_sources.update(sources)
    write_json(out / MANIFEST, man)


def load_dataset(path: str | os.PathLike) -> list:
    """The verified records of a dataset file or a run directory's dataset.jsonl."""
    return list(load_run(path).dataset.values())


def read_rewards(path: str | os.PathLike) -> list[RewardRecord]:
    """A reward log: a run directory or a rewards.jsonl file."""
    p = Path(path)
    if p.is_dir():
        return list(read_run(p).rewards.values())
    if not p.exists():
        raise InputError(f"{p}: no such run directory or reward log")
    return read_models(p, RewardRecord)


# --------------------------------------------------------------------------- run totals

INVOCATIONS = "invocations.jsonl"


def record_invocation(out: str | os.PathLike, usage: dict[str, float | int], cost_usd: float,
                      wall_time_s: float, ended: str) -> None:
    """Append what one invocation of a run spent (written however it ends, interrupts included), so
    that every summary of the run counts all of its invocations (`run_totals`)."""
    line = {"usage": usage, "cost_usd": cost_usd, "wall_time_s": round(wall_time_s, 3), "ended": ended}
    with open(Path(out) / INVOCATIONS, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(line) + "\n")


def run_totals(out: str | os.PathLike) -> dict[str, Any]:
    """Requests, tokens, cost and time of the whole run: the sum over its invocations."""
    usage: dict[str, float] = {}
    cost = wall = 0.0
    n = 0
    p = Path(out) / INVOCATIONS
    lines = p.read_text(encoding="utf-8").splitlines() if p.is_file() else []
    for raw in lines:
        try:
            inv = json.loads(raw)
        except ValueError:
            continue  # a line torn by a kill mid-write: the invocations before and after still count
        n += 1
        cost += float(inv.get("cost_usd", 0.0))
        wall += float(inv.get("wall_time_s", 0.0))
        for k, v in inv.get("usage", {}).items():
            if k != "tokens_per_s":
                usage[k] = usage.get(k, 0) + v
    busy = usage.get("generation_s", 0.0)
    usage["generation_s"] = round(busy, 3)
    usage["tokens_per_s"] = round(usage.get("completion_tokens", 0) / busy, 2) if busy > 0 else 0.0
    return {"invocations": n, "usage": usage, "cost_usd": round(cost, 6), "wall_time_s": round(wall, 3)}
