"""Problems from what a dataset row carries (the columns trainers hand to a reward function)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from codesynth.errors import DataError
from codesynth.jsonl import describe_validation_error, json_error_text
from codesynth.models import IOCase, Problem
from codesynth.problems import python_syntax_error
from codesynth.verifiers.scoring import check_problem


def problem_from_spec(
    spec: Any,
    *,
    prompt: str = "",
    entry_point: str | None = None,
    problem_id: str | None = None,
    where: str = "test spec",
) -> Problem:
    """A Problem from what a dataset row carries: a Problem dict / JSON string, a JSON
    list of stdin/stdout cases, or assert-style test code (with `entry_point`).

    Anything else is a data bug and raises DataError naming `where` (row and field): a
    truncated JSON column or test code that does not parse must never become a reward of
    0 charged to the candidate.
    """
    if isinstance(spec, (bytes, bytearray)):
        try:
            spec = spec.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataError(f"{where}: not UTF-8 text (byte at offset {e.start})") from None
    if isinstance(spec, str):
        s = spec.strip()
        if not s:
            raise DataError(f"{where}: empty (expected a Problem JSON, stdin/stdout cases or test code)")
        if s[:1] in "{[":
            try:
                spec = json.loads(s)
            except json.JSONDecodeError as e:
                # Assert code may start with a bracket; a truncated JSON column is not Python either.
                if python_syntax_error(s):
                    raise DataError(f"{where}: {json_error_text(e)} (and not Python test code either)") from None
    try:
        if isinstance(spec, Mapping):
            data = dict(spec)
            data.setdefault("id", problem_id or "problem")
            data.setdefault("prompt", prompt)
            if entry_point and not data.get("entry_point"):
                data["entry_point"] = entry_point
            problem = Problem.model_validate(data)
        elif isinstance(spec, (list, tuple)):
            problem = Problem(
                id=problem_id or "problem", prompt=prompt, tests=[IOCase.model_validate(c) for c in spec]
            )
        elif isinstance(spec, str):
            problem = Problem(id=problem_id or "problem", prompt=prompt, entry_point=entry_point, tests=spec)
        else:
            raise DataError(f"{where}: a {type(spec).__name__} is not a test spec "
                            "(expected a Problem JSON, stdin/stdout cases or test code)")
    except ValidationError as e:
        raise DataError(f"{where}: not a valid problem: {describe_validation_error(e)}") from None
    return check_problem(problem, where)


def problem_spec(problem: Problem) -> str:
    """The JSON string that `problem_from_spec` reads back (a self-contained column of your own).

    It holds `tests` as they are: the rows codesynth builds (`to_trl_rows`, `to_verl_rows`) carry
    the problem id instead, so private tests never sit in a trainer's dataset."""
    return problem.model_dump_json(include={"id", "prompt", "entry_point", "tests"})


def load_problem_index(problems: Any) -> dict[str, Problem]:
    """Problems by id from what a caller gives: a mapping, a sequence of Problems, a problem-set
    path, or None (then the `CODESYNTH_PROBLEMS` environment variable's path, if set)."""
    import os


    if problems is None:
        problems = os.environ.get("CODESYNTH_PROBLEMS") or None
        if problems is None:
            return {}
    if isinstance(problems, Mapping):
        return dict(problems)
    if isinstance(problems, (str, os.PathLike)):
        return _cached_index(str(problems))
    return {p.id: check_problem(p) for p in problems}


def _cached_index(path: str) -> dict[str, Problem]:
    from codesynth.problems import load_problems

    if path not in _INDEX:
        _INDEX[path] = {p.id: p for p in load_problems(path)}
    return _INDEX[path]


_INDEX: dict[str, dict[str, Problem]] = {}
