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


# The service: /v1/score, /v1/verify and /openrlhf/reward take the same rule (the server's
# `--timeout auto`, or a request's `timeout_auto`), through the same code (ReferenceTimes).
SLOW_1S = SLOW.replace("< 3", "< 1.6")  # correct, 1.6 s of CPU: within the pool's 5 s, over an auto 1 s


def test_the_service_gives_each_problem_its_references_limit(docker_backend):
    from helpers import serving

    from codesynth.models import Problem

    problem = Problem.model_validate(PROBLEM)  # preloaded: its reference sets the limit
    body = {"completions": [SLOW_1S, PROBLEM["reference_solution"]], "problem_id": ["t/inc", "t/inc"]}
    with serving(docker_backend, problems=[problem], timeout_auto=True) as url:
        r = requests_post(url, "/v1/score", body)
        assert r["rewards"] == [0.0, 1.0], r
        assert r["records"][0]["status"] == "timeout"
        fixed = requests_post(url, "/v1/score", {**body, "timeout_auto": False})  # the request decides
        assert fixed["rewards"] == [1.0, 1.0], fixed
        lines = requests_post(url, "/v1/verify", {
            "problems": [PROBLEM], "candidates": [{"candidate_id": "slow", "problem_id": "t/inc", "solution": SLOW_1S}]})
        assert [(x["result"]["status"], x["result"]["limits"]["timeout_s"]) for x in lines] == [("timeout", 1.0)]
        rl = requests_post(url, "/openrlhf/reward", {"query": ["Q" + SLOW_1S], "prompts": ["Q"], "labels": ["t/inc"]})
        assert rl["rewards"] == [0.0], rl
    with serving(docker_backend, problems=[problem]) as url:  # the server's default: the fixed limit
        assert requests_post(url, "/openrlhf/reward", {"query": ["Q" + SLOW_1S], "prompts": ["Q"],
                                                       "labels": ["t/inc"]})["rewards"] == [1.0]
        auto = requests_post(url, "/v1/score", {**body, "timeout_auto": True})
        assert auto["rewards"] == [0.0, 1.0], auto


def requests_post(url: str, path: str, body: dict):
    import requests

    r = requests.post(url + path, json=body, timeout=120)
    assert r.status_code == 200, r.text
    if path == "/v1/verify":
        return [json.loads(line) for line in r.text.splitlines() if line.strip()]
    return r.json()
