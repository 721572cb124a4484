"""Reward schemes over real verdicts from the Docker sandbox, and the scheme specs."""

from __future__ import annotations

import json

import pytest

from codesynth.errors import InputError
from codesynth.models import SCHEMA_VERSION, Candidate, FailureCategory, Limits, Problem, RewardRecord
from codesynth.pipeline import VerifyConfig, verify_candidates
from codesynth.rundir import read_run
from codesynth.verifiers.rewards import DEFAULT_SHAPED, RewardScheme, get_scheme, make_reward

PROBLEM = Problem(
    id="r/triple",
    prompt="Write triple(x) returning 3 * x.",
    entry_point="triple",
    tests="def check(candidate):\n    assert candidate(1) == 3\n    assert candidate(2) == 6\n"
    "    assert candidate(0) == 0\n    assert candidate(-1) == -3\n",
)
PROGRAMS = {
    "right": "def triple(x):\n    return 3 * x\n",
    "half": "def triple(x):\n    return x * x * x\n",  # equals 3x at 0 only: 1 of 4 tests
    "wrong": "def triple(x):\n    return x + 100\n",
    "runtime": "def triple(x):\n    return x / 0\n",
    "syntax": "def triple(x)\n    return 3 * x\n",
    "timeout": "def triple(x):\n    while True:\n        pass\n",
    "memory": "def triple(x):\n    b = bytearray(2 << 30)\n    return 3 * x\n",
    "no_code": "   \n",
}


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory, docker_backend):
    out = tmp_path_factory.mktemp("rewards") / "run"
    cands = [Candidate(candidate_id=k, problem_id=PROBLEM.id, solution=v) for k, v in PROGRAMS.items()]
    verify_candidates(
        [PROBLEM],
        cands,
        out,
        VerifyConfig(progress=False, limits=Limits(timeout_s=2, memory_mb=256), reward_scheme="shaped"),
        backend=docker_backend,
    )
    return out, read_run(out)


def test_failure_categories_from_real_runs(verdicts):
    _, st = verdicts
    cats = {
        k: (st.rewards[k].failure_category.value if st.rewards[k].failure_category else None)
        for k in PROGRAMS
    }
    assert cats == {
        "right": None,
        "half": "wrong_answer",
        "wrong": "wrong_answer",
        "runtime": "runtime_error",
        "syntax": "syntax_error",
        "timeout": "timeout",
        "memory": "memory",
        "no_code": "no_code",
    }


def test_binary_partial_shaped(verdicts):
    _, st = verdicts
    res, cands = st.results, st.candidates
    binary = {k: make_reward(res[k], cands[k], "binary").reward for k in PROGRAMS}
    assert binary == {k: (1.0 if k == "right" else 0.0) for k in PROGRAMS}
    # x**3 equals 3x at 0 only among 1, 2, 0, -1: 1 of 4 tests
    assert res["half"].tests_passed == 1 and res["half"].tests_total == 4
    partial = {k: make_reward(res[k], cands[k], "partial").reward for k in PROGRAMS}
    assert partial["right"] == 1.0 and partial["half"] == 0.25 and partial["wrong"] == 0.0
    assert partial["syntax"] == partial["timeout"] == partial["no_code"] == 0.0
    shaped = {k: st.rewards[k].reward for k in PROGRAMS}  # the run itself used --reward-scheme shaped
    assert all(st.rewards[k].scheme == "shaped" for k in PROGRAMS)
    assert shaped["right"] == 1.0
    assert shaped["half"] == pytest.approx(DEFAULT_SHAPED[FailureCategory.wrong_answer] + 0.5 * 0.25)
    # the documented order: right > partly right > wrong > slow/big > crashing > not parsing > no code
    assert (
        shaped["right"]
        > shaped["half"]
        > shaped["wrong"]
        > shaped["timeout"]
        > shaped["runtime"]
        > shaped["syntax"]
        > shaped["no_code"]
    )
    assert shaped["memory"] == shaped["timeout"]


def test_rewards_jsonl_is_versioned_and_replayable(verdicts):
    out, st = verdicts
    lines = (out / "rewards.jsonl").read_text().splitlines()
    assert len(lines) == len(PROGRAMS)
    for line in lines:
        obj = json.loads(line)
        assert obj["schema_version"] == SCHEMA_VERSION
        RewardRecord.model_validate(obj)  # stable schema: a line reads back as a record
    # replay: recomputing from results.jsonl gives the same rewards
    for k in PROGRAMS:
        assert make_reward(st.results[k], st.candidates[k], "shaped").reward == st.rewards[k].reward


def test_scheme_specs(tmp_path):
    assert get_scheme("binary").kind == "binary"
    s = get_scheme("shaped:timeout=-0.9,partial_weight=0.2,pass_reward=2")
    assert (
        s.category_rewards[FailureCategory.timeout] == -0.9 and s.partial_weight == 0.2 and s.pass_reward == 2
    )
    assert s.category_rewards[FailureCategory.syntax_error] == DEFAULT_SHAPED[FailureCategory.syntax_error]
    f = tmp_path / "scheme.json"
    f.write_text(json.dumps({"name": "mine", "kind": "shaped", "category_rewards": {"wrong_answer": 0.1}}))
    assert get_scheme(str(f)).category_rewards == {FailureCategory.wrong_answer: 0.1}
    assert isinstance(get_scheme(str(f)), RewardScheme)
    for bad, msg in (
        ("nonsense", "unknown reward scheme"),
        ("shaped:bogus=1", "unknown key 'bogus'"),
        ("shaped:timeout=x", "needs a number"),
        (str(tmp_path / "none.json"), "not found"),
    ):
        with pytest.raises(InputError, match=msg):
            get_scheme(bad)
    f.write_text('{"kind": "weird"}')
    with pytest.raises(InputError, match="kind"):
        get_scheme(str(f))


def test_partial_credit_is_never_paid_for_our_infrastructure_failing():
    from codesynth.models import ExecutionResult, Status
    from codesynth.verifiers.rewards import compute_reward, partial_credit

    counts = dict(candidate_id="c", problem_id="p", tests_total=4, tests_passed=3)
    scheme = get_scheme("partial")
    assert compute_reward(ExecutionResult(status=Status.failed, **counts), scheme) == 0.75
    # the same counts from a run the sandbox lost: they are not the program's, so no credit
    assert compute_reward(ExecutionResult(status=Status.sandbox_error, **counts), scheme) == 0.0
    assert compute_reward(ExecutionResult(status=Status.sandbox_error, **counts), get_scheme("shaped")) == 0.0
    assert partial_credit(ExecutionResult(status=Status.sandbox_error, **counts)) is None  # the record says so too
