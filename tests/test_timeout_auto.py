"""`verify --timeout auto`: each problem's limit from its reference's own run (as EvalPlus does)."""

from __future__ import annotations

import json

import pytest
from helpers import read_jsonl, run_cli

from codesynth.models import Limits

pytestmark = pytest.mark.docker

# The reference is instant; the slow candidate is correct but needs about 3 s of CPU.
PROBLEM = {"id": "t/inc", "prompt": "def inc(x):\n", "entry_point": "inc",
           "tests": "def check(candidate):\n    assert candidate(1) == 2\n",
           "reference_solution": "def inc(x):\n    return x + 1\n"}
SLOW = ("import time\ndef inc(x):\n    t = time.process_time()\n"
        "    while time.process_time() - t < 3:\n        pass\n    return x + 1\n")


def _files(tmp_path):
    probs = tmp_path / "p.jsonl"
    probs.write_text(json.dumps(PROBLEM) + "\n")
    sols = tmp_path / "s.jsonl"
    sols.write_text("".join(json.dumps({"problem_id": "t/inc", "solution": s}) + "\n"
                            for s in (SLOW, PROBLEM["reference_solution"])))
    return probs, sols


def test_auto_gives_the_problem_its_references_limit(tmp_path):
    probs, sols = _files(tmp_path)
    fixed = run_cli("verify", str(probs), "--solutions", str(sols), "--out", str(tmp_path / "fixed"), "--json")
    assert fixed.returncode == 0, fixed.stderr
    auto = run_cli("verify", str(probs), "--solutions", str(sols), "--out", str(tmp_path / "auto"),
                   "--timeout", "auto", "--json")
    assert auto.returncode == 0, auto.stderr
    by_fixed = [r["status"] for r in read_jsonl(tmp_path / "fixed" / "results.jsonl")]
    by_auto = [r["status"] for r in read_jsonl(tmp_path / "auto" / "results.jsonl")]
    assert sorted(by_fixed) == ["passed", "passed"]  # 3 s of CPU within the generic 10 s
    assert sorted(by_auto) == ["passed", "timeout"]  # max(1 s, 4 x an instant reference) = 1 s
    limits = [Limits(**r["limits"]).timeout_s for r in read_jsonl(tmp_path / "auto" / "results.jsonl")]
    assert all(lim == 1.0 for lim in limits), limits
    # A run made with auto resumes only with auto: the limits decide verdicts.
    again = run_cli("verify", str(probs), "--solutions", str(sols), "--out", str(tmp_path / "auto"), "--resume")
    assert again.returncode != 0 and "Traceback" not in again.stderr, again.stderr
    same = run_cli("verify", str(probs), "--solutions", str(sols), "--out", str(tmp_path / "auto"), "--resume",
                   "--timeout", "auto")
    assert same.returncode == 0, same.stderr


def test_a_bad_timeout_is_one_clear_line(tmp_path):
    probs, sols = _files(tmp_path)
    r = run_cli("verify", str(probs), "--out", str(tmp_path / "x"), "--timeout", "soon")
    assert r.returncode == 2
    assert "--timeout" in r.stderr and "Traceback" not in r.stderr
