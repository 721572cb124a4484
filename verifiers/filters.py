"""What every curation filter reports: how many it dropped, and why, record by record."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord


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
    report = FilterReport(
        name=name,
        input=len(records),
        kept=len(kept),
        dropped=len(dropped_ids),
        reasons=dict(Counter(d.reason for d in drops)),
        drops=drops,
        stats=stats,
    )
    return kept, report


def skipped(
    name: str, records: list[DatasetRecord], note: str = "disabled"
) -> tuple[list[DatasetRecord], FilterReport]:
    return records, FilterReport(name=name, enabled=False, input=len(records), kept=len(records), note=note)
