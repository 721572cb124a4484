"""A problem's suite as (arguments, expected) cases, and cases written back as tests.

Hardening and the strength certificate both need the public tests as data (the lookup-table
program is built from them) and need new cases in the problem's own test form: assert lines
calling the entry point by name (function problems: they run beside a `check(candidate)` of the
public tests without replacing it), {call, expect} cases (data-form problems, any language) or
{input, output} cases (stdin/stdout problems, any language).
"""

from __future__ import annotations

import ast
from typing import Any

from codesynth.models import CallCase, IOCase, Problem

#: Float results are compared within a tolerance, as the data-form judge compares them.
_CLOSE = '''def _cs_close(got, want):
    if isinstance(want, float):
        return isinstance(got, (int, float)) and abs(got - want) <= 1e-6 * max(1.0, abs(want))
    if isinstance(want, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(want) and all(
            _cs_close(g, w) for g, w in zip(got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and got.keys() == want.keys() and all(_cs_close(got[k], want[k]) for k in want)
    return got == want
'''


def full_suite(problem: Problem) -> Problem:
    """The problem judged on every test it has, public and private, as one public suite."""
    priv = problem.private_tests
    if not priv:
        return problem
    if isinstance(problem.tests, str):
        tests: Any = problem.tests.rstrip("\n") + "\n\n" + str(priv)
    else:
        tests = [*problem.tests, *priv]
    return problem.model_copy(update={"tests": tests, "private_tests": None})


def with_tests(problem: Problem, tests: Any) -> Problem:
    """The problem with exactly these (public) tests: to run programs against a set of cases."""
    return problem.model_copy(update={"tests": tests, "private_tests": None})


def _has_float(v: Any) -> bool:
    if isinstance(v, float):
        return True
    if isinstance(v, (list, tuple)):
        return any(map(_has_float, v))
    if isinstance(v, dict):
        return any(map(_has_float, v.values()))
    return False


def python_asserts(entry_point: str, cases: list[tuple[tuple, Any]]) -> tuple[str, list[int]]:
    """Assert code, one line per case, and the line number of each case's assert."""
    head = _CLOSE if any(_has_float(want) for _, want in cases) else ""
    lines = head.splitlines()
    at: list[int] = []
    for args, want in cases:
        call = f"{entry_point}({', '.join(map(repr, args))})"
        lines.append(f"assert _cs_close({call}, {want!r})" if _has_float(want) else f"assert {call} == {want!r}")
        at.append(len(lines))
    return "\n".join(lines) + "\n", at


def as_tests(problem: Problem, cases: list[tuple[tuple, Any]]) -> tuple[Any, list[int]]:
    """Cases in the problem's test form, and a key per case to find its outcome by (line / index)."""
    if problem.kind == "calls":
        return [CallCase(call=list(a), expect=w) for a, w in cases], list(range(len(cases)))
    if problem.kind == "io":  # an input is the 1-tuple (stdin,)
        return [IOCase(input=a[0], output=w) for a, w in cases], list(range(len(cases)))
    return python_asserts(problem.entry_point or "candidate", cases)


def _expected(node: ast.expr) -> tuple[ast.Call, Any] | None:
    """`f(x) == y`, `y == f(x)`, `abs(f(x) - y) < t`, `f(x)`, `not f(x)`: the call and y."""
    try:
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            if isinstance(node.ops[0], (ast.Eq, ast.Is)):
                if isinstance(left, ast.Call):
                    return left, ast.literal_eval(right)
                if isinstance(right, ast.Call):
                    return right, ast.literal_eval(left)
            if (isinstance(node.ops[0], (ast.Lt, ast.LtE)) and isinstance(left, ast.Call)
                    and isinstance(left.func, ast.Name) and left.func.id == "abs" and len(left.args) == 1
                    and isinstance(left.args[0], ast.BinOp) and isinstance(left.args[0].op, ast.Sub)
                    and isinstance(left.args[0].left, ast.Call)):
                return left.args[0].left, ast.literal_eval(left.args[0].right)
        if isinstance(node, ast.Call):
            return node, True
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and isinstance(node.operand, ast.Call):
            return node.operand, False
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    return None


def public_cases(problem: Problem) -> list[tuple[tuple, Any]]:
    """The public tests' (arguments, expected value) pairs that are plain data."""
    if problem.kind == "calls":
        return [(tuple(c.call), c.expect) for c in problem.tests]  # type: ignore[union-attr]
    if problem.kind != "function":
        return []
    try:
        tree = ast.parse(problem.tests)  # type: ignore[arg-type]
    except (SyntaxError, ValueError):
        return []
    names = {"candidate", problem.entry_point}
    out: dict[str, tuple[tuple, Any]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assert):
            continue
        found = _expected(node.test)
        if found is None:
            continue
        call, want = found
        if not (isinstance(call.func, ast.Name) and call.func.id in names) or call.keywords:
            continue
        try:
            args = tuple(ast.literal_eval(a) for a in call.args)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            continue
        out.setdefault(repr(args), (args, want))
    return list(out.values())
