"""Pull a runnable program out of a model's reply, and the (Python) code-text helpers built on it.

One rule for every caller (the generation modes, the trainer adapters, the service), so
the same reply gets the same program everywhere.

Models wrap code in fences, prefix it with chatter, write several blocks, or get cut
off mid-block by max_tokens. We take fenced blocks first (an unterminated last fence
counts), prefer the one that defines the entry point and parses, and fall back to the
longest parseable run of lines in an unfenced reply. No usable code -> None: the caller
records that as a real failure, never a crash.

Other languages (`language=`) follow the same order: blocks tagged with the language
(```cpp, ```c++, ```rs, ```golang, ```ts ...) first, then untagged blocks, then blocks of a
language the requested one accepts (C in a C++ request, JavaScript in a TypeScript one),
the one defining the entry point preferred; without fences, the run of lines from the first
line that starts like code in that language to the last line that balances its braces.
Nothing is compiled here: the sandbox's compile step judges what was extracted.
"""

from __future__ import annotations

import ast
import functools
import re

from codesynth import languages

_FENCE = re.compile(r"^[ \t]*(```+|~~~+)[ \t]*([\w+.#-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M)
# Python's fence tags (and untagged blocks) and the first line of unfenced Python code are the
# python language module's (codesynth/languages/python.py).
_PY = languages.get("python")
_PY_LANGS = _PY.fence_tags | {""}
_CODE_START = _PY.code_start


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order."""
    return [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(text)]


@functools.lru_cache(maxsize=256)
def _module(code: str) -> ast.Module | None:
    # Judging one reply asks "does it parse / define the entry point?" of the same text up
    # to five times; a parse costs more than the rest of handling a candidate. Callers only
    # read the tree.
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def parses(code: str) -> bool:
    return _module(code) is not None


def defines(code: str, name: str) -> bool:
    """Does the code define `name` at top level (def / async def / class / assignment)?"""
    tree = _module(code)
    if tree is None:
        return re.search(rf"^\s*(async\s+)?def\s+{re.escape(name)}\s*\(", code, re.M) is not None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return True
    return False


def defines_in(code: str, name: str, language: str) -> bool:
    """Does code in `language` define function `name`? (A pattern, not a parse: it only ranks blocks.)"""
    if language == "python":
        return defines(code, name)
    return languages.get(language).defines_function(code, name)


def _is_substantial(code: str) -> bool:
    # A lone word or number parses as Python too; real code has at least one statement
    # that is not a bare name/constant expression.
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return any(
        not (isinstance(n, ast.Expr) and isinstance(n.value, (ast.Name, ast.Constant))) for n in tree.body
    )


def _bare_code(text: str) -> str | None:
    """Longest parseable run of lines that starts like code, in a reply without fences."""
    lines = text.splitlines()
    best: str | None = None
    for i, line in enumerate(lines):
        if not _CODE_START.match(line):
            continue
        for j in range(len(lines), i, -1):
            chunk = "\n".join(lines[i:j]).strip("\n")
            if best is not None and len(chunk) <= len(best):
                break
            if _is_substantial(chunk):
                best = chunk
                break
    return best


def _balanced(code: str) -> bool:
    depth = 0
    for ch in code:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _bare_code_in(text: str, language: str) -> str | None:
    """In a reply without fences: from the first line that starts like `language` code to the
    last line that leaves its braces balanced (trailing prose after the code is dropped)."""
    start = languages.get(language).code_start
    if start is None:
        return None
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if start.match(ln)), None)
    if first is None:
        return None
    for j in range(len(lines), first, -1):
        chunk = "\n".join(lines[first:j]).strip("\n")
        last = lines[j - 1].strip()
        if last and last[-1] in "};" and "{" in chunk and _balanced(chunk):
            return chunk
    return None


def _extract_other(reply: str, entry_point: str | None, language: str) -> str | None:
    blocks = [(lang, body.strip("\n")) for lang, body in fenced_blocks(reply) if body.strip()]
    spec = languages.get(language)
    tiers = [spec.fence_tags, frozenset({""}), *(languages.get(o).fence_tags for o in spec.accepts)]
    for tags in tiers:
        mine = [b for lang, b in blocks if lang in tags]
        if mine:
            ranked = sorted(range(len(mine)),
                            key=lambda i: (not (entry_point and defines_in(mine[i], entry_point, language)), i))
            return mine[ranked[0]] + "\n"
    if blocks:
        return None  # fenced code in some other language: not a program in this one
    code = _bare_code_in(reply, language)
    return code + "\n" if code else None


def extract_code(reply: str, entry_point: str | None = None, language: str = "python") -> str | None:
    """The program a reply offers, or None when there is none."""
    if not reply or not reply.strip():
        return None
    if language != "python":
        languages.get(language)  # UnknownLanguage (a ValueError) names the known ones
        return _extract_other(reply, entry_point, language)
    blocks = [body.strip("\n") for lang, body in fenced_blocks(reply) if lang in _PY_LANGS and body.strip()]
    if len(blocks) == 1:
        return blocks[0] + "\n"
    if blocks:
        ranked = sorted(
            range(len(blocks)),
            key=lambda i: (
                not (entry_point and defines(blocks[i], entry_point)),
                not parses(blocks[i]),
                i,  # the model's first attempt is usually its best; later blocks tend to be variations
            ),
        )
        return blocks[ranked[0]] + "\n"
    if parses(reply) and _is_substantial(reply):
        return reply.strip("\n") + "\n"
    code = _bare_code(reply)
    return code + "\n" if code else None


def program_from_reply(reply: str, entry_point: str | None = None, prompt: str | None = None,
                       language: str = "python") -> str | None:
    """The program a reply offers for a problem in `language`, or None (judged `no_code`).

    The one continuation rule: when the code found does not define the entry point but
    the prompt does (a HumanEval-style prompt the model continued with just the body),
    the prompt is put back in front. The body is the fenced code when the reply has
    fences, else the reply as written (an indented body does not parse alone, so the
    extracted code would lose it). A glued program is used only when it parses and
    defines the entry point; otherwise the code found stands as it is. (Python only: other
    languages' prompts show a declaration to implement, not a body to continue.)
    """
    code = extract_code(reply, entry_point, language)
    if language != "python":
        return code
    if not entry_point or (code is not None and defines(code, entry_point)):
        return code
    if not prompt or not defines(prompt, entry_point):
        return code
    bodies = [code] if code is not None and "```" in reply else [reply, code]
    for body in bodies:
        if body is None or not body.strip():
            continue
        joined = prompt.rstrip("\n") + "\n" + body.strip("\n") + "\n"
        if parses(joined) and defines(joined, entry_point):
            return joined
    return code


def split_asserts(code: str, entry_point: str | None = None) -> tuple[str, list[str]]:
    """Split test code into (preamble, [assert statement source, ...]).

    The preamble keeps top-level imports and helper definitions the asserts may need;
    each top-level `assert` becomes one test. Unparseable code yields no tests.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return "", []
    pre: list[str] = []
    tests: list[str] = []
    for node in tree.body:
        src = ast.get_source_segment(code, node) or ast.unparse(node)
        if isinstance(node, ast.Assert):
            tests.append(src)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            pre.append(src)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if entry_point and node.name == entry_point:
                continue  # a test file must not redefine the function under test
            if node.name.startswith("test") or (node.name == "check" and entry_point):
                # pytest style, or HumanEval's check(candidate): lift the asserts to top level.
                tests.extend(_lift_asserts(code, node, entry_point))
            else:
                pre.append(src)
        elif is_main_guard(node):
            tests.extend(
                ast.get_source_segment(code, s) or ast.unparse(s)
                for s in node.body
                if isinstance(s, ast.Assert)
            )
    return "\n".join(pre), tests


def _lift_asserts(
    code: str, fn: ast.FunctionDef | ast.AsyncFunctionDef, entry_point: str | None
) -> list[str]:
    asserts = [s for s in fn.body if isinstance(s, ast.Assert)]
    params = [a.arg for a in fn.args.args]
    if fn.name != "check" or not params or not entry_point:
        return [ast.get_source_segment(code, s) or ast.unparse(s) for s in asserts]
    # check(candidate): `candidate(...)` is the entry point.
    alias = params[0]

    class _Rename(ast.NodeTransformer):
        def visit_Name(self, n: ast.Name) -> ast.Name:
            return ast.Name(id=entry_point, ctx=n.ctx) if n.id == alias else n

    return [ast.unparse(_Rename().visit(s)) for s in asserts]


def is_main_guard(node: ast.AST) -> bool:
    """`if __name__ == "__main__":`"""
    return isinstance(node, ast.If) and "__name__" in ast.unparse(node.test)


def calls(node_or_code: ast.AST | str, name: str) -> bool:
    """Does the code call `name(...)`?"""
    node = ast.parse(node_or_code) if isinstance(node_or_code, str) else node_or_code
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name for n in ast.walk(node)
    )


def is_trivial_assert(test: str, entry_point: str) -> str | None:
    """Why an assert tests nothing (None when it is a real test)."""
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return "syntax"
    if not tree.body or not isinstance(tree.body[0], ast.Assert):
        return "not_an_assert"
    node = tree.body[0]
    if not calls(node.test, entry_point):
        return "no_call"
    t = node.test
    if isinstance(t, ast.Compare) and len(t.comparators) == 1:
        # f(x) == f(x) holds for any f.
        if ast.dump(t.left) == ast.dump(t.comparators[0]) and isinstance(
            t.ops[0], (ast.Eq, ast.Is, ast.GtE, ast.LtE)
        ):
            return "tautology"
    if isinstance(t, ast.BoolOp) and isinstance(t.op, ast.Or):
        if any(isinstance(v, ast.Constant) and v.value for v in t.values):
            return "tautology"
    return None


def function_signature(code: str, name: str) -> str | None:
    """`def name(args) -> ret:` of a top-level function, for building a prompt."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            args = ast.unparse(node.args)
            ret = f" -> {ast.unparse(node.returns)}" if node.returns else ""
            return f"def {name}({args}){ret}:"
    return None


def top_level_functions(code: str) -> list[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
