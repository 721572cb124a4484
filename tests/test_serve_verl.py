"""verl 0.9.1's own code against codesynth: its reward-function loader on our verl reward file,
and its built-in SandboxFusion scorer over HTTP against `codesynth serve`.

Needs `pip install verl==0.9.1` (about 600 MB over torch, no vllm); skipped, and listed as
skipped by `-ra`, where it is not installed, so the serve suite stays light.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

verl = pytest.importorskip("verl", minversion="0.9")

import uvicorn  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from test_serve import free_port  # noqa: E402
from verl.trainer.ppo.reward import get_custom_reward_fn  # noqa: E402
from verl.utils.reward_score import default_compute_score  # noqa: E402
from verl.utils.reward_score import sandbox_fusion as verl_sf  # noqa: E402

import codesynth.verifiers.verl_reward as verl_reward  # noqa: E402
from codesynth.models import Problem  # noqa: E402
from codesynth.service import ServeConfig, create_app  # noqa: E402
from codesynth.verifiers import pool  # noqa: E402
from codesynth.verifiers.adapters import problem_spec  # noqa: E402

SQUARE = Problem(id="v/square", prompt="def square(x):\n", entry_point="square",
                 tests="def check(candidate):\n    assert candidate(3) == 9\n    assert candidate(-2) == 4\n")


@pytest.fixture
def shared_pool(docker_backend):
    pool.set_backend(docker_backend)
    yield
    pool.set_backend(None)


def test_verl_091_loader_reads_reward_custom_reward_function(shared_pool):
    cfg = OmegaConf.create({"reward": {"custom_reward_function": {
        "path": verl_reward.__file__, "name": "compute_score", "reward_kwargs": {"scheme": "partial"}}}})
    fn = get_custom_reward_fn(cfg)
    # called exactly as 0.9.1's NaiveRewardManager.run_single calls it
    good = fn(data_source="codesynth", solution_str="```python\ndef square(x):\n    return x * x\n```",
              ground_truth=problem_spec(SQUARE), extra_info={"index": 0, "num_turns": None,
                                                             "rollout_reward_scores": {}})
    half = fn(data_source="codesynth", solution_str="def square(x):\n    return abs(x) * 3\n",
              ground_truth=problem_spec(SQUARE), extra_info={"index": 1})
    assert good == {"score": 1.0, "acc": 1.0, "partial_credit": 1.0}
    assert half["score"] == 0.5 and half["acc"] == 0.0  # reward_kwargs scheme=partial reached us


def test_verl_091_ignores_the_old_top_level_keys():
    old = OmegaConf.create({"custom_reward_function": {"path": verl_reward.__file__, "name": "compute_score"},
                            "reward": {}})
    assert get_custom_reward_fn(old) is None  # which is why the README gives both spellings


def test_verl_sandbox_fusion_scorer_against_codesynth_serve(docker_backend):
    cfg = ServeConfig(limits=docker_backend.limits)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(cfg, docker_backend), host="127.0.0.1", port=port,
                                           log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}/run_code"
    try:
        cases = json.dumps({"inputs": ["1 2\n", "5 7\n", "-3 3\n"], "outputs": ["3\n", "12\n", "0\n"]})
        right = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
        wrong = "```python\na, b = map(int, input().split())\nprint(a * b)\n```"
        boom = "```python\nraise SystemExit(4)\n```"
        # the dispatcher verl's reward managers call (data_source -> verl's SandboxFusion scorer)
        assert default_compute_score("codecontests", right, cases, sandbox_fusion_url=url, memory_limit_mb=1024) == 1.0
        assert default_compute_score("codecontests", wrong, cases, sandbox_fusion_url=url, memory_limit_mb=1024) == 0.0
        score, meta = verl_sf.compute_score(url, None, 1024, right, cases, continuous=True)
        assert score == 1.0 and all(m["status"] == "success" for m in meta), meta
        score, meta = verl_sf.compute_score(url, None, 1024, boom, cases, continuous=True)
        assert score == 0.0 and meta[0]["status"] != "api_error", meta  # the user's failure, not infrastructure
        # verl's function-call wrapper (fn_name): its star-imports and stdin JSON all run in our sandbox
        fn_cases = json.dumps({"fn_name": "add", "inputs": ["1\n2", "10\n-4"], "outputs": ["3", "6"]})
        fn_code = "```python\ndef add(a, b):\n    return a + b\n```"
        score, meta = verl_sf.compute_score(url, None, 1024, fn_code, fn_cases, continuous=True)
        assert score == 1.0, meta
    finally:
        server.should_exit = True
        t.join(20)
