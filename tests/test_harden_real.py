"""Hardening measured on real model completions of HumanEval (issue 24, done-means (a)).

bench/humaneval_real.py measures it on 4,920 published completions; here the classes of
behaviour that measurement exposed are pinned down:
- an input outside a problem's preconditions is a wrong test: strings whose seeds all keep their
  brackets balanced stay balanced ('groups of balanced parentheses' never means an unbalanced one);
- arguments of the same length in every seed (`string_xor(a, b)`, "two strings of 1s and 0s")
  keep the same length: the reference zips them, and a correct program that assumes it is not wrong;
- an input with several right answers (a tie between two closest pairs) is no test: the reference's
  pick would reject a correct program that scans in another order;
- lengths that differ by the same amount in every seed keep that difference (`do_algebra(operator,
  operand)`: one operator fewer than operands);
- strings that follow one template in every seed ("5 apples and 6 oranges") keep it: the fixed words
  stay, the varying ones change within what the seeds hold there;
- a list whose seeds mix three or more element types takes any value (`List[Any]`): mutation may
  put values of other basic types in, `True` among them (an `int` to `isinstance`, not to
  `type(x) == int`), where a list of one type stays of that type;
- the seeds never show a large number, but brute-force and exponential programs fail only there
  (HumanEval+'s inputs go there): integers are scaled up where no word of the text bounds a value
  ("<= 100", "less than"), then judged by the reference like every other input;
- off-by-one bugs live where a bound equals the data (`<=` for `<` against a threshold equal to a
  gap between two elements), which nudged and drawn numbers almost never hit.
"""

from __future__ import annotations

from itertools import combinations

import pytest

from codesynth.models import Candidate, Limits, Status
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.suites.harden import HardenConfig, harden_problem
from codesynth.verifiers.suites.input_mutation import (
    balanced,
    length_relations,
    mutated_inputs,
    same_length_pairs,
    scaled_inputs,
    scales_up,
    seed_inputs,
    template,
)
from codesynth.verifiers.suites.suite import full_suite

# generous: the machine is shared (as in test_harden.py)
LIMITS = Limits(timeout_s=30)


def _seeds(problem):
    return seed_inputs(problem) + seed_inputs(problem, problem.private_tests)


def test_strings_keep_the_bracket_balance_every_seed_has(humaneval_problems):
    by_id = {p.id: p for p in humaneval_problems}
    # HumanEval/1: "groups of balanced parentheses", seeds such as '( ) (( )) (( )( ))'
    new = mutated_inputs(_seeds(by_id["HumanEval/1"]), 60, "0:HumanEval/1")
    assert len(new) >= 30
    assert all(balanced(s, "(") for (s,) in new), [s for (s,) in new if not balanced(s, "(")]
    # HumanEval/56 checks bracketing, so its seeds include unbalanced strings: no such constraint
    new56 = mutated_inputs(_seeds(by_id["HumanEval/56"]), 60, "0:HumanEval/56")
    assert any(not balanced(s, "<") for (s,) in new56)


def test_a_threshold_beside_a_list_is_set_to_a_gap_between_its_elements(humaneval_problems):
    p = next(q for q in humaneval_problems if q.id == "HumanEval/0")
    new = mutated_inputs(_seeds(p), 60, "0:HumanEval/0")
    on_boundary = [(xs, t) for xs, t in new if any(abs(a - b) == t for a, b in combinations(xs, 2))]
    assert on_boundary, new
    # still inside what the seeds show: thresholds positive, no wider than the seeds' range allows
    assert all(0 <= t <= 2.0 for _, t in new)


def test_arguments_of_equal_length_in_every_seed_keep_it(humaneval_problems):
    p = next(q for q in humaneval_problems if q.id == "HumanEval/11")
    seeds = _seeds(p)
    assert same_length_pairs(seeds) == {(0, 1)}
    new = mutated_inputs(seeds, 60, "0:HumanEval/11")
    assert len(new) >= 30 and all(len(a) == len(b) for a, b in new)
    # a relation some seed breaks is no precondition
    assert same_length_pairs([("ab", "cd"), ("abc", "d")]) == set()


# Correct, and scans in another order than the reference: on a tie it returns the other pair.
CLOSEST_BY_SORTING = '''from typing import List, Tuple


def find_closest_elements(numbers: List[float]) -> Tuple[float, float]:
    ordered = sorted(numbers)
    pairs = [(b - a, (a, b)) for a, b in zip(ordered, ordered[1:])]
    return min(pairs, key=lambda p: p[0])[1]
'''


@pytest.mark.docker
def test_inputs_with_tied_answers_are_not_tests(humaneval_problems, docker_backend):
    p = next(q for q in humaneval_problems if q.id == "HumanEval/20")
    hard, out = harden_problem(p, docker_backend, HardenConfig(), LIMITS)
    assert out.status == "hardened" and out.ambiguous >= 1, out
    for prog in (p.reference_solution, CLOSEST_BY_SORTING):
        [res] = run_pairs([(full_suite(hard), Candidate(candidate_id="c", problem_id=p.id, solution=prog))],
                          docker_backend, LIMITS)
        assert res.status is Status.passed, (res.error_message, hard.private_tests)


def test_lengths_that_differ_by_the_same_amount_in_every_seed_keep_the_difference(humaneval_problems):
    p = next(q for q in humaneval_problems if q.id == "HumanEval/160")
    seeds = _seeds(p)
    assert length_relations(seeds) == {(0, 1): -1}
    new = mutated_inputs(seeds, 60, "0:HumanEval/160")
    assert len(new) >= 30 and all(len(ops) == len(nums) - 1 for ops, nums in new)
    assert length_relations([([1], [1, 2]), ([1, 2], [1, 2])]) == {}  # a difference some seed breaks


def test_strings_of_one_template_keep_it(humaneval_problems):
    p = next(q for q in humaneval_problems if q.id == "HumanEval/67")
    new = mutated_inputs(_seeds(p), 60, "0:HumanEval/67")
    assert len(new) >= 30
    for s, _ in new:
        words = s.split(" ")
        assert len(words) == 5 and words[1:3] == ["apples", "and"] and words[4] == "oranges", s
        assert words[0].isdigit() and words[3].isdigit(), s
    # no template: different word counts, or no word fixed at a place
    assert template(["a b", "a b c"]) is None and template(["x y", "z w"]) is None
    assert template(["5 apples", "6 apples"]) == [["5", "6"], ["apples", "apples"]]


def test_a_list_of_any_values_gets_values_of_other_types(humaneval_problems):
    p = next(q for q in humaneval_problems if q.id == "HumanEval/22")  # filter_integers(List[Any])
    new = mutated_inputs(_seeds(p), 60, "0:HumanEval/22")
    seen = {type(x) for (xs,) in new for x in xs}
    assert bool in seen and seen & {type(None), tuple}, seen  # beyond the seeds' int, float, str, dict, list
    # a list of one element type keeps it (HumanEval/0: floats)
    q = next(q for q in humaneval_problems if q.id == "HumanEval/0")
    assert all(type(x) is float for xs, _ in mutated_inputs(_seeds(q), 60, "0:HumanEval/0") for x in xs)


def test_integers_scale_up_where_the_text_bounds_no_value():
    assert scales_up("Given a positive integer n, return the count of the n-digit numbers ...")
    assert not scales_up("Constraints: 1 <= len(arr) <= 100")
    assert not scales_up("Knowing that (a) is less then 100.")  # the bound, however it is spelt
    assert not scales_up("")  # no text: the seeds' own range only
    seeds = [([1, 2, 3], 4), ([5, 0], 2)]
    assert scaled_inputs(seeds) == [([1, 2, 3], 40), ([1, 2, 3], 400)]  # lists, floats, bools: not scaled
    assert scaled_inputs([(True,), (False,)]) == [] and scaled_inputs([(0,), (1,)]) == []
    assert scaled_inputs([(-3,), (-5,)]) == [(-50,), (-500,)]  # the sign the seeds show is kept


def test_humaneval_inputs_scale_up_where_the_text_allows(humaneval_problems):
    by_id = {p.id: p for p in humaneval_problems}

    def made(pid):
        p = by_id[pid]
        return mutated_inputs(_seeds(p), 60, f"0:{pid}") + (scaled_inputs(_seeds(p)) if scales_up(p.prompt) else [])

    assert any(n >= 50 for (n,) in made("HumanEval/83"))  # n-digit numbers: a large n times out brute force
    assert all(n > 0 for (n,) in made("HumanEval/83"))  # never below what the seeds show
    assert max(a for (a,) in made("HumanEval/75")) < 200  # "less then 100"
