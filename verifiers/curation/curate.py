"""Curation: a run's passing programs through the registered filters, into a weighted dataset.

Filters come from the registry (`registry.py`), in their order: dedup -> semantic (off by
default) -> privacy -> complexity -> decontam -> strength -> agreement -> mutation (the costly
one runs on what is left) -> user filters -> weights. Every filter reports what it dropped
(or, privacy in report mode, found) and why. The config has one section per registered
filter, validated by that filter's own model: nothing here names a filter.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from codesynth.errors import InputError
from codesynth.jsonl import write_json, write_models
from codesynth.models import SCHEMA_VERSION, DatasetRecord, Limits
from codesynth.rundir import RunState, load_run, problem_tallies
from codesynth.sandbox.backend import Backend
from codesynth.sandbox.registry import LazyBackend
from codesynth.verifiers.curation.complexity import summarize
from codesynth.verifiers.curation.filters import CurationContext, Filter, FilterReport
from codesynth.verifiers.curation.registry import registered


class WeightConfig(BaseModel):
    """weight = agreement share x mutation score x repair_decay**repair turns, floored."""

    model_config = ConfigDict(extra="forbid")

    use_agreement: bool = True
    use_test_strength: bool = True
    use_suite_tnr: bool = Field(default=True, description="Weight by the suite's certified TNR (record.strength).")
    repair_decay: float = Field(
        default=0.8, gt=0, le=1, description="Factor per repair round a solution needed."
    )
    floor: float = Field(default=0.05, ge=0, le=1)


class CurateConfig(BaseModel):
    """`weights`, `limits`, and one section per registered filter (`{"dedup": {...}, ...}`),
    each validated by the filter's config model; a section left out takes its defaults."""

    model_config = ConfigDict(extra="allow")

    weights: WeightConfig = Field(default_factory=WeightConfig)
    limits: Limits = Field(default_factory=Limits)

    @model_validator(mode="after")
    def _filter_sections(self) -> CurateConfig:
        specs = registered()
        extra = self.__pydantic_extra__ if self.__pydantic_extra__ is not None else {}
        unknown = sorted(set(extra) - set(specs))
        if unknown:
            raise ValueError(f"unknown curation filter '{unknown[0]}' (known: {', '.join(specs)})")
        for name, spec in specs.items():
            value = extra.get(name)
            if not isinstance(value, spec.config):
                extra[name] = spec.config.model_validate(value or {})
        self.__pydantic_extra__ = extra
        return self

    def section(self, name: str) -> BaseModel:
        """The config of filter `name` (its model instance)."""
        return (self.__pydantic_extra__ or {})[name]


class CurateReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    source: str
    input_records: int
    output_records: int
    filters: list[FilterReport]
    weights: dict[str, Any] = Field(default_factory=dict)
    config: CurateConfig


def load_config(path: str | Path) -> CurateConfig:
    p = Path(path)
    try:
        return CurateConfig.model_validate(json.loads(p.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise InputError(f"{p}: config file not found") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{p}:{e.lineno}: invalid JSON ({e.msg})") from None
    except ValidationError as e:
        first = e.errors()[0]
        raise InputError(f"{p}: config field '{'.'.join(map(str, first['loc']))}': {first['msg']}") from None


def apply_weights(records: list[DatasetRecord], cfg: WeightConfig) -> dict[str, Any]:
    for r in records:
        factors: dict[str, float] = {}
        agr = r.metadata.get("agreement") or {}
        if cfg.use_agreement and agr.get("cluster_share") is not None:
            factors["agreement"] = float(agr["cluster_share"])
        ts = r.metadata.get("test_strength") or {}
        if cfg.use_test_strength and ts.get("mutation_score") is not None:
            factors["test_strength"] = float(ts["mutation_score"])
        if cfg.use_suite_tnr and r.strength is not None and r.strength.tnr is not None:
            factors["suite_tnr"] = r.strength.tnr  # a suite that lets wrong programs through vouches for less
        turn = int(((r.metadata.get("origin") or {}).get("turn")) or 0)
        if turn:
            factors["repair"] = cfg.repair_decay**turn
        w = 1.0
        for f in factors.values():
            w *= f
        r.weight = round(max(cfg.floor, w), 6)
        r.metadata["weight_factors"] = factors
    return summarize([r.weight for r in records])


def builtin_filters(cfg: CurateConfig) -> list[Filter]:
    """Every registered filter bound to its section of `cfg`, in run order."""
    return [_Bound(spec, cfg.section(name)) for name, spec in registered().items()]


class _Bound:
    """A registered filter with its config: the `Filter` protocol `curate_records` runs."""

    def __init__(self, spec, cfg: BaseModel):
        self.name, self._spec, self._cfg = spec.name, spec, cfg

    def __call__(self, records: list[DatasetRecord], ctx: CurationContext):
        return self._spec(records, self._cfg, ctx)


def repaired_passes(run: RunState) -> dict[str, int]:
    """problem_id -> passing repair turns (not samples: `counts_as_sample`), which the
    agreement filter counts as passes so a problem solved only by repair keeps its records."""
    out: dict[str, int] = {}
    for r in run.rewards.values():
        if r.origin.turn and r.passed:
            out[r.problem_id] = out.get(r.problem_id, 0) + 1
    return out


def curate_records(
    run: RunState,
    cfg: CurateConfig | None = None,
    backend: Backend | LazyBackend | None = None,
    extra_filters: Sequence[Filter] = (),
) -> tuple[list[DatasetRecord], CurateReport]:
    """Run every enabled filter, then `extra_filters` (user filters), over the run's dataset.

    `backend` is only started if a filter executes code (mutation testing, input agreement).
    """
    cfg = cfg or CurateConfig()
    ctx = CurationContext(problem_counts=problem_tallies(run.rewards.values()), backend=LazyBackend.of(backend),
                          limits=cfg.limits, repaired_passes=repaired_passes(run))
    records = [r.model_copy(deep=True) for r in run.dataset.values()]
    reports: list[FilterReport] = []
    for f in [*builtin_filters(cfg), *extra_filters]:
        records, rep = f(records, ctx)
        reports.append(rep)
    wstats = apply_weights(records, cfg.weights)
    report = CurateReport(
        source=str(run.path),
        input_records=len(run.dataset),
        output_records=len(records),
        filters=reports,
        weights=wstats,
        config=cfg,
    )
    return records, report


def curate(
    run_dir: str | Path,
    out: str | Path,
    cfg: CurateConfig | None = None,
    backend: Backend | LazyBackend | None = None,
    report_path: str | Path | None = None,
    extra_filters: Sequence[Filter] = (),
) -> CurateReport:
    """Curate RUN_DIR into the dataset file `out`; the JSON report goes to `report_path`
    (default `<out>.report.json`) and to RUN_DIR/curation.json for `codesynth report`."""
    run = load_run(run_dir)
    records, report = curate_records(run, cfg, backend, extra_filters)
    write_models(out, records)
    rp = Path(report_path) if report_path else Path(str(out) + ".report.json")
    write_json(rp, report)
    if run.path is not None and run.path.is_dir():
        write_json(run.path / "curation.json", report)
    return report


def format_table(report: CurateReport) -> str:
    """What each filter dropped and why, as a plain-text table."""
    rows = [("filter", "in", "dropped", "kept", "why")]
    for f in report.filters:
        why = ", ".join(f"{k}={v}" for k, v in sorted(f.reasons.items())) or (
            "-" if f.enabled else f"off ({f.note})"
        )
        if f.stats.get("flagged"):  # report-only findings (privacy): kept, but said
            kinds = ", ".join(f"{k}={v}" for k, v in sorted(f.stats["findings"].items()))
            why = f"report only: {len(f.stats['flagged'])} flagged ({kinds})"
        if f.enabled and f.note:
            why += f" [{f.note}]"
        rows.append((f.name, str(f.input), str(f.dropped), str(f.kept), why))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for k, r in enumerate(rows):
        lines.append(
            "  ".join(r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i]) for i in range(4))
            + "  "
            + r[4]
        )
        if k == 0:
            lines.append("-" * max(len(lines[0]), 60))
    lines.append(f"{report.input_records} records in, {report.output_records} kept")
    for f in report.filters:
        for d in f.drops[:50]:
            lines.append(f"  - {f.name}: {d.id}: {d.reason} {_brief(d.detail)}")
        if len(f.drops) > 50:
            lines.append(f"  - {f.name}: ... {len(f.drops) - 50} more in the JSON report")
        for flag in f.stats.get("flagged", [])[:50]:
            lines.append(f"  - {f.name}: {flag['id']}: flagged {_brief(flag)}")
    return "\n".join(lines)


def _brief(detail: dict[str, Any]) -> str:
    if "duplicate_of" in detail:
        extra = "".join(f" ({k} {detail[k]})" for k in ("jaccard", "cosine") if k in detail)
        return f"of {detail['duplicate_of']}{extra}"
    if "findings" in detail:
        return "; ".join(f"{f['kind']} in {f['field']}:{f['line']} ({f['redacted']})" for f in detail["findings"][:5])
    if "matches" in detail:
        return "; ".join(
            f"{m['field']} matches {m['benchmark']} {m['item']} ({m['overlap']:.0%}: {m.get('evidence', '')})"
            for m in detail["matches"]
        )
    if "mutation_score" in detail:
        return f"(mutation score {detail['mutation_score']:.2f}, {detail['killed']}/{detail['mutants']} mutants killed)"
    if "why" in detail:
        return f"({detail['why']})"
    return json.dumps(detail, sort_keys=True) if detail else ""
