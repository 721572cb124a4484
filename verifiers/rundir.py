"""Reading a verify run directory (or a bare dataset file) for curation and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codesynth.errors import InputError
from codesynth.jsonl import read_models
from codesynth.models import Candidate, DatasetRecord, ExecutionResult, RewardRecord


@dataclass
class RunData:
    path: Path
    dataset: list[DatasetRecord]
    rewards: list[RewardRecord] = field(default_factory=list)
    results: list[ExecutionResult] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)

    def problem_counts(self) -> dict[str, tuple[int, int]]:
        """problem_id -> (samples verified, samples passed); from rewards, else the dataset."""
        counts: dict[str, list[int]] = {}
        if self.rewards:
            for r in self.rewards:
                c = counts.setdefault(r.problem_id, [0, 0])
                c[0] += 1
                c[1] += int(r.passed)
        else:
            for d in self.dataset:
                c = counts.setdefault(d.problem_id, [0, 0])
                c[0] += 1
                c[1] += 1
        return {k: (v[0], v[1]) for k, v in counts.items()}


def _last_by(items: list, key) -> list:
    """One item per key, the last written (a resumed run may append a record again)."""
    seen: dict = {}
    for it in items:
        seen[key(it)] = it
    return list(seen.values())


def load_dataset(path: str | Path) -> list[DatasetRecord]:
    """A dataset file, or a run directory's dataset.jsonl."""
    p = Path(path)
    if p.is_dir():
        p = p / "dataset.jsonl"
    return _last_by(read_models(p, DatasetRecord), lambda r: r.id)


def load_run(path: str | Path) -> RunData:
    """A run directory (dataset + rewards + results + candidates), or a dataset file alone."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such run directory or dataset file")
    if p.is_file():
        return RunData(path=p, dataset=load_dataset(p))
    if not (p / "dataset.jsonl").exists() and not (p / "rewards.jsonl").exists():
        raise InputError(
            f"{p}: not a run directory (no dataset.jsonl or rewards.jsonl; run `codesynth verify` first)"
        )

    def opt(name, model):
        f = p / name
        return read_models(f, model) if f.exists() else []

    return RunData(
        path=p,
        dataset=_last_by(opt("dataset.jsonl", DatasetRecord), lambda r: r.id),
        rewards=_last_by(opt("rewards.jsonl", RewardRecord), lambda r: r.candidate_id),
        results=_last_by(opt("results.jsonl", ExecutionResult), lambda r: r.candidate_id),
        candidates=_last_by(opt("candidates.jsonl", Candidate), lambda r: r.candidate_id),
    )
