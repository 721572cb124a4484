"""What the competitive-programming importers share: rows from JSONL, a JSON array or Parquet
(a `datasets` split saved with `to_json` / `to_parquet`, or the files a dataset repository ships),
rows that do not convert listed as `file:line: why` instead of stopping the import, and the
readers of the fields these datasets spell in several ways (JSON in a string, parallel
input/output lists)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import describe_validation_error, iter_json_lines
from codesynth.models import IOCase, Problem

from .common import JSON_WS, iter_json_array, read_text
from .registry import Imported


class RowError(ValueError):
    """A row that does not convert (the message says why); the import goes on without it."""


def iter_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(line, row) pairs: JSONL, a JSON array, or Parquet (the number is then the row, from 1)."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.suffix == ".parquet":
        yield from _parquet_rows(path)
        return
    if path.suffix in (".jsonl", ".gz") or not path.suffix == ".json":
        yield from iter_json_lines(path)
        return
    text = read_text(path)
    if text.startswith("[", JSON_WS.match(text).end()):
        yield from iter_json_array(path, text)
    else:
        yield from iter_json_lines(path)


def _parquet_rows(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{path}: reading Parquet needs pyarrow (pip install 'codesynth[export]')") from None
    try:
        f = pq.ParquetFile(path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise InputError(f"{path}: not a readable Parquet file ({e})") from None
    n = 0
    for batch in f.iter_batches(batch_size=256):
        for row in batch.to_pylist():
            n += 1
            yield n, row


def convert(path: Path, make: Callable[[dict, str], Problem]) -> Imported:
    """Every row through `make(row, "file:line")`; a RowError (or a Problem that does not validate)
    skips the row with its reason, a repeated id too. No row converted is an InputError."""
    problems: list[Problem] = []
    skipped: list[str] = []
    first: dict[str, int] = {}
    rows = 0
    for lineno, row in iter_rows(path):
        rows += 1
        where = f"{path}:{lineno}"
        try:
            p = make(row, where)
        except RowError as e:
            skipped.append(f"{where}: {e}")
            continue
        except ValidationError as e:
            skipped.append(f"{where}: {describe_validation_error(e)}")
            continue
        if p.id in first:
            skipped.append(f"{where}: duplicate problem id '{p.id}' (first at line {first[p.id]})")
            continue
        first[p.id] = lineno
        problems.append(p)
    if not rows:
        raise InputError(f"{path}: no rows in file")
    if not problems:
        raise InputError(f"{path}: none of its {rows} rows converts; the first: {skipped[0]}")
    return Imported(problems, skipped)


def text(row: dict, field: str, *, required: bool = True) -> str:
    v = row.get(field)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise RowError(f"field '{field}': missing or empty")
        return ""
    if not isinstance(v, str):
        raise RowError(f"field '{field}': expected a string, got {type(v).__name__}")
    return v


def json_field(row: dict, field: str, *, required: bool = True) -> Any:
    """A field that holds JSON, as a string (APPS, TACO, LiveCodeBench) or already decoded."""
    v = row.get(field)
    if v is None or v == "":
        if required:
            raise RowError(f"field '{field}': missing or empty")
        return None
    if isinstance(v, str):
        try:
            return json.loads(v)
        except json.JSONDecodeError as e:
            raise RowError(f"field '{field}': not valid JSON ({e.msg} at character {e.pos})") from None
    return v


def lines_text(v: Any, what: str) -> str:
    """A stdin or stdout of these datasets: a string, or a list of lines."""
    if isinstance(v, str):
        return v
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return "\n".join(v) + ("\n" if v else "")
    raise RowError(f"{what}: expected a string or a list of lines, got {type(v).__name__}")


def io_cases(inputs: Any, outputs: Any, what: str) -> list[IOCase]:
    """Parallel input/output lists -> cases; different lengths are a broken row."""
    if inputs is None and outputs is None:
        return []
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise RowError(f"{what}: expected lists of inputs and outputs")
    if len(inputs) != len(outputs):
        raise RowError(f"{what}: {len(inputs)} inputs but {len(outputs)} outputs")
    return [IOCase(input=lines_text(i, f"{what} input {k}"), output=lines_text(o, f"{what} output {k}"))
            for k, (i, o) in enumerate(zip(inputs, outputs, strict=True), 1)]


def split_cases(public: list[IOCase], private: list[IOCase]) -> dict[str, Any]:
    """`tests`/`private_tests` from a source's own split; one side missing: the default rule."""
    if public and private:
        return {"tests": public, "private_tests": private}
    if public or private:
        return {"tests": public or private}
    raise RowError("no tests")


def problem(**fields: Any) -> Problem:
    try:
        return Problem(**fields)
    except ValidationError as e:
        raise RowError(describe_validation_error(e)) from None


#: Language names the datasets use (any case) -> codesynth languages (Python 2 has no runtime here).
LANGUAGE_NAMES = {"python": "python", "python3": "python", "py3": "python", "pypy3": "python", "cpp": "cpp",
                  "c++": "cpp", "cpp17": "cpp", "java": "java", "c": "c", "go": "go", "rust": "rust",
                  "javascript": "javascript"}


def first_per_language(items: object, field: str) -> dict[str, str]:
    """`[{code, language}, ...]` -> the first program in each language codesynth runs."""
    if items is None:
        return {}
    if not isinstance(items, list):
        raise RowError(f"field '{field}': expected a list of {{code, language}}")
    out: dict[str, str] = {}
    for s in items:
        if not isinstance(s, dict):
            continue
        lang = LANGUAGE_NAMES.get(str(s.get("language", "")).strip().lower())
        code = s.get("code")
        if lang and isinstance(code, str) and code.strip() and lang not in out:
            out[lang] = code if code.endswith("\n") else code + "\n"
    return out


def references(refs: dict[str, str]) -> dict[str, Any]:
    """Problem fields for references in several languages: Python's is `reference_solution` when
    there is one (the problem is then a Python problem), else the first language's."""
    refs = dict(refs)
    language = "python" if "python" in refs or not refs else next(iter(refs))
    return {"language": language, "reference_solution": refs.pop(language, None), "reference_solutions": refs}
