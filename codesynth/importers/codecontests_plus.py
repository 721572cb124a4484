"""CodeContests+ (ByteDance-Seed): CodeContests problems with generated test suites, test
generators, validators, output checkers and many labelled submissions.

A row (the `1x` ... `5x` configurations carry the tests): `id`, `title`, `description`,
`time_limit` (ms), `memory_limit` (MB), `test_cases` (a list of `{input, output}`),
`correct_submissions` / `incorrect_submissions` (lists of `{code, language}`), `checker`,
`validator`, `generator`, `generator_cmd` (testlib C++ programs). The tests have no public
part (the statement shows the examples): the default split decides what a model may see.
The first correct submission in each language codesynth runs (rows.first_per_language) becomes a reference; the
generator, validator and incorrect submissions are kept in metadata.

A row whose `checker` is set (a testlib.h C++ checker, as CodeContests+ ships for problems with
several right answers) becomes the problem's `checker`, run by testlib's conventions
(docs/topics/checkers.md); a checker that is not a testlib checker (no `registerTestlibCmd`)
skips the row, naming why. The validator and generator are testlib programs too: they are kept
as they are in metadata (`validator`, `generator`, `generator_cmd`), since the tests they made
are already in the row; they compile against the toolchain image's testlib.h.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codesynth.models import Checker, Problem

from .registry import Imported, importer
from .rows import RowError, convert, first_per_language, io_cases, problem, references, text


def _problem(row: dict, where: str) -> Problem:
    pid = text(row, "id")
    checker = None
    if row.get("checker") is not None and row["checker"] != "":  # null or "": judged by comparison
        checker = Checker(language="cpp", code=text(row, "checker"))
        if not checker.testlib:
            raise RowError("field 'checker': not a testlib.h checker (it never calls registerTestlibCmd)")
    cases = row.get("test_cases")
    if not isinstance(cases, list) or not cases:
        raise RowError("field 'test_cases': missing or empty (the tests are in the 1x-5x configurations)")
    tests = io_cases([c.get("input") if isinstance(c, dict) else None for c in cases],
                     [c.get("output") if isinstance(c, dict) else None for c in cases], "field 'test_cases'")
    meta: dict[str, Any] = {k: row[k] for k in ("title", "source", "validator", "generator", "generator_cmd")
                            if row.get(k)}
    if isinstance(row.get("time_limit"), int | float):
        meta["time_limit_s"] = row["time_limit"] / 1000
    if isinstance(row.get("memory_limit"), int | float):
        meta["memory_limit_mb"] = row["memory_limit"]
    wrong = first_per_language(row.get("incorrect_submissions"), "incorrect_submissions")
    if wrong:
        meta["incorrect_submissions"] = wrong
    return problem(id=f"codecontests-plus/{pid}", prompt=text(row, "description"), tests=tests, compare="tokens",
                   **references(first_per_language(row.get("correct_submissions"), "correct_submissions")),
                   source="codecontests-plus", metadata=meta, checker=checker)


@importer("codecontests-plus")
def load_codecontests_plus(source: Path, options: None) -> Imported:
    """CodeContests+ rows with tests (JSONL, JSON or Parquet; the 1x-5x configurations)."""
    return convert(source, _problem)
