"""Hardening measured on real model completions of HumanEval (issue 24, done-means (a)).

bench/humaneval_real.py measures it on 4,920 published completions; here the classes of
behaviour that measurement exposed are pinned down:
- an input outside a problem's preconditions is a wrong test: strings whose seeds all keep their
  brackets balanced stay balanced ('groups of balanced parentheses' never means an unbalanced one);
- off-by-one bugs live where a bound equals the data (`<=` for `<` against a threshold equal to a
  gap between two elements), which nudged and drawn numbers almost never hit.
"""

from __future__ import annotations

from itertools import combinations

from codesynth.verifiers.suites.input_mutation import _balanced, mutated_inputs, seed_inputs


def _seeds(problem):
    return seed_inputs(problem) + seed_inputs(problem, problem.private_tests)


def test_strings_keep_the_bracket_balance_every_seed_has(humaneval_problems):
    by_id = {p.id: p for p in humaneval_problems}
    # HumanEval/1: "groups of balanced parentheses", seeds such as '( ) (( )) (( )( ))'
    new = mutated_inputs(_seeds(by_id["HumanEval/1"]), 60, "0:HumanEval/1")
    assert len(new) >= 30
    assert all(_balanced(s, "(") for (s,) in new), [s for (s,) in new if not _balanced(s, "(")]
    # HumanEval/56 checks bracketing, so its seeds include unbalanced strings: no such constraint
    new56 = mutated_inputs(_seeds(by_id["HumanEval/56"]), 60, "0:HumanEval/56")
    assert any(not _balanced(s, "<") for (s,) in new56)


def test_a_threshold_beside_a_list_is_set_to_a_gap_between_its_elements(humaneval_problems):
    p = next(q for q in humaneval_problems if q.id == "HumanEval/0")
    new = mutated_inputs(_seeds(p), 60, "0:HumanEval/0")
    on_boundary = [(xs, t) for xs, t in new if any(abs(a - b) == t for a, b in combinations(xs, 2))]
    assert on_boundary, new
    # still inside what the seeds show: thresholds positive, no wider than the seeds' range allows
    assert all(0 <= t <= 2.0 for _, t in new)
