"""A floor on the test suite's measured strength: drop records whose suite lets wrong programs pass.

A record's `strength` (SuiteStrength, written by `codesynth tests harden`'s certificate) says
what share of known-wrong programs its problem's suite rejects (TNR). A record whose suite's
TNR is below `min_tnr` is dropped as `weak_suite`: its "verified" is not worth much. A record
without a certificate (or one whose TNR could not be measured, `tnr = None`) is kept by
default (`missing = "keep"`) and counted in the report, or dropped as `no_certificate` with
`missing = "drop"`. Off until a floor is given (`min_tnr = None`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.filters import CurationContext, Drop, FilterReport, finish, skipped
from codesynth.verifiers.curation.registry import register_filter


class StrengthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=True, description="Run the filter (it drops nothing until min_tnr is set).")
    min_tnr: float | None = Field(default=None, ge=0, le=1,
                                  description="Suite TNR a record needs; None: no floor (the filter is off).")
    missing: Literal["keep", "drop"] = Field(
        default="keep", description="Records without a measured TNR: keep them (counted) or drop them.")


@register_filter("strength", config=StrengthConfig, order=55)
def strength_filter(
    records: list[DatasetRecord], cfg: StrengthConfig, ctx: CurationContext | None = None
) -> tuple[list[DatasetRecord], FilterReport]:
    """Records whose suite's measured TNR is below `min_tnr` (the harden certificate)."""
    if cfg.min_tnr is None:
        return skipped("strength", records, note="no --min-tnr floor")
    drops: list[Drop] = []
    unmeasured = 0
    for r in records:
        tnr = r.strength.tnr if r.strength is not None else None
        if tnr is None:
            unmeasured += 1
            if cfg.missing == "drop":
                drops.append(Drop(id=r.id, problem_id=r.problem_id, reason="no_certificate",
                                  detail={"why": "no measured suite TNR (run `codesynth tests harden`)"}))
        elif tnr < cfg.min_tnr:
            drops.append(Drop(id=r.id, problem_id=r.problem_id, reason="weak_suite",
                              detail={"tnr": tnr, "min_tnr": cfg.min_tnr,
                                      "wrong_programs": r.strength.wrong_programs}))  # type: ignore[union-attr]
    return finish("strength", records, drops, min_tnr=cfg.min_tnr, missing=cfg.missing, unmeasured=unmeasured)
