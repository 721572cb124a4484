"""The pure-Python curation code codesynth had before datasketch and rapidfuzz, verbatim from
commit c9013d6 (verifiers/dedup.py, generators/similarity.py), kept only as the baseline that
bench/curation_scale.py measures against in the same run. codesynth never imports it."""
# ruff: noqa

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.code import code_tokens, ngrams, normalize_code
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped

# ----------------------------------------------------------------- verifiers/dedup.py (old)

_MERSENNE = (1 << 61) - 1


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
    bands: int = Field(default=32, ge=1, description="LSH bands (num_perm must divide evenly).")
    scope: Literal["problem", "global"] = Field(
        default="problem", description="Compare within a problem, or across all."
    )


def shingles(code: str, k: int) -> set[str]:
    # Normalise first so comments/docstrings do not dilute the similarity of two copies.
    toks = code_tokens(normalize_code(code), canonical_names=True)
    return {" ".join(g) for g in ngrams(toks, k)}


def _h64(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little")


class MinHasher:
    """Universal hashing (a*x + b mod p) as num_perm stand-in permutations."""

    def __init__(self, num_perm: int, seed: int = 1):
        rng = random.Random(seed)
        self.params = [(rng.randrange(1, _MERSENNE), rng.randrange(0, _MERSENNE)) for _ in range(num_perm)]

    def signature(self, items: set[str]) -> list[int]:
        if not items:
            return [_MERSENNE] * len(self.params)
        hs = [_h64(x) for x in items]
        return [min((a * h + b) % _MERSENNE for h in hs) for a, b in self.params]


def estimate_jaccard(a: list[int], b: list[int]) -> float:
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _rank(r: DatasetRecord) -> tuple:
    origin = r.metadata.get("origin") or {}
    return (int(origin.get("turn") or 0), int(origin.get("sample_index") or 0), r.candidate_id, r.id)


def dedup(
    records: list[DatasetRecord], cfg: DedupConfig | None = None
) -> tuple[list[DatasetRecord], FilterReport]:
    cfg = cfg or DedupConfig()
    if not cfg.enabled:
        return skipped("dedup", records)
    if cfg.num_perm % cfg.bands:
        raise ValueError(f"dedup: num_perm={cfg.num_perm} is not a multiple of bands={cfg.bands}")
    drops: list[Drop] = []
    gone: set[str] = set()

    def scope_key(r: DatasetRecord) -> str:
        return r.problem_id if cfg.scope == "problem" else ""

    order = sorted(records, key=_rank)
    if cfg.exact:
        first: dict[tuple[str, str], DatasetRecord] = {}
        for r in order:
            key = (scope_key(r), normalize_code(r.solution))
            if key in first:
                drops.append(
                    Drop(
                        id=r.id,
                        problem_id=r.problem_id,
                        reason="exact_duplicate",
                        detail={"duplicate_of": first[key].id},
                    )
                )
                gone.add(r.id)
            else:
                first[key] = r

    near_pairs = 0
    if cfg.near:
        hasher = MinHasher(cfg.num_perm)
        rows = cfg.num_perm // cfg.bands
        buckets: dict[tuple, list[int]] = defaultdict(list)
        kept_idx: list[int] = []
        sh: dict[int, set[str]] = {}
        for i, r in enumerate(order):
            if r.id in gone:
                continue
            sh[i] = shingles(r.solution, cfg.shingle)
            sig = hasher.signature(sh[i])
            keys = [(scope_key(r), b, tuple(sig[b * rows : (b + 1) * rows])) for b in range(cfg.bands)]
            cands = {j for k in keys for j in buckets.get(k, ())}
            best: tuple[float, int] | None = None
            for j in sorted(cands):
                sim = jaccard(sh[i], sh[j])
                if sim >= cfg.threshold and (best is None or sim > best[0]):
                    best = (sim, j)
            if best is not None:
                near_pairs += 1
                drops.append(
                    Drop(
                        id=r.id,
                        problem_id=r.problem_id,
                        reason="near_duplicate",
                        detail={"duplicate_of": order[best[1]].id, "jaccard": round(best[0], 4)},
                    )
                )
                gone.add(r.id)
                continue
            kept_idx.append(i)
            for k in keys:
                buckets[k].append(i)
    return finish("dedup", records, drops, threshold=cfg.threshold, scope=cfg.scope)


# ----------------------------------------------------------------- generators/similarity.py (old)

_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (O(len(a)*len(b)) time, O(len(b)) memory)."""
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(a: str | list[str], b: str | list[str]) -> float:
    """ROUGE-L F1 between two texts (0 when either is empty)."""
    ta = tokens(a) if isinstance(a, str) else a
    tb = tokens(b) if isinstance(b, str) else b
    if not ta or not tb:
        return 0.0
    lcs = lcs_length(ta, tb)
    if lcs == 0:
        return 0.0
    p, r = lcs / len(tb), lcs / len(ta)
    return 2 * p * r / (p + r)


class NoveltyFilter:
    """Remembers accepted texts; `check` says how close a new one is to the nearest."""

    # Descriptions are compared on their first words: long texts make LCS slow and
    # the opening sentence is what near-duplicates share.
    MAX_TOKENS = 200

    def __init__(self, threshold: float = 0.7, existing: Iterable[str] = ()):
        self.threshold = threshold
        self._seen: list[tuple[str, list[str]]] = []
        for text in existing:
            self.add(text, label="seed")

    def add(self, text: str, label: str = "") -> None:
        self._seen.append((label, tokens(text)[: self.MAX_TOKENS]))

    def nearest(self, text: str) -> tuple[float, str | None]:
        t = tokens(text)[: self.MAX_TOKENS]
        best, who = 0.0, None
        for label, seen in self._seen:
            s = rouge_l(t, seen)
            if s > best:
                best, who = s, label
        return best, who

    def accept(self, text: str, label: str = "") -> tuple[bool, float, str | None]:
        """Add `text` unless it is too similar to something seen; return (accepted, score, nearest)."""
        score, who = self.nearest(text)
        if score > self.threshold:
            return False, score, who
        self.add(text, label)
        return True, score, who
