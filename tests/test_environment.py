"""The code environment (RLEF episodes), in process: real containers, the real runner image.

Episodes that pass, fix themselves from feedback, game the public tests, send no code, hang,
exhaust memory and crash printing everything; the feedback is RLEF's, the reward decided on
public and private tests; a canary in the private tests appears in no observation, record or log.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from codesynth.errors import DataError, InputError
from codesynth.models import CallCase, IOCase, Limits, Param, Problem, Signature
from codesynth.rundir import EPISODES, read_run
from codesynth.verifiers.environment import CodeEnvironment, Policy, read_episodes, rlef_feedback

CANARY = "zq7canary41x"

SHOUT = Problem(
    id="shout", prompt="Write shout(s): s upper-cased with '!' appended.", entry_point="shout",
    tests="assert shout('hi') == 'HI!'\nassert shout('a b') == 'A B!'\n",
    private_tests=f"assert shout('{CANARY}') == '{CANARY.upper()}!'\nassert shout('') == '!'\n",
)
ECHO = Problem(  # stdin/stdout: the canary is a private input
    id="double", prompt="Read an integer and a word; print the integer doubled and the word.",
    tests=[IOCase(input="2 ok\n", output="4 ok\n")],
    private_tests=[IOCase(input=f"21 {CANARY}\n", output=f"42 {CANARY}\n")],
)
CALLS = Problem(  # data-form: the canary is a private argument
    id="count", prompt="Write count(s): the length of s.",
    signature=Signature(name="count", params=[Param(name="s", type="str")], returns="int"),
    tests=[CallCase(call=["abc"], expect=3)], private_tests=[CallCase(call=[CANARY], expect=len(CANARY))],
)
PROBLEMS = [SHOUT, ECHO, CALLS]


def fence(code: str) -> str:
    return f"Here it is:\n```python\n{code}\n```\n"


GOOD = fence("def shout(s):\n    return s.upper() + '!'")
WRONG = fence("def shout(s):\n    return s.upper()")
GAMED = fence("def shout(s):\n    return {'hi': 'HI!', 'a b': 'A B!'}[s]")  # only the public inputs
HANG = fence("def shout(s):\n    while True:\n        pass")
BOMB = fence("def shout(s):\n    x = [bytearray(1 << 20) for _ in range(4096)]\n    return s")
LEAKER = fence(  # prints everything it gets, raises with it, exits from anywhere
    "import sys, os\n"
    "def shout(s):\n"
    "    print('ARG', s); print('ARG', s, file=sys.stderr)\n"
    "    if s not in ('hi', 'a b'):\n"
    "        raise ValueError('got ' + s)\n"
    "    return s.upper() + '!'\n")


@pytest.fixture
def env(docker_backend, tmp_path):
    e = CodeEnvironment(PROBLEMS, backend=docker_backend, limits=Limits(timeout_s=2, memory_mb=256),
                        out=tmp_path / "run")
    yield e
    e.close()


def play(env, problem_id, replies, policy=None):
    if policy is not None:
        env.policy = policy
    ep = env.episode(problem_id)
    seen = [ep.reset()]
    for r in replies:
        obs = ep.step(r)
        seen.append(obs)
        if obs.done:
            break
    return ep, seen


def test_a_correct_first_reply_ends_the_episode_with_plus_one(env):
    ep, seen = play(env, "shout", [GOOD, GOOD])
    assert seen[0].prompt == [{"role": "user", "content": SHOUT.prompt}]
    last = seen[-1]
    assert (len(seen), last.done, last.reward, last.passed, last.public_passed, last.feedback) == (
        2, True, 1.0, True, True, "")


def test_feedback_names_the_public_failures_and_a_fix_earns_the_reward(env):
    ep, seen = play(env, "shout", [WRONG, GOOD])
    first = seen[1]
    assert not first.done and first.reward is None and first.public_passed is False
    assert first.feedback.splitlines() == [
        "Your code failed the following tests:",
        "- assert shout('hi') == 'HI!'; expected: 'HI!'; got:      'HI'",
        "- assert shout('a b') == 'A B!'; expected: 'A B!'; got:      'A B'",
    ] or first.feedback.startswith("Your code failed the following tests:\n- assert shout('hi') == 'HI!'")
    assert "expected" in first.feedback and "'HI'" in first.feedback
    assert (seen[2].done, seen[2].reward, seen[2].turn) == (True, 1.0, 2)


def test_gaming_the_public_tests_ends_the_episode_at_minus_one(env):
    _, seen = play(env, "shout", [GAMED])
    assert (seen[1].public_passed, seen[1].done, seen[1].passed, seen[1].reward) == (True, True, False, -1.0)


def test_no_code_is_minus_point_two_after_the_turn_budget(env):
    _, seen = play(env, "shout", ["I cannot do this."] * 5)
    assert len(seen) == 4  # reset + RLEF's 3 turns
    assert all(o.feedback == "Your code failed the following tests:\n- Your reply contained no code." for o in seen[1:])
    assert (seen[-1].done, seen[-1].reward) == (True, -0.2)


@pytest.mark.parametrize("reply,line", [(HANG, "Execution took too long."), (BOMB, "Out of memory.")])
def test_limits_are_said_as_rlef_says_them(env, reply, line):
    env.limits = Limits(timeout_s=1, memory_mb=256)
    _, seen = play(env, "shout", [reply], Policy(max_turns=1))
    assert seen[1].feedback.splitlines()[-1] == f"- {line}"
    assert (seen[1].done, seen[1].reward) == (True, -1.0)


def test_io_and_data_form_problems(env):
    _, seen = play(env, "double", [fence("a, w = input().split()\nprint(int(a) * 3, w)"),
                                   fence("a, w = input().split()\nprint(int(a) * 2, w)")])
    assert seen[1].feedback == ("Your code failed the following tests:\n"
                                "- input: '2 ok\\n'; expected: '4 ok'; got:      '6 ok'")
    assert seen[2].reward == 1.0
    _, seen = play(env, "count", [fence("def count(s):\n    return len(s) + 1")])
    assert seen[1].feedback == 'Your code failed the following tests:\n- count("abc"): expected: 3; got:      4'


def test_other_reward_schemes_and_codesynth_feedback(env):
    _, seen = play(env, "shout", [WRONG], Policy(max_turns=1, scheme="partial", feedback="codesynth"))
    assert seen[1].reward == 0.0 and seen[1].feedback.startswith("Failed test:")
    _, seen = play(env, "shout", [GAMED], Policy(scheme="partial"))
    assert seen[1].reward == pytest.approx(0.5)  # 2 of 4 tests, public and private together
    with pytest.raises(InputError, match="unknown reward scheme .nope."):
        Policy(scheme="nope")


def test_episodes_are_recorded_in_the_run_directory(env, tmp_path):
    ep, seen = play(env, "shout", [WRONG, GOOD])
    turns = [t for t in read_episodes(tmp_path / "run") if t.episode_id == ep.id]
    assert [(t.turn, t.done, t.reward, t.parent_id) for t in turns] == [
        (0, False, None, None), (1, True, 1.0, turns[0].candidate_id)]
    assert turns[0].feedback == seen[1].feedback and turns[1].code.startswith("def shout")
    env.close()
    st = read_run(tmp_path / "run")
    final = st.candidates[turns[1].candidate_id]
    assert (final.origin.kind, final.origin.turn, final.origin.parent_id) == ("episode", 1, turns[0].candidate_id)
    assert st.rewards[final.candidate_id].reward == 1.0 and st.rewards[final.candidate_id].scheme == "rlef"
    assert final.candidate_id in st.dataset  # a passing final program is a verified record


def test_bad_use_is_one_clear_error(env):
    with pytest.raises(DataError, match="unknown problem 'nope'"):
        env.episode("nope")
    ep, _ = play(env, "shout", [GOOD])
    with pytest.raises(InputError, match="is over"):
        ep.step(GOOD)
    assert ep.reset().turn == 0 and ep.step(GOOD).reward == 1.0  # reset starts a new episode


def test_async_episodes_run_concurrently_and_agree_with_sync(env):
    script = [[WRONG, GOOD], [GAMED], [GOOD], ["no code"] * 3]

    async def one(replies):
        ep = env.episode("shout")
        await ep.areset()
        for r in replies:
            obs = await ep.astep(r)
            if obs.done:
                return obs.reward, obs.turn

    async def many():
        return await asyncio.gather(*(one(s) for s in script * 2))

    got = asyncio.run(many())
    want = [(1.0, 2), (-1.0, 1), (1.0, 1), (-0.2, 3)] * 2
    assert got == want
    assert [(play(env, "shout", s)[1][-1].reward) for s in script] == [w[0] for w in want[:4]]


def test_rlef_feedback_of_a_passing_verdict_is_empty():
    from codesynth.models import ExecutionResult, Status

    assert rlef_feedback(ExecutionResult(candidate_id="c", problem_id="p", status=Status.passed)) == ""


def test_canary_of_private_tests_reaches_no_observation_record_or_log(env, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []
    scripts = {
        "shout": [[GOOD], [WRONG, WRONG, WRONG], [GAMED], [HANG], [BOMB], [LEAKER, LEAKER], ["none"] * 3],
        "double": [[fence("import sys\nd = sys.stdin.read()\nprint(d); print(d, file=sys.stderr)\nraise SystemExit(d)")],
                   [fence("a, w = input().split()\nprint(int(a) * 2, w)")]],
        "count": [[fence("def count(s):\n    print(s)\n    raise RuntimeError(s)")],
                  [fence("def count(s):\n    return 3")]],
    }
    for pid, runs in scripts.items():
        for replies in runs:
            seen += play(env, pid, replies, Policy(max_turns=3))[1]
    assert any(o.passed for o in seen) and any(o.passed is False for o in seen)
    env.close()
    texts = [o.model_dump_json() for o in seen] + [r.getMessage() for r in caplog.records]
    run = tmp_path / "run"
    texts += [p.read_text() for p in run.iterdir() if p.is_file()]
    assert (run / EPISODES).exists() and (run / "results.jsonl").exists()
    leaks = [t[:300] for t in texts if CANARY in t or CANARY.upper() in t]
    assert leaks == []
    # the check itself can fail: the canary is in the problems the environment holds
    assert CANARY in json.dumps([p.model_dump() for p in env.problems.values()])
