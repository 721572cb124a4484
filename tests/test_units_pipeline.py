"""The run directory, the tally, pass@k, resume fingerprints, ids, extraction, the executor.

No Docker: programs here run on the real local backend (the same supervisor as a plain
subprocess), model replies come from a real OpenAI-compatible server on 127.0.0.1.
`pytest -m "not docker"` runs this file in seconds.
"""

from __future__ import annotations

import json
import math
from itertools import combinations

import pytest
from scripted_server import ScriptedServer, last_user

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.errors import InputError
from codesynth.extract import program_from_reply
from codesynth.generators.cache import ResponseCache
from codesynth.generators.client import ChatClient, Completion
from codesynth.generators.solutions import make_candidate
from codesynth.ids import file_id, ref_id, repair_id, root_of, sample_id
from codesynth.models import Candidate, Limits, Origin, Problem, RewardRecord, Status
from codesynth.pipeline import VerifyConfig, verify_candidates
from codesynth.pipeline.generate import generate_repair, generate_solutions
from codesynth.rundir import (
    RunState,
    check_fingerprint,
    counts_as_sample,
    problem_tallies,
    read_run,
)
from codesynth.sandbox.backend import build_request
from codesynth.sandbox.executor import execute_many
from codesynth.sandbox.local.backend import LocalBackend
from codesynth.verifiers.adapters import _candidate as adapter_candidate
from codesynth.verifiers.outputs.metrics import mean_pass_at_k, pass_at_k
from codesynth.verifiers.outputs.report import build_report

ADD = Problem(
    id="basic/add",
    prompt='def add(a, b):\n    """Return a + b."""\n',
    entry_point="add",
    tests="assert add(1, 2) == 3\nassert add(-1, 1) == 0\n",
    reference_solution="def add(a, b):\n    return a + b\n",
    source="codesynth-basic",
)
NEG = Problem(
    id="basic/neg",
    prompt='def neg(x):\n    """Return -x."""\n',
    entry_point="neg",
    tests="assert neg(1) == -1\n",
    reference_solution="def neg(x):\n    return -x\n",
    source="codesynth-basic",
)
CFG = VerifyConfig(backend="local", progress=False, limits=Limits(timeout_s=5))


@pytest.fixture(scope="module")
def local():
    b = LocalBackend(workers=2, quiet=True)
    b.start()
    yield b
    b.close()


def rec(pid: str, passed: bool, turn: int = 0, status: Status | None = None) -> RewardRecord:
    st = status or (Status.passed if passed else Status.failed)
    return RewardRecord(problem_id=pid, candidate_id=f"{pid}#{turn}#{passed}", reward=float(passed),
                        passed=passed, status=st, origin=Origin(turn=turn))


# --------------------------------------------------------------------------- pass@k and the tally


def test_pass_at_k_matches_the_closed_form():
    # n=10 samples, c=4 correct, k=3: 1 - C(6,3)/C(10,3) = 1 - 20/120
    assert pass_at_k(10, 4, 3) == pytest.approx(1 - math.comb(6, 3) / math.comb(10, 3))
    assert pass_at_k(10, 4, 3) == pytest.approx(5 / 6)
    # and by brute force over every 3-subset of the 10 samples
    samples = [1] * 4 + [0] * 6
    subsets = list(combinations(samples, 3))
    assert pass_at_k(10, 4, 3) == pytest.approx(sum(any(s) for s in subsets) / len(subsets))
    assert mean_pass_at_k({"a": (10, 4), "b": (10, 0)}, ks=(3,)) == {"pass@3": pytest.approx(5 / 12)}


def test_the_one_tally_rule():
    rewards = [
        rec("p", False), rec("p", True, turn=1),  # a repair turn is not a sample
        rec("q", True), rec("q", False, status=Status.sandbox_error),  # no verdict on the code
    ]
    assert [counts_as_sample(r) for r in rewards] == [True, False, True, False]
    assert problem_tallies(rewards) == {"p": (1, 0), "q": (1, 1)}


def test_state_merge_and_ids():
    a, b = RunState(), RunState()
    a.rewards = {"x": rec("p", False), "y": rec("p", False)}
    b.rewards = {"y": rec("p", True)}
    assert {k: v.passed for k, v in b.merged_over(a).rewards.items()} == {"x": False, "y": True}
    assert root_of(repair_id(repair_id(sample_id("p/q", 3), 1), 2)) == "p/q#s3#r1"
    assert root_of(repair_id(sample_id("p/q", 3), 1)) == "p/q#s3"
    assert (ref_id("p"), file_id("p", 2)) == ("p#ref", "p#2")


def test_fingerprint_refuses_other_inputs_and_names_them(tmp_path):
    check_fingerprint(tmp_path, "verify", {"problems": [ADD], "reward_scheme": "binary"})
    check_fingerprint(tmp_path, "verify", {"problems": [ADD], "reward_scheme": "binary"})  # same: fine
    with pytest.raises(InputError, match=r"reward_scheme \(binary -> shaped\)"):
        check_fingerprint(tmp_path, "verify", {"problems": [ADD], "reward_scheme": "shaped"})
    with pytest.raises(InputError, match="changed problems"):
        check_fingerprint(tmp_path, "verify", {"problems": [NEG], "reward_scheme": "binary"})
    # another stage of the same directory (repair in place) has its own fingerprint
    check_fingerprint(tmp_path, "repair", {"rounds": 2})


def test_verify_config_rejects_what_it_cannot_run():
    with pytest.raises(ValueError, match="unknown backend 'nope'"):
        VerifyConfig(backend="nope")
    with pytest.raises(InputError):
        VerifyConfig(reward_scheme="bogus")
    with pytest.raises(ValueError):
        VerifyConfig(workers=0)


# --------------------------------------------------------------------------- one extraction rule


@pytest.mark.parametrize("reply", [
    "    return a + b\n",  # a HumanEval-style continuation: just the body
    "```python\n    return a + b\n```",  # the body, fenced
    "```python\ndef add(a, b):\n    return a + b\n```",
    "Sure! Here it is:\n\ndef add(a, b):\n    return a + b\n",
    "I cannot help with that.",
    "```python\ndef add(a, b)\n    return a + b\n```",  # does not parse
])  # fmt: skip
def test_generate_and_the_adapters_read_a_reply_the_same_way(reply):
    comp = Completion(text=reply, finish_reason="stop", prompt_tokens=1, completion_tokens=1)
    gen = make_candidate(ADD, comp, "c", model="m", sample_index=0, mode="solutions").solution
    adapted = adapter_candidate(ADD, reply, 0, "trl").solution
    assert gen == adapted == (program_from_reply(reply, "add", ADD.prompt) or "")


# --------------------------------------------------------------------------- the executor


def test_execute_many_orders_streams_and_raises(local):
    progs = [(i, f"def add(a, b):\n    return a + b + {i % 2}\n") for i in range(8)]
    jobs = ((i, build_request(ADD, Candidate(candidate_id=str(i), problem_id=ADD.id, solution=s)))
            for i, s in progs)  # fmt: skip
    got = list(execute_many(local, jobs, ordered=True))
    assert [k for k, _ in got] == list(range(8))
    assert [r.status is Status.passed for _, r in got] == [i % 2 == 0 for i in range(8)]

    def broken():
        yield 0, build_request(ADD, Candidate(candidate_id="0", problem_id=ADD.id, solution="x = 1\n"))
        raise RuntimeError("the model endpoint went away")

    with pytest.raises(RuntimeError, match="went away"):
        list(execute_many(local, broken()))


# --------------------------------------------------------------------------- bugs the tally fixes


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


def client(server, tmp_path) -> ChatClient:
    ep = EndpointConfig(base_url=server.base_url, model="scripted-model", backoff_s=0.01, concurrency=2)
    return ChatClient(ep, SamplingParams(), ResponseCache(tmp_path / "cache"))


def test_repair_in_place_does_not_inflate_pass_at_1(server, tmp_path, local):
    """`generate repair --from-run R --out R` (the README's recipe): repair turns are not samples."""
    wrong = "```python\ndef add(a, b):\n    return a - b\n```"
    right = "```python\ndef add(a, b):\n    return a + b\n```"
    neg_ok = "```python\ndef neg(x):\n    return -x\n```"

    def answer(body):
        user = last_user(body)
        if user.startswith("Your solution was run"):
            return right
        return neg_ok if "def neg" in user else wrong

    server.responder = answer
    run = tmp_path / "R"
    generate_solutions([ADD, NEG], client(server, tmp_path), run, n=1, verify=True, config=CFG, backend=local)
    before = json.loads((run / "summary.json").read_text())["pass_at_k"]["pass@1"]
    assert before == pytest.approx(0.5)
    rep = generate_repair([ADD, NEG], client(server, tmp_path), run, rounds=1, from_run=run,
                          config=CFG.model_copy(update={"resume": True}), backend=local)
    assert rep.counts["fixed"] == 1
    summary = json.loads((run / "summary.json").read_text())
    assert summary["pass_at_k"]["pass@1"] == pytest.approx(0.5)  # was 0.75 counting the repair as a sample
    report = build_report(run, benchmarks=[])
    assert report["pass_rate"] == pytest.approx(0.5)
    assert report["repairs"] == [{"turn": 1, "attempted": 1, "fixed": 1}]


def test_report_pass_rate_by_source_is_the_problem_sets_source(tmp_path, local):
    """Sources come from the problem set, never from an id prefix (`basic/...` is not a source)."""
    cands = [
        Candidate(candidate_id="a0", problem_id=ADD.id, solution=ADD.reference_solution),
        Candidate(candidate_id="a1", problem_id=ADD.id, solution="def add(a, b):\n    return 0\n"),
        Candidate(candidate_id="n0", problem_id=NEG.id, solution="def neg(x):\n    return x\n"),
    ]
    verify_candidates([ADD, NEG], cands, tmp_path / "run", CFG, backend=local)
    rep = build_report(tmp_path / "run", benchmarks=[])
    assert rep["pass_rate_by_source"] == {
        "codesynth-basic": {"candidates": 3, "passed": 1, "pass_rate": pytest.approx(1 / 3, abs=1e-4)}
    }


def test_resume_with_other_candidates_or_scheme_is_refused(tmp_path, local):
    out = tmp_path / "run"
    first = [Candidate(candidate_id="a0", problem_id=ADD.id, solution=ADD.reference_solution)]
    verify_candidates([ADD], first, out, CFG, backend=local)
    again = CFG.model_copy(update={"resume": True})
    assert verify_candidates([ADD], first, out, again, backend=local).passed == 1  # the same run: fine
    other = [first[0].model_copy(update={"solution": "def add(a, b):\n    return 0\n"})]
    with pytest.raises(InputError, match="changed candidates"):
        verify_candidates([ADD], other, out, again, backend=local)
    with pytest.raises(InputError, match=r"reward_scheme"):
        verify_candidates([ADD], first, out, again.model_copy(update={"reward_scheme": "shaped"}), backend=local)
    changed_tests = ADD.model_copy(update={"tests": "assert add(1, 2) == 4\n"})
    with pytest.raises(InputError, match="changed problems"):
        verify_candidates([changed_tests], first, out, again, backend=local)
    assert len(read_run(out).results) == 1  # nothing ran, nothing was mixed in


def test_every_report_figure_follows_from_results_jsonl(tmp_path, local):
    """Recompute the report's numbers from the commit point alone, independently."""
    wrong = "def add(a, b):\n    return a * b\n"
    cands = [Candidate(candidate_id=f"a{i}", problem_id=ADD.id, solution=s)
             for i, s in enumerate([ADD.reference_solution, wrong, "def add(a, b)\n", "import sys\nsys.exit(0)\n"])]
    cands += [Candidate(candidate_id="n0", problem_id=NEG.id, solution="def neg(x):\n    return x\n")]
    out = tmp_path / "run"
    verify_candidates([ADD, NEG], cands, out, CFG, backend=local)
    rep = build_report(out, benchmarks=[])
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    by_problem: dict[str, list[int]] = {}
    for r in results:
        t = by_problem.setdefault(r["problem_id"], [0, 0])
        t[0] += 1
        t[1] += r["status"] == "passed"
    passed = sum(r["status"] == "passed" for r in results)
    assert rep["candidates"] == rep["samples"] == len(results) == 5
    assert rep["passed"] == rep["samples_passed"] == passed == 1
    assert rep["pass_rate"] == round(passed / len(results), 4)
    assert rep["problems"] == len(by_problem) and rep["problems_with_no_pass"] == 1
    assert {k: (v["candidates"], v["passed"]) for k, v in rep["pass_rate_by_problem"].items()} == {
        k: tuple(v) for k, v in by_problem.items()}
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    assert rep["status_counts"] == statuses
    assert rep["dataset_records"] == passed
    assert rep["repairs"] == []


def test_a_resume_with_nothing_left_keeps_the_runs_own_timing(tmp_path, local):
    out = tmp_path / "run"
    first = verify_candidates([ADD, NEG], None, out, CFG, backend=local)
    assert first.programs_per_second > 0
    again = verify_candidates([ADD, NEG], None, out, CFG.model_copy(update={"resume": True}), backend=local)
    assert (again.wall_time_s, again.programs_per_second) == (first.wall_time_s, first.programs_per_second)
    assert again.extra["executed_this_session"] == 0 and again.passed == first.passed == 2
