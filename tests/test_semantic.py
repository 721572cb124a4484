"""Semantic near-duplicates and diversity with the real all-MiniLM-L6-v2, and MinHash LSH
dedup (datasketch) at a size where a missed bucket would show."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.dedup import DedupConfig, dedup, jaccard, shingles
from codesynth.verifiers.curation.semantic import SemanticConfig, diversity, near_duplicates, semantic_dedup


def _rec(pid: str, instr: str, i: int = 0, code: str = "def f(x):\n    return x\n") -> DatasetRecord:
    return DatasetRecord(id=f"{pid}::{i}", problem_id=pid, candidate_id=str(i), instruction=instr,
                         solution=code, tests="assert f(1) == 1\n")  # fmt: skip


@pytest.fixture(scope="module")
def embedder():
    from codesynth.embeddings import Embedder

    return Embedder()


def test_paraphrased_problems_are_dropped_distinct_ones_kept(embedder):
    recs = [
        _rec("a/rev", "Return the words of a sentence in reverse order.", 0),
        _rec("a/rev", "Return the words of a sentence in reverse order.", 1),
        _rec("b/rev2", "Given a sentence, return its words in reversed order.", 0),  # paraphrase of a/rev
        _rec("c/roman", "Convert a Roman numeral such as 'XIV' to an integer."),
        _rec("d/roman", "Write the integer n (1 to 3999) in Roman numerals."),  # the inverse: kept
        _rec("e/fib", "Compute the n-th Fibonacci number."),
    ]
    kept, rep = semantic_dedup(recs, SemanticConfig(enabled=True), embedder)
    assert {r.id for r in kept} == {"a/rev::0", "a/rev::1", "c/roman::0", "d/roman::0", "e/fib::0"}
    (drop,) = rep.drops
    assert drop.id == "b/rev2::0" and drop.detail["duplicate_of"] == "a/rev" and drop.detail["cosine"] >= 0.9
    assert rep.stats["problems"] == 5 and rep.stats["problems_dropped"] == 1
    assert 0.5 < rep.stats["diversity"]["mean_cosine_distance"] < 1.0
    # off by default: nothing loaded, nothing dropped
    assert semantic_dedup(recs)[1].enabled is False


def test_near_duplicates_is_greedy_over_kept_rows_only():
    # b ~ a, c ~ b but not ~ a: c is compared with kept rows only (a), so it stays.
    a = np.array([1.0, 0.0]); b = np.array([0.94, 0.34]); c = np.array([0.77, 0.64])  # noqa: E702
    v = np.stack([x / np.linalg.norm(x) for x in (a, b, c)]).astype(np.float32)
    for block in (1, 2, 3):
        assert [(i, j) for i, j, _ in near_duplicates(v, 0.93, block)] == [(1, 0)]


def test_diversity_orders_sets(embedder):
    same = embedder.encode(["Sort a list of numbers."] * 3 + ["Sort a list of integers."])
    varied = embedder.encode(["Sort a list.", "Parse a date.", "Count vowels.", "Balance brackets."])
    assert diversity(same)["mean_cosine_distance"] < diversity(varied)["mean_cosine_distance"]


def test_lsh_dedup_finds_every_planted_copy_among_thousands():
    # 3,000 distinct programs (random arithmetic bodies) plus 300 renamed/commented copies:
    # every copy is dropped as a near (or exact) duplicate of its original, nothing else.
    rng = random.Random(3)
    ops = ["+", "-", "*", "//", "%"]
    recs, originals = [], {}
    for i in range(3000):
        body = "\n".join(f"    t{k} = {rng.choice(['x', 'y', str(rng.randint(2, 99))])} {rng.choice(ops)} "
                         f"{rng.choice(['x', 'y', str(rng.randint(2, 99))])}" for k in range(6))  # fmt: skip
        code = f"def f(x, y):\n{body}\n    return t0 + t5\n"
        recs.append(_rec(f"p{i}", "I", 0, code))
        originals[i] = code
    for n, i in enumerate(rng.sample(range(3000), 300)):
        copy = re.sub(r"\bt(\d)", r"acc\1", originals[i]).replace("def f(x, y):", "def f(x, y):  # copied\n    '''doc'''")
        recs.append(DatasetRecord(id=f"copy{n}", problem_id="", candidate_id=f"z{n}", instruction="I",
                                  solution=copy, tests="", metadata={"of": f"p{i}::0"}))  # fmt: skip
    kept, rep = dedup(recs, DedupConfig(scope="global"))
    dropped = {d.id: d.detail["duplicate_of"] for d in rep.drops}
    assert dropped == {r.id: r.metadata["of"] for r in recs if r.id.startswith("copy")}
    assert len(kept) == 3000
    # the confirmation is the true Jaccard, so no two kept programs are that close
    sample = [shingles(r.solution, 5) for r in kept[:200]]
    assert max(jaccard(a, b) for k, a in enumerate(sample) for b in sample[k + 1 :]) < 0.85

