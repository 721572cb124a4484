"""Exact and near-duplicate removal.

Exact: programs equal after normalisation (comments, docstrings and formatting
removed). Near: MinHash signatures over shingles of the token stream with local
names canonicalised (renaming variables does not hide a copy); candidate pairs come
from LSH banding and are confirmed with the true Jaccard similarity of the shingle
sets, so the result does not depend on hash luck. Of each group the record kept is the
first by (repair turn, sample index, candidate id): deterministic whatever order the
parallel run wrote its records in.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord
from codesynth.verifiers.code import code_tokens, ngrams, normalize_code
from codesynth.verifiers.filters import Drop, FilterReport, finish, skipped

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
