"""Problem sets: JSONL, one Problem per line, validated line by line."""

from __future__ import annotations

import os
import re
from pathlib import Path

from codesynth.errors import InputError
from codesynth.jsonl import read_unique, write_models
from codesynth.models import Problem


def python_syntax_error(code: str) -> str | None:
    """Why `code` is not valid Python, or None. compile() only parses; nothing runs."""
    try:
        compile(code, "<problem>", "exec", dont_inherit=True)
    except SyntaxError as e:
        return f"Python syntax error at line {e.lineno}: {e.msg}"
    except (ValueError, RecursionError, MemoryError) as e:  # NUL bytes, absurd nesting
        return f"cannot be parsed as Python ({type(e).__name__})"
    return None


def problem_data_error(problem: Problem) -> str | None:
    """Why a problem cannot judge any program (a data bug, never a candidate's failure), or None.

    The one check every entry point runs before anything executes (`verify` on load, `score`,
    the trainer adapters, the service): test code that does not parse, private tests of another
    form than the public ones, an entry point the tests never name, a suite that cannot be run
    as one (see codesynth.test_split)."""
    from codesynth.test_split import combined

    for name, tests in (("tests", problem.tests), ("private_tests", problem.private_tests)):
        if isinstance(tests, str):
            why = python_syntax_error(tests)
            if why:
                return ("" if name == "tests" else f"field '{name}': ") + f"test code does not parse: {why}"
    priv = problem.private_tests
    if priv is not None:
        if isinstance(priv, list) and not priv or isinstance(priv, str) and not priv.strip():
            return "field 'private_tests': empty (leave it out for none)"
        if type(priv) is not type(problem.tests) or (
                isinstance(priv, list) and type(priv[0]) is not type(problem.tests[0])):  # type: ignore[index]
            return "field 'private_tests': not of the same form as 'tests' (assert code, {call, expect} or " \
                   "{input, output} cases)"
        if problem.kind == "calls":
            try:
                Problem.model_validate({**problem.model_dump(), "tests": priv, "private_tests": None})
            except ValueError as e:
                return f"field 'private_tests': {str(e).splitlines()[-1].strip()}"
    ep = problem.entry_point
    if problem.kind == "function" and ep:
        code = "\n".join(t for t in (problem.tests, priv) if isinstance(t, str))
        if not re.search(rf"\b(?:{re.escape(ep)}|check)\b", code):
            return f"field 'entry_point': the tests never name '{ep}' (nor define check(candidate))"
    try:
        combined(problem)
    except ValueError as e:
        return f"field 'private_tests': {e}"
    return None


def load_problems(path: str | os.PathLike) -> list[Problem]:
    """Load and validate a problem set; raise InputError naming file:line on the first bad line
    (a record that does not validate, or one `problem_data_error` refuses)."""
    problems = read_unique(path, Problem, "problem", problem_data_error)
    if not problems:
        raise InputError(f"{path}: no problems in file")
    return problems


def save_problems(path: str | os.PathLike, problems: list[Problem]) -> Path:
    write_models(path, problems)
    return Path(path)
