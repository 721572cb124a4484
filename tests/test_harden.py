"""`codesynth tests harden`: stronger suites without a model, judged in the real sandbox.

A pool of known-wrong programs (off-by-one, a boundary bug, special-cased public tests) passes
the original suite and must fail the hardened one; the reference must pass every hardened test;
inputs the reference rejects must not become tests.
"""

from __future__ import annotations

import ast
import json

import pytest
from helpers import read_jsonl, run_cli

from codesynth.models import (
    CallCase,
    Candidate,
    IOCase,
    Limits,
    Param,
    Problem,
    Signature,
    Status,
    parse_type,
    type_error,
)
from codesynth.problems import save_problems
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.suites.harden import HardenConfig, harden_problem
from codesynth.verifiers.suites.input_mutation import mutated_inputs, seed_inputs
from codesynth.verifiers.suites.io_mutation import mutated_io_inputs
from codesynth.verifiers.suites.oracle import INVALID, reference_outputs
from codesynth.verifiers.suites.signature_inputs import signature_inputs
from codesynth.verifiers.suites.suite import full_suite

pytestmark = pytest.mark.docker

# generous: on this shared 2-core machine (load 25-30) a 5 s wall clock times out trivial programs
LIMITS = Limits(timeout_s=30)

# the largest element; every public test has its maximum at the end or in the middle
MAX_REF = "def largest(xs):\n    best = xs[0]\n    for x in xs:\n        if x > best:\n            best = x\n    return best\n"
MAX_PUBLIC = ("def check(candidate):\n    assert candidate([1, 2, 3]) == 3\n    assert candidate([5, 9]) == 9\n"
              "    assert candidate([2, 8, 4]) == 8\n")
WRONG = {
    "off_by_one": "def largest(xs):\n    return max(xs[1:])\n",
    "boundary": "def largest(xs):\n    return xs[1] if len(xs) == 2 else max(xs[1:])\n",
    "special_cased": "def largest(xs):\n    if xs == [2, 8, 4]:\n        return 8\n    return xs[-1]\n",
    "first_wins_ties_wrong": "def largest(xs):\n    return sorted(xs)[-1] if xs[0] != max(xs) else xs[-1]\n",
}


def _problem() -> Problem:
    return Problem(id="largest", prompt="Return the largest element of a non-empty list.", entry_point="largest",
                   tests=MAX_PUBLIC, reference_solution=MAX_REF)


def _verdicts(problem: Problem, programs: dict[str, str], backend) -> dict[str, Status]:
    pairs = [(problem, Candidate(candidate_id=k, problem_id=problem.id, solution=v)) for k, v in programs.items()]
    return {c.candidate_id: r.status for (_, c), r in zip(pairs, run_pairs(pairs, backend, LIMITS), strict=True)}


def test_mutated_inputs_keep_the_seeds_types_and_ranges():
    seeds = seed_inputs(_problem())
    assert seeds == [([1, 2, 3],), ([5, 9],), ([2, 8, 4],)]
    new = mutated_inputs(seeds, 40, seed=1)
    assert len(new) == 40 and not {repr(s) for s in seeds} & {repr(n) for n in new}
    elements = {x for (xs,) in seeds for x in xs}
    for (xs,) in new:
        assert isinstance(xs, list) and len(xs) >= 2  # no seed is shorter than 2: none becomes shorter
        assert all(isinstance(x, int) and 1 <= x <= 10 for x in xs), xs  # within the seeds' range (+10 %)
    assert any(set(xs) - elements for (xs,) in new)  # elements are mutated too, not only reordered
    assert mutated_inputs(seeds, 40, seed=1) == new  # deterministic


def test_original_suite_passes_the_wrong_pool_the_hardened_one_rejects_it(docker_backend):
    p = _problem()
    assert set(_verdicts(p, WRONG, docker_backend).values()) == {Status.passed}  # the weakness is real
    hard, out = harden_problem(p, docker_backend, HardenConfig(max_inputs=60), LIMITS)
    assert out.status == "hardened" and out.added >= 1
    assert hard.tests == p.tests  # the public tests are untouched: new tests are private
    assert isinstance(hard.private_tests, str) and "largest(" in hard.private_tests
    verdicts = _verdicts(full_suite(hard), {**WRONG, "reference": MAX_REF}, docker_backend)
    assert verdicts.pop("reference") is Status.passed
    assert verdicts == {k: Status.failed for k in WRONG}
    # the certificate says so: the public lookup table passed before, not after
    before = hard.metadata["strength_before"]
    assert before["tnr"] < 1.0 and hard.strength.tnr == 1.0 and hard.strength.tpr == 1.0
    assert hard.strength.hardened and hard.strength.tests_private == out.added


def test_reference_passes_every_hardened_test_one_by_one(docker_backend):
    hard, _ = harden_problem(_problem(), docker_backend, HardenConfig(max_inputs=40, max_tests=10), LIMITS)
    lines = [ln for ln in hard.private_tests.splitlines() if ln.startswith("assert ")]
    assert lines
    singles = [(Problem(id=f"one{i}", prompt="x", entry_point="largest", tests=ln + "\n"),
                Candidate(candidate_id=f"ref{i}", problem_id=f"one{i}", solution=MAX_REF)) for i, ln in enumerate(lines)]
    assert [r.status for r in run_pairs(singles, docker_backend, LIMITS)] == [Status.passed] * len(lines)


def test_inputs_the_reference_rejects_are_dropped(docker_backend):
    # precondition 1 <= n <= 10, enforced by raising; n == 3 hangs
    ref = ("def double(n):\n    if not 1 <= n <= 10:\n        raise ValueError('out of range')\n"
           "    if n == 3:\n        while True:\n            pass\n    return 2 * n\n")
    p = Problem(id="double", prompt="Double n (1 <= n <= 10).", entry_point="double",
                tests="assert double(1) == 2\nassert double(10) == 20\n", reference_solution=ref)
    # Mutants of a reference that hangs on 3 hang too, each for the whole limit (CPU time): 3 s,
    # not the module's 30, is ample for these one-line calls and keeps the test quick.
    quick = Limits(timeout_s=3)
    outs = reference_outputs(p, ref, "python", [(2,), (3,), (11,), (0,), (10,)], docker_backend, quick, 0.5)
    assert outs[0] == 4 and outs[4] == 20
    assert outs[1] is INVALID and outs[2] is INVALID and outs[3] is INVALID
    hard, out = harden_problem(p, docker_backend, HardenConfig(max_inputs=40, input_budget_s=0.5), quick)
    assert out.invalid >= 1  # the seeds' range stretched by one reaches 11, which the reference refuses
    called = [ast.literal_eval(ln.split("double(", 1)[1].split(")", 1)[0])
              for ln in (hard.private_tests or "").splitlines() if ln.startswith("assert ")]
    assert all(1 <= n <= 10 and n != 3 for n in called), called


def test_unrepresentable_results_are_invalid(docker_backend):
    ref = "def f(x):\n    return float('nan') if x == 2 else (i for i in range(x)) if x == 3 else [x]\n"
    p = Problem(id="odd", prompt="x", entry_point="f", tests="assert f(1) == [1]\n", reference_solution=ref)
    assert reference_outputs(p, ref, "python", [(1,), (2,), (3,)], docker_backend, LIMITS)[1:] == [INVALID, INVALID]


def test_data_form_problem_gets_private_call_cases(docker_backend):
    sig = Signature(name="count_above", params=[Param(name="xs", type="list[int]"), Param(name="t", type="int")],
                    returns="int")
    ref = "def count_above(xs, t):\n    return sum(1 for x in xs if x > t)\n"
    p = Problem(id="above", prompt="How many elements exceed t?", signature=sig, reference_solution=ref,
                tests=[CallCase(call=[[1, 5, 9], 4], expect=2), CallCase(call=[[7, 8], 1], expect=2)])
    wrong = {"ge": "def count_above(xs, t):\n    return sum(1 for x in xs if x >= t)\n",
             "len": "def count_above(xs, t):\n    return len(xs) - 1 if len(xs) > 2 else len(xs)\n"}
    assert set(_verdicts(p, wrong, docker_backend).values()) == {Status.passed}
    hard, out = harden_problem(p, docker_backend, HardenConfig(max_inputs=60), LIMITS)
    assert out.status == "hardened" and all(isinstance(c, CallCase) for c in hard.private_tests)
    assert hard.tests == p.tests
    Problem.model_validate(hard.model_dump())  # every new case fits the signature
    verdicts = _verdicts(full_suite(hard), {**wrong, "ref": ref}, docker_backend)
    assert verdicts == {"ge": Status.failed, "len": Status.failed, "ref": Status.passed}


def test_signature_draws_fit_the_types_and_the_seeds_ranges():
    sig = Signature(name="f", params=[Param(name="xs", type="list[int]"), Param(name="s", type="str"),
                                      Param(name="k", type="int"), Param(name="on", type="bool")], returns="int")
    p = Problem(id="sig", prompt="x", signature=sig, tests=[CallCase(call=[[3, 5], "ab", 4, True], expect=1)])
    drawn = signature_inputs(p, [([3, 5], "ab", 4, True)], 30, seed=3)
    assert len(drawn) == 30 and drawn == signature_inputs(p, [([3, 5], "ab", 4, True)], 30, seed=3)
    for xs, s, k, on in drawn:
        assert all(type_error(parse_type(q.type), v) is None for q, v in zip(sig.params, (xs, s, k, on), strict=True))
        assert all(2 <= x <= 6 for x in xs) and 2 <= len(xs) <= 5  # the seed's range, stretched a little
        assert set(s) <= {"a", "b"} and 3 <= k <= 5


def test_data_form_problem_with_one_test_gets_inputs_from_its_signature(docker_backend):
    sig = Signature(name="count_above", params=[Param(name="xs", type="list[int]"), Param(name="t", type="int")],
                    returns="int")
    ref = "def count_above(xs, t):\n    return sum(1 for x in xs if x > t)\n"
    p = Problem(id="above1", prompt="How many elements exceed t?", signature=sig, reference_solution=ref,
                tests=[CallCase(call=[[1, 5, 9], 4], expect=2)])
    wrong = {"ge": "def count_above(xs, t):\n    return sum(1 for x in xs if x >= t)\n"}
    assert _verdicts(p, wrong, docker_backend) == {"ge": Status.passed}
    hard, out = harden_problem(p, docker_backend, HardenConfig(max_inputs=30), LIMITS)
    assert out.status == "hardened" and out.drawn == 15 and out.inputs > out.drawn, out
    assert _verdicts(full_suite(hard), {**wrong, "ref": ref}, docker_backend) == {"ge": Status.failed,
                                                                                  "ref": Status.passed}


def test_reference_less_problems_are_skipped_with_a_reason(docker_backend):
    no_ref = Problem(id="noref", prompt="x", entry_point="f", tests="assert f(1) == 1\n")
    same, out = harden_problem(no_ref, docker_backend)
    assert same == no_ref and out.status == "skipped" and out.reason


# stdin/stdout: n, then n numbers; print the largest. Every public case has its maximum last or
# in the middle; the reference refuses an input whose count is wrong (outside the format).
IO_REF = ("n = int(input())\nxs = list(map(int, input().split()))\nassert len(xs) == n and n >= 1\n"
          "print(max(xs))\n")
IO_WRONG = {
    "off_by_one": "input()\nxs = list(map(int, input().split()))\nprint(max(xs[1:]))\n",
    "special_cased": "input()\nxs = input().split()\nprint(8 if xs == ['2', '8', '4'] else xs[-1])\n",
}


def _io_problem() -> Problem:
    return Problem(id="io-largest", prompt="Read n, then n integers; print the largest.", reference_solution=IO_REF,
                   tests=[IOCase(input="3\n1 2 3\n", output="3\n"), IOCase(input="2\n5 9\n", output="9\n"),
                          IOCase(input="3\n2 8 4\n", output="8\n")])


def test_stdin_inputs_are_mutated_by_token_type_keeping_counts():
    seeds = ["3\n1 2 3\n", "2\n5 9\n", "3\n2 8 4\n"]
    new = mutated_io_inputs(seeds, 30, seed=1)
    assert len(new) == 30 and not set(new) & set(seeds)
    assert mutated_io_inputs(seeds, 30, seed=1) == new  # deterministic
    for text in new:
        head, body = text.splitlines()
        xs = body.split()
        assert int(head) == len(xs) >= 1, text  # a count changes only with what it counts
        assert all(x.lstrip("-").isdigit() and int(x) >= 1 for x in xs), text  # ints, in the seeds' range
    assert any(len(t.splitlines()[1].split()) not in (2, 3) for t in new)  # lists grow and shrink
    words = mutated_io_inputs(["abc\n", "ab\n"], 5, seed=2)
    assert words and all(set(w.strip()) <= set("abc") for w in words)  # strings over the seeds' alphabet


def test_stdin_stdout_problem_gets_private_cases_that_reject_the_wrong_pool(docker_backend):
    p = _io_problem()
    assert set(_verdicts(p, IO_WRONG, docker_backend).values()) == {Status.passed}
    hard, out = harden_problem(p, docker_backend, HardenConfig(max_inputs=40), LIMITS)
    assert out.status == "hardened" and out.added >= 1, out
    assert hard.tests == p.tests and all(isinstance(c, IOCase) for c in hard.private_tests)
    for c in hard.private_tests:  # each new case is what the reference prints, on a well-formed input
        head, body = c.input.splitlines()
        assert int(head) == len(body.split()) and c.output == f"{max(map(int, body.split()))}\n", c
    verdicts = _verdicts(full_suite(hard), {**IO_WRONG, "ref": IO_REF}, docker_backend)
    assert verdicts == {"off_by_one": Status.failed, "special_cased": Status.failed, "ref": Status.passed}


# A model's input generator (HardTests-style): five lists with the maximum first (what the public
# cases never show), a line that is no JSON, and an input outside the format (n = 0).
GENERATOR = ("```python\nimport json\nfor n in range(2, 7):\n"
             "    print(json.dumps(str(n) + '\\n' + ' '.join(str(50 - i) for i in range(n)) + '\\n'))\n"
             "print('not json')\nprint(json.dumps('0\\n\\n'))\n```")


def test_model_written_input_generators_add_inputs_judged_like_the_rest(docker_backend, tmp_path):
    from scripted_server import ScriptedServer

    from codesynth.config import EndpointConfig, SamplingParams
    from codesynth.generators.cache import ResponseCache
    from codesynth.generators.client import ChatClient
    from codesynth.pipeline import VerifyConfig
    from codesynth.pipeline.harden import harden_file

    secret = IOCase(input="5\n11 22 33 44 98765\n", output="98765\n")  # private: never in a prompt
    p = _io_problem().model_copy(update={"private_tests": [secret]})
    server = ScriptedServer(responder=lambda body: GENERATOR).start()
    try:
        client = ChatClient(EndpointConfig(base_url=server.base_url, model="scripted-model", backoff_s=0.01),
                            SamplingParams(), ResponseCache(tmp_path / "cache"))
        summary = harden_file([p], tmp_path / "hard.jsonl", HardenConfig(max_inputs=8),
                              VerifyConfig(progress=False, limits=LIMITS), docker_backend, client=client,
                              generators=1)
    finally:
        server.stop()
    assert len(server.requests) == 1
    prompt = json.dumps(server.requests[0]["messages"])
    assert "Read n, then n integers" in prompt and "98765" not in prompt  # public inputs only as examples
    assert summary["inputs_generated"] == 6, summary  # five lists and n = 0; the line that is no JSON skipped
    [out] = [json.loads(line) for line in (tmp_path / "hard.jsonl.outcomes.jsonl").read_text().splitlines()]
    assert out["invalid"] >= 1  # n = 0: the reference refuses it, so it is no test
    hard = Problem.model_validate(json.loads((tmp_path / "hard.jsonl").read_text()))
    assert all(c.input != "0\n\n" for c in hard.private_tests)
    verdicts = _verdicts(full_suite(hard), {**IO_WRONG, "ref": IO_REF}, docker_backend)
    assert verdicts == {"off_by_one": Status.failed, "special_cased": Status.failed, "ref": Status.passed}


def test_stdin_inputs_the_reference_rejects_are_dropped(docker_backend):
    p = _io_problem()
    outs = reference_outputs(p, IO_REF, "python", [("2\n4 6\n",), ("3\n4 6\n",), ("1\n\n",)], docker_backend, LIMITS)
    assert outs == ["6\n", INVALID, INVALID]


def test_cli_harden_resumes_refuses_other_inputs_and_prints_json(tmp_path, runner_image):
    src = tmp_path / "p.jsonl"
    save_problems(src, [_problem()])
    out = tmp_path / "hard.jsonl"
    r = run_cli("tests", "harden", str(src), "--out", str(out), "--json", "--max-inputs", "30", "--timeout", "30")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["problems"] == 1 and summary["by_status"] == {"hardened": 1}
    assert summary["after"]["tnr"] >= summary["before"]["tnr"]
    [row] = read_jsonl(out)
    assert row["private_tests"] and row["strength"]["hardened"]
    # the same command again: nothing to do, the same file
    r2 = run_cli("tests", "harden", str(src), "--out", str(out), "--json", "--max-inputs", "30", "--timeout", "30")
    assert r2.returncode == 0 and read_jsonl(out) == [row]
    # other settings: refused in one line, exit 2 (bad input)
    r3 = run_cli("tests", "harden", str(src), "--out", str(out), "--max-inputs", "31")
    assert r3.returncode == 2 and "Traceback" not in r3.stderr
    assert len(r3.stderr.strip().splitlines()) == 1 and "--out" in r3.stderr


def _samples(pid: str, programs: dict[str, str]) -> list[Candidate]:
    return [Candidate(candidate_id=k, problem_id=pid, solution=v) for k, v in programs.items()]


RIGHT = {"builtin": "def largest(xs):\n    return max(xs)\n", "sorted": "def largest(xs):\n    return sorted(xs)[-1]\n",
         "loop": MAX_REF}


def test_without_a_reference_the_agreeing_samples_decide(docker_backend):
    p = _problem().model_copy(update={"reference_solution": None})
    samples = _samples(p.id, {**RIGHT, "off_by_one": WRONG["off_by_one"],
                              "fails": "def largest(xs):\n    return min(xs)\n"})
    hard, out = harden_problem(p, docker_backend, HardenConfig(max_inputs=60), LIMITS, samples)
    assert out.status == "hardened" and hard.metadata["hardened_by"] == "agreement of 3 samples"
    assert hard.reference_solution is None and hard.tests == p.tests
    verdicts = _verdicts(full_suite(hard), {**RIGHT, **WRONG}, docker_backend)
    assert verdicts == {**{k: Status.passed for k in RIGHT}, **{k: Status.failed for k in WRONG}}
    assert hard.strength.tpr == 1.0 and hard.strength.correct_programs == 3


def test_samples_that_do_not_agree_decide_nothing(docker_backend):
    p = _problem().model_copy(update={"reference_solution": None})
    same, out = harden_problem(p, docker_backend, HardenConfig(max_inputs=20), LIMITS,
                               _samples(p.id, {"one": MAX_REF, "fails": "def largest(xs):\n    return 0\n"}))
    assert same == p and out.status == "skipped" and "agreement needs 2" in out.reason


def test_beside_a_reference_samples_it_tells_apart_are_known_wrong(docker_backend):
    p = _problem()
    samples = _samples(p.id, {"first_wins": WRONG["first_wins_ties_wrong"], "right": RIGHT["sorted"]})
    hard, out = harden_problem(p, docker_backend, HardenConfig(max_inputs=60, max_mutants=0, minimal=True), LIMITS,
                               samples)
    # the pool: 4 trivial answers, the lookup table, the reference answering another value, 2 samples;
    # the sample that is right is never shown wrong, so it does not count for TNR
    assert hard.strength.wrong_programs == 7 and hard.strength.tnr == 1.0
    assert _verdicts(full_suite(hard), {"first_wins": WRONG["first_wins_ties_wrong"]}, docker_backend) == {
        "first_wins": Status.failed}


def test_cli_killed_mid_run_resumes_without_redoing_or_losing_a_problem(tmp_path, runner_image):
    import os
    import signal
    import subprocess
    import sys
    import time

    from helpers import ROOT

    problems = [_problem().model_copy(update={"id": f"largest{i}"}) for i in range(3)]
    src, out = tmp_path / "p.jsonl", tmp_path / "hard.jsonl"
    save_problems(src, problems)
    args = [sys.executable, "-m", "codesynth.cli", "tests", "harden", str(src), "--out", str(out), "--max-inputs",
            "20", "--max-mutants", "5", "--timeout", "30", "--no-progress"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODESYNTH_")}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not (out.exists() and out.read_text().count("\n") >= 1):
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    first = read_jsonl(out)
    assert 1 <= len(first) < 3  # killed after the first problem, before the last
    r = subprocess.run([*args, "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    rows = read_jsonl(out)
    assert [row["id"] for row in rows] == ["largest0", "largest1", "largest2"]
    assert rows[: len(first)] == first  # what was written is kept, not redone
    assert json.loads(r.stdout)["by_status"] == {"hardened": 3}
