"""Semantic near-duplicates and diversity, from sentence embeddings (all-MiniLM-L6-v2).

MinHash finds copies that share tokens; a paraphrase ("Reverse the order of the words"
vs "Return the words in reverse order") shares meaning instead. Records are compared by
their problem's instruction: a problem whose instruction's embedding has cosine similarity
at or above `threshold` with an earlier kept problem's is a semantic duplicate, and its
records are dropped (the earlier problem is kept: order is by problem id, deterministic).
Needs `pip install "codesynth[semantic]"`; off by default in `curate`, because embeddings
weigh topic over direction: "Convert a Roman numeral to an integer" and "Convert an integer
to a Roman numeral" score 0.976 (the shipped set words them differently: 0.83).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped
from codesynth.verifiers.curation.registry import register_filter


class SemanticConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    threshold: float = Field(default=0.9, gt=0, le=1, description="Cosine similarity of a duplicate.")
    block: int = Field(default=1024, ge=1, description="Rows compared at once (memory vs speed).")


def near_duplicates(vectors: np.ndarray, threshold: float, block: int = 1024) -> list[tuple[int, int, float]]:
    """Greedy, in row order: (i, j, cosine) for each row i whose nearest earlier *kept* row j
    is at or above `threshold`. Rows must be L2-normalised."""
    n = len(vectors)
    kept = np.zeros(n, dtype=bool)
    dups: list[tuple[int, int, float]] = []
    for start in range(0, n, block):
        rows = vectors[start : start + block]
        prev = np.flatnonzero(kept[:start])
        # Against everything kept before the block in one product, then within the block in order.
        against = rows @ vectors[prev].T if len(prev) else np.zeros((len(rows), 0), np.float32)
        inner = rows @ rows.T
        for k in range(len(rows)):
            i = start + k
            best_j, best = -1, -1.0
            if against.shape[1]:
                a = int(np.argmax(against[k]))
                best_j, best = int(prev[a]), float(against[k, a])
            earlier = np.flatnonzero(kept[start:i])
            if len(earlier):
                b = int(np.argmax(inner[k, earlier]))
                if inner[k, earlier[b]] > best:
                    best_j, best = start + int(earlier[b]), float(inner[k, earlier[b]])
            if best >= threshold:
                dups.append((i, best_j, best))
            else:
                kept[i] = True
    return dups


def diversity(vectors: np.ndarray, sample: int = 2000, seed: int = 0) -> dict[str, float]:
    """Mean pairwise cosine distance (0 = all the same, ~1 = unrelated) over a sample."""
    if len(vectors) < 2:
        return {"mean_cosine_distance": 0.0, "n": len(vectors)}
    rng = np.random.default_rng(seed)
    v = vectors if len(vectors) <= sample else vectors[rng.choice(len(vectors), sample, replace=False)]
    sims = v @ v.T
    n = len(v)
    mean_sim = (sims.sum() - np.trace(sims)) / (n * (n - 1))
    return {"mean_cosine_distance": round(float(1 - mean_sim), 4), "n": int(len(vectors))}


def nearest_neighbour_similarity(vectors: np.ndarray, sample: int = 2000, seed: int = 0) -> list[float]:
    """Each row's highest cosine with another row (over a sample): near 1 means a near-copy exists."""
    if len(vectors) < 2:
        return []
    rng = np.random.default_rng(seed)
    v = vectors if len(vectors) <= sample else vectors[rng.choice(len(vectors), sample, replace=False)]
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    return [round(float(x), 4) for x in sims.max(axis=1)]


def semantic_dedup(
    records: list[DatasetRecord], cfg: SemanticConfig | None = None, embedder=None
) -> tuple[list[DatasetRecord], FilterReport]:
    cfg = cfg or SemanticConfig()
    if not cfg.enabled:
        return skipped("semantic", records)
    if embedder is None:
        from codesynth.embeddings import Embedder

        embedder = Embedder()
    # One vector per problem: its records share the instruction.
    first: dict[str, DatasetRecord] = {}
    for r in sorted(records, key=lambda r: r.problem_id):
        first.setdefault(r.problem_id, r)
    pids = list(first)
    vectors = embedder.encode([first[p].instruction for p in pids])
    dup_of = {pids[i]: (pids[j], c) for i, j, c in near_duplicates(vectors, cfg.threshold, cfg.block)}
    drops = [
        Drop(id=r.id, problem_id=r.problem_id, reason="semantic_duplicate",
             detail={"duplicate_of": dup_of[r.problem_id][0], "cosine": round(dup_of[r.problem_id][1], 4)})
        for r in records
        if r.problem_id in dup_of
    ]  # fmt: skip
    return finish("semantic", records, drops, threshold=cfg.threshold, problems=len(pids),
                  problems_dropped=len(dup_of), diversity=diversity(vectors))  # fmt: skip


@register_filter("semantic", config=SemanticConfig, order=20)
def semantic_step(records, cfg, ctx):
    """Problems whose instructions mean the same (MiniLM embeddings); off by default."""
    return semantic_dedup(records, cfg)
