"""Exact and near-duplicate removal.

Exact: programs equal after normalisation (comments, docstrings and formatting
removed). Near: MinHash signatures (`datasketch`) over shingles of the program's canonical
form (`canonical.py`: every binding renamed consistently, builtins it shadows included;
docstrings, annotations, quote style, parentheses, trailing commas, `;` and one-line bodies
gone), so a renamed or reformatted copy has Jaccard 1.0; code that does not parse as Python
falls back to the token stream with local names numbered. Candidate pairs come
from `datasketch.MinHashLSH` banding and are confirmed with the true Jaccard similarity of
the shingle sets, so the result does not depend on hash luck. Of each group the record kept
is the first by (repair turn, sample index, candidate id): deterministic whatever order the
parallel run wrote its records in.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re
import zlib
from typing import Literal

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH
from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.canonical import canonical_tokens
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped
from codesynth.verifiers.curation.registry import register_filter

#: A pair at the threshold estimates below threshold - 0.1 with 128 permutations with p < 0.001
#: (the estimate's standard deviation there is about 0.03).
ESTIMATE_SLACK = 0.1


class DedupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    exact: bool = True
    near: bool = True
    threshold: float = Field(
        default=0.85,
        gt=0,
        le=1,
        description="Jaccard similarity at or above which two programs are near-duplicates.",
    )
    shingle: int = Field(default=5, ge=1, description="Tokens per shingle.")
    num_perm: int = Field(default=128, ge=8, description="MinHash permutations.")
    bands: int | None = Field(
        default=None,
        ge=1,
        description="LSH bands (num_perm must divide evenly); default: chosen from the threshold (lsh_params).",
    )
    scope: Literal["problem", "global"] = Field(
        default="problem", description="Compare within a problem, or across all."
    )


# One regex pass (C speed) instead of ast.parse + ast.unparse + tokenize, which cost ~2 ms a
# program and made fingerprinting, not MinHash, the bottleneck of a 100k-record run. findall
# skips what matches nothing (spaces); a token's first character tells its kind.
_TOKEN = re.compile(
    r"""\n[ \t]*"""  # a newline and the next line's indentation
    r"""|\#[^\n]*"""  # a comment
    r"""|[rRbBuUfF]{0,2}(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')"""
    r"""|[A-Za-z_]\w*"""
    r"""|\.?\d[\w.]*"""
    r"""|\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%&|^=<>!@]=|\.\.\.|\S"""
)
_KEEP_NAMES = frozenset(keyword.kwlist) | frozenset(dir(builtins))


def logical_lines(code: str) -> list[list[str]]:
    """Tokens per logical line, the first being the indentation level (`<0>`, `<1>`, ...):
    comments, blank lines, spacing, line breaks inside brackets and docstrings are gone."""
    lines: list[list[str]] = []
    cur: list[str] = []
    widths = [0]
    depth = 0
    indent: int | None = None  # set by a newline outside brackets: a logical line starts
    for t in _TOKEN.findall("\n" + code.expandtabs(8).replace("\\\n", " ")):
        c = t[0]
        if c == "\n":
            if depth == 0:
                indent = len(t) - 1  # a blank or comment-only line is overwritten by the next
            continue
        if c == "#":
            continue
        if indent is not None:
            if cur:
                lines.append(cur)
            while indent < widths[-1]:
                widths.pop()
            if indent > widths[-1]:
                widths.append(indent)
            cur = [f"<{len(widths) - 1}>"]
            indent = None
        if c in "([{":
            depth += 1
        elif c in ")]}" and depth:
            depth -= 1
        cur.append(t)
    if cur:
        lines.append(cur)
    # Docstrings: a line that is one string, first in the module or right after a def/class header.
    out: list[list[str]] = []
    for line in lines:
        is_doc = len(line) == 2 and _is_str(line[1]) and (
            not out or (out[-1][1] in ("def", "class", "async") and out[-1][-1] == ":")
        )
        if not is_doc:
            out.append(line)
    return out


def fingerprint(code: str, k: int) -> tuple[str, set[str]]:
    """(exact key, shingles): the key is the token stream; the shingles are k-token windows of
    the canonical form (`canonical_tokens`), or, for code that does not parse, of the token
    stream with local names numbered (v0, v1, ... in order of first use; keywords, builtins
    and attribute names kept)."""
    lines = logical_lines(code)
    key = "\n".join(" ".join(line) for line in lines)
    toks = canonical_tokens(code)
    if toks is None:
        names: dict[str, str] = {}
        toks = []
        for line in lines:
            prev = ""
            for t in line:
                c = t[0]
                if (c.isalpha() or c == "_") and prev != "." and t not in _KEEP_NAMES and not _is_str(t):
                    t = names.get(t) or names.setdefault(t, f"v{len(names)}")
                toks.append(t)
                prev = t
    if len(toks) <= k:
        return key, {" ".join(toks)} if toks else set()
    return key, {" ".join(toks[i : i + k]) for i in range(len(toks) - k + 1)}


def _is_str(tok: str) -> bool:
    return tok[-1] in "\"'"


def shingles(code: str, k: int) -> set[str]:
    return fingerprint(code, k)[1]


class MinHasher:
    """datasketch MinHashes sharing one set of permutations (made once, not per record).

    Items are hashed with CRC-32: stable across runs (Python's hash() is salted), so the same
    records meet in the same buckets every time, and 10x cheaper than datasketch's default
    SHA-1; MinHash needs only well-spread values before its random affine permutations."""

    def __init__(self, num_perm: int, seed: int = 1):
        self.num_perm = num_perm
        self._template = MinHash(num_perm=num_perm, seed=seed, hashfunc=zlib.crc32)
        self.scheme = self._template.scheme

    def minhash(self, items: set[str]) -> MinHash:
        m = MinHash(num_perm=self.num_perm, hashfunc=zlib.crc32, permutations=self._template.permutations,
                    scheme=self._template.scheme)  # fmt: skip
        if items:
            m.update_batch([x.encode("utf-8") for x in items])
        return m

    def signatures(self, sets: list[set[str]]) -> np.ndarray:
        """`minhash(s).hashvalues` of every set, as rows of one uint32 array, computed in one
        numpy pass for all of them (datasketch's affine32 scheme: the CRC-32 of each item
        pre-mixed by the MurmurHash3 finalizer, then a * h + b wrapping in 32 bits, minimum
        per permutation); an empty set keeps the empty sketch's maximum values."""
        lens = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
        out = np.full((len(sets), self.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
        hv = np.fromiter((zlib.crc32(x.encode("utf-8")) for s in sets for x in s), dtype=np.uint32,
                         count=int(lens.sum()))
        if hv.size:
            hv = hv ^ (hv >> np.uint32(16))  # the MurmurHash3 32-bit finalizer, as datasketch applies it
            hv = hv * np.uint32(0x85EBCA6B)
            hv = hv ^ (hv >> np.uint32(13))
            hv = hv * np.uint32(0xC2B2AE35)
            hv = hv ^ (hv >> np.uint32(16))
            a, b = self._template.permutations
            rows = np.flatnonzero(lens)  # empty sets have no items: their rows stay as they are
            starts = (np.cumsum(lens) - lens)[rows]
            for lo in range(0, len(rows), 64):  # bounded temporaries: 64 sets' items x num_perm at a time
                part = starts[lo : lo + 64]
                end = starts[lo + 64] if lo + 64 < len(starts) else hv.size
                phv = hv[part[0] : end, None] * a[None, :] + b[None, :]
                out[rows[lo : lo + 64]] = np.minimum.reduceat(phv, part - part[0], axis=0)
        return out


def lsh_params(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) with the most rows per band (fewest false candidates, each of which costs an
    exact Jaccard) such that a pair at `threshold` still shares a band with probability >= `recall`.
    128 permutations: 16 x 8 at 0.85 (recall 0.994; a pair at 0.4 is a candidate 1 % of the time,
    where 32 x 4 made it 56 %, which turned a 100k-record run quadratic)."""
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            best = (bands, rows)
    return best


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def rank(r: DatasetRecord) -> tuple:
    """Which record of a group of copies is kept: the first by this key."""
    origin = r.metadata.get("origin") or {}
    return (int(origin.get("turn") or 0), int(origin.get("sample_index") or 0), r.candidate_id, r.id)


def digest(key: str) -> bytes:
    """16 bytes standing for an exact key (a program's whole token stream)."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()


def _prints(codes: list[str], k: int, num_perm: int) -> tuple[list[bytes], np.ndarray]:
    """(digest of the exact key, MinHash signature row) per program: a digest and a row of
    uint32 rather than the key text and a MinHash object, which held ~2 KB more per record."""
    hasher = MinHasher(num_perm)
    keys: list[bytes] = []
    sigs = np.zeros((len(codes), num_perm), dtype=np.uint32)
    for lo in range(0, len(codes), 256):  # signatures in batches: one numpy pass per 256 programs
        sets = []
        for code in codes[lo : lo + 256]:
            key, sh = fingerprint(code, k)
            keys.append(digest(key))
            sets.append(sh)
        sigs[lo : lo + len(sets)] = hasher.signatures(sets)
    return keys, sigs


def band_params(cfg: DedupConfig) -> tuple[int, int]:
    """(bands, rows) of the LSH index."""
    if cfg.bands is not None and cfg.num_perm % cfg.bands:
        raise ValueError(f"dedup: num_perm={cfg.num_perm} is not a multiple of bands={cfg.bands}")
    return (cfg.bands, cfg.num_perm // cfg.bands) if cfg.bands else lsh_params(cfg.threshold, cfg.num_perm)


def exact_drop(r_id: str, problem_id: str, of: str) -> Drop:
    return Drop(id=r_id, problem_id=problem_id, reason="exact_duplicate", detail={"duplicate_of": of})


def near_drop(r_id: str, problem_id: str, of: str, sim: float) -> Drop:
    return Drop(id=r_id, problem_id=problem_id, reason="near_duplicate",
                detail={"duplicate_of": of, "jaccard": round(sim, 4)})


def dedup(
    records: list[DatasetRecord], cfg: DedupConfig | None = None
) -> tuple[list[DatasetRecord], FilterReport]:
    cfg = cfg or DedupConfig()
    if not cfg.enabled:
        return skipped("dedup", records)
    params = band_params(cfg)
    drops: list[Drop] = []
    gone: set[str] = set()

    def scope_key(r: DatasetRecord) -> str:
        return r.problem_id if cfg.scope == "problem" else ""

    order = sorted(records, key=rank)
    # Fingerprinted once (exact key + MinHash); shingle sets are rebuilt only for the few
    # records an exact Jaccard needs, so a big run holds no set per record.
    keys, sigs = _prints([r.solution for r in order], cfg.shingle, cfg.num_perm)
    scheme = MinHasher(cfg.num_perm).scheme
    if cfg.exact:
        first: dict[tuple[str, bytes], DatasetRecord] = {}
        for i, r in enumerate(order):
            key = (scope_key(r), keys[i])
            if key in first:
                drops.append(exact_drop(r.id, r.problem_id, first[key].id))
                gone.add(r.id)
            else:
                first[key] = r

    near_pairs = 0
    if cfg.near:
        # One index per scope: with scope=problem, records of other problems never even collide.
        indexes: dict[str, MinHashLSH] = {}
        sh: dict[int, set[str]] = {}
        # Every signature, row i = order[i]: the MinHash estimate of all of a record's LSH
        # candidates is one vectorised comparison, and only those within ESTIMATE_SLACK of the
        # threshold get the exact Jaccard (a set intersection in Python). On a big, repetitive
        # set (100k programs from one template) LSH candidates grow with the set; this keeps
        # the exact work near the true duplicates.

        def shingle_set(i: int) -> set[str]:
            if i not in sh:
                sh[i] = fingerprint(order[i].solution, cfg.shingle)[1]
            return sh[i]

        for i, r in enumerate(order):
            if r.id in gone:
                continue
            mh = LeanMinHash(seed=1, hashvalues=sigs[i], scheme=scheme)
            lsh = indexes.get(scope_key(r))
            if lsh is None:
                lsh = indexes[scope_key(r)] = MinHashLSH(num_perm=cfg.num_perm, params=params)
            cands = np.array(sorted(lsh.query(mh)), dtype=np.int64)
            if len(cands):
                est = (sigs[cands] == sigs[i]).mean(axis=1)
                cands = cands[est >= cfg.threshold - ESTIMATE_SLACK]
            best: tuple[float, int] | None = None
            for j in cands.tolist():
                sim = jaccard(shingle_set(i), shingle_set(j))
                if sim >= cfg.threshold and (best is None or sim > best[0]):
                    best = (sim, j)
            if best is not None:
                near_pairs += 1
                drops.append(near_drop(r.id, r.problem_id, order[best[1]].id, best[0]))
                gone.add(r.id)
                continue
            lsh.insert(i, mh, check_duplication=False)
    return finish("dedup", records, drops, threshold=cfg.threshold, scope=cfg.scope)


@register_filter("dedup", config=DedupConfig, order=10)
def dedup_step(records, cfg, ctx):
    """Exact and near-duplicate programs (canonical code form, MinHash LSH); keeps the first of each group."""
    return dedup(records, cfg)
