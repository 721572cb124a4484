"""Dataset cards: the README.md that travels with every export (what it is, where it came
from, how it was checked), in the Hugging Face dataset-card layout (YAML header + prose)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from codesynth.models import DatasetRecord
from codesynth.verifiers.suites.strength_report import strength_line, strength_summary


def _table(rows: Sequence[tuple[str, object]]) -> list[str]:
    return ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)]


def dataset_card(
    records: Sequence[DatasetRecord],
    *,
    title: str,
    fmt: str,
    files: str,
    run_facts: Sequence[tuple[str, object]] = (),
) -> str:
    """A card for `records` as exported in `fmt`; `run_facts` adds what the producing run knows."""
    langs = Counter(r.language for r in records)
    sources = Counter(str(r.metadata.get("source") or "unknown") for r in records)
    models = Counter(str((r.metadata.get("origin") or {}).get("model") or "reference/file") for r in records)
    kinds = Counter("function" if isinstance(r.tests, str) else "stdin/stdout" for r in records)
    repaired = sum(1 for r in records if int((r.metadata.get("origin") or {}).get("turn") or 0) > 0)
    weights = sorted(r.weight for r in records)
    facts: list[tuple[str, object]] = [
        ("records", len(records)),
        ("problems", len({r.problem_id for r in records})),
        ("languages", ", ".join(f"{k} ({v})" for k, v in langs.most_common())),
        ("sources", ", ".join(f"{k} ({v})" for k, v in sources.most_common(8))),
        ("written by", ", ".join(f"{k} ({v})" for k, v in models.most_common(5))),
        ("test kinds", ", ".join(f"{k} ({v})" for k, v in kinds.most_common())),
        ("solutions that needed repair rounds", repaired),
        ("weight (min / median / max)",
         f"{weights[0]:.3f} / {weights[len(weights) // 2]:.3f} / {weights[-1]:.3f}" if weights else "-"),
        ("suite strength", strength_line(strength_summary([r.strength for r in records])).split(": ", 1)[1]),
        *run_facts,
    ]
    return "\n".join([
        "---",
        "tags: [code, synthetic, verified, codesynth]",
        f"size_categories: [{'n<1K' if len(records) < 1000 else 'n<1M'}]",
        "---",
        "",
        f"# {title}",
        "",
        "Verified code data made with codesynth: every solution here was executed against its "
        "problem's tests in a hardened sandbox (no network, no capabilities, hard limits) and passed.",
        "",
        *_table(facts),
        "",
        f"Format: `{fmt}`. Files: {files}.",
        "",
        "Each record keeps its provenance (problem id, candidate id, the model and sample that wrote "
        "it, repair turn, curation metrics) where the format allows extra fields.",
        "",
        "Limitations: problems and solutions may be model-written; tests show that a solution works on "
        "the tests, not that it is correct everywhere. Curation drops exact and near duplicates and "
        "items overlapping the benchmarks it was given; check other benchmarks before training on this "
        "and evaluating there.",
        "",
    ])
