"""Generated tests against the problem's own (verifiers.curation.assert_dedup), on real problems."""

from __future__ import annotations

from helpers import PROBLEM_SETS

from codesynth.extract import split_asserts
from codesynth.models import Problem
from codesynth.problems import load_problems
from codesynth.verifiers.curation.assert_dedup import assert_key, existing_keys, new_tests

CHECK = Problem(
    id="t/add", prompt="def add(a, b):\n    \"\"\"a + b\"\"\"\n", entry_point="add",
    tests="def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"
          "    assert candidate(2, 2) == 4, 'two and two'\n    assert candidate(0, 0) is not None\n",
)  # fmt: skip
MBPP = Problem(
    id="mbpp/1", prompt="Write a function to check if a number is even.", entry_point="is_even",
    tests="assert is_even(2) == True\nassert is_even(3) == False\nassert is_even(0)\n",
)  # fmt: skip


def test_copies_in_any_spelling_are_copies():
    generated = [
        "assert add(1, 2) == 3",  # check()'s assert with candidate renamed (what models do)
        "assert add(1,2)==3, 'sum'",  # formatting and a message
        "assert 0 == add(-1, 1)",  # sides swapped
        "import math\nassert add(2, 2) == 4",  # with a preamble
        "assert add(0, 0) is not None",
    ]
    assert [o.reason for o in new_tests(CHECK, generated)] == ["already_in_problem"] * 5


def test_new_tests_are_kept_and_repeats_counted_once():
    generated = [
        "assert add(1, 3) == 4",  # other input
        "assert add(1, 2) == 4",  # same input, other expectation: not a copy (execution judges it)
        "assert add(1, 2) != 4",  # another operator
        "assert add(-5, -5) == -10",
        "assert add(-5,-5) == -10",  # repeat of the previous generated one
        "assert add(a, b) == 3",  # broken, but new: execution says so, not the dedup
    ]
    assert [o.reason for o in new_tests(CHECK, generated)] == [None, None, None, None, "duplicate", None]


def test_mbpp_style_and_true_comparisons():
    assert existing_keys(MBPP) == {"assert is_even(2)", "assert is_even(3) == False", "assert is_even(0)"}
    out = new_tests(MBPP, ["assert is_even(2)", "assert is_even(0) == True", "assert not is_even(7)"])
    assert [o.reason for o in out] == ["already_in_problem", "already_in_problem", None]


def test_every_shipped_problem_recognises_its_own_tests():
    # What `generate tests` saw in the issue: a model echoing the problem's asserts. Every one of
    # them, as split for generated tests, must be found; and none of another problem's.
    probs = [p for p in load_problems(PROBLEM_SETS / "basic.jsonl") if p.kind == "function"]
    for i, p in enumerate(probs):
        _, own = split_asserts(p.tests, p.entry_point)
        assert own and all(o.reason == "already_in_problem" for o in new_tests(p, own)), p.id
        other = probs[(i + 1) % len(probs)]
        _, theirs = split_asserts(other.tests, other.entry_point)
        assert all(o.reason != "already_in_problem" for o in new_tests(p, theirs)), p.id


def test_assert_key_edge_cases():
    assert assert_key("x = 1") is None and assert_key("assert (") is None
    assert assert_key("assert f(x) == [1, 2]") == assert_key("assert [1,2] == f(x)")
    assert assert_key("assert f(x) < 3") != assert_key("assert 3 < f(x)")  # only ==/!= are symmetric
    assert existing_keys(Problem(id="io", prompt="p", tests=[{"input": "1", "output": "1"}])) == set()
