"""Near-duplicate filtering for generated problems, as Self-Instruct does it.

ROUGE-L F1 on lowercased word tokens: a new problem whose description scores above
the threshold against any seed or any already accepted problem is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
