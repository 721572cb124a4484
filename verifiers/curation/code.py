"""Code text helpers for curation: normalise code, tokenise it, n-grams, signatures."""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import re
import tokenize

_BUILTIN_NAMES = frozenset(dir(builtins))


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(getattr(body[0], "value", None), ast.Constant)
            ):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]


def children(node: ast.AST) -> list[ast.AST]:
    """A node's child nodes in field order (what ast.NodeTransformer visits, in its order)."""
    out: list[ast.AST] = []
    for f in node._fields:
        v = getattr(node, f, None)
        if isinstance(v, list):
            out.extend(x for x in v if isinstance(x, ast.AST))
        elif isinstance(v, ast.AST):
            out.append(v)
    return out


def nodes(tree: ast.AST):
    """Every node of `tree`, in no particular order: ast.walk without its two generators per
    node (curation walks every program and every test suite)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(children(node))


def normalize_code(code: str) -> str:
    """Comments, docstrings, blank lines and formatting removed (via the AST).

    Two programs that differ only in those normalise to the same text. Code that does
    not parse falls back to its whitespace-collapsed token stream.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return " ".join(code_tokens(code))
    _strip_docstrings(tree)
    return ast.unparse(tree)


def code_tokens(code: str, canonical_names: bool = False) -> list[str]:
    """Python tokens without comments/whitespace; with `canonical_names`, local
    identifiers become v0, v1, ... in order of first use (so renaming variables does
    not change the stream; keywords, builtins and attribute names are kept)."""
    out: list[str] = []
    names: dict[str, str] = {}
    prev = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER):
                continue
            if tok.type == tokenize.NEWLINE:
                s = "\n"
            elif tok.type == tokenize.INDENT:
                s = "<indent>"
            elif tok.type == tokenize.DEDENT:
                s = "<dedent>"
            else:
                s = tok.string
                if (
                    canonical_names
                    and tok.type == tokenize.NAME
                    and not keyword.iskeyword(s)
                    and s not in _BUILTIN_NAMES
                    and prev != "."
                ):
                    s = names.setdefault(s, f"v{len(names)}")
            out.append(s)
            prev = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # Unparseable text: fall back to a crude word split so it still gets a fingerprint.
        return re.findall(r"\w+|[^\w\s]", code)
    return out


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case alphanumeric words (for instruction n-grams)."""
    return _WORD.findall(text.lower())


def ngrams(seq: list[str], n: int) -> set[tuple[str, ...]]:
    if len(seq) < n:
        return {tuple(seq)} if seq else set()
    return {tuple(seq[i : i + n]) for i in range(len(seq) - n + 1)}


def function_signatures(code: str) -> list[str]:
    """`name(arg, ...)` of every function a program defines (for diversity stats)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return []
    sigs = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            params = [x.arg for x in (*a.posonlyargs, *a.args)]
            if a.vararg:
                params.append("*" + a.vararg.arg)
            params += [x.arg for x in a.kwonlyargs]
            if a.kwarg:
                params.append("**" + a.kwarg.arg)
            sigs.append(f"{node.name}({', '.join(params)})")
    return sigs
