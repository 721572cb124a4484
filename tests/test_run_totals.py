"""Runs whose numbers are the run's (issue 22): an interrupted and resumed synth reports the same
totals (requests, tokens, cost, repairs, curation) as one uninterrupted run, in synth.json, in the
dataset card and in the HTML report. A scripted OpenAI-compatible server on 127.0.0.1, the real sandbox."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from helpers import ROOT, run_cli
from scripted_server import ScriptedServer
from test_synth import SEEDS, answer_for, recipe

pytestmark = pytest.mark.docker


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


COUNTED = ("requests", "prompt_tokens", "completion_tokens")


def test_resumed_totals_equal_an_uninterrupted_run(server, tmp_path, runner_image):
    server.responder = answer_for(delay=0.3)
    whole = tmp_path / "whole"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ref = run_cli("synth", str(recipe(tmp_path / "a", server)), "--out", str(whole), "--json")
    assert ref.returncode == 0, ref.stderr
    one = json.loads(ref.stdout)
    sent_whole = len(server.requests)
    assert one["usage"]["requests"] == sent_whole == 3 * len(SEEDS) and one["invocations"] == 1

    # the same run (its own cache), interrupted with SIGTERM once a few verdicts are on disk, then resumed
    out = tmp_path / "cut"
    r = recipe(tmp_path / "b", server)
    proc = subprocess.Popen([sys.executable, "-m", "codesynth.cli", "synth", str(r), "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = out / "run" / "results.jsonl"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (results.exists() and len(results.read_text().splitlines()) >= 3):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0, err
    first_part = len(server.requests) - sent_whole
    assert 0 < first_part < 3 * len(SEEDS)  # it was cut before the end

    done = run_cli("synth", str(r), "--out", str(out), "--resume", "--json")
    assert done.returncode == 0, done.stderr
    two = json.loads(done.stdout)
    assert two["invocations"] == 2
    # every reply the run received was paid once and is counted once, whichever invocation got it
    for k in COUNTED:
        assert two["usage"][k] == one["usage"][k], k
    assert two["cost_usd"] == pytest.approx(one["cost_usd"])
    assert two["stages"]["repair"]["fixed"] == one["stages"]["repair"]["fixed"] == len(SEEDS)
    assert two["curated_records"] == one["curated_records"] and two["dataset_records"] == one["dataset_records"]
    assert json.loads((out / "synth.json").read_text())["usage"]["requests"] == one["usage"]["requests"]

    # a resume with nothing left to do changes none of the run's numbers
    again = run_cli("synth", str(r), "--out", str(out), "--resume", "--json")
    assert again.returncode == 0, again.stderr
    three = json.loads(again.stdout)
    assert three["invocations"] == 3
    for k in COUNTED:
        assert three["usage"][k] == one["usage"][k], k
    assert three["stages"]["repair"]["fixed"] == len(SEEDS)

    # the card and the HTML page say the run's numbers, not the last invocation's
    card = (out / "README.md").read_text()
    assert f"| requests / tokens | {one['usage']['requests']} / " in card
    assert f"${one['cost_usd']:.4f}" in card
    page = (out / "report.html").read_text()
    assert "scripted-model" in page and str(one["usage"]["requests"]) in page
