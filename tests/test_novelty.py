"""Novelty of generated problems (generators.similarity) with the real libraries:
rapidfuzz's LCS checked against rouge-score, datasketch LSH checked against brute force,
and the embedding model for paraphrases."""

from __future__ import annotations

import random

import pytest
from helpers import PROBLEM_SETS
from rouge_score import rouge_scorer

from codesynth.generators.similarity import NoveltyFilter, prose, rouge_l, tokens
from codesynth.problems import load_problems

PAIRS = [
    ("Return the words of a sentence in reverse order.", "Reverse the order of the words in a sentence."),
    ("Write a function that squares every number in a list.", "Write a function that cubes each number of a list."),
    ("Count the vowels in s (a, e, i, o, u; case-insensitive).", "Count vowels: a e i o u, ignoring case!"),
    ("Parse 'k=v;k2=v2' into a dict.", "Compute the n-th Fibonacci number."),
    ("x", "x"),
]


@pytest.mark.parametrize("a, b", PAIRS)
def test_rouge_l_is_rouge_scores_rouge_l(a, b):
    ref = rouge_scorer.RougeScorer(["rougeL"]).score(a, b)["rougeL"].fmeasure
    assert rouge_l(a, b) == pytest.approx(ref, abs=1e-9)
    assert tokens(a) == rouge_scorer.tokenizers.DefaultTokenizer().tokenize(a)


def _functions():
    return [p for p in load_problems(PROBLEM_SETS / "basic.jsonl") if p.kind == "function"]


def test_near_copy_of_a_seed_is_not_novel():
    # The case: the seed's function name, its sentences, one sentence added. As the
    # whole prompt (signature, doctest) it scored below 0.7; it is the same problem.
    seeds = _functions()
    seed = seeds[0]
    nf = NoveltyFilter(0.7)
    for p in seeds:
        nf.add(p.prompt, label=p.id, entry_point=p.entry_point)
    copy = (f"Write a function `{seed.entry_point}(sentence)`. " + prose(seed.prompt, seed.entry_point)
            + " Punctuation stays attached to its word.")  # fmt: skip
    m = nf.check(copy, label="synth/0", entry_point=seed.entry_point)
    assert m.why is not None and m.label == seed.id, m
    # the same text under a new function name is still a copy by words alone
    ok, score, who = nf.accept(copy, label="synth/1", entry_point="flip_words")
    assert not ok and who == seed.id and score > 0.7


def test_honest_distinct_problems_are_all_novel():
    # The 34 function problems of the shipped set are different problems: none may be dropped
    # against the others, in any order.
    probs = _functions()
    for seed in (0, 1):
        random.Random(seed).shuffle(probs)
        nf = NoveltyFilter(0.7)
        for p in probs:
            m = nf.check(p.prompt, label=p.id, entry_point=p.entry_point)
            assert m.why is None, (p.id, m)
        assert len(nf) == len(probs)


def test_same_entry_point_alone_is_not_a_copy():
    nf = NoveltyFilter(0.7)
    nf.add("Return the sum of the squares of the numbers in xs.", "seed/a", entry_point="solve")
    ok, score, _ = nf.accept("Parse a date in ISO format and return the weekday name.", "new/b", entry_point="solve")
    assert ok and score < 0.4


def test_lsh_candidates_find_what_brute_force_finds():
    # 3,000 generated descriptions from a small vocabulary, 300 of them near-copies of an earlier
    # one (a word changed): LSH + exact ROUGE-L must drop exactly what comparing with all does.
    rng = random.Random(7)
    verbs = "sort count merge split reverse filter group rotate compress encode parse sum".split()
    nouns = "list string matrix tree graph dict interval word digit date queue stack".split()
    extra = "sorted unique negative empty nested large small repeated prime even odd".split()
    texts = []
    for i in range(3000):
        if i > 100 and rng.random() < 0.1:
            words = rng.choice(texts).split()
            words[rng.randrange(len(words))] = rng.choice(extra)
            texts.append(" ".join(words))
        else:
            texts.append(" ".join([rng.choice(verbs), "the", rng.choice(nouns)]
                                  + [rng.choice(extra + nouns + verbs) for _ in range(rng.randint(6, 14))]))  # fmt: skip
    nf = NoveltyFilter(0.7, same_name_threshold=1.1)
    fast = [nf.check(t, str(i)).why is None for i, t in enumerate(texts)]
    kept: list[list[str]] = []
    slow = []
    for t in texts:
        tt = tokens(t)
        ok = all(rouge_l(tt, k) <= 0.7 for k in kept)
        slow.append(ok)
        if ok:
            kept.append(tt)
    agree = sum(a == b for a, b in zip(fast, slow, strict=True)) / len(texts)
    assert sum(not x for x in slow) >= 250  # the planted copies are there
    assert agree >= 0.995, agree


@pytest.fixture(scope="module")
def embedder():
    from codesynth.embeddings import Embedder

    return Embedder()


def test_paraphrase_is_caught_by_embeddings(embedder):
    nf = NoveltyFilter(0.7, embedder=embedder)
    nf.add("Return the words of a sentence in reverse order.", "seed/rev", entry_point="reverse_words")
    nf.add("Compute the n-th Fibonacci number.", "seed/fib", entry_point="fib")
    m = nf.check("Given a sentence, return its words in reversed order.", "new/0", entry_point="flip")
    assert m.why == "semantic" and m.label == "seed/rev" and m.score < 0.7 and m.cosine >= 0.9, m
    m = nf.check("Check whether a string of brackets is balanced.", "new/1", entry_point="balanced")
    assert m.why is None and m.cosine < 0.5, m


def test_related_but_different_problems_survive_embeddings(embedder):
    # roman-to-int and int-to-roman are the closest pair of the shipped set (cosine ~0.83):
    # inverse problems, both worth keeping.
    nf = NoveltyFilter(0.7, embedder=embedder)
    probs = load_problems(PROBLEM_SETS / "basic.jsonl")
    matches = nf.check_many([(p.prompt, p.id, p.entry_point) for p in probs])
    assert [m.why for m in matches] == [None] * len(probs), [(p.id, m) for p, m in zip(probs, matches, strict=True) if m.why]
    assert max(m.cosine for m in matches[1:]) > 0.8  # the close pair was really compared
