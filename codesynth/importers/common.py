"""What every importer shares: typed field reads that name file:line and field, JSON arrays read
element by element, and the duplicate-id and empty-file checks."""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import decode_line, describe_validation_error, json_error_text
from codesynth.models import Problem
from codesynth.problems import python_syntax_error

Source = str | os.PathLike | None

# --------------------------------------------------------------------------- field helpers


def str_field(obj: dict, field: str, where: str, *, default: str | None = None) -> str:
    if field not in obj:
        if default is not None:
            return default
        raise InputError(f"{where}: field '{field}': required field is missing")
    value = obj[field]
    if not isinstance(value, str):
        raise InputError(f"{where}: field '{field}': expected a string, got {type(value).__name__}")
    return value


def str_list_field(obj: dict, field: str, where: str, *, required: bool) -> list[str]:
    if field not in obj or (obj[field] is None and not required):
        if required:
            raise InputError(f"{where}: field '{field}': required field is missing")
        return []
    value = obj[field]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InputError(f"{where}: field '{field}': expected a list of strings")
    return value


def task_id_field(obj: dict, where: str) -> int | str:
    if "task_id" not in obj:
        raise InputError(f"{where}: field 'task_id': required field is missing")
    value = obj["task_id"]
    # bool is an int subclass; a true/false task id is a broken file, not id 1/0.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | str)
        or (isinstance(value, str) and not value.strip())
    ):
        raise InputError(f"{where}: field 'task_id': expected an integer or a non-empty string")
    return value


def must_parse(code: str, field: str, task_id: Any, where: str) -> None:
    """A benchmark record whose code does not parse is a broken record: refuse it at import,
    not later as a verdict against every candidate."""
    why = python_syntax_error(code)
    if why:
        raise InputError(f"{where}: field '{field}' of task {task_id!r}: {why}")


def build_problem(where: str, **fields: Any) -> Problem:
    try:
        return Problem(**fields)
    except ValidationError as e:
        raise InputError(f"{where}: {describe_validation_error(e)}") from None


def collect(
    path: Path, records: Iterator[tuple[int, dict]], make: Callable[[dict, str], Problem]
) -> list[Problem]:
    """Turn (line, record) pairs into Problems; refuse duplicate ids and empty files."""
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for lineno, obj in records:
        where = f"{path}:{lineno}"
        problem = make(obj, where)
        if problem.id in first_line:
            raise InputError(
                f"{where}: duplicate problem id '{problem.id}' (first at line {first_line[problem.id]})"
            )
        first_line[problem.id] = lineno
        problems.append(problem)
    if not problems:
        raise InputError(f"{path}: no problems in file")
    return problems


JSON_WS = re.compile(r"[ \t\n\r]*")


def read_text(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a JSON or JSONL file")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(f"{path}: cannot read ({e})") from None
    try:
        return data.decode("utf-8") if b"\x00" not in data else bad_line(path, data, data.find(b"\x00"))
    except UnicodeDecodeError as e:
        return bad_line(path, data, e.start)


def bad_line(path: Path, data: bytes, at: int) -> str:
    """Raise the InputError of the line holding byte `at` (binary data or not UTF-8)."""
    start = data.rfind(b"\n", 0, at) + 1
    end = data.find(b"\n", at)
    lineno = data.count(b"\n", 0, at) + 1
    decode_line(data[start : end if end >= 0 else len(data)], f"{path}:{lineno}")
    raise AssertionError("unreachable: decode_line raises")


def iter_json_array(path: Path, text: str) -> Iterator[tuple[int, dict]]:
    """Yield (line, object) for each element of a top-level JSON array.

    Decoding element by element (rather than json.loads of the whole file) is what lets
    errors about a record name the line it starts on.
    """
    decoder = json.JSONDecoder()
    pos = JSON_WS.match(text).end() + 1  # just past '['
    lineno, counted_to = 1, 0

    def line_at(i: int) -> int:
        nonlocal lineno, counted_to
        lineno += text.count("\n", counted_to, i)
        counted_to = i
        return lineno

    pos = JSON_WS.match(text, pos).end()
    if text.startswith("]", pos):
        pos += 1
    else:
        while True:
            try:
                obj, end = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{e.lineno}: {json_error_text(e)}") from None
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{line_at(pos)}: expected a JSON object, got {type(obj).__name__}")
            yield line_at(pos), obj
            pos = JSON_WS.match(text, end).end()
            if text.startswith(",", pos):
                pos = JSON_WS.match(text, pos + 1).end()
            elif text.startswith("]", pos):
                pos += 1
                break
            else:
                raise InputError(
                    f"{path}:{line_at(pos)}: invalid JSON (expected ',' or ']' after an array element)"
                )
    if text[pos:].strip():
        raise InputError(
            f"{path}:{line_at(JSON_WS.match(text, pos).end())}: invalid JSON (extra data after the array)"
        )


def split_top(text: str, sep: str = ",") -> list[str]:
    """`text` split at `sep` outside brackets, braces, angle brackets and strings."""
    out, depth, cur, quote = [], 0, [], None
    for ch in text:
        if quote:
            cur.append(ch)
            quote = None if ch == quote else quote
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out
