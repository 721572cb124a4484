"""Problem sets: JSONL, one Problem per line, validated line by line."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import describe_validation_error, iter_json_lines, write_models
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
