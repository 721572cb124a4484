"""A test suite as the set of cases it checks: (arguments, expected value), whatever the wording.

Decontamination compares tests by what they check, not how they are written: HumanEval's
`check(candidate)` with `assert candidate([1, 2]) == 3`, an MBPP `assert my_sum([1,2])==3`
and a data-form case `{"call": [[1, 2]], "expect": 3}` are the same case. Read from assert
code (any function name, inside `check` or at module level):

- `f(args) == v` / `v == f(args)` / `f(args) is v`        -> (args, v)
- `f(args)` / `not f(args)`                                  -> (args, True) / (args, False)
- `math.isclose(f(args), v)` / `abs(f(args) - v) < eps`      -> (args, v)
- unittest's `self.assertEqual(f(args), v)` (`assertAlmostEqual`, `assertIs`, `assertTrue`,
  `assertFalse`, `assertIsNone`)                              -> (args, v)

Examples written in prose are cases too (`example_cases`): `>>> f(args)` followed by its
value, `f(args) == v`, `f(args) -> v` / `➞` / `=>` / `==>` / `returns v` / `should return v`
/ `= v`. A description that keeps the benchmark's examples under other words is read by them.

Only literal arguments and values count (what `ast.literal_eval` reads); a case's key is the
`repr` of the evaluated values, so formatting, quotes and spacing do not matter. Data-form
cases are read directly; a stdin/stdout case keys on its stripped input and output.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable
from typing import Any

from codesynth.models import CallCase, IOCase
from codesynth.verifiers.curation.code import nodes

_FOLD = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
         ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Pow: lambda a, b: a**b}


def _lit(node: ast.AST) -> tuple[bool, Any]:
    """A literal, or arithmetic on number literals (`2.0/3.0`, `10**9 + 7`), folded."""
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        pass
    if isinstance(node, ast.BinOp) and type(node.op) in _FOLD:
        (ok1, a), (ok2, b) = _lit(node.left), _lit(node.right)
        if ok1 and ok2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
            try:
                if isinstance(node.op, ast.Pow) and abs(b) > 64:
                    return False, None
                return True, _FOLD[type(node.op)](a, b)
            except (ArithmeticError, ValueError):
                return False, None
    return False, None


def _call_args(node: ast.AST) -> tuple | None:
    """The literal positional arguments of a call of a plain name (not `print`, `len`...)."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.keywords:
        return None
    if node.func.id in _NOT_SUBJECT:
        return None
    args = []
    for a in node.args:
        ok, v = _lit(a)
        if not ok:
            return None
        args.append(v)
    return tuple(args)


#: calls that wrap the function under test rather than being it
_NOT_SUBJECT = frozenset({"abs", "len", "set", "sorted", "list", "tuple", "round", "str", "int", "float",
                          "isinstance", "print", "all", "any", "type"})


#: wrappers that keep what the function returned (only its order or container): len() does not
_SAME_CONTENT = frozenset({"sorted", "set", "list", "tuple", "frozenset"})


def key(args: Iterable[Any], expect: Any) -> str:
    return repr((tuple(args), expect))


def _pair(a: ast.AST, b: ast.AST) -> str | None:
    for call, other in ((a, b), (b, a)):
        args = _call_args(call)
        if args is None:
            # sorted(f(x)) == [...], set(f(x)) == {...}: the wrapped call is still the subject
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and len(call.args) == 1 \
                    and call.func.id in _SAME_CONTENT:
                args = _call_args(call.args[0])
            if args is None:
                continue
        ok, v = _lit(other)
        if ok:
            return key(args, v)
    return None


_UNITTEST = {"assertEqual": None, "assertEquals": None, "assertAlmostEqual": None, "assertIs": None,
             "assertTrue": True, "assertFalse": False, "assertIsNone": None}


def _from_unittest(call: ast.Call) -> str | None:
    """`self.assertEqual(f(x), y)` and its kin: the same case as `assert f(x) == y`."""
    f = call.func
    if not isinstance(f, ast.Attribute) or f.attr not in _UNITTEST or not call.args:
        return None
    if f.attr in ("assertTrue", "assertFalse"):
        args = _call_args(call.args[0])
        return None if args is None else key(args, _UNITTEST[f.attr])
    if f.attr == "assertIsNone":
        args = _call_args(call.args[0])
        return None if args is None else key(args, None)
    return _pair(call.args[0], call.args[1]) if len(call.args) >= 2 else None


def _from_test(test: ast.AST) -> str | None:
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.Is)):
        return _pair(test.left, test.comparators[0])
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        args = _call_args(test.operand)
        return None if args is None else key(args, False)
    if isinstance(test, ast.Call):
        f = test.func
        if isinstance(f, ast.Attribute) and f.attr == "isclose" and len(test.args) >= 2:
            return _pair(test.args[0], test.args[1])
        args = _call_args(test)
        return None if args is None else key(args, True)
    if (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Lt, ast.LtE))
            and isinstance(test.left, ast.Call) and isinstance(test.left.func, ast.Name)
            and test.left.func.id == "abs" and len(test.left.args) == 1
            and isinstance(test.left.args[0], ast.BinOp) and isinstance(test.left.args[0].op, ast.Sub)):
        d = test.left.args[0]
        return _pair(d.left, d.right)
    return None


@functools.lru_cache(maxsize=1024)
def _code_cases(tests: str) -> frozenset[str]:
    """Cached by the suite's text: a problem's samples and repairs all carry its one suite."""
    try:
        tree = ast.parse(tests)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    out = set()
    for node in nodes(tree):  # order is no matter: a set
        k = None
        if isinstance(node, ast.Assert):
            k = _from_test(node.test)
        elif isinstance(node, ast.Call):
            k = _from_unittest(node)
        if k is not None:
            out.add(k)
    return frozenset(out)


def test_cases(tests: Any) -> set[str]:
    """The case keys of a suite: assert code (str), or a list of CallCase/IOCase (or their dicts)."""
    if isinstance(tests, str):
        return set(_code_cases(tests))
    out = set()
    for c in tests or ():
        if isinstance(c, dict):
            c = CallCase.model_validate(c) if "call" in c else IOCase.model_validate(c)
        if isinstance(c, CallCase):
            out.add(key(c.call, c.expect))
        elif isinstance(c, IOCase):
            out.add(repr(("io", c.input.strip(), c.output.strip())))
    return out


def case_values(keys: Iterable[str]) -> list[tuple[tuple, Any]]:
    """(arguments, expected value) of call-case keys (stdin/stdout cases are left out)."""
    out = []
    for k in keys:
        try:
            v = ast.literal_eval(k)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], tuple):
            out.append(v)
    return out


_CALL_HEAD = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\(")
_ARROW = re.compile(r"\s*(?:==>|=>|->|➞|==|=|\breturns?\b|\bshould (?:return|be|give)\b|\bgives?\b|\bis\b|:)\s*",
                    re.I)


def _balanced(text: str, start: int) -> int | None:
    """Index just past the bracket closing the one opened at `start` (quotes respected)."""
    depth, i, quote = 0, start, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


_SCALAR = re.compile(r"-?\d[\d_]*(?:\.\d+)?(?:[eE][-+]?\d+)?|True|False|None|'(?:\\.|[^'\\])*'"
                     r'|"(?:\\.|[^"\\])*"')


def _leading_literal(text: str) -> tuple[bool, Any]:
    """The longest prefix of `text` (one line) that is a Python literal, sentence end trimmed."""
    text = text.strip()
    if not text:
        return False, None
    if text[0] in "([{":
        end = _balanced(text, 0)
        cands = [text[:end]] if end else []
    else:
        m = _SCALAR.match(text)
        cands = [m.group(0)] if m else []
    for c in cands:
        try:
            return True, ast.literal_eval(c)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            pass
    return False, None


def example_cases(text: str) -> set[str]:
    """Case keys of the examples an instruction spells out (`f(x) == y`, `>>> f(x)` + value,
    `f(x) -> y`, `f(x) returns y`, ...), whatever the function is called."""
    out: set[str] = set()
    if "(" not in text:
        return out
    for m in _CALL_HEAD.finditer(text):
        if m.group(1) in _NOT_SUBJECT or m.group(1) in ("print", "assert"):
            continue
        end = _balanced(text, m.end() - 1)
        if end is None:
            continue
        try:
            args = ast.literal_eval("(" + text[m.end() : end - 1] + ",)") if text[m.end() : end - 1].strip() else ()
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
            continue
        rest = text[end : end + 400]
        line, _, after = rest.partition("\n")
        arrow = _ARROW.match(line)
        if arrow:
            ok, v = _leading_literal(line[arrow.end() :])
        elif not line.strip():  # doctest: the value is the next line
            ok, v = _leading_literal(after.split("\n", 1)[0])
        else:
            ok = False
        if ok:
            out.add(key(args, v))
    return out
