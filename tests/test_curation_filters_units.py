"""Units of the curation filters added with the registry: agreement counts repaired passes, the
strength floor (min TNR), the canonical code form, the test-case reader."""

from __future__ import annotations

import pytest

from codesynth.models import DatasetRecord, SuiteStrength
from codesynth.verifiers.curation.agreement import AgreementConfig, agreement_filter
from codesynth.verifiers.curation.canonical import canonical_code
from codesynth.verifiers.curation.cases import test_cases as cases_of
from codesynth.verifiers.curation.strength import StrengthConfig, strength_filter


def _rec(pid: str, k: int, turn: int = 0, strength: SuiteStrength | None = None) -> DatasetRecord:
    return DatasetRecord(id=f"{pid}::{k}", problem_id=pid, candidate_id=f"{pid}::{k}", instruction="Do it.",
                         solution="def f(x):\n    return x\n", tests="assert f(1) == 1\n", strength=strength,
                         metadata={"origin": {"turn": turn}})


def test_agreement_keeps_a_problem_solved_only_by_repair():
    recs = [_rec("p", 0, turn=1), _rec("p", 1, turn=1), _rec("q", 0)]
    counts = {"p": (2, 0), "q": (2, 1)}  # p: both first tries failed, both repairs passed
    kept, rep = agreement_filter(recs, AgreementConfig(), counts, repaired={"p": 2})
    assert len(kept) == 3 and rep.dropped == 0
    assert kept[0].metadata["agreement"] == {"samples": 2, "passing": 2, "repaired_passes": 2, "pass_rate": 0.0}
    # without a repaired pass the problem has no passing solution: dropped, and the detail says why
    kept, rep = agreement_filter(recs, AgreementConfig(), counts, repaired={})
    assert rep.reasons == {"too_few_passing": 2} and rep.drops[0].detail["repaired_passes"] == 0
    # the pass *rate* stays the first tries' (repairs are not samples)
    kept, rep = agreement_filter(recs, AgreementConfig(min_pass_rate=0.5), counts, repaired={"p": 2})
    assert rep.reasons == {"low_pass_rate": 2}


def test_strength_floor_drops_weak_suites_and_says_what_it_could_not_measure():
    strong, weak = SuiteStrength(tnr=0.95, wrong_programs=20), SuiteStrength(tnr=0.5, wrong_programs=10)
    recs = [_rec("a", 0, strength=strong), _rec("b", 0, strength=weak), _rec("c", 0),
            _rec("d", 0, strength=SuiteStrength(tnr=None))]
    kept, rep = strength_filter(recs, StrengthConfig())
    assert not rep.enabled and len(kept) == 4  # no floor: off
    kept, rep = strength_filter(recs, StrengthConfig(min_tnr=0.9))
    assert [r.problem_id for r in kept] == ["a", "c", "d"] and rep.reasons == {"weak_suite": 1}
    assert rep.stats["unmeasured"] == 2 and rep.drops[0].detail == {"tnr": 0.5, "min_tnr": 0.9, "wrong_programs": 10}
    kept, rep = strength_filter(recs, StrengthConfig(min_tnr=0.9, missing="drop"))
    assert [r.problem_id for r in kept] == ["a"] and rep.reasons == {"weak_suite": 1, "no_certificate": 2}


@pytest.mark.parametrize("a, b", [
    ("def f(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n",
     "def total(list):\n    sum = 0\n    for max in list: sum += max\n    return sum\n"),  # renamed to builtins, one-line body
    ("def g(a, b):\n    return [a, b]\n", "def h(x, y,):\n    '''doc'''\n    return ([x, y,])  # c\n"),
    ("def g(s):\n    return s == 'x'\n", 'def g(s): return (s == "x");'),
    ("import math\ndef f(v: float) -> float:\n    return math.sqrt(v)\n", "import math\ndef k(w):\n    return math.sqrt(w)\n"),
])
def test_canonical_form_is_one_for_the_same_program(a, b):
    assert canonical_code(a) == canonical_code(b)


@pytest.mark.parametrize("a, b", [
    ("def f(xs):\n    return sum(xs)\n", "def f(xs):\n    return max(xs)\n"),  # a builtin it calls is kept
    ("def f(o):\n    return o.keys()\n", "def f(o):\n    return o.values()\n"),  # attributes are kept
    ("def f(x):\n    return x + 1\n", "def f(x):\n    return x - 1\n"),
])
def test_canonical_form_keeps_what_changes_the_program(a, b):
    assert canonical_code(a) != canonical_code(b)


def test_cases_are_the_same_whatever_the_wording():
    he = "def check(candidate):\n    assert candidate([1, 2], 3) == [4, 5]\n    assert not candidate([], 0)\n"
    mbpp = "assert add_all([1,2],3)==[4,5]\nassert add_all([], 0) == False\n"
    data = [{"call": [[1, 2], 3], "expect": [4, 5]}, {"call": [[], 0], "expect": False}]
    assert cases_of(he) == cases_of(mbpp) == cases_of(data) and len(cases_of(he)) == 2
    assert cases_of("assert abs(f(1.0) - 2.0/3.0) < 1e-6\n") == {repr(((1.0,), 2.0 / 3.0))}
    assert cases_of("assert len(f(3)) == 2\nx = 1\n") == set()  # what is checked is len(), not f
    assert cases_of("def broken(:\n") == set()


def test_agreement_counts_a_repair_once_when_the_problem_has_no_first_try_on_record():
    recs = [_rec("r", 0, turn=1)]
    kept, rep = agreement_filter(recs, AgreementConfig(min_passing=2), {}, repaired={"r": 1})
    assert rep.reasons == {"too_few_passing": 1} and rep.drops[0].detail["passing"] == 1
    kept, rep = agreement_filter(recs, AgreementConfig(), {}, repaired={"r": 1})
    assert rep.dropped == 0


# --------------------------------------------------------------------------- decontam's readers


def test_examples_in_prose_are_read_as_cases_whatever_the_notation():
    from codesynth.verifiers.curation.cases import example_cases

    text = ("Sum the list. For example: total([1, 2]) returns 3, total([]) -> 0 and\n"
            ">>> total([5])\n5\nAlso total([2, 2]) == 4; total([9]) should return 9. Not a case: print(total)")
    assert example_cases(text) == {"(([1, 2],), 3)", "(([],), 0)", "(([5],), 5)", "(([2, 2],), 4)", "(([9],), 9)"}
    assert example_cases("Return the sum (of the list) of numbers.") == set()


def test_unittest_asserts_are_the_same_cases_as_plain_asserts():
    plain = "assert f([1, 2]) == 3\nassert f([]) is None\nassert g(2)\nassert not g(3)\n"
    unit = ("import unittest\nclass T(unittest.TestCase):\n    def test(self):\n"
            "        self.assertEqual(h([1, 2]), 3)\n        self.assertIsNone(h([]))\n"
            "        self.assertTrue(k(2))\n        self.assertFalse(k(3))\n")
    assert cases_of(plain) == cases_of(unit) and len(cases_of(unit)) == 4


@pytest.mark.parametrize("loop", [
    "def g(ys):\n    out = []\n    for y in ys:\n        if y > 0:\n            out.append(y * 2)\n    return out\n",
    "def g(ys):\n    res = [y * 2 for y in ys if y > 0]\n    return res\n",
])
def test_a_loop_that_appends_is_the_comprehension_it_spells(loop):
    assert canonical_code(loop) == canonical_code("def f(xs):\n    return [x * 2 for x in xs if x > 0]\n")


def test_canonical_fold_keeps_loops_that_do_more():
    more = "def g(ys):\n    out = []\n    for y in ys:\n        out.append(y)\n        print(y)\n    return out\n"
    assert canonical_code(more) != canonical_code("def f(xs):\n    return [x for x in xs]\n")


def test_behaviour_reproducer_counts_and_survives_bad_references():
    from codesynth.verifiers.curation.behaviour import Reproducer

    with Reproducer() as rep:
        ok = rep.count("b/1", "def sq(x):\n    return x * x\n", "sq", [((2,), 4), ((3,), 9), ((4,), 15)])
        assert ok == 2
        # a reference that hangs, one that eats memory, one that does not load: no match, no crash
        assert rep.count("b/2", "def f(x):\n    while True:\n        pass\n", "f", [((1,), 1)]) == 0
        assert rep.count("b/3", "def f(x):\n    return 'a' * (1 << 40)\n", "f", [((1,), 1)]) == 0
        assert rep.count("b/4", "def f(x) return", "f", [((1,), 1)]) == 0
        assert rep.count("b/5", "import os\ndef f(x):\n    os._exit(3)\n", "f", [((1,), 1)]) == 0
        assert rep.count("b/1", "def sq(x):\n    return x * x\n", "sq", [((5,), 25)]) == 1  # still working
