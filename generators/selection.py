"""Choosing what to build on: few-shot examples, seeds, the hardest problems, agreeing tests."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TypeVar

from codesynth.models import Problem, RewardRecord
from codesynth.rundir import problem_tallies

T = TypeVar("T")


def stable_rng(*parts: object) -> random.Random:
    """An RNG seeded from the given parts, identical across processes (unlike hash())."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def draw(pool: Sequence[T], k: int, *seed_parts: object, exclude: object = None) -> list[T]:
    """k distinct items of pool (fewer if the pool is small), reproducible from seed_parts."""
    items = [
        p for p in pool if p is not exclude and getattr(p, "id", object()) != getattr(exclude, "id", None)
    ]
    if k <= 0 or not items:
        return []
    return stable_rng(*seed_parts).sample(items, min(k, len(items)))


def fewshot_examples(pool: Sequence[Problem], k: int, problem: Problem, seed: int | None) -> list[Problem]:
    """k worked examples for a problem, never the problem itself, same kind first."""
    usable = [p for p in pool if p.reference_solution and p.id != problem.id]
    same = [p for p in usable if p.kind == problem.kind]
    return draw(same or usable, k, "fewshot", seed, problem.id)


def failure_rates(rewards: Iterable[RewardRecord]) -> dict[str, tuple[float, int]]:
    """problem_id -> (fraction of samples that failed, samples), by the run directory's one
    tally rule (`codesynth.rundir.counts_as_sample`: no sandbox errors, no repair turns)."""
    return {pid: (1 - t.passed / t.samples, t.samples) for pid, t in problem_tallies(rewards).items() if t.samples}


def hardest(
    rates: dict[str, tuple[float, int]], k: int, min_fail_rate: float = 0.5
) -> list[tuple[str, float, int]]:
    """The k problems failed most often (ties: more attempts first, then id)."""
    ranked = sorted(
        ((pid, rate, n) for pid, (rate, n) in rates.items() if rate >= min_fail_rate),
        key=lambda t: (-t[1], -t[2], t[0]),
    )
    return ranked[:k]


def dual_agreement(passes: dict[str, set[str]], tests: Iterable[str]) -> tuple[set[str], set[str], int]:
    """CodeT dual execution agreement.

    `passes` maps each sampled solution to the tests it passes. Solutions passing the
    same test set form a consensus group scored |solutions| x |tests|; the best
    group's tests are kept. Returns (kept tests, agreeing solutions, score).
    """
    all_tests = set(tests)
    groups: dict[frozenset[str], set[str]] = defaultdict(set)
    for sol, passed in passes.items():
        groups[frozenset(passed & all_tests)].add(sol)
    best: tuple[int, int, tuple[str, ...]] | None = None
    best_key: frozenset[str] = frozenset()
    for key, sols in groups.items():
        score = len(sols) * len(key)
        rank = (score, len(sols), tuple(sorted(key)))
        if best is None or rank > best:
            best, best_key = rank, key
    if best is None or best[0] == 0:
        return set(), set(), 0
    return set(best_key), set(groups[best_key]), best[0]
