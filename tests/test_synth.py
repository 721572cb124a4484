"""`codesynth synth`: the whole pipeline from a recipe, through the real CLI, the real sandbox
and a real OpenAI-compatible server on 127.0.0.1 (scripted, so its answers are known)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import PROBLEM_SETS, ROOT, read_jsonl, run_cli
from scripted_server import Reply, ScriptedServer, last_user

from codesynth.problems import load_problems

pytestmark = pytest.mark.docker

SEEDS = [p for p in load_problems(PROBLEM_SETS / "basic.jsonl") if p.kind == "function"][:4]


def answer_for(delay: float = 0.0):
    """Sample 0 of each problem is its reference, sample 1 is wrong; a repair is the reference."""

    def answer(body):
        user = last_user(body)
        whole = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        p = next((p for p in SEEDS if p.entry_point and f"def {p.entry_point}(" in whole), None)
        if p is None:
            return Reply(content="no idea", delay=delay)
        right = f"```python\n{p.reference_solution}```"
        if user.startswith("Your solution was run"):
            return Reply(content=right, delay=delay)
        if body.get("seed", 0) % 2 == 0:
            return Reply(content=right, delay=delay)
        return Reply(content=f"```python\ndef {p.entry_point}(*args):\n    return None\n```", delay=delay)

    return answer


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


def recipe(tmp_path: Path, server: ScriptedServer, **extra: str) -> Path:
    r = tmp_path / "recipe.toml"
    sections = {
        "seeds": f'problems = "{PROBLEM_SETS / "basic.jsonl"}"\nkind = "function"\nlimit = {len(SEEDS)}',
        "endpoint": f'base_url = "{server.base_url}"\nmodel = "scripted-model"\nconcurrency = 2\nbackoff_s = 0.01',
        "cache": f'dir = "{tmp_path / "cache"}"',
        "solutions": "n = 2",
        "repair": "rounds = 1",
        "curate": "mutation = false\ndecontam = false",
        "execution": "timeout_s = 5\nworkers = 2",
        "prices": "prompt_per_mtok = 1000.0\ncompletion_per_mtok = 1000.0",
    }
    sections.update(extra)
    r.write_text('name = "t"\n' + "".join(f"\n[{k}]\n{v}\n" for k, v in sections.items()))
    return r


def test_synth_generates_judges_repairs_curates_and_exports(server, tmp_path, runner_image):
    server.responder = answer_for()
    out = tmp_path / "out"
    res = run_cli("synth", str(recipe(tmp_path, server)), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    s = json.loads(res.stdout)
    results = read_jsonl(out / "run" / "results.jsonl")
    assert len(results) == 2 * len(SEEDS) + len(SEEDS)  # every sample, plus one repair per wrong one
    assert s["stages"]["solutions"]["passed"] == len(SEEDS)
    assert s["stages"]["solutions"]["pass_at_k"]["pass@1"] == pytest.approx(0.5)  # repairs are not samples
    assert s["stages"]["repair"]["fixed"] == len(SEEDS)
    assert s["dataset_records"] == 2 * len(SEEDS)
    assert s["curated_records"] >= 1
    # what curation dropped and why is in the summary (it was left out: set on a copy)
    assert s["stages"]["curate"]["dedup"] == {"exact_duplicate": s["dataset_records"] - s["curated_records"]}
    exported = read_jsonl(Path(s["export"]))
    assert len(exported) == s["curated_records"] and exported[0]["messages"][-1]["role"] == "assistant"
    card = (out / "README.md").read_text()
    assert "scripted-model" in card and "pass@1" in card
    assert json.loads((out / "recipe.json").read_text())["solutions"]["n"] == 2
    prompts = json.loads((out / "prompts.json").read_text())
    assert set(prompts) == {"solutions", "repair"}
    assert prompts["solutions"][0]["role"] == "system" and f"def {SEEDS[0].entry_point}(" in prompts["solutions"][-1]["content"]
    assert any(b["messages"] == prompts["solutions"] for b in server.requests)  # exactly what was sent
    sent = len(server.requests)
    assert sent == 3 * len(SEEDS)

    # Resumed: everything is already there; nothing is requested again.
    again = run_cli("synth", str(recipe(tmp_path, server)), "--out", str(out), "--resume")
    assert again.returncode == 0, again.stderr
    assert f"  curation: {s['curated_records']} kept of {s['dataset_records']} verified; dropped" in again.stdout
    assert len(server.requests) == sent
    assert len(read_jsonl(out / "run" / "results.jsonl")) == len(results)

    # Without --resume the directory is refused; with a changed recipe the resume is refused.
    fresh = run_cli("synth", str(recipe(tmp_path, server)), "--out", str(out))
    assert fresh.returncode == 2 and "--resume" in fresh.stderr and len(fresh.stderr.splitlines()) == 1
    changed = run_cli("synth", str(recipe(tmp_path, server, solutions="n = 3")), "--out", str(out), "--resume")
    assert changed.returncode == 2 and "cannot resume" in changed.stderr and "n (2 -> 3)" in changed.stderr
    assert len(server.requests) == sent

    # --update: the same change is made, and only what it touches: one more sample per problem.
    grown = run_cli("synth", str(recipe(tmp_path, server, solutions="n = 3")), "--out", str(out), "--resume",
                    "--update", "--json")
    assert grown.returncode == 0, grown.stderr
    assert len(server.requests) == sent + len(SEEDS)  # sample 2 of each (its seed is even: right, no repair)
    assert "n (2 -> 3)" in grown.stderr and "0 record(s) forgotten" in grown.stderr
    assert json.loads(grown.stdout)["stages"]["solutions"]["candidates"] == 3 * len(SEEDS)


def test_dry_run_prices_the_plan_and_sends_nothing(server, tmp_path):
    res = run_cli("synth", str(recipe(tmp_path, server)), "--out", str(tmp_path / "o"), "--dry-run", "--json")
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    stages = {s["stage"]: s for s in plan["stages"]}
    assert stages["solutions"]["requests"] == 2 * len(SEEDS)
    assert stages["repair"]["requests"] == 2 * len(SEEDS) and stages["repair"]["upper_bound"]
    assert plan["cost_usd"] > 0 and server.requests == [] and not (tmp_path / "o").exists()


def test_budget_stops_cleanly_and_a_resume_finishes(server, tmp_path, runner_image):
    server.responder = answer_for()
    out = tmp_path / "out"
    # ~100 tokens a request at $1000/Mtok: a cap of $0.2 is reached after a couple of requests
    stopped = run_cli("synth", str(recipe(tmp_path, server)), "--out", str(out), "--budget", "0.2")
    assert stopped.returncode == 6, stopped.stderr
    assert "budget of $0.20 reached" in stopped.stderr and "--resume" in stopped.stderr
    paid = len(server.requests)
    assert 0 < paid < 3 * len(SEEDS)
    done = run_cli("synth", str(recipe(tmp_path, server)), "--out", str(out), "--resume", "--budget", "1000")
    assert done.returncode == 0, done.stderr
    assert len(server.requests) == 3 * len(SEEDS)  # the paid replies were not bought again
    ids = [r["candidate_id"] for r in read_jsonl(out / "run" / "results.jsonl")]
    assert len(ids) == len(set(ids)) == 3 * len(SEEDS)


def test_killed_synth_resumes_without_paying_twice(server, tmp_path, runner_image):
    server.responder = answer_for(delay=0.3)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "codesynth.cli", "synth", str(recipe(tmp_path, server)), "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    results = out / "run" / "results.jsonl"
    while time.monotonic() < deadline and not (results.exists() and len(results.read_text().splitlines()) >= 3):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = len(server.requests)
    answered = server.replied
    done = run_cli("synth", str(recipe(tmp_path, server)), "--out", str(out), "--resume", "--json")
    assert done.returncode == 0, done.stderr
    total = 3 * len(SEEDS)
    ids = [r["candidate_id"] for r in read_jsonl(results)]
    assert len(ids) == len(set(ids)) == total  # no verdict lost, none twice
    # Every reply received before the kill came from the cache; only what was in flight
    # (at most the concurrency, 2) was asked again.
    assert len(server.requests) - before <= total - answered + 2
    assert before < total


def test_repairs_are_asked_while_first_tries_are_still_being_written(server, tmp_path, runner_image):
    """Turns stream into each other: a failing first try's repair goes out as soon as its verdict
    exists, not after the last first try (which the sequential design could never do).

    The endpoint holds its answer to the last first try until a repair request arrives (at most
    60 s): a run that streams sends one through its other slot meanwhile; a sequential run could
    not, however fast or slow the machine is."""
    base = answer_for()
    firsts = 4 * len(SEEDS)
    lock, repair_came = threading.Lock(), threading.Event()
    seen = {"first": 0, "repair_before_last_first_answered": False}

    def responder(body):
        if last_user(body).startswith("Your solution was run"):
            repair_came.set()
            return base(body)
        with lock:
            seen["first"] += 1
            last = seen["first"] == firsts
        if last:
            seen["repair_before_last_first_answered"] = repair_came.wait(60)
        return base(body)

    server.responder = responder
    out = tmp_path / "out"
    res = run_cli("synth", str(recipe(tmp_path, server, solutions="n = 4", repair="rounds = 2")),
                  "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    kinds = ["repair" if last_user(b).startswith("Your solution was run") else "first" for b in server.requests]
    assert kinds.count("first") == firsts and kinds.count("repair") == 2 * len(SEEDS)
    assert seen["repair_before_last_first_answered"], kinds
    s = json.loads(res.stdout)
    assert s["stages"]["repair"]["fixed"] == 2 * len(SEEDS)  # each wrong sample fixed at turn 1
    assert s["stages"]["repair"]["rounds"] == [{"turn": 1, "attempted": 2 * len(SEEDS), "fixed": 2 * len(SEEDS)}]
    ids = [r["candidate_id"] for r in read_jsonl(out / "run" / "results.jsonl")]
    assert len(ids) == len(set(ids)) == 6 * len(SEEDS)
