"""Hundreds of stdin/stdout cases per program (sandbox/case_batches.py), on the real pool: the
batched verdict is the verdict of the whole list run at once, case by case; fail-fast stops at
the first failure and counts what did not run as not passed; the time limit still bounds all
cases together."""

from __future__ import annotations

import json

from helpers import run_cli

from codesynth.models import Candidate, IOCase, Limits, Problem, Status
from codesynth.sandbox import case_batches
from codesynth.sandbox.backend import build_request

N = 120
CASES = [IOCase(input=f"{i} {i * 7}\n", output=f"{i * 8}\n") for i in range(N)]
PROBLEM = Problem(id="many/sum", prompt="a+b", tests=CASES)
RIGHT = "a, b = map(int, input().split())\nprint(a + b)\n"
WRONG_AT_100 = "a, b = map(int, input().split())\nprint(a + b + (a == 100))\n"
WRONG_AT_10 = "a, b = map(int, input().split())\nprint(a + b + (a >= 10))\n"


def req(code: str, problem: Problem = PROBLEM, limits: Limits | None = None, fail_fast: bool = False):
    return build_request(problem, Candidate(candidate_id="c", problem_id=problem.id, solution=code),
                         limits or Limits(timeout_s=10), fail_fast=fail_fast)


def outcomes(res):
    return [(o.name, o.passed, o.message) for o in res.tests]


def test_batches_give_the_whole_lists_verdict(docker_backend):
    assert docker_backend.idle_workers() >= 2  # nothing else runs: the batches spread over both
    for code, passed in ((RIGHT, N), (WRONG_AT_100, N - 1)):
        whole = docker_backend.execute(req(code))
        batched = case_batches.execute(docker_backend, req(code))
        assert (batched.status, batched.tests_total, batched.tests_passed) == (whole.status, N, passed)
        assert outcomes(batched) == outcomes(whole)
        assert [o.name for o in batched.tests] == [f"case {i}" for i in range(1, N + 1)]
    bad = case_batches.execute(docker_backend, req(WRONG_AT_100))
    assert bad.status is Status.failed and not bad.tests[100].passed and "expected: '800'" in bad.tests[100].message


def test_fail_fast_stops_at_the_first_failure(docker_backend):
    r = case_batches.execute(docker_backend, req(WRONG_AT_10, fail_fast=True))
    assert r.status is Status.failed and r.tests_total == N and r.tests_passed == 10
    assert len(r.tests) < N and not r.tests[10].passed  # later batches never ran
    assert "fail-fast:" in r.error_message and "later cases not run" in r.error_message
    ok = case_batches.execute(docker_backend, req(RIGHT, fail_fast=True))
    assert ok.passed and ok.tests_passed == N and len(ok.tests) == N


def test_the_time_limit_bounds_all_cases_together(docker_backend):
    # 24 cases of 0.06 s of CPU each: either batch fits in 1 s, all of them together do not
    spin = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.06:\n    pass\nprint(input())\n"
    p = Problem(id="many/spin", prompt="echo", tests=[IOCase(input=f"{i}\n", output=f"{i}\n") for i in range(24)])
    r = case_batches.execute(docker_backend, req(spin, p, Limits(timeout_s=1)))
    assert r.status is Status.timeout, (r.status, r.error_message)


def test_verify_fail_fast_option(tmp_path):
    problems = tmp_path / "p.jsonl"
    problems.write_text(PROBLEM.model_copy(update={"reference_solution": WRONG_AT_10}).model_dump_json() + "\n")
    rows = []
    for flag in ((), ("--fail-fast",)):
        out = tmp_path / f"run{len(flag)}"
        r = run_cli("verify", str(problems), "--out", str(out), "--workers", "2", "--json", *flag)
        assert r.returncode == 0, r.stderr
        rows.append(json.loads((out / "results.jsonl").read_text().splitlines()[0]))
    full, fast = rows
    assert full["tests_passed"] == 10 and len(full["tests"]) == N
    assert fast["tests_passed"] == 10 and len(fast["tests"]) < N and fast["status"] == "failed"


def test_scoring_fail_fast_setting(docker_backend):
    # the adapters' path (ascore_pairs: the service and async trainers; trl_reward_func(fail_fast=True))
    import asyncio

    from codesynth.verifiers.scoring import ascore_pairs, candidate_for

    pair = (PROBLEM, candidate_for(PROBLEM, f"```python\n{WRONG_AT_10}```"))
    fast, fast_rec = asyncio.run(ascore_pairs([pair], backend=docker_backend, fail_fast=True))[0]
    full, full_rec = asyncio.run(ascore_pairs([pair], backend=docker_backend))[0]
    assert fast_rec.reward == full_rec.reward == 0.0 and fast_rec.partial_credit == full_rec.partial_credit
    assert len(fast.tests) < N == len(full.tests), (len(fast.tests), len(full.tests))
