"""Which tests a model may see (public) and which only decide the verdict (private).

The one rule every entry point uses (documented in docs/topics/public-private-tests.md):

- A problem with `private_tests` keeps its split: `tests` public, `private_tests` private.
- A problem without: its `tests` are split deterministically. A pytest file (codesynth.pytest_files)
  becomes one unit per test function or `Test*` class, fixtures and helpers going to both halves.
  Other assert code becomes one test per
  top-level assert (HumanEval's `check(candidate)` lifted to plain asserts on the entry point),
  stdin/stdout and data-form cases one test per case; the first third (rounded down, at least one
  when there are 3 or more) stays public, the rest is private. A suite that cannot be split without
  changing what it checks (fewer than 3 tests, asserts inside loops or helpers, statements between
  asserts in `check`) stays whole and private: then no test content is ever shown.

Why a minority public: a model that special-cases the inputs it was shown (`if x == 'DCCC':
return 800`) still has to pass the tests it never saw (RLEF, Gehring et al. 2025).

`combined(problem)` is the suite sent to the sandbox in one request (public part first) and its
layout: which cases, or which lines of the combined test code, are private. The request
carries that layout (`build_request`), so each outcome is marked private or public where it is
made (the tester knows the line of each assert; the host compares each case), never inferred
afterwards from its position in a list.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

from codesynth.extract import split_asserts
from codesynth.models import CallCase, IOCase, Problem
from codesynth.pytest_files import pytest_units

Tests = str | list[IOCase] | list[CallCase]

#: Fewest tests a suite needs before any of them is shown: with fewer, all stay private.
MIN_SPLIT = 3


@dataclass(frozen=True)
class Split:
    """A problem's tests, public and private (either side may be None: none of that kind)."""

    public: Tests | None
    private: Tests | None


def public_count(n: int) -> int:
    """How many of `n` tests stay public: the first third, at least one from MIN_SPLIT on."""
    return 0 if n < MIN_SPLIT else max(1, n // 3)


#: `metadata[ALL_PUBLIC] = True` on a problem without `private_tests`: every test is public (no
#: default split). `public_problem` sets it on the public half it makes.
ALL_PUBLIC = "all_tests_public"


def _all_public(problem: Problem) -> bool:
    return problem.private_tests is None and problem.metadata.get(ALL_PUBLIC) is True


def split_tests(problem: Problem) -> Split:
    """The problem's public and private tests (see the module docstring for the rule)."""
    if problem.private_tests is not None:
        return Split(problem.tests, problem.private_tests)
    if _all_public(problem):
        return Split(problem.tests, None)
    tests = problem.tests
    if isinstance(tests, list):
        k = public_count(len(tests))
        return Split(list(tests[:k]) or None, list(tests[k:]))
    parts = _assert_parts(tests, problem.entry_point)
    if parts is None:
        return Split(None, tests)
    pre, asserts = parts
    k = public_count(len(asserts))
    if k == 0:
        return Split(None, tests)
    return Split(_join(pre, asserts[:k]), _join(pre, asserts[k:]))


def public_problem(problem: Problem) -> Problem | None:
    """The problem with its public tests only, all of them public: what a model may be given
    feedback on (RLEF's turns). None when no test is public (then no feedback can name a test).

    Nothing private travels in it: no private tests, no reference or strength to read them from."""
    public = split_tests(problem).public
    if public is None:
        return None
    return problem.model_copy(update={
        "tests": public, "private_tests": None, "reference_solution": None, "reference_solutions": {},
        "strength": None, "metadata": {**problem.metadata, ALL_PUBLIC: True}})


def _join(pre: str, asserts: list[str]) -> str:
    return "\n".join([*([pre] if pre.strip() else []), *asserts]) + "\n"


def _assert_parts(code: str, entry_point: str | None) -> tuple[str, list[str]] | None:
    """(preamble, asserts) when splitting keeps every check the code makes, else None.

    The preamble is what the asserts may need: imports, helper definitions, and set-up
    statements written before the first test (HumanEval's `METADATA = ...`); each half
    gets all of it. A statement between tests, an assert inside a loop or a helper, or
    set-up inside `check` make the suite inseparable."""
    units = pytest_units(code)
    if units is not None:
        return units if units[1] else None  # a pytest file: one unit per test function or class
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    _, asserts = split_asserts(code, entry_point)
    asserts = [a for a in asserts if not _trivial(a)]
    total = sum(1 for n in ast.walk(tree) if isinstance(n, ast.Assert) and not isinstance(n.test, ast.Constant))
    if total != len(asserts) or not asserts:
        return None  # asserts in loops, helpers or branches: lifting them would change the suite
    pre: list[str] = []
    tests_began = False
    for node in tree.body:
        is_test_fn = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
            node.name.startswith("test") or node.name == "check")
        if isinstance(node, ast.Assert) or is_test_fn or _check_call(node) or (
                isinstance(node, ast.If) and _main_guard(node)):
            tests_began = True
            if is_test_fn and any(not isinstance(s, ast.Assert) for s in node.body if not _docstring(s)):
                return None  # statements between the asserts (set-up, loops): not separable
            if isinstance(node, ast.If) and any(not isinstance(s, ast.Assert) for s in node.body):
                return None
            continue
        if _docstring(node):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == entry_point:
            continue  # a test file must not redefine the function under test
        if tests_began and not isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef,
                                                 ast.AsyncFunctionDef, ast.ClassDef)):
            return None  # module-level state changed between tests: not separable
        if any(isinstance(n, ast.Assert) for n in ast.walk(node)):
            return None
        pre.append(ast.get_source_segment(code, node) or ast.unparse(node))
    return "\n".join(pre), asserts


def _main_guard(node: ast.If) -> bool:
    return "__name__" in ast.unparse(node.test)


def _check_call(node: ast.stmt) -> bool:
    """`check(f)` at module level: the harness calls check itself; lifted asserts replace it."""
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "check")


def _trivial(src: str) -> bool:
    try:
        node = ast.parse(src).body[0]
    except (SyntaxError, IndexError):
        return False
    return isinstance(node, ast.Assert) and isinstance(node.test, ast.Constant)


def _docstring(s: ast.stmt) -> bool:
    return isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)


# --------------------------------------------------------------------------- the combined suite


@dataclass(frozen=True)
class Layout:
    """How the combined suite sent to the sandbox is laid out, to tell private outcomes.

    Cases (io, calls): the first `public_cases` are public. Assert code: lines in
    [private_from, private_to) of the combined code are private. `has_private`: any at all."""

    has_private: bool
    public_cases: int = 0
    private_from: int = 0
    private_to: int = 0


def combined(problem: Problem) -> tuple[Tests, Layout]:
    """The whole suite to run (public first, then private) and its layout.

    Raises ValueError when the two parts cannot be run as one suite (both define
    `check(candidate)` in a form that cannot be lifted to plain asserts)."""
    if _all_public(problem):
        return problem.tests, Layout(has_private=False)
    if isinstance(problem.tests, str):
        priv = problem.private_tests if isinstance(problem.private_tests, str) else None
        return _combined_code(problem.tests, priv, problem.entry_point)
    sp = split_tests(problem)
    pub, priv_cases = list(sp.public or []), list(sp.private or [])
    if not priv_cases:
        return problem.tests, Layout(has_private=False)
    return [*pub, *priv_cases], Layout(has_private=True, public_cases=len(pub))  # type: ignore[list-item]


@lru_cache(maxsize=4096)  # one parse per suite, not one per candidate (every request is built here)
def _combined_code(tests: str, private: str | None, entry_point: str | None) -> tuple[str, Layout]:
    if private is None:
        parts = _assert_parts(tests, entry_point)
        k = public_count(len(parts[1])) if parts else 0
        if parts is None or k == 0:
            return tests, Layout(has_private=True, private_from=1, private_to=tests.count("\n") + 2)
        pub_code, priv = _join(parts[0], parts[1][:k]), _join(parts[0], parts[1][k:])
    else:
        pub_code, priv = tests, private
        if _defines_check(pub_code) and _defines_check(priv):
            pub_code, priv = _as_asserts(pub_code, entry_point), _as_asserts(priv, entry_point)
    head = pub_code.rstrip("\n") + "\n"
    start = head.count("\n") + 1
    code = head + priv.rstrip("\n") + "\n"
    return code, Layout(has_private=True, private_from=start, private_to=code.count("\n") + 1)


def _defines_check(code: str) -> bool:
    try:
        return any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in ast.parse(code).body)
    except (SyntaxError, ValueError):
        return False


def _as_asserts(code: str, entry_point: str | None) -> str:
    parts = _assert_parts(code, entry_point)
    if parts is None:
        raise ValueError("tests and private_tests both define check(candidate) and one of them cannot be "
                         "written as plain asserts: write private_tests as plain asserts on the entry point")
    return _join(*parts)
