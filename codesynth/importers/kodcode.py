"""KodCode: a question, a Python solution and a pytest file (`from solution import *`, `test_*`
functions) per row; the pytest file is a test kind of its own (docs/topics/test-kinds.md).

A row: `question_id`, `question`, `solution`, `test`, `test_info` (a list of `{function_name,
parameter_list, function_declaration, docstring}`), `style`, `subset`, `gpt_difficulty`, ...
KodCode shows no tests: the default split (one unit per test function) decides what a model
may see.
"""

from __future__ import annotations

from pathlib import Path

from codesynth.models import Problem
from codesynth.problems import python_syntax_error
from codesynth.pytest_files import pytest_units

from .registry import Imported, importer
from .rows import RowError, convert, problem, text


def _entry_point(row: dict) -> str | None:
    info = row.get("test_info")
    if isinstance(info, list):
        for i in info:
            name = i.get("function_name") if isinstance(i, dict) else None
            if isinstance(name, str) and name.isidentifier():
                return name
    return None


def _problem(row: dict, where: str) -> Problem:
    qid = text(row, "question_id")
    tests = text(row, "test")
    why = python_syntax_error(tests)
    if why:
        raise RowError(f"field 'test': {why}")
    if pytest_units(tests) is None:
        raise RowError("field 'test': not a pytest file (no `from solution import`, pytest import or test_* "
                       "function with fixtures)")
    solution = text(row, "solution")
    ep = _entry_point(row)
    if ep is not None and ep not in tests:
        ep = None  # a name the tests never use is no entry point of theirs
    meta = {k: row[k] for k in ("style", "subset", "gpt_difficulty", "gpt_pass_percentage") if row.get(k) is not None}
    return problem(id=f"kodcode/{qid}", prompt=text(row, "question").rstrip() + "\n", entry_point=ep, tests=tests,
                   reference_solution=solution if solution.endswith("\n") else solution + "\n", source="kodcode",
                   difficulty=row.get("gpt_difficulty") if isinstance(row.get("gpt_difficulty"), str) else None,
                   metadata=meta)


@importer("kodcode")
def load_kodcode(source: Path, options: None) -> Imported:
    """KodCode rows (JSONL, JSON or Parquet): pytest test files importing the solution."""
    return convert(source, _problem)
