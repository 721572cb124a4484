"""Generated tests that only repeat what a problem already tests.

A model asked for tests often copies the prompt's examples or the problem's own asserts
(`check(candidate)`'s asserts with `candidate(` renamed to the function): they pass the
reference, so execution keeps them, and appending them again adds nothing. Two asserts are
the same test when they are equal after canonicalisation: formatting and the message dropped,
`candidate` read as the entry point, the two sides of `==` / `!=` in a fixed order, and
`assert f(x) == True` read as `assert f(x)`.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from codesynth.extract import split_asserts
from codesynth.models import Problem


class _Canon(ast.NodeTransformer):
    def __init__(self, alias: str | None, entry_point: str | None):
        self.alias, self.entry_point = alias, entry_point

    def visit_Name(self, node: ast.Name) -> ast.Name:
        if self.alias and self.entry_point and node.id == self.alias:
            return ast.Name(id=self.entry_point, ctx=node.ctx)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) != 1 or not isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            return node
        left, right = node.left, node.comparators[0]
        if isinstance(node.ops[0], ast.Eq) and isinstance(right, ast.Constant) and right.value is True:
            return left  # `== True` adds nothing to an assert
        if ast.dump(left) > ast.dump(right):
            left, right = right, left
        return ast.Compare(left=left, ops=node.ops, comparators=[right])


def assert_key(code: str, entry_point: str | None = None, alias: str | None = None) -> str | None:
    """Canonical text of the last top-level assert in `code` (None when there is none)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    asserts = [n for n in tree.body if isinstance(n, ast.Assert)]
    if not asserts:
        return None
    node = _Canon(alias, entry_point).visit(ast.Assert(test=asserts[-1].test, msg=None))
    return ast.unparse(ast.fix_missing_locations(node))


def existing_keys(problem: Problem) -> set[str]:
    """The canonical asserts a function problem's tests already hold (check() asserts lifted);
    a data-form problem's {call, expect} cases read as `assert f(<call>) == <expect>`."""
    if problem.kind == "calls":
        asserts = [f"assert {problem.entry_point}({', '.join(map(repr, c.call))}) == {c.expect!r}"
                   for c in problem.tests]  # type: ignore[union-attr]
    elif not isinstance(problem.tests, str):
        return set()
    else:
        _, asserts = split_asserts(problem.tests, problem.entry_point)
    keys = {assert_key(a, problem.entry_point) for a in asserts}
    return {k for k in keys if k}


@dataclass
class AssertOverlap:
    code: str
    #: None (a new test), "already_in_problem" or "duplicate" (of an earlier generated one).
    reason: str | None = None
    same_as: str | None = None


def new_tests(problem: Problem, tests: Sequence[str]) -> list[AssertOverlap]:
    """For each generated test (in order): is it new, a copy of one of the problem's own
    tests, or a repeat of an earlier generated test?"""
    have = existing_keys(problem)
    seen: set[str] = set()
    out: list[AssertOverlap] = []
    for code in tests:
        key = assert_key(code, problem.entry_point)
        if key is None:
            out.append(AssertOverlap(code))
        elif key in have:
            out.append(AssertOverlap(code, "already_in_problem", key))
        elif key in seen:
            out.append(AssertOverlap(code, "duplicate", key))
        else:
            seen.add(key)
            out.append(AssertOverlap(code))
    return out
