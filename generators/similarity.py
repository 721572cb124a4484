"""Novelty of generated problems: Self-Instruct's ROUGE-L filter, at the scale of a big run.

A new problem is too similar to a seed or an already accepted one when

- its ROUGE-L F1 (lower-cased word tokens, as `rouge-score` tokenizes; the LCS from
  `rapidfuzz`'s C++ implementation) is above `threshold` (0.7, Self-Instruct's value), or
- it has the same entry point (function name) and a ROUGE-L at or above `same_name_threshold`
  (0.4): a seed copied with its name kept and a sentence changed is not a new problem, or
- (with an `Embedder`) its sentence embedding has cosine similarity at or above
  `semantic_threshold` with one seen before: a paraphrase shares meaning, not words.

Seed prompts are compared by their prose (the entry point's docstring without doctests,
or the text without its `assert` lines), so a signature does not dilute the score of a
copied description. Candidates come from MinHash LSH (`datasketch`) over the content-word
sets, so each check costs a few exact scores instead of one per problem seen; problems with
the same entry point are always scored.
"""

from __future__ import annotations

import ast
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH
from rapidfuzz.distance import LCSseq

_TOKEN = re.compile(r"[a-z0-9]+")
# Words that carry no content: left out of the LSH sets only (never out of the score), so
# that two unrelated descriptions do not collide in LSH buckets through "the" and "of".
_STOP = frozenset(
    "a an and are as at be by for from given in is it its of on or that the this to with which "
    "return returns write function python should your code list each".split()
)


def tokens(text: str) -> list[str]:
    """rouge-score's default tokenisation: lower-case, runs of [a-z0-9]."""
    return _TOKEN.findall(text.lower())


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists (rapidfuzz, bit-parallel C++)."""
    return int(LCSseq.similarity(a, b))


def rouge_l(a: str | list[str], b: str | list[str]) -> float:
    """ROUGE-L F1 between two texts (0 when either is empty)."""
    ta = tokens(a) if isinstance(a, str) else a
    tb = tokens(b) if isinstance(b, str) else b
    if not ta or not tb:
        return 0.0
    # F1 of P = lcs/len(b), R = lcs/len(a) is 2*lcs/(len(a)+len(b)).
    return 2 * lcs_length(ta, tb) / (len(ta) + len(tb))


def prose(text: str, entry_point: str | None = None) -> str:
    """The description in a problem prompt: a code prompt's docstring (doctests dropped),
    else the text without `assert` lines and MBPP's "Your code should pass" line."""
    doc = None
    tree = None
    if "def " in text or '"""' in text or "'''" in text:  # prose is not parsed (and rarely parses)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            pass
    if tree is not None:
        funcs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        pick = [f for f in funcs if f.name == entry_point] or funcs
        doc = ast.get_docstring(pick[0]) if pick else ast.get_docstring(tree)
    src = doc if doc is not None else text
    out, in_doctest = [], False
    for line in src.splitlines():
        s = line.strip()
        if s.startswith(">>>"):
            in_doctest = True
            continue
        if in_doctest and s:
            continue  # a doctest's expected output
        in_doctest = False
        if s.startswith("assert ") or s.lower().startswith("your code should pass"):
            continue
        out.append(line)
    return "\n".join(out).strip()


def name_key(entry_point: str | None) -> str | None:
    """`reverse_words`, `reverseWords` and `ReverseWords` are one name."""
    return (re.sub(r"[^a-z0-9]", "", entry_point.lower()) or None) if entry_point else None


@dataclass
class Match:
    score: float = 0.0
    label: str | None = None
    why: str | None = None  # None, "rouge_l", "same_entry_point" or "semantic"
    cosine: float | None = None


class NoveltyFilter:
    """Remembers accepted texts; `accept` says whether a new one is novel and how close the
    nearest one is."""

    #: Descriptions are compared on their first words: near-duplicates share the opening.
    MAX_TOKENS = 200
    NUM_PERM = 128
    #: 32 bands of 4 rows. ROUGE-L F1 > t needs (for distinct words) a word-set Jaccard of at
    #: least t / (2 - t) = 0.54 at t = 0.7; a near-copy with a word or two changed is at 0.8+.
    #: A pair is a candidate with p = 0.94 at 0.54, 0.985 at 0.6, 0.9996 at 0.7; an unrelated
    #: pair at 0.05 with p = 0.0002. Each candidate costs one exact ROUGE-L: with 3 rows (p =
    #: 0.005 there) a 100k-record run spent its time scoring ~250 false candidates per check.
    BANDS = (32, 4)

    def __init__(
        self,
        threshold: float = 0.7,
        existing: Iterable[str] = (),
        *,
        same_name_threshold: float = 0.4,
        embedder=None,
        semantic_threshold: float = 0.9,
    ):
        self.threshold = threshold
        self.same_name_threshold = same_name_threshold
        self.embedder = embedder
        self.semantic_threshold = semantic_threshold
        self._labels: list[str] = []
        self._tokens: list[list[str]] = []
        self._vectors: np.ndarray | None = None  # rows 0.._nvec-1 in use; grown by doubling
        self._nvec = 0
        self._vec_labels: list[str] = []
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self._lsh = MinHashLSH(num_perm=self.NUM_PERM, params=self.BANDS)
        self._template = MinHash(num_perm=self.NUM_PERM, hashfunc=zlib.crc32)
        self._sigs = np.zeros((1024, self.NUM_PERM), dtype=np.uint64)
        self._min_jaccard = max(0.0, threshold / (2 - threshold) - 0.2)
        for text in existing:
            self.add(text, label="seed")

    def __len__(self) -> int:
        return len(self._labels)

    def _minhash(self, toks: list[str]) -> MinHash | None:
        content = {t for t in toks if t not in _STOP}
        if not content:
            return None
        m = MinHash(num_perm=self.NUM_PERM, hashfunc=zlib.crc32, permutations=self._template.permutations,
                    scheme=self._template.scheme)  # fmt: skip
        m.update_batch([t.encode() for t in content])
        return m

    def _prepare(self, text: str, entry_point: str | None, vec: np.ndarray | None = None):
        desc = prose(text, entry_point)
        toks = tokens(desc)[: self.MAX_TOKENS]
        if vec is None and self.embedder is not None:
            vec = self.embedder.encode([desc])[0]
        return toks, self._minhash(toks), vec

    def _add(self, label: str, entry_point: str | None, toks, mh, vec) -> None:
        i = len(self._labels)
        self._labels.append(label)
        self._tokens.append(toks)
        if mh is not None:
            if i >= len(self._sigs):
                self._sigs = np.concatenate([self._sigs, np.zeros_like(self._sigs)])
            self._sigs[i] = mh.hashvalues
            self._lsh.insert(i, mh, check_duplication=False)
        if vec is not None:
            if self._vectors is None or self._nvec == len(self._vectors):
                grown = np.zeros((max(64, 2 * self._nvec), len(vec)), dtype=np.float32)
                if self._vectors is not None:
                    grown[: self._nvec] = self._vectors
                self._vectors = grown
            self._vectors[self._nvec] = vec
            self._vec_labels.append(label)
            self._nvec += 1
        key = name_key(entry_point)
        if key:
            self._by_name[key].append(i)

    def add(self, text: str, label: str = "", entry_point: str | None = None) -> None:
        self._add(label, entry_point, *self._prepare(text, entry_point))

    def _nearest(self, toks, mh, vec, entry_point: str | None) -> Match:
        best = Match()
        same = self._by_name.get(name_key(entry_point) or "", [])
        cands = np.array(sorted(self._lsh.query(mh)), dtype=np.int64) if mh is not None else np.zeros(0, np.int64)
        if len(cands):
            # LSH candidates grow with the set (random pairs share a band now and then); the
            # MinHash estimate of all of them is one vectorised step, and only those that could
            # reach the threshold (word-set Jaccard >= t / (2 - t), less 4 standard deviations)
            # get the exact ROUGE-L.
            est = (self._sigs[cands] == mh.hashvalues).mean(axis=1)
            cands = cands[est >= self._min_jaccard]
        for j in sorted(set(cands.tolist()) | set(same)):
            s = rouge_l(toks, self._tokens[j])
            if s > best.score:
                best = Match(score=s, label=self._labels[j])
        for j in same:
            s = rouge_l(toks, self._tokens[j])
            if s >= self.same_name_threshold and (best.why != "same_entry_point" or s > best.score):
                best = Match(score=s, label=self._labels[j], why="same_entry_point")
        if best.score > self.threshold:
            best.why = "rouge_l"
        if vec is not None and self._nvec and best.why is None:
            # Embeddings are L2-normalised: the dot product is the cosine.
            sims = self._vectors[: self._nvec] @ vec
            j = int(np.argmax(sims))
            best.cosine = round(float(sims[j]), 4)
            if sims[j] >= self.semantic_threshold:
                best.why, best.label = "semantic", self._vec_labels[j]
        return best

    def nearest(self, text: str, entry_point: str | None = None) -> tuple[float, str | None]:
        m = self._nearest(*self._prepare(text, entry_point), entry_point)
        return m.score, m.label

    def check(self, text: str, label: str = "", entry_point: str | None = None) -> Match:
        """Accept `text` (remember it) unless it is too similar; the Match says to what and why."""
        toks, mh, vec = self._prepare(text, entry_point)
        m = self._nearest(toks, mh, vec, entry_point)
        if m.why is None:
            self._add(label, entry_point, toks, mh, vec)
        return m

    def check_many(self, items: list[tuple[str, str, str | None]]) -> list[Match]:
        """`check` for (text, label, entry_point) items in order, embedding them in one batch
        (a model call per text costs far more than the batch)."""
        vecs: list = [None] * len(items)
        if self.embedder is not None and items:
            vecs = list(self.embedder.encode([prose(t, ep) for t, _, ep in items]))
        out = []
        for (text, label, ep), vec in zip(items, vecs, strict=True):
            toks, mh, v = self._prepare(text, ep, vec)
            m = self._nearest(toks, mh, v, ep)
            if m.why is None:
                self._add(label, ep, toks, mh, v)
            out.append(m)
        return out

    def accept(self, text: str, label: str = "", entry_point: str | None = None) -> tuple[bool, float, str | None]:
        """Add `text` unless it is too similar to something seen; return (accepted, score, nearest)."""
        m = self.check(text, label, entry_point)
        return m.why is None, m.score, m.label
