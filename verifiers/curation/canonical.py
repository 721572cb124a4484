"""The one canonical form of a Python program that dedup and decontamination compare.

parse -> drop docstrings and type annotations -> fold loops that build a list into the
comprehension they spell (`out = []; for x in xs: if c: out.append(e)` is `[e for x in xs if
c]`; a generator argument is the same list; a temporary used once right after is inlined) ->
rename every name the program binds
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
import functools
import re

from codesynth.verifiers.curation.code import children, nodes

_TOKENS = re.compile(r"[A-Za-z_]\w*|\d[\w.]*|\S")


def _is_doc(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


_BODIES = ("body", "orelse", "finalbody")


def _appends(stmt: ast.stmt, name: str) -> tuple[ast.expr, list[ast.expr]] | None:
    """(element, conditions) of a loop body that only does `name.append(e)` under `if`s."""
    conds: list[ast.expr] = []
    while isinstance(stmt, ast.If) and not stmt.orelse and len(stmt.body) == 1:
        conds.append(stmt.test)
        stmt = stmt.body[0]
    if (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and len(stmt.value.args) == 1
            and not stmt.value.keywords and isinstance(stmt.value.func, ast.Attribute)
            and stmt.value.func.attr == "append" and isinstance(stmt.value.func.value, ast.Name)
            and stmt.value.func.value.id == name):
        return stmt.value.args[0], conds
    return None


def _uses(node: ast.AST | list, name: str) -> int:
    roots = node if isinstance(node, list) else [node]
    return sum(isinstance(n, ast.Name) and n.id == name for x in roots for n in nodes(x))


class _Inline(ast.NodeTransformer):
    def __init__(self, name: str, value: ast.expr):
        self.name, self.value = name, value

    def visit_Name(self, node):
        return self.value if node.id == self.name and isinstance(node.ctx, ast.Load) else node


def _fold_block(body: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in body:
        prev = out[-1] if out else None
        if (isinstance(stmt, ast.For) and not stmt.orelse and len(stmt.body) == 1
                and isinstance(prev, ast.Assign) and len(prev.targets) == 1 and isinstance(prev.targets[0], ast.Name)
                and isinstance(prev.value, ast.List) and not prev.value.elts):
            got = _appends(stmt.body[0], prev.targets[0].id)
            if got is not None:
                elt, conds = got
                prev.value = ast.ListComp(elt, [ast.comprehension(stmt.target, stmt.iter, conds, 0)])
                continue
        out.append(stmt)
    # `v = [comprehension]` used once by the very next statement, and never again: inline it
    i = 0
    while i + 1 < len(out):
        a, b = out[i], out[i + 1]
        if (isinstance(a, ast.Assign) and len(a.targets) == 1 and isinstance(a.targets[0], ast.Name)
                and isinstance(a.value, ast.ListComp) and isinstance(b, (ast.Return, ast.Assign, ast.Expr))
                and _uses(b, a.targets[0].id) == 1 and _uses(out[i + 2 :], a.targets[0].id) == 0):
            out[i + 1] = _Inline(a.targets[0].id, a.value).visit(b)
            del out[i]
            continue
        i += 1
    return out


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_DOCUMENTED = (ast.Module, *_DEFS)
#: a node type's statement lists (computed once per type, not looked up on every node)
_BLOCKS: dict[type, tuple[str, ...]] = {}


def _normalize(node: ast.AST) -> ast.AST | None:
    """Docstrings and annotations go (they do not change what a program computes); loops that
    build a list become the comprehension, generator arguments become lists.

    One bottom-up pass (an ast.NodeTransformer's, written out: this is the hot loop of
    curation): at each node its children are done first, then its own docstring goes, then its
    own blocks fold, which is what stripping every node and then folding every node gives (a
    node's docstring and folds touch only its own statement lists). None removes the node."""
    t = type(node)
    if t is ast.arg:
        node.annotation = None
        return node
    if t is ast.AnnAssign:
        if node.value is None:
            return None  # `x: int` declares, computes nothing
        node = ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)
        t = ast.Assign
    elif t is ast.FunctionDef or t is ast.AsyncFunctionDef:
        node.returns = None
    AST = ast.AST
    for f in node._fields:
        old = getattr(node, f, None)
        if isinstance(old, list):
            new = []
            for v in old:
                if isinstance(v, AST):
                    v = _normalize(v)
                    if v is None:
                        continue
                new.append(v)
            old[:] = new
        elif isinstance(old, AST):
            v = _normalize(old)
            if v is None:
                delattr(node, f)
            else:
                setattr(node, f, v)
    if t in _DOCUMENTED and node.body and _is_doc(node.body[0]):
        node.body = node.body[1:] or [ast.Pass()]
    blocks = _BLOCKS.get(t)
    if blocks is None:
        blocks = _BLOCKS[t] = tuple(f for f in _BODIES if f in t._fields)
    for f in blocks:
        body = getattr(node, f, None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            setattr(node, f, _fold_block(body))
    if t is ast.GeneratorExp:
        return ast.ListComp(node.elt, node.generators)
    return node


def _rename(tree: ast.AST) -> None:
    """Every name the program binds to v0, v1, ... by first appearance in a depth-first,
    field-order walk (an ast.NodeTransformer's order): a definition's or handler's name before
    its body; a Name, arg, alias, global/nonlocal where it stands. One walk finds the nodes
    that carry names and what is bound; the renaming then goes through those nodes alone."""
    Name, arg, alias, Load = ast.Name, ast.arg, ast.alias, ast.Load
    bound: set[str] = set()
    slots: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        t = type(node)
        if t is Name:
            if not isinstance(node.ctx, Load):
                bound.add(node.id)
            slots.append(node)
            continue
        if t is arg:
            bound.add(node.arg)
            slots.append(node)
            continue
        if t is alias:
            if node.asname or "." not in node.name:
                bound.add(node.asname or node.name)  # `import os.path` binds `os`, kept as it is
            slots.append(node)
            continue
        if t is ast.Global or t is ast.Nonlocal:
            bound.update(node.names)
            slots.append(node)
            continue
        if t in _DEFS or (t is ast.ExceptHandler and node.name):
            bound.add(node.name)
            slots.append(node)
        stack.extend(reversed(children(node)))
    names: dict[str, str] = {}

    def new(name: str) -> str:
        if name not in bound:
            return name
        return names.get(name) or names.setdefault(name, f"v{len(names)}")

    for node in slots:
        t = type(node)
        if t is Name:
            node.id = new(node.id)
        elif t is arg:
            node.arg = new(node.arg)
        elif t is alias:
            if node.asname or ("." not in node.name and node.name != "*"):
                node.asname = new(node.asname or node.name)
        elif t is ast.Global or t is ast.Nonlocal:
            node.names = [new(n) for n in node.names]
        else:
            node.name = new(node.name)


def canonical_code(code: str, rename: bool = True) -> str | None:
    """The canonical text of `code` (None if it does not parse as Python); `rename=False` keeps
    the names (formatting, comments, docstrings and annotations still go)."""
    try:
        tree = _normalize(ast.parse(code))
        if rename:
            _rename(tree)
        # no fix_missing_locations: unparse reads no position but a statement's line (for its
        # type comment), and the only statement made here (an Assign for an AnnAssign) has it
        return ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


@functools.lru_cache(maxsize=4096)
def canonical_tokens(code: str) -> tuple[str, ...] | None:
    """The canonical text's tokens (names, numbers, one character of anything else).

    Cached by the program's text: dedup and decontamination both need the form of every
    program, and it is most of their cost (a parse and an unparse); a record's second asking
    is a lookup when it comes within the last 4,096 programs (a small run's whole dataset,
    a streamed chunk's records)."""
    text = canonical_code(code)
    return None if text is None else tuple(_TOKENS.findall(text))
