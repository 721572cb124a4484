"""Complexity and maintainability with radon: record the metrics, drop the trivial and
the pathological."""

from __future__ import annotations

import ast
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from radon.complexity import cc_visit
from radon.metrics import mi_visit
from radon.raw import analyze

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped
from codesynth.verifiers.curation.registry import register_filter


class ComplexityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    drop: bool = Field(default=True, description="False: only record metrics, drop nothing.")
    min_lloc: int = Field(default=2, ge=0, description="Fewer logical lines is trivial (e.g. a bare `pass`).")
    max_sloc: int = Field(default=1000, ge=1, description="More source lines is pathological.")
    max_cc: int = Field(
        default=40, ge=1, description="A block with higher cyclomatic complexity is pathological."
    )
    min_mi: float = Field(
        default=0.0, ge=0, le=100, description="Maintainability index below this is pathological."
    )


def code_metrics(code: str) -> dict[str, Any] | None:
    """radon's LOC counts, cyclomatic complexity (max/total over blocks) and MI, or None if it does not parse."""
    try:
        raw = analyze(code)
        blocks = cc_visit(code)
        mi = mi_visit(code, multi=True)
    except (SyntaxError, ValueError, TypeError, RecursionError):
        return None
    ccs = [b.complexity for b in blocks]
    return {
        "does_nothing": _does_nothing(code),
        "loc": raw.loc,
        "sloc": raw.sloc,
        "lloc": raw.lloc,
        "comments": raw.comments,
        "cc_max": max(ccs) if ccs else 1,
        "cc_total": sum(ccs) if ccs else 1,
        "blocks": len(ccs),
        "mi": round(float(mi), 2),
    }


def complexity_filter(
    records: list[DatasetRecord], cfg: ComplexityConfig | None = None
) -> tuple[list[DatasetRecord], FilterReport]:
    cfg = cfg or ComplexityConfig()
    if not cfg.enabled:
        return skipped("complexity", records)
    drops: list[Drop] = []
    for r in records:
        m = code_metrics(r.solution)
        if m is None:
            drops.append(Drop(id=r.id, problem_id=r.problem_id, reason="unparseable"))
            continue
        r.metadata["complexity"] = m
        if not cfg.drop:
            continue
        reason = None
        if m["lloc"] < cfg.min_lloc:
            reason, why = "trivial", f"lloc {m['lloc']} < {cfg.min_lloc}"
        elif m["does_nothing"]:
            reason, why = "trivial", "every function body is empty or returns a constant"
        elif m["sloc"] > cfg.max_sloc:
            reason, why = "pathological", f"sloc {m['sloc']} > {cfg.max_sloc}"
        elif m["cc_max"] > cfg.max_cc:
            reason, why = "pathological", f"cyclomatic complexity {m['cc_max']} > {cfg.max_cc}"
        elif m["mi"] < cfg.min_mi:
            reason, why = "pathological", f"maintainability index {m['mi']} < {cfg.min_mi}"
        if reason:
            drops.append(Drop(id=r.id, problem_id=r.problem_id, reason=reason, detail={"why": why, **m}))
    kept, rep = finish("complexity", records, drops)
    rep.stats = distribution_stats([r.metadata.get("complexity") for r in records])
    return kept, rep


def _stub_body(body: list[ast.stmt]) -> bool:
    """pass / ... / a docstring / `return <constant>`: a body that computes nothing."""
    for st in body:
        if isinstance(st, ast.Pass):
            continue
        if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
            continue
        if isinstance(st, ast.Return) and (st.value is None or isinstance(st.value, ast.Constant)):
            continue
        return False
    return True


def _does_nothing(code: str) -> bool:
    """True when a program has functions and all of them are stubs, and nothing else
    runs at top level but imports and definitions."""
    tree = ast.parse(code)
    funcs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not funcs:
        return False
    top_ok = all(
        isinstance(n, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
        for n in tree.body
    )
    return top_ok and all(_stub_body(f.body) for f in funcs)


def distribution_stats(metrics: list[dict[str, Any] | None]) -> dict[str, Any]:
    ms = [m for m in metrics if m]
    if not ms:
        return {}
    out: dict[str, Any] = {}
    for key in ("sloc", "lloc", "cc_max", "mi"):
        vals = sorted(m[key] for m in ms)
        out[key] = summarize(vals)
    return out


def summarize(vals: list[float]) -> dict[str, float]:
    """min / p25 / median / p75 / max / mean of a sorted list."""
    if not vals:
        return {}
    vals = sorted(vals)

    def q(p: float) -> float:
        return float(vals[min(len(vals) - 1, int(round(p * (len(vals) - 1))))])

    return {
        "n": len(vals),
        "min": float(vals[0]),
        "p25": q(0.25),
        "median": q(0.5),
        "p75": q(0.75),
        "max": float(vals[-1]),
        "mean": round(sum(vals) / len(vals), 4),
    }


@register_filter("complexity", config=ComplexityConfig, order=40)
def complexity_step(records, cfg, ctx):
    """Trivial programs (and complexity metrics on every record)."""
    return complexity_filter(records, cfg)
