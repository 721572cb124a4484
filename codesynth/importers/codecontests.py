"""CodeContests (DeepMind): stdin/stdout problems with public, private and generated tests and
reference solutions in several languages.

A row: `name`, `description`, `public_tests` / `private_tests` / `generated_tests` (each
`{input: [...], output: [...]}`), `solutions` (`{language: [...], solution: [...]}`, language
codes 0 unknown, 1 Python 2, 2 C++, 3 Python 3, 4 Java), `time_limit` (`{seconds, nanos}`),
`memory_limit_bytes`, `difficulty`, `source`, `cf_*`. The public tests are the statement's
examples (public); private and generated tests are private. Python 2 solutions are not kept
(no Python 2 runs here). A problem with no Python 3 solution gets its first C++ or Java one as
the reference in that language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codesynth.models import Problem

from .registry import Imported, importer
from .rows import RowError, convert, io_cases, problem, references, split_cases, text

#: CodeContests' language codes -> codesynth languages (1, Python 2, has no runtime here).
LANGUAGES = {2: "cpp", 3: "python", 4: "java"}


def _tests(row: dict, field: str) -> list:
    t = row.get(field)
    if t is None:
        return []
    if not isinstance(t, dict):
        raise RowError(f"field '{field}': expected {{input: [...], output: [...]}}")
    return io_cases(t.get("input") or [], t.get("output") or [], f"field '{field}'")


def solutions_by_language(sols: Any, field: str = "solutions") -> dict[str, str]:
    """The first solution in each language codesynth runs."""
    if sols is None:
        return {}
    if not isinstance(sols, dict) or not isinstance(sols.get("language"), list) \
            or not isinstance(sols.get("solution"), list) or len(sols["language"]) != len(sols["solution"]):
        raise RowError(f"field '{field}': expected {{language: [...], solution: [...]}} of equal lengths")
    out: dict[str, str] = {}
    for code, src in zip(sols["language"], sols["solution"], strict=True):
        lang = LANGUAGES.get(code) if isinstance(code, int) else None
        if lang and isinstance(src, str) and src.strip() and lang not in out:
            out[lang] = src if src.endswith("\n") else src + "\n"
    return out


def _time_limit(row: dict) -> float | None:
    t = row.get("time_limit")
    if isinstance(t, dict) and isinstance(t.get("seconds"), int | float):
        return float(t["seconds"]) + float(t.get("nanos") or 0) / 1e9 or None
    return None


def _problem(row: dict, where: str) -> Problem:
    name = text(row, "name")
    public = _tests(row, "public_tests")
    private = _tests(row, "private_tests") + _tests(row, "generated_tests")
    meta = {k: row[k] for k in ("source", "cf_contest_id", "cf_index", "cf_rating", "cf_tags",
                                "memory_limit_bytes") if row.get(k) is not None}
    if _time_limit(row):
        meta["time_limit_s"] = _time_limit(row)
    if (row.get("input_file") or "").strip() or (row.get("output_file") or "").strip():
        raise RowError("reads or writes named files (input_file/output_file), not stdin/stdout")
    return problem(
        id=f"codecontests/{name.split('.')[0].strip().replace(' ', '_') or name}", prompt=text(row, "description"),
        **split_cases(public, private), **references(solutions_by_language(row.get("solutions"))),
        compare="tokens",
        source="codecontests", difficulty=str(row["difficulty"]) if row.get("difficulty") is not None else None,
        tags=[t for t in row.get("cf_tags") or [] if isinstance(t, str)], metadata={"name": name, **meta})


@importer("codecontests")
def load_codecontests(source: Path, options: None) -> Imported:
    """CodeContests rows (JSONL, JSON or Parquet): public tests public, private and generated private."""
    return convert(source, _problem)
