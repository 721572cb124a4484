"""HardTests problems (`sigcp/hardtests_problems`): problems from 13 online judges with their
statement's examples and many oracle solutions.

A row: `pid`, `question_title`, `question_content`, `platform`, `contest_date`,
`difficulty_ratings`, `public_test_cases` (a list of `{input, output, testtype}`), `time_limit`,
`memory_limit`, `url`, `tags`, `source_dataset_info`, `solutions` (a list of `{code, language,
source, source_reliability}`), `starter_code`. The public test cases are the only tests this
file holds: they become the problem's tests (the default split applies). HardTests' generated
suites live in a second dataset (`hardtests_tests`) as input *generators* and an optional
judging function; importing those (running the generators in the sandbox) is not done yet.
Rows whose cases are not stdin/stdout are skipped, naming why.
"""

from __future__ import annotations

from pathlib import Path

from codesynth.models import IOCase, Problem

from .registry import Imported, importer
from .rows import RowError, convert, first_per_language, problem, references, text


def _problem(row: dict, where: str) -> Problem:
    pid = text(row, "pid")
    cases = row.get("public_test_cases")
    if not isinstance(cases, list) or not cases:
        raise RowError("field 'public_test_cases': missing or empty")
    kinds = {c.get("testtype", "stdin") if isinstance(c, dict) else None for c in cases}
    if kinds != {"stdin"}:
        raise RowError(f"field 'public_test_cases': test types {sorted(map(str, kinds))}, only 'stdin' is imported")
    tests = [IOCase(input=str(c.get("input") or ""), output=str(c.get("output") or "")) for c in cases]
    meta = {k: row[k] for k in ("question_title", "platform", "contest_date", "url", "time_limit", "memory_limit")
            if row.get(k)}
    return problem(id=f"hardtests/{pid}", prompt=text(row, "question_content"), tests=tests, compare="tokens",
                   **references(first_per_language(row.get("solutions"), "solutions")), source="hardtests",
                   metadata=meta)


@importer("hardtests")
def load_hardtests(source: Path, options: None) -> Imported:
    """HardTests problem rows (JSONL, JSON or Parquet): the statement's examples as tests."""
    return convert(source, _problem)
