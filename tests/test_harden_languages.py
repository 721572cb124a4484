"""Hardening a data-form problem judged in every language: each language's reference must pass every
new case (a case one of them fails is dropped as disputed), and a wrong program in another language
that the original cases let through is rejected. Real toolchain pool."""

from __future__ import annotations

import pytest
from helpers import PROBLEM_SETS

from codesynth.models import LANGUAGES, Candidate, Limits, Status
from codesynth.problems import load_problems
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.suites.harden import HardenConfig, harden_problem
from codesynth.verifiers.suites.suite import full_suite

pytestmark = pytest.mark.docker

LIMITS = Limits(timeout_s=60, memory_mb=256, compile_timeout_s=180)  # generous: the machine is shared
# special-cases the first public case; answers 1 unless a or b is 0 or they are equal
WRONG_JS = ("function gcd(a, b) {\n  if (a === 12 && b === 18) return 6;\n  if (a === 0) return b;\n"
            "  if (b === 0) return a;\n  if (a === b) return a;\n  return 1;\n}\n")


def test_every_languages_reference_passes_the_new_cases_and_a_wrong_js_program_fails(lang_pool):
    gcd = next(p for p in load_problems(PROBLEM_SETS / "multilang.jsonl") if p.id == "multilang/011-gcd")
    assert set(gcd.references()) == set(LANGUAGES)
    wrong = Candidate(candidate_id="wrong-js", problem_id=gcd.id, solution=WRONG_JS, language="javascript")
    [before] = run_pairs([(gcd, wrong)], lang_pool, LIMITS)
    assert before.status is Status.passed  # the original cases let it through

    hard, out = harden_problem(gcd, lang_pool, HardenConfig(max_inputs=60), LIMITS)
    assert out.status == "hardened" and out.disputed == 0
    assert hard.strength.correct_programs == len(LANGUAGES) and hard.strength.tpr == 1.0
    assert hard.tests == gcd.tests and len(hard.private_tests) == out.added

    suite = full_suite(hard)
    refs = [Candidate(candidate_id=f"ref-{lang}", problem_id=gcd.id, solution=code, language=lang)
            for lang, code in sorted(gcd.references().items())]
    results = run_pairs([(suite, c) for c in [*refs, wrong]], lang_pool, LIMITS)
    assert [r.status for r in results[:-1]] == [Status.passed] * len(refs)
    assert results[-1].status is Status.failed
