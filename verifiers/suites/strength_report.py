"""The strength certificates of a set of records or problems, in one summary and one line
(the report and the dataset card show it; `verifiers/suites/strength.py` measures them)."""

from __future__ import annotations

from collections.abc import Sequence

from codesynth.models import SuiteStrength


def strength_summary(strengths: Sequence[SuiteStrength | None]) -> dict:
    """Means of the certificates of records or problems (the report's and the card's line)."""
    have = [s for s in strengths if s is not None]

    def avg(key: str) -> float | None:
        xs = [getattr(s, key) for s in have if getattr(s, key) is not None]
        return round(sum(xs) / len(xs), 4) if xs else None

    return {"certified": len(have), "of": len(strengths), "hardened": sum(s.hardened for s in have),
            "tpr": avg("tpr"), "tnr": avg("tnr"), "mutation_score": avg("mutation_score"),
            "min_tnr": min((s.tnr for s in have if s.tnr is not None), default=None)}


def strength_line(summary: dict) -> str:
    if not summary["certified"]:
        return "suite strength: not certified (codesynth tests certify / tests harden)"

    def f(v):
        return "-" if v is None else f"{v:.3f}"

    return (f"suite strength ({summary['certified']} of {summary['of']} certified, {summary['hardened']} hardened): "
            f"TPR {f(summary['tpr'])}, TNR {f(summary['tnr'])} (min {f(summary['min_tnr'])}), "
            f"mutation score {f(summary['mutation_score'])}")
