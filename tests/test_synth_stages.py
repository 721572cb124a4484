"""One ordered list of synth stages (issue 18): the run executes it, `plan`/`--dry-run` estimate it,
and prompts.json holds what each stage really sent, evolve included (a scripted OpenAI-compatible
server on 127.0.0.1 records every request)."""

from __future__ import annotations

import json

import pytest
from helpers import run_cli
from scripted_server import ScriptedServer
from test_synth import SEEDS, answer_for, recipe

from codesynth.pipeline.stages import STAGES
from codesynth.pipeline.synth import load_recipe, plan, seed_problems


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


def test_the_stage_order_is_one_list():
    assert [s.name for s in STAGES] == ["problems", "tests", "solutions", "repair", "evolve"]


@pytest.mark.docker
def test_prompts_json_is_what_each_stage_sent_evolve_included(server, tmp_path, runner_image):
    server.responder = answer_for()
    r = recipe(tmp_path, server, evolve="parents = 1\nper_parent = 1")
    out = tmp_path / "out"
    res = run_cli("synth", str(r), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    prompts = json.loads((out / "prompts.json").read_text())
    assert list(prompts) == ["solutions", "repair", "evolve"]  # stage order
    sent = [b["messages"] for b in server.requests]
    for stage, messages in prompts.items():
        assert messages in sent, stage  # exactly a request that went out
    # each stage's record is one of that stage's own requests. Not "the first to arrive": requests
    # go out concurrently, so the server's arrival order is not the order the run handed them out
    # (a check on arrival order failed in CI on exactly that race).
    shapes = {"solutions": 2, "repair": 4, "evolve": 2}
    for stage, messages in prompts.items():
        assert len(messages) == shapes[stage], stage
    assert prompts["repair"][0] == prompts["solutions"][0]  # repair continues the solutions chat
    assert prompts["repair"][-1]["content"].startswith("Your solution was run against the tests")
    assert prompts["evolve"][0] != prompts["solutions"][0]
    # the plan estimates evolve with evolve's own prompt (same system prompt as what was sent),
    # not the Self-Instruct proposal prompt it used before
    rec = load_recipe(r)
    est = {e.stage: e.example for e in plan(rec, seed_problems(rec)).stages}
    assert list(est) == ["solutions", "repair", "evolve"]
    assert est["evolve"][0] == prompts["evolve"][0]
    assert est["solutions"][0] == prompts["solutions"][0] and est["repair"][0] == prompts["repair"][0]
    assert est["evolve"][0] != est["solutions"][0]

    # a resume that sends nothing keeps the record of what the run sent
    again = run_cli("synth", str(r), "--out", str(out), "--resume", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads((out / "prompts.json").read_text()) == prompts


def test_dry_run_with_no_seeds_exits_2_as_the_run_does(server, tmp_path):
    r = recipe(tmp_path, server, seeds='problems = "' + str(tmp_path / "none.jsonl") + '"\nlimit = 1')
    (tmp_path / "none.jsonl").write_text("")
    r.write_text(r.read_text().replace(f'[seeds]\nproblems = "{tmp_path / "none.jsonl"}"\nlimit = 1\n', ""))
    dry = run_cli("synth", str(r), "--out", str(tmp_path / "o"), "--dry-run")
    run = run_cli("synth", str(r), "--out", str(tmp_path / "o2"))
    assert dry.returncode == run.returncode == 2
    assert dry.stderr.splitlines()[-1] == run.stderr.splitlines()[-1]
    assert "nothing to do" in dry.stderr
    assert server.requests == []


def test_dry_run_plans_solutions_for_the_new_problems(server, tmp_path):
    r = recipe(tmp_path, server, problems="n = 3")
    dry = run_cli("synth", str(r), "--out", str(tmp_path / "o"), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    stages = {s["stage"]: s for s in json.loads(dry.stdout)["stages"]}
    assert stages["problems"]["requests"] == 3
    # the seeds' samples plus, at most, those of every proposal accepted
    assert stages["solutions"]["requests"] == 2 * (len(SEEDS) + 3) and stages["solutions"]["upper_bound"]
    assert server.requests == []
