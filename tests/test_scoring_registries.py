"""The reward-scheme and trainer-adapter registries, and the examples of the scoring pages run as
written (every ```python block of each page, in order, in one namespace)."""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT, read_jsonl, run_cli

from codesynth.models import ExecutionResult, Status
from codesynth.verifiers import pool
from codesynth.verifiers.rewards import compute_reward, get_scheme, reward_scheme_names

PAGES = ["docs/topics/scoring.md", "docs/extending/reward-schemes.md", "docs/extending/trainer-adapters.md"]


def python_blocks(page: str) -> list[str]:
    # a fence is a whole line: code inside an example may hold ``` in a string
    return re.findall(r"^```python\n(.*?)^```$", (ROOT / page).read_text(), flags=re.S | re.M)


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page, docker_backend):
    blocks = python_blocks(page)
    assert blocks, f"{page} has no example"
    pool.set_backend(docker_backend)
    try:
        ns: dict = {"__name__": "__doc_example__"}
        for block in blocks:
            exec(compile(block, page, "exec"), ns)  # noqa: S102 - our own documentation's examples
    finally:
        pool.set_backend(None)


def test_builtin_schemes_are_registered_like_any_other():
    assert {"binary", "partial", "shaped"} <= set(reward_scheme_names())
    half = ExecutionResult(candidate_id="c", problem_id="p", status=Status.failed, tests_total=4, tests_passed=1)
    assert compute_reward(half, get_scheme("binary")) == 0.0
    assert compute_reward(half, get_scheme("partial")) == 0.25
    assert compute_reward(half, get_scheme("shaped:wrong_answer=-0.1,partial_weight=0.4")) == pytest.approx(0.0)


def _toy_distribution(where: Path) -> None:
    """A package installed nowhere but on PYTHONPATH: a module and its entry point (dist-info)."""
    (where / "toy_rewards.py").write_text(textwrap.dedent('''
        from codesynth.models import Status

        def cubed(result, scheme):
            """A pass is worth 7; a failure minus the cube of the fraction of tests failed."""
            if result.status is Status.passed:
                return 7.0
            failed = 1 - (result.tests_passed or 0) / (result.tests_total or 1)
            return -(failed ** 3)
    '''))
    dist = where / "toy_rewards-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-rewards\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[codesynth.reward_schemes]\ncubed = toy_rewards:cubed\n")


def test_a_scheme_from_outside_the_package_is_used_by_verify(tmp_path, runner_image):
    plugin = tmp_path / "plugin"
    plugin.mkdir()
    _toy_distribution(plugin)
    probs = tmp_path / "p.jsonl"
    probs.write_text(json.dumps({"id": "sq", "prompt": "", "entry_point": "sq",
                                 "tests": "assert sq(2) == 4\nassert sq(3) == 9\nassert sq(0) == 0\n"}) + "\n")
    sol = tmp_path / "s.jsonl"
    sol.write_text(json.dumps({"problem_id": "sq", "solution": "def sq(x):\n    return x * x\n"}) + "\n"
                   + json.dumps({"problem_id": "sq", "solution": "def sq(x):\n    return x + x\n"}) + "\n")
    env = {**os.environ, "PYTHONPATH": f"{plugin}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = tmp_path / "run"
    r = run_cli("verify", str(probs), "--solutions", str(sol), "--out", str(out), "--reward-scheme", "cubed",
                "--json", env=env)
    assert r.returncode == 0, r.stderr
    rewards = sorted(read_jsonl(out / "rewards.jsonl"), key=lambda x: x["candidate_id"])
    # x + x: right for sq(2) and sq(0), wrong for sq(3): 1 of 3 failed
    assert [x["reward"] for x in rewards] == [7.0, pytest.approx(-(1 / 3) ** 3)]
    assert {x["scheme"] for x in rewards} == {"cubed"}
    # without the plugin the name is refused before anything runs, naming the registered ones
    bad = run_cli("verify", str(probs), "--solutions", str(sol), "--out", str(tmp_path / "run2"),
                  "--reward-scheme", "cubed")
    assert bad.returncode == 2 and "unknown reward scheme 'cubed'" in bad.stderr and "binary" in bad.stderr


def test_trl_rows_pose_the_task_as_synth_does():
    from codesynth.generators.prompts import solution_messages
    from codesynth.models import Problem
    from codesynth.pipeline.rows import SOLUTION_TEMPLATE, trl_rows

    p = Problem(id="sq", prompt="def sq(x):\n    ...\n", entry_point="sq",
                tests="assert sq(2) == 4\nassert sq(3) == 9\nassert sq(0) == 0\n")
    (row,) = trl_rows([p])
    assert row["prompt"] == solution_messages(p) and row["template"] == SOLUTION_TEMPLATE
    assert row["problem_id"] == "sq" and "assert" not in json.dumps(row)  # no test travels in a row
    (plain,) = trl_rows([p], conversational=False)
    assert plain["prompt"] == solution_messages(p)[-1]["content"]
