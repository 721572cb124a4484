"""pytest test files (KodCode's form): how to tell one, and its units for the public/private split.

A pytest file imports pytest or `solution`, or has a module-level test function that takes
arguments (fixtures, parameters) or is decorated, or a `Test*` class. The host decides (this
module, the one rule) and tells the sandbox (`ExecRequest.pytest_file`); the tester then runs
the file with the real pytest (sandbox/harness/pytest_run.py). Each collected item is one
counted test.
"""

from __future__ import annotations

import ast
from functools import lru_cache

#: The module a pytest file imports the program as (`from solution import *`).
MODULE_NAME = "solution"


def is_pytest_tree(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in ("pytest", MODULE_NAME) for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] in (
                "pytest", MODULE_NAME):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test") and (
                node.decorator_list or node.args.args or node.args.posonlyargs or node.args.kwonlyargs):
            return True
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            return True
    return False


@lru_cache(maxsize=4096)  # one parse per suite, not one per candidate (every request asks)
def is_pytest_file(code: str) -> bool:
    try:
        return is_pytest_tree(ast.parse(code))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def _is_unit(node: ast.stmt) -> bool:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return node.name.startswith("test")
    return isinstance(node, ast.ClassDef) and node.name.startswith("Test")


def pytest_units(code: str) -> tuple[str, list[str]] | None:
    """(preamble, [one test function or Test class each]) for a pytest file, else None.

    The preamble is everything else (imports, fixtures, helpers, constants), which each half of
    a split gets whole; a test function (all of its parametrized cases) is one unit, so a split
    never separates the cases of one function."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not is_pytest_tree(tree):
        return None
    lines = code.splitlines()
    pre: list[str] = []
    units: list[str] = []
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        src = "\n".join(lines[first - 1:node.end_lineno])
        (units if _is_unit(node) else pre).append(src)
    return "\n".join(pre), units
