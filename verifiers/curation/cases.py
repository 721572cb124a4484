"""A test suite as the set of cases it checks: (arguments, expected value), whatever the wording.

Decontamination compares tests by what they check, not how they are written: HumanEval's
`check(candidate)` with `assert candidate([1, 2]) == 3`, an MBPP `assert my_sum([1,2])==3`
and a data-form case `{"call": [[1, 2]], "expect": 3}` are the same case. Read from assert
code (any function name, inside `check` or at module level):

- `f(args) == v` / `v == f(args)` / `f(args) is v`        -> (args, v)
- `f(args)` / `not f(args)`                                  -> (args, True) / (args, False)
- `math.isclose(f(args), v)` / `abs(f(args) - v) < eps`      -> (args, v)

Only literal arguments and values count (what `ast.literal_eval` reads); a case's key is the
`repr` of the evaluated values, so formatting, quotes and spacing do not matter. Data-form
cases are read directly; a stdin/stdout case keys on its stripped input and output.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

from codesynth.models import CallCase, IOCase

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


def test_cases(tests: Any) -> set[str]:
    """The case keys of a suite: assert code (str), or a list of CallCase/IOCase (or their dicts)."""
    if isinstance(tests, str):
        try:
            tree = ast.parse(tests)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
        out = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert):
                k = _from_test(node.test)
                if k is not None:
                    out.add(k)
        return out
    out = set()
    for c in tests or ():
        if isinstance(c, dict):
            c = CallCase.model_validate(c) if "call" in c else IOCase.model_validate(c)
        if isinstance(c, CallCase):
            out.add(key(c.call, c.expect))
        elif isinstance(c, IOCase):
            out.add(repr(("io", c.input.strip(), c.output.strip())))
    return out
