"""Problem sets: JSONL, one Problem per line, validated line by line."""

from __future__ import annotations

import os
from pathlib import Path

from codesynth.errors import InputError
from codesynth.jsonl import read_models, write_models
from codesynth.models import Problem


def load_problems(path: str | os.PathLike) -> list[Problem]:
    """Load and validate a problem set; raise InputError naming file:line on the first bad line."""
    problems = read_models(path, Problem)
    seen: dict[str, int] = {}
    for i, p in enumerate(problems):
        if p.id in seen:
            raise InputError(f"{path}: duplicate problem id '{p.id}' (records {seen[p.id] + 1} and {i + 1})")
        seen[p.id] = i
    if not problems:
        raise InputError(f"{path}: no problems in file")
    return problems


def save_problems(path: str | os.PathLike, problems: list[Problem]) -> Path:
    write_models(path, problems)
    return Path(path)
