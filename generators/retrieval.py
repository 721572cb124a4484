"""Snippets from a folder of source files or documents, for grounded generation.

Python files are cut at top-level definitions (a snippet is one function or class);
other text files into fixed windows of lines. Every snippet keeps its provenance
(relative path, 1-based line span, hash of the text). With a query, snippets are
ranked by BM25; without one they are sampled reproducibly from the seed.
"""

from __future__ import annotations

import ast
import hashlib
import math
import os
import random
import re
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from codesynth.errors import InputError

TEXT_SUFFIXES = {
    ".py", ".pyi", ".md", ".rst", ".txt", ".js", ".ts", ".java", ".c", ".h", ".cc", ".cpp", ".hpp",
    ".go", ".rs", ".rb", ".sh", ".sql", ".toml", ".yaml", ".yml", ".ini", ".cfg", ".json", ".html", ".tex",
}  # fmt: skip
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")


class Snippet(BaseModel):
    file: str  # relative to the root given
    start_line: int  # 1-based, inclusive
    end_line: int
    text: str
    sha256: str

    @property
    def where(self) -> str:
        return f"{self.file} (lines {self.start_line}-{self.end_line})"

    def provenance(self) -> dict:
        return {
            "file": self.file,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "sha256": self.sha256,
        }


def _snippet(rel: str, lines: list[str], start: int, end: int) -> Snippet | None:
    text = "\n".join(lines[start - 1 : end]).strip("\n")
    if sum(1 for ln in text.splitlines() if ln.strip()) < 3:
        return None  # too small to ground anything
    return Snippet(
        file=rel, start_line=start, end_line=end, text=text, sha256=hashlib.sha256(text.encode()).hexdigest()
    )


def _python_spans(text: str, window: int) -> list[tuple[int, int]] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None
    spans = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            end = node.end_lineno or node.lineno
            spans.append((start, min(end, start + 2 * window - 1)))  # long classes: their head is enough
    return spans


def split_file(rel: str, text: str, window: int = 40) -> list[Snippet]:
    lines = text.splitlines()
    spans = _python_spans(text, window) if rel.endswith((".py", ".pyi")) else None
    if not spans:
        spans = [(s, min(len(lines), s + window - 1)) for s in range(1, len(lines) + 1, window)]
    return [sn for s, e in spans if (sn := _snippet(rel, lines, s, e)) is not None]


def collect_snippets(
    root: str | os.PathLike, window: int = 40, max_file_bytes: int = 512_000
) -> list[Snippet]:
    """All snippets under `root` (a folder or a single file), in path order."""
    base = Path(root)
    if not base.exists():
        raise InputError(f"{base}: no such file or folder")
    files = (
        [base]
        if base.is_file()
        else sorted(
            p
            for p in base.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(base).parts)
        )
    )
    out: list[Snippet] = []
    for path in files:
        if path.suffix.lower() not in TEXT_SUFFIXES and path != base:
            continue
        try:
            if path.stat().st_size > max_file_bytes:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue  # binary
        rel = path.name if path == base else str(path.relative_to(base))
        out.extend(split_file(rel, data.decode("utf-8", "replace"), window))
    if not out:
        raise InputError(
            f"{base}: no text snippets found (looked for {', '.join(sorted(TEXT_SUFFIXES)[:8])}, ...)"
        )
    return out


def bm25_rank(
    snippets: list[Snippet], query: str, k1: float = 1.5, b: float = 0.75
) -> list[tuple[float, Snippet]]:
    """Snippets by BM25 score against the query, best first (ties keep path order)."""
    docs = [Counter(w.lower() for w in _WORD.findall(s.text)) for s in snippets]
    q = [w.lower() for w in _WORD.findall(query)]
    n = len(docs)
    avg = sum(sum(d.values()) for d in docs) / max(1, n)
    df = Counter(w for d in docs for w in set(d))
    scored = []
    for i, d in enumerate(docs):
        length = sum(d.values())
        score = 0.0
        for w in q:
            if w in d:
                idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5))
                score += idf * d[w] * (k1 + 1) / (d[w] + k1 * (1 - b + b * length / avg))
        scored.append((score, i))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [(s, snippets[i]) for s, i in scored]


def pick_snippets(snippets: list[Snippet], n: int, seed: int = 0, query: str | None = None) -> list[Snippet]:
    """n snippets: the top-n by BM25 for a query (cycling when there are fewer), else a seeded sample."""
    if not snippets or n <= 0:
        return []
    if query:
        ranked = [s for score, s in bm25_rank(snippets, query) if score > 0] or snippets
    else:
        ranked = list(snippets)
        random.Random(seed).shuffle(ranked)
    return [ranked[i % len(ranked)] for i in range(n)]
