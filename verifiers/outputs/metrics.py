"""pass@k, the unbiased estimator of Chen et al. (2021)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c correct) passes."""
    if k > n:
        raise ValueError(f"k={k} > n={n}")
    if n - c < k:
        return 1.0
    # 1 - C(n-c, k) / C(n, k), as a numerically stable product.
    prod = 1.0
    for i in range(n - c + 1, n + 1):
        prod *= 1.0 - k / i
    return 1.0 - prod


def mean_pass_at_k(
    counts: Mapping[str, tuple[int, int]], ks: Iterable[int] = (1, 10, 100)
) -> dict[str, float]:
    """Mean pass@k over problems, for each k that every problem has enough samples for."""
    out: dict[str, float] = {}
    if not counts:
        return out
    min_n = min(n for n, _ in counts.values())
    for k in ks:
        if k <= min_n:
            vals = [pass_at_k(n, c, k) for n, c in counts.values()]
            out[f"pass@{k}"] = math.fsum(vals) / len(vals)
    return out
