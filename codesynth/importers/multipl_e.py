"""MultiPL-E rows -> data-form problems; the cases the prompt shows as examples are public."""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from codesynth.errors import InputError
from codesynth.importers.common import split_top
from codesynth.jsonl import describe_validation_error, iter_json_lines, json_error_text
from codesynth.models import CallCase, Param, Problem, Signature

from .common import (
    read_text,
    str_field,
    str_list_field,
)
from .registry import Imported, importer

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


def _header_params(params: str, language: str) -> list[tuple[str, str | None]]:
    """[(name, data-form type or None)] of a header's parameter list."""
    out = []
    for p in split_top(params):
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
        parts = [m.group("a"), m.group("b")] if language == "go" else split_top(m.group("e"))
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


def _shown_calls(doc: str, name: str, language: str) -> list[list]:
    """The argument lists of the calls the prompt shows as examples (`>>> f(...)` lines)."""
    calls = []
    for line in doc.splitlines():
        m = re.match(r"\s*>>>\s*(.+?)\s*;?\s*$", line)
        if m is None:
            continue
        try:
            expr = m.group(1) if language == "python" else _to_python(m.group(1), language)
            node = ast.parse(expr, mode="eval").body
            calls.append(_case(node, ast.Constant(0), (name,), expr).call)
        except (SyntaxError, ValueError, RecursionError, MemoryError):  # Unconvertible is a ValueError
            continue  # an example we cannot read stays out of the public tests: the tests still run it
    return calls


def _multiple_problem(obj: dict, where: str, solutions: dict[str, str]) -> Problem:
    f = {k: str_field(obj, k, where) for k in ("name", "language", "prompt", "tests")}
    str_list_field(obj, "stop_tokens", where, required=True)
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
    # The cases the prompt shows as examples are public; the rest are never shown. A prompt that shows
    # none of the tested calls gives no split: every case stays in `tests` for the default split.
    shown = _shown_calls(doc, name, lang)
    public = [c for c in cases if c.call in shown] or cases
    private = [c for c in cases if c not in public] or None
    pid = f"multipl-e/{f['language'].split('_')[0]}/{f['name']}"
    extra = {k: v for k, v in obj.items() if k not in ("name", "language")}
    try:
        return Problem(
            id=pid, prompt=(doc.strip() or f"Write the function {name}.") + "\n", language=lang,
            signature=Signature(name=name, params=[Param(name=n, type=t) for (n, _), t in zip(params, types,
                                                                                            strict=True)],
                                returns=returns),
            tests=public, private_tests=private, reference_solution=solutions.get(pid) or solutions.get(f["name"]),
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
        data = json.loads(read_text(p))
    except json.JSONDecodeError as e:
        raise InputError(f"{p}:{e.lineno}: {json_error_text(e)}") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise InputError(f"{p}: expected a JSON object mapping problem ids (or row names) to programs")
    return data


class MultiplEOptions(BaseModel):
    solutions: Path | None = Field(default=None, description="JSON object: problem id (multipl-e/<ext>/<name>) "
                                   "or row name -> reference program.")
    skip_unconvertible: bool = Field(default=False, description="Import the rows that convert and list the "
                                     "others (default: the first one is an error).")


@importer("multipl-e", options=MultiplEOptions)
def load_multipl_e(source: Path, options: MultiplEOptions) -> Imported:
    """MultiPL-E rows whose tests are plain equality asserts, as data-form problems."""
    solutions = load_solutions_map(options.solutions) if options.solutions else None
    res = multipl_e_import(source, solutions, options.skip_unconvertible)
    return Imported(res.problems, [s.line() for s in res.skipped])
