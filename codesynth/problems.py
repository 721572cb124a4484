"""Problem sets: JSONL, one Problem per line, validated line by line."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import describe_validation_error, iter_json_lines, write_models
from codesynth.models import Problem


def load_problems(path: str | os.PathLike) -> list[Problem]:
    """Load and validate a problem set; raise InputError naming file:line on the first bad line."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for lineno, obj in iter_json_lines(path):
        try:
            p = Problem.model_validate(obj)
        except ValidationError as e:
            raise InputError(f"{path}:{lineno}: {describe_validation_error(e)}") from None
        if p.id in seen:
            raise InputError(f"{path}:{lineno}: duplicate problem id '{p.id}' (first at line {seen[p.id]})")
        seen[p.id] = lineno
        problems.append(p)
    if not problems:
        raise InputError(f"{path}: no problems in file")
    return problems


def save_problems(path: str | os.PathLike, problems: list[Problem]) -> Path:
    write_models(path, problems)
    return Path(path)
