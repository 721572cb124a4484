"""The strength certificate on hand-checked problems (real sandbox), and where it travels."""

from __future__ import annotations

import pytest

from codesynth.models import Candidate, ExecutionResult, Limits, Problem, Status, SuiteStrength
from codesynth.verifiers.curation.curate import WeightConfig, apply_weights
from codesynth.verifiers.outputs.cards import dataset_card
from codesynth.verifiers.outputs.dataset import make_dataset_record
from codesynth.verifiers.suites.harden import HardenConfig, harden_problem, strength_of
from codesynth.verifiers.suites.strength import certify
from codesynth.verifiers.suites.strength_report import strength_summary
from codesynth.verifiers.suites.wrong_programs import lookup_table, trivial_programs, wrong_pool

# generous: on this shared 2-core machine (load 25-30) a 5 s wall clock times out trivial programs
LIMITS = Limits(timeout_s=30)
REF = "def largest(xs):\n    return max(xs)\n"
PUBLIC = "def check(candidate):\n    assert candidate([1, 2, 3]) == 3\n    assert candidate([5, 9]) == 9\n" \
         "    assert candidate([2, 8, 4]) == 8\n"


def _largest(**kw) -> Problem:
    return Problem(id="largest", prompt="Largest element.", entry_point="largest", tests=PUBLIC,
                   reference_solution=REF, **kw)


def test_the_lookup_table_answers_the_public_tests_and_a_default_elsewhere():
    table = lookup_table(_largest())
    ns: dict = {}
    exec(table.code, ns)
    assert [ns["largest"](x) for x in ([1, 2, 3], [5, 9], [2, 8, 4], [7, 1])] == [3, 9, 8, 3]
    assert [w.name for w in trivial_programs(_largest())] == ["return_none", "return_zero", "echo_first", "raise"]


@pytest.mark.docker
def test_certificate_of_a_hand_checked_problem(docker_backend):
    # No mutants: the pool is 4 trivial answers, the reference answering max+1, the public lookup
    # table. The original suite rejects the first 5 and accepts the table: TNR 5/6. One reference: TPR 1.
    cfg = HardenConfig(max_mutants=0, max_inputs=30)
    s, out = strength_of(_largest(), docker_backend, cfg, LIMITS)
    assert out.status == "certified"
    assert s == SuiteStrength(tpr=1.0, tnr=0.8333, mutation_score=None, correct_programs=1, wrong_programs=6,
                              mutants=0, tests_public=3, tests_private=0, hardened=False)
    hard, out = harden_problem(_largest(), docker_backend, cfg, LIMITS)
    assert hard.metadata["strength_before"] == s.model_dump()
    assert hard.strength == SuiteStrength(tpr=1.0, tnr=1.0, mutation_score=None, correct_programs=1,
                                          wrong_programs=6, mutants=0, tests_public=3,
                                          tests_private=out.added, hardened=True)


@pytest.mark.docker
def test_a_wrong_test_shows_as_tpr_and_a_correct_trivial_answer_is_not_counted_wrong(docker_backend):
    # a suite with a wrong expectation rejects its own reference: TPR 0
    bad = Problem(id="bad", prompt="x", entry_point="largest", reference_solution=REF,
                  tests="assert largest([1, 2]) == 2\nassert largest([4, 4]) == 5\n")
    assert certify(bad, docker_backend, pool=[], limits=LIMITS).tpr == 0.0
    # f(n) = 0 for every n: `return 0` and the table (default 0) are correct, so no evidence shows them
    # wrong; only None, echo, raise and the reference answering 1 count, and the suite rejects all four
    zero = Problem(id="zero", prompt="x", entry_point="f", reference_solution="def f(n):\n    return n * 0\n",
                   tests="assert f(1) == 0\nassert f(5) == 0\n")
    s, _ = strength_of(zero, docker_backend, HardenConfig(max_mutants=0, max_inputs=20), LIMITS)
    assert (s.tnr, s.wrong_programs, s.tpr) == (1.0, 4, 1.0)


@pytest.mark.docker
def test_mutation_score_counts_every_mutant_tnr_only_the_ones_shown_wrong(docker_backend):
    p = Problem(id="abs", prompt="x", entry_point="absolute", reference_solution=(
        "def absolute(n):\n    if n < 0:\n        return -n\n    return n\n"),
        tests="assert absolute(3) == 3\nassert absolute(-2) == 2\n")
    pool = wrong_pool(p, 20)
    mutants = [w for w in pool if w.kind == "mutant"]
    assert mutants
    s = certify(p, docker_backend, pool=pool, limits=LIMITS)  # no evidence: every pool program taken as wrong
    assert s.mutants == len(mutants) and s.wrong_programs == len(pool)
    killed = round(s.mutation_score * s.mutants)
    # `n <= 0` is equivalent (-0 == 0): a mutant no input can tell from the reference
    assert killed < s.mutants
    shown, _ = strength_of(p, docker_backend, HardenConfig(max_mutants=20), LIMITS)
    assert shown.mutation_score == s.mutation_score and shown.wrong_programs < s.wrong_programs


def test_records_carry_the_problem_certificate_and_weights_and_cards_use_it():
    strength = SuiteStrength(tpr=1.0, tnr=0.5, mutation_score=0.75, correct_programs=1, wrong_programs=8,
                             mutants=4, tests_public=3, tests_private=2, hardened=True)
    p = _largest(strength=strength)
    res = ExecutionResult(candidate_id="c", problem_id=p.id, status=Status.passed)
    rec = make_dataset_record(p, Candidate(candidate_id="c", problem_id=p.id, solution=REF), res)
    assert rec.strength == strength
    apply_weights([rec], WeightConfig())
    assert rec.metadata["weight_factors"]["suite_tnr"] == 0.5 and rec.weight == 0.5
    summary = strength_summary([rec.strength, None])
    assert summary == {"certified": 1, "of": 2, "hardened": 1, "tpr": 1.0, "tnr": 0.5, "mutation_score": 0.75,
                       "min_tnr": 0.5}
    card = dataset_card([rec], title="t", fmt="jsonl", files="x")
    assert "| suite strength | " in card and "TNR 0.500" in card


@pytest.mark.docker
def test_cli_certify_writes_the_certificate_and_a_json_summary(tmp_path, runner_image):
    import json

    from helpers import read_jsonl, run_cli

    from codesynth.problems import save_problems

    src, out = tmp_path / "p.jsonl", tmp_path / "cert.jsonl"
    save_problems(src, [_largest()])
    r = run_cli("tests", "certify", str(src), "--out", str(out), "--json", "--max-mutants",
                "0", "--timeout", "30")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["by_status"] == {"certified": 1} and summary["tests_added"] == 0
    assert summary["before"]["tnr"] == summary["after"]["tnr"] == 0.8333
    [row] = read_jsonl(out)
    assert row["strength"]["tnr"] == 0.8333 and row["private_tests"] is None and not row["strength"]["hardened"]
    bad = run_cli("tests", "certify", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "x.jsonl"))
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "missing.jsonl" in bad.stderr
