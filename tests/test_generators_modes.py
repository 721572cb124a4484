"""The six generation modes end to end: scripted model replies over real HTTP, real Docker sandbox."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from helpers import ROOT
from scripted_server import Reply, ScriptedServer, last_user

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.errors import InputError
from codesynth.generators.cache import ResponseCache
from codesynth.generators.client import ChatClient
from codesynth.jsonl import read_models
from codesynth.models import Candidate, IOCase, Limits, Problem, RewardRecord, RunSummary
from codesynth.pipeline import VerifyConfig
from codesynth.pipeline.generate import (
    generate_evolve,
    generate_grounded,
    generate_problems,
    generate_repair,
    generate_solutions,
    generate_tests,
)
from codesynth.problems import load_problems
from codesynth.rundir import read_rewards, read_run

ADD = Problem(
    id="t/add",
    prompt='def add(a, b):\n    """Return the sum of a and b."""\n',
    entry_point="add",
    tests="def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n",
    private_tests="assert add(10, 5) == 15\n",  # the check is public: repair feedback may quote it
    reference_solution="def add(a, b):\n    return a + b\n",
)
IO = Problem(
    id="t/io-sum",
    prompt="Read two integers from one line and print their sum.",
    tests=[IOCase(input="1 2\n", output="3\n"), IOCase(input="5 5\n", output="10\n")],
    reference_solution="a, b = map(int, input().split())\nprint(a + b)\n",
)
ADD_OK = "```python\ndef add(a, b):\n    return a + b\n```"
ADD_WRONG = "Here you go:\n```python\ndef add(a, b):\n    return a - b\n```"
IO_OK = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
CFG = VerifyConfig(progress=False, limits=Limits(timeout_s=5))


def fence(code: str) -> str:
    return f"```python\n{code}\n```"


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


@pytest.fixture
def client_for(tmp_path):
    def make(server: ScriptedServer, **sampling) -> ChatClient:
        ep = EndpointConfig(base_url=server.base_url, model="scripted-model", backoff_s=0.01, concurrency=2)
        return ChatClient(ep, SamplingParams(**sampling), ResponseCache(tmp_path / "cache"))

    return make


# --------------------------------------------------------------------------- 1. solutions


def test_solutions_verify_writes_the_run_layout_with_pass_at_k(server, client_for, tmp_path, docker_backend):
    def answer(body):
        if "def add" in last_user(body):
            return {0: ADD_OK, 1: ADD_WRONG, 2: "Sorry, I am not able to write this."}[body["seed"]]
        return IO_OK if body["seed"] != 2 else "```python\nprint(int(input()) +)\n```"

    server.responder = answer
    out = tmp_path / "run"
    rep = generate_solutions(
        [ADD, IO], client_for(server), out, n=3, verify=True, config=CFG, backend=docker_backend
    )
    state = read_run(out)
    assert len(state.results) == len(state.rewards) == len(state.candidates) == 6
    st = {cid: r.status.value for cid, r in state.rewards.items()}
    assert st == {
        "t/add#s0": "passed",
        "t/add#s1": "failed",
        "t/add#s2": "error",
        "t/io-sum#s0": "passed",
        "t/io-sum#s1": "passed",
        "t/io-sum#s2": "error",
    }
    nocode = state.candidates["t/add#s2"]
    assert nocode.solution == "" and nocode.origin.extra["no_code"] is True
    assert state.results["t/add#s2"].error_type == "NoCode"
    assert state.rewards["t/add#s2"].failure_category.value == "no_code"
    assert state.rewards["t/io-sum#s2"].failure_category.value == "syntax_error"
    assert set(state.dataset) == {"t/add#s0", "t/io-sum#s0", "t/io-sum#s1"}
    assert state.results["t/add#s0"].backend == "docker" and state.results["t/add#s0"].tests_passed == 3  # 2 public + 1 private
    c = state.candidates["t/add#s1"]
    assert (c.origin.model, c.origin.mode, c.origin.sample_index) == ("scripted-model", "solutions", 1)
    # pass@k over 3 samples: add 1/3 pass, io 2/3 pass
    assert rep.pass_at_k["pass@1"] == pytest.approx((1 / 3 + 2 / 3) / 2)
    assert rep.pass_at_k["pass@3"] == pytest.approx(1.0)
    summary = RunSummary.model_validate_json((out / "summary.json").read_text())
    assert summary.pass_at_k["pass@3"] == pytest.approx(1.0) and summary.candidates == 6
    assert rep.usage["requests"] == 6 and rep.counts["no_code"] == 1
    assert json.loads((out / "generation_solutions.json").read_text())["usage"]["completion_tokens"] > 0

    # A rerun without --resume refuses before asking the model anything ...
    before = len(server.requests)
    with pytest.raises(InputError, match="--resume"):
        generate_solutions(
            [ADD, IO], client_for(server), out, n=3, verify=True, config=CFG, backend=docker_backend
        )
    # ... and with it, nothing is requested or run twice.
    again = generate_solutions(
        [ADD, IO], client_for(server), out, n=3, verify=True, config=CFG.model_copy(update={"resume": True}),
        backend=docker_backend,
    )  # fmt: skip
    assert len(server.requests) == before and again.usage["requests"] == 0
    assert len(read_run(out).results) == 6


def test_fewshot_examples_are_sent_as_worked_turns(server, client_for, tmp_path):
    server.responder = lambda body: ADD_OK
    pool = [IO]
    rep = generate_solutions([ADD], client_for(server), tmp_path / "o", n=1, fewshot_pool=pool, k_shots=1)
    msgs = server.requests[0]["messages"]
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert "two integers" in msgs[1]["content"] and IO.reference_solution.strip() in msgs[2]["content"]
    cands = read_models(tmp_path / "o" / "candidates.jsonl", Candidate)
    assert [c.origin.extra["fewshot"] for c in cands] == [["t/io-sum"]]
    assert rep.counts["candidates"] == 1


def test_killed_run_resumes_without_re_requesting(server, tmp_path):
    """SIGKILL a generate run mid-way; the resumed run asks only for what never arrived."""
    server.responder = lambda body: Reply(content=ADD_OK, delay=0.25)
    probs = tmp_path / "p.jsonl"
    probs.write_text(ADD.model_dump_json() + "\n")
    out, cache = tmp_path / "out", tmp_path / "cache"
    args = [sys.executable, "-m", "codesynth.cli", "generate", "solutions", str(probs), "--n", "12",
            "--out", str(out), "--base-url", server.base_url, "--model", "scripted-model",
            "--cache-dir", str(cache), "--concurrency", "1"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODESYNTH_")}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(ResponseCache(cache)) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    first = list(server.requests)
    received = len(ResponseCache(cache))
    assert 4 <= received < 12, received
    done_seeds = {b["seed"] for b in first[:received]}  # concurrency 1: the first `received` were answered

    r = subprocess.run([*args, "--resume"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    second = server.requests[len(first) :]
    assert len(second) == 12 - received
    assert not done_seeds & {b["seed"] for b in second}
    cands = read_models(out / "candidates.jsonl", Candidate)
    assert sorted(c.origin.sample_index for c in cands) == list(range(12))
    assert "from cache" in r.stdout


# --------------------------------------------------------------------------- 2. tests


def test_tests_mode_keeps_what_the_reference_passes(server, client_for, tmp_path, docker_backend):
    reply = fence(
        "import math\n"
        "assert add(2, 3) == 5\n"
        "assert add(0, 0) == 0\n"
        "assert add(2, 2) == 5\n"  # wrong expectation
        "assert add(2, 3) == 5\n"  # duplicate
        "assert True\n"  # tests nothing
        "assert add(1, 1) == 2 or True\n"  # tautology
        "assert add(1, undefined_name) == 2\n"  # the test itself is broken
        "assert add(math.floor(2.5), 1) == 3"
    )
    server.responder = lambda body: reply
    out = tmp_path / "t"
    rep = generate_tests([ADD, IO], client_for(server), out, n=1, config=CFG, backend=docker_backend)
    rows = [json.loads(line) for line in (out / "tests.jsonl").read_text().splitlines()]
    fate = [(t["code"].split("\n")[-1], t["kept"], t["reason"]) for t in rows]
    assert fate == [
        ("assert add(2, 3) == 5", True, None),
        ("assert add(0, 0) == 0", True, None),
        ("assert add(2, 2) == 5", False, "wrong_expectation"),
        ("assert add(2, 3) == 5", False, "duplicate"),
        ("assert True", False, "no_call"),
        ("assert add(1, 1) == 2 or True", False, "tautology"),
        ("assert add(1, undefined_name) == 2", False, "test_raises"),
        ("assert add(math.floor(2.5), 1) == 3", True, None),
    ]
    assert all(t["code"].startswith("import math\n") for t in rows)
    assert rep.counts["tests_kept"] == 3 and rep.counts["dropped"]["duplicate"] == 1
    assert rep.counts["problems_skipped_io"] == 1
    new = {p.id: p for p in load_problems(out / "problems.jsonl")}
    assert new["t/io-sum"] == IO  # untouched
    # generated tests are private: the public tests are untouched, the kept ones decide verdicts only
    assert new["t/add"].tests == ADD.tests and rep.counts["kept_as"] == "private"
    assert "assert add(0, 0) == 0" in new["t/add"].private_tests and "add(2, 2) == 5" not in new["t/add"].private_tests
    assert new["t/add"].metadata["generated_tests"] == 3


def test_tests_mode_without_reference_uses_dual_agreement(server, client_for, tmp_path, docker_backend):
    noref = ADD.model_copy(update={"id": "t/add-noref", "reference_solution": None})
    mul = Problem(id="t/mul", prompt="def mul(a, b):\n    \"\"\"Product.\"\"\"\n", entry_point="mul",
                  tests="assert mul(2, 2) == 4\n")  # fmt: skip

    def answer(body):
        user = last_user(body)
        if "tester" in body["messages"][0]["content"]:
            if "def mul" in user:
                return fence("assert mul(2, 3) == 6")
            return fence("assert add(1, 2) == 3\nassert add(5, 5) == 10\nassert add(1, 2) == -1")
        if "def mul" in user:
            return "I only write prose."  # no solution to agree with
        # sampled solutions: three agree on addition, one subtracts, one writes prose
        return {0: ADD_OK, 1: ADD_OK, 2: ADD_OK, 3: ADD_WRONG}.get(body["seed"], "no idea")

    server.responder = answer
    out = tmp_path / "t"
    rep = generate_tests(
        [noref, mul], client_for(server), out, n_solutions=5, config=CFG, backend=docker_backend
    )
    rows = [json.loads(line) for line in (out / "tests.jsonl").read_text().splitlines()]
    fate = {t["code"]: (t["kept"], t["reason"]) for t in rows}
    assert fate == {
        "assert add(1, 2) == 3": (False, "already_in_problem"),  # the problem's own assert, copied
        "assert add(5, 5) == 10": (True, None),
        "assert add(1, 2) == -1": (False, "disagreement"),
        "assert mul(2, 3) == 6": (False, "no_solutions"),
    }
    assert rep.counts["decided_by_agreement"] == 2 and rep.counts["problems_augmented"] == 1
    new = {p.id: p for p in load_problems(out / "problems.jsonl")}
    assert "assert add(5, 5) == 10" in new["t/add-noref"].private_tests and new["t/mul"] == mul
    # nothing at all to execute: every test still says why it was dropped
    generate_tests(
        [mul], client_for(server), tmp_path / "t2", n_solutions=2, config=CFG, backend=docker_backend
    )
    only = [json.loads(line) for line in (tmp_path / "t2" / "tests.jsonl").read_text().splitlines()]
    assert [(t["kept"], t["reason"]) for t in only] == [(False, "no_solutions")]


# --------------------------------------------------------------------------- 3. problems

SEEDS = [
    Problem(id="seed/rev", prompt="Write a function that reverses the words of a sentence.", entry_point="rev",
            tests="assert rev('a b') == 'b a'\n", reference_solution="def rev(s):\n    return ' '.join(s.split()[::-1])\n"),
    Problem(id="seed/sq", prompt="Write a function that squares every number in a list.", entry_point="sq",
            tests="assert sq([2]) == [4]\n", reference_solution="def sq(xs):\n    return [x * x for x in xs]\n"),
]  # fmt: skip


def proposal(desc: str, solution: str, tests: str) -> str:
    return f"Problem: {desc}\n\n{fence(solution)}\n\n{fence(tests)}\n"


GOOD_PROP = proposal(
    "Write a function count_vowels(s) that counts the vowels a, e, i, o, u in a lowercase string.",
    "def count_vowels(s):\n    return sum(ch in 'aeiou' for ch in s)",
    "assert count_vowels('hello') == 2\nassert count_vowels('') == 0\nassert count_vowels('aeiou') == 5",
)


def test_problems_mode_keeps_only_novel_executable_nontrivial_problems(
    server, client_for, tmp_path, docker_backend
):
    replies = {
        0: GOOD_PROP,
        1: proposal("Write a function that reverses the words of a sentence.",  # a seed, again
                    "def rev2(s):\n    return ' '.join(s.split()[::-1])", "assert rev2('a b') == 'b a'\nassert rev2('') == ''"),
        2: proposal("Return the largest element of a non-empty list of integers.",
                    "def biggest(xs):\n    return min(xs)", "assert biggest([1, 5, 2]) == 5\nassert biggest([7]) == 7"),
        3: proposal("Log a message to the console and return nothing at all.",
                    "def log_it(msg):\n    print(msg)", "assert log_it('x') is None\nassert log_it('') is None"),
        4: "I would rather talk about the weather.",
        5: proposal("Write a function count_vowels(s) that counts the vowels a, e, i, o, u in a lowercase word.",
                    "def cv(s):\n    return sum(c in 'aeiou' for c in s)", "assert cv('ab') == 1\nassert cv('') == 0"),
        6: proposal("Check whether a positive integer n is a perfect square.",
                    "def is_square(n):\n    r = int(n ** 0.5)\n    while r * r > n:\n        r -= 1\n    while (r + 1) ** 2 <= n:\n        r += 1\n    return r * r == n",
                    "assert is_square(16) is True\nassert is_square(15) is False\nassert is_square(1) is True"),
    }  # fmt: skip
    server.responder = lambda body: replies[body["seed"]]
    out = tmp_path / "p"
    rep = generate_problems(
        SEEDS, client_for(server), out, n=7, k_seeds=2, config=CFG, backend=docker_backend
    )
    recs = {r["index"]: r for r in map(json.loads, (out / "proposals.jsonl").read_text().splitlines())}
    assert {i: r["reason"] for i, r in recs.items()} == {
        0: None,
        1: "too_similar",
        2: "solution_fails_tests:failed",
        3: "trivial_tests",
        4: "no_code",
        5: "too_similar",
        6: None,
    }
    assert recs[1]["nearest"] == "seed/rev" and recs[5]["nearest"] == "synth/0000"
    new = load_problems(out / "problems.jsonl")
    assert [p.id for p in new] == ["synth/0000", "synth/0006"]
    p0 = new[0]
    assert p0.entry_point == "count_vowels" and "def count_vowels(s):" in p0.prompt
    assert p0.metadata["generator"]["model"] == "scripted-model" and len(p0.metadata["seeds"]) == 2
    # every request showed seed problems
    assert all("Example 1:" in last_user(b) for b in server.requests)
    assert rep.counts["accepted"] == 2 and rep.counts["dropped"]["too_similar"] == 2
    # the reference solutions were verified into the standard layout
    state = read_run(out)
    assert state.rewards["synth/0000#ref"].passed and not state.rewards["synth/0002#ref"].passed


# --------------------------------------------------------------------------- 4. grounded


def test_grounded_problems_carry_provenance(server, client_for, tmp_path, docker_backend):
    src = tmp_path / "src"
    src.mkdir()
    (src / "textutil.py").write_text(
        "import re\n\n\ndef slugify(title):\n    title = title.lower()\n    return re.sub(r'[^a-z0-9]+', '-', title).strip('-')\n"
    )

    def answer(body):
        assert "def slugify(title):" in last_user(body) and "textutil.py (lines 4-6)" in last_user(body)
        return proposal(
            "Write slug(s): lowercase s and join its alphanumeric runs with single dashes.",
            "import re\n\ndef slug(s):\n    return re.sub(r'[^a-z0-9]+', '-', s.lower()).strip('-')",
            "assert slug('Hello World') == 'hello-world'\nassert slug('  A--B ') == 'a-b'",
        )

    server.responder = answer
    out = tmp_path / "g"
    rep = generate_grounded(src, client_for(server), out, n=1, config=CFG, backend=docker_backend)
    (p,) = load_problems(out / "problems.jsonl")
    g = p.metadata["grounding"]
    assert (g["file"], g["start_line"], g["end_line"]) == ("textutil.py", 4, 6) and len(g["sha256"]) == 64
    assert p.source == "codesynth:grounded" and p.id == "grounded/0000"
    assert rep.counts["accepted"] == 1


# --------------------------------------------------------------------------- 5. repair


def test_repair_records_whole_trajectories(server, client_for, tmp_path, docker_backend):
    def answer(body):
        user = last_user(body)
        if not user.startswith("Your solution was run"):
            return ADD_WRONG  # turn 0: both samples wrong
        assert "Failed test" in user or "assert" in user  # the sandbox's feedback is shown
        turn, root = body["seed"] % 1000, body["seed"] // 1000
        # sample 0 is fixed at once; sample 1 needs two rounds
        return ADD_OK if (root == 0 or turn == 2) else "```python\ndef add(a, b):\n    return a * b\n```"

    server.responder = answer
    out = tmp_path / "r"
    rep = generate_repair([ADD], client_for(server), out, rounds=3, n=2, config=CFG, backend=docker_backend)
    state = read_run(out)
    traj = {
        cid: (c.origin.turn, c.origin.parent_id, state.rewards[cid].passed)
        for cid, c in state.candidates.items()
    }
    assert traj == {
        "t/add#s0": (0, None, False),
        "t/add#s1": (0, None, False),
        "t/add#s0#r1": (1, "t/add#s0", True),
        "t/add#s1#r1": (1, "t/add#s1", False),
        "t/add#s1#r2": (2, "t/add#s1#r1", True),
    }
    rewards = read_models(out / "rewards.jsonl", RewardRecord)
    assert {(r.candidate_id, r.origin.turn, r.origin.parent_id) for r in rewards} >= {
        ("t/add#s1#r2", 2, "t/add#s1#r1")
    }
    assert (
        rep.counts["initially_failing"] == 2 and rep.counts["fixed"] == 2 and rep.counts["still_failing"] == 0
    )
    assert [r["attempted"] for r in rep.counts["rounds"]] == [2, 1]  # round 3 had nothing left
    # the feedback the model saw is the reward record's feedback
    repair_prompts = [last_user(b) for b in server.requests if last_user(b).startswith("Your solution")]
    assert state.rewards["t/add#s0"].feedback.strip()[:60] in repair_prompts[0]


def test_repair_from_an_existing_run(server, client_for, tmp_path, docker_backend):
    server.responder = lambda body: ADD_WRONG if not last_user(body).startswith("Your solution") else ADD_OK
    first = tmp_path / "first"
    generate_solutions([ADD], client_for(server), first, n=1, verify=True, config=CFG, backend=docker_backend)
    rep = generate_repair(
        [ADD], client_for(server), first, rounds=1, from_run=first, config=CFG, backend=docker_backend
    )
    state = read_run(first)
    assert state.rewards["t/add#s0#r1"].passed and rep.counts["fixed"] == 1
    with pytest.raises(InputError, match="rewards.jsonl"):
        generate_repair([ADD], client_for(server), tmp_path / "x", from_run=tmp_path / "nothing", config=CFG)


# --------------------------------------------------------------------------- 6. evolve


def test_evolve_seeds_from_the_most_failed_problems(server, client_for, tmp_path, docker_backend):
    def solve(body):
        return ADD_WRONG if "def add" in last_user(body) else IO_OK

    server.responder = solve
    log = tmp_path / "log"
    generate_solutions(
        [ADD, IO], client_for(server), log, n=2, verify=True, config=CFG, backend=docker_backend
    )

    def propose(body):
        user = last_user(body)
        assert "Return the sum of a and b." in user and "two integers" not in user
        assert "students often get wrong" in user
        return {
            0: proposal("Add three numbers a, b and c and return the total.",
                        "def add3(a, b, c):\n    return a + b + c", "assert add3(1, 2, 3) == 6\nassert add3(0, 0, 0) == 0"),
            1: proposal("Return the sum of the absolute values of two integers.",
                        "def abs_sum(a, b):\n    return abs(a) + abs(b)", "assert abs_sum(-1, 2) == 3\nassert abs_sum(0, -5) == 5"),
        }[body["seed"]]  # fmt: skip

    server.responder = propose
    out = tmp_path / "evo"
    rep = generate_evolve(
        [ADD, IO], read_rewards(log), client_for(server), out, parents=1, per_parent=2, config=CFG,
        backend=docker_backend,
    )  # fmt: skip
    new = load_problems(out / "problems.jsonl")
    assert [p.metadata["evolved_from"] for p in new] == ["t/add", "t/add"]
    assert [p.metadata["operation"] for p in new] == ["similar", "harder"]
    assert new[0].metadata["parent_fail_rate"] == 1.0
    assert rep.counts["parents"] == ["t/add"]


# --------------------------------------------------------------------------- CLI errors


def _run_cli(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODESYNTH_")}
    env["HOME"] = str(tmp_path)
    return subprocess.run([sys.executable, "-m", "codesynth.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_cli_endpoint_errors_are_one_line(server, tmp_path):
    probs = tmp_path / "p.jsonl"
    probs.write_text(ADD.model_dump_json() + "\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    common = ["generate", "solutions", str(probs), "--out", str(tmp_path / "o")]
    r = _run_cli(tmp_path, *common, "--base-url", dead, "--model", "m")
    assert r.returncode == 4
    assert r.stderr.strip().splitlines() == [
        f"codesynth: error: cannot reach endpoint {dead}: Connection refused"
    ]
    r = _run_cli(tmp_path, *common, "--base-url", server.base_url, "--model", "no-such-model")
    assert r.returncode == 4 and len(r.stderr.strip().splitlines()) == 1
    assert "model 'no-such-model' not found" in r.stderr and "scripted-model" in r.stderr
    r = _run_cli(tmp_path, *common, "--base-url", server.base_url, "--temperature", "-1")
    assert r.returncode == 2 and "temperature" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    probs.write_text('{"id": "x"}\n')
    r = _run_cli(tmp_path, *common, "--base-url", server.base_url)
    assert r.returncode == 2 and "p.jsonl:1" in r.stderr
    assert server.requests == []  # nothing was generated by any of these


def test_tests_mode_drops_copies_of_the_problems_own_tests(server, client_for, tmp_path, docker_backend):
    # ADD's own tests are check(candidate) asserts; a model that repeats them (renamed, sides
    # swapped, with a message) adds nothing, and they must not be appended to the problem again.
    server.responder = lambda body: fence(
        "assert add(1, 2) == 3\n"  # check()'s first assert, candidate -> add
        "assert 0 == add(-1, 1), 'zero'\n"  # the second one, sides swapped, a message added
        "assert add(7, 8) == 15\n"  # new
        "assert add(7,8)==15"  # the new one again, reformatted
    )
    out = tmp_path / "t"
    rep = generate_tests([ADD], client_for(server), out, n=1, config=CFG, backend=docker_backend)
    rows = [json.loads(line) for line in (out / "tests.jsonl").read_text().splitlines()]
    assert [(t["kept"], t["reason"]) for t in rows] == [
        (False, "already_in_problem"), (False, "already_in_problem"), (True, None), (False, "duplicate"),
    ]  # fmt: skip
    assert rep.counts["tests_kept"] == 1 and rep.counts["dropped"] == {"already_in_problem": 2, "duplicate": 1}
    new = load_problems(out / "problems.jsonl")[0]
    assert new.tests == ADD.tests
    appended = new.private_tests
    assert "add(7, 8) == 15" in appended and "add(1, 2)" not in appended and "add(-1, 1)" not in appended
