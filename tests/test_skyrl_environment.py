"""SkyRL-gym 0.4's own registry and `make` on the code environment: episodes step by step, the
feedback as the next user message, the reward with the last step, no private test content."""

from __future__ import annotations

import json

import pytest

from codesynth.models import Problem
from codesynth.problems import save_problems
from codesynth.verifiers import pool
from codesynth.verifiers.adapters import to_verl_rows

skyrl_gym = pytest.importorskip("skyrl_gym")

CANARY = "sk4canary70p"
SHOUT = Problem(id="shout", prompt="Write shout(s): s upper-cased with '!' appended.", entry_point="shout",
                tests="assert shout('hi') == 'HI!'\n", private_tests=f"assert shout('{CANARY}') == '{CANARY.upper()}!'\n")
WRONG = "```python\ndef shout(s):\n    return s.upper()\n```"
GOOD = "```python\ndef shout(s):\n    return s.upper() + '!'\n```"


def test_skyrl_makes_the_environment_by_id_and_plays_episodes(docker_backend, tmp_path):
    from codesynth.errors import DataError
    from codesynth.verifiers.adapters.skyrl import register_skyrl

    problems = tmp_path / "problems.jsonl"
    save_problems(problems, [SHOUT])
    env_id = register_skyrl()
    assert register_skyrl() == env_id  # once
    row = {**to_verl_rows([SHOUT])[0], "env_class": env_id}
    cfg = {"problems": str(problems), "max_turns": 2}
    pool.set_backend(docker_backend)
    try:
        env = skyrl_gym.make(row["env_class"], env_config=cfg, extras=row)
        prompt, _ = env.init(row["prompt"])
        assert prompt == row["prompt"]
        first = env.step(WRONG)
        assert (first["done"], first["reward"]) == (False, 0.0)
        assert first["observations"][0]["content"].startswith("Your code failed the following tests:")
        last = env.step(GOOD)
        assert (last["done"], last["reward"], last["observations"]) == (True, 1.0, [])
        gamed = skyrl_gym.make(env_id, env_config=cfg, extras=row)
        gamed.init(row["prompt"])
        out = gamed.step("```python\ndef shout(s):\n    return 'HI!'\n```")
        assert (out["done"], out["reward"]) == (True, -1.0)
        assert CANARY not in json.dumps([first, last, out], default=str)
        with pytest.raises(DataError, match="names no problem"):
            skyrl_gym.make(env_id, env_config=cfg, extras={"prompt": []})
    finally:
        pool.set_backend(None)
