"""The curation filter protocol, and what every filter reports: what it dropped, and why.

A filter is any object with a `name` and a `__call__(records, ctx)` that returns the kept
records and a FilterReport. Filters are registered by name with their config model
(`registry.py`), which binds each to its config as one of these.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord, Limits
from codesynth.rundir import Tally
from codesynth.sandbox.registry import LazyBackend


class Drop(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    problem_id: str
    reason: str = Field(description="Short machine-readable reason, e.g. exact_duplicate.")
    detail: dict[str, Any] = Field(default_factory=dict)


class FilterReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    enabled: bool = True
    input: int = 0
    kept: int = 0
    dropped: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)
    drops: list[Drop] = Field(default_factory=list)
    stats: dict[str, Any] = Field(
        default_factory=dict, description="Filter-specific numbers (distributions...)."
    )
    note: str = ""


def finish(
    name: str, records: list[DatasetRecord], drops: list[Drop], **stats: Any
) -> tuple[list[DatasetRecord], FilterReport]:
    """Split `records` by `drops` and build the report (keeps input order)."""
    dropped_ids = {d.id for d in drops}
    kept = [r for r in records if r.id not in dropped_ids]
    return kept, report(name, len(records), drops, kept=len(kept), **stats)


def report(name: str, n_input: int, drops: list[Drop], kept: int | None = None, **stats: Any) -> FilterReport:
    """The report of a filter that saw `n_input` records and dropped `drops` (the records need
    not be in memory: the streamed path, `at_scale.py`, builds its reports from counts)."""
    dropped = len({d.id for d in drops})
    return FilterReport(name=name, input=n_input, kept=n_input - dropped if kept is None else kept, dropped=dropped,
                        reasons=dict(Counter(d.reason for d in drops)), drops=drops, stats=stats)


def skipped(
    name: str, records: list[DatasetRecord], note: str = "disabled"
) -> tuple[list[DatasetRecord], FilterReport]:
    return records, skipped_report(name, len(records), note)


def skipped_report(name: str, n_input: int, note: str = "disabled") -> FilterReport:
    return FilterReport(name=name, enabled=False, input=n_input, kept=n_input, note=note)


@dataclass
class CurationContext:
    """What a filter may use besides the records: the run's tallies and, lazily, a sandbox."""

    problem_counts: Mapping[str, Tally] = field(default_factory=dict)
    #: problem_id -> repair turns that passed (not samples, so not in problem_counts)
    repaired_passes: Mapping[str, int] = field(default_factory=dict)
    backend: LazyBackend | None = None
    limits: Limits = field(default_factory=Limits)


@runtime_checkable
class Filter(Protocol):
    name: str

    def __call__(
        self, records: list[DatasetRecord], ctx: CurationContext
    ) -> tuple[list[DatasetRecord], FilterReport]: ...
