"""The one canonical form of a Python program that dedup and decontamination compare.

parse -> drop docstrings and type annotations -> rename every name the program binds
(functions, classes, parameters, variables, loop and comprehension targets, imports,
exception names), builtins it shadows included, to v0, v1, ... in the order the tree holds
them -> unparse. What the program does not bind (builtins it calls, attributes, keyword
names of calls) stays verbatim: `sum(xs)` and `sum(ys)` are one form, `sum(xs)` and
`max(xs)` are not. Comments, quote style, redundant parentheses, trailing commas, `;` and
one-line bodies vanish in the parse/unparse round trip, so two programs with the same tree up
to consistent renaming have the same canonical text. Code that does not parse (another
language, a fragment) has no canonical form: callers fall back to the token stream.
"""

from __future__ import annotations

import ast
import re

_TOKENS = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\S")


def _is_doc(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


class _Strip(ast.NodeTransformer):
    """Docstrings and annotations: they do not change what a program computes."""

    def _body(self, node):
        self.generic_visit(node)
        if node.body and _is_doc(node.body[0]):
            node.body = node.body[1:] or [ast.Pass()]
        return node

    def visit_Module(self, node):
        return self._body(node)

    def visit_ClassDef(self, node):
        return self._body(node)

    def visit_FunctionDef(self, node):
        node.returns = None
        return self._body(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_arg(self, node):
        node.annotation = None
        return node

    def visit_AnnAssign(self, node):
        if node.value is None:
            return None  # `x: int` declares, computes nothing
        return ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)


def _bound(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            names.add(n.id)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
        elif isinstance(n, ast.alias) and (n.asname or "." not in n.name):
            names.add(n.asname or n.name)  # `import os.path` binds `os`, kept as it is
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            names.update(n.names)
    return names


class _Rename(ast.NodeTransformer):
    def __init__(self, bound: set[str]):
        self.bound, self.map = bound, {}

    def new(self, name: str) -> str:
        if name not in self.bound:
            return name
        return self.map.get(name) or self.map.setdefault(name, f"v{len(self.map)}")

    def visit_Name(self, node):
        node.id = self.new(node.id)
        return node

    def visit_arg(self, node):
        node.arg = self.new(node.arg)
        return node

    def _def(self, node):
        node.name = self.new(node.name)
        return self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _def

    def visit_alias(self, node):
        if node.asname or ("." not in node.name and node.name != "*"):
            node.asname = self.new(node.asname or node.name)
        return node

    def visit_ExceptHandler(self, node):
        if node.name:
            node.name = self.new(node.name)
        return self.generic_visit(node)

    def visit_Global(self, node):
        node.names = [self.new(n) for n in node.names]
        return node

    visit_Nonlocal = visit_Global


def canonical_code(code: str, rename: bool = True) -> str | None:
    """The canonical text of `code` (None if it does not parse as Python); `rename=False` keeps
    the names (formatting, comments, docstrings and annotations still go)."""
    try:
        tree = ast.parse(code)
        tree = _Strip().visit(tree)
        if rename:
            tree = _Rename(_bound(tree)).visit(tree)
        return ast.unparse(ast.fix_missing_locations(tree))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def canonical_tokens(code: str) -> list[str] | None:
    """The canonical text's tokens (names, numbers, one character of anything else)."""
    text = canonical_code(code)
    return None if text is None else _TOKENS.findall(text)
