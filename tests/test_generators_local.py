"""End to end with the bundled local model (SmolLM2-135M via llama-cpp-python) and the real sandbox.

The model is tiny and writes poor code: these tests assert that every artefact exists
and is well formed, never a pass rate.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PROBLEM_SETS

from codesynth.config import SamplingParams
from codesynth.generators.client import ChatClient
from codesynth.generators.local_model import MODEL_ALIAS, LocalModelServer
from codesynth.jsonl import read_models
from codesynth.models import Candidate, DatasetRecord, ExecutionResult, Problem, RewardRecord, RunSummary
from codesynth.problems import load_problems

pytestmark = pytest.mark.docker


def _env(tmp_path: Path) -> dict[str, str]:
    # No config file, no endpoint variables: the CLI must fall back to the bundled model.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODESYNTH_")}
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    return env


def _cli(tmp_path: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "codesynth.cli", *args],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _port_closed(port: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.2)
    return False


def test_local_server_serves_and_stops():
    srv = LocalModelServer().start()
    try:
        client = ChatClient(srv.endpoint(), SamplingParams(max_tokens=24))
        assert client.check() == MODEL_ALIAS
        comp = client.complete([{"role": "user", "content": "Say hello."}])
        assert comp.completion_tokens > 0 and client.usage.tokens_per_s > 0
        assert srv.endpoint().cache_id.startswith("local:SmolLM2-135M-Instruct.Q4_1.gguf")
        proc, port = srv.proc, srv.port
    finally:
        srv.stop()
    assert proc.poll() is not None
    assert _port_closed(port)


def test_generate_solutions_verify_on_the_bundled_model(tmp_path, runner_image):
    # two function problems and one stdin/stdout problem from the shipped set
    basic = load_problems(PROBLEM_SETS / "basic.jsonl")
    picked = [p for p in basic if p.kind == "function"][:2] + [p for p in basic if p.kind == "io"][:1]
    probs = tmp_path / "three.jsonl"
    probs.write_text("".join(p.model_dump_json() + "\n" for p in picked))
    out = tmp_path / "run"
    r = _cli(tmp_path, "generate", "solutions", str(probs), "--n", "2", "--verify", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "bundled model" in r.stderr
    port = int(re.search(r"127\.0\.0\.1:(\d+)", r.stderr).group(1))
    assert _port_closed(port)  # the server did not outlive the command

    cands = read_models(out / "candidates.jsonl", Candidate)
    results = read_models(out / "results.jsonl", ExecutionResult)
    rewards = read_models(out / "rewards.jsonl", RewardRecord)
    dataset = read_models(out / "dataset.jsonl", DatasetRecord)
    assert len(cands) == len(results) == len(rewards) == 6  # every candidate has a verdict and a reward
    assert {c.problem_id for c in cands} == {p.id for p in picked}
    assert all(c.origin.model == MODEL_ALIAS and c.origin.mode == "solutions" for c in cands)
    assert {d.candidate_id for d in dataset} == {r.candidate_id for r in rewards if r.passed}
    summary = RunSummary.model_validate_json((out / "summary.json").read_text())
    assert {"pass@1", "pass@2"} <= set(summary.pass_at_k) and summary.candidates == 6
    gen = json.loads((out / "generation_solutions.json").read_text())
    assert gen["usage"]["requests"] == 6 and gen["usage"]["completion_tokens"] > 0
    assert gen["usage"]["tokens_per_s"] > 0 and gen["sampling"]["max_tokens"] == 320
    print(f"local model: {gen['usage']['tokens_per_s']} tokens/s; statuses {gen['counts']['status']}")

    # resumed: the local model is asked for nothing again
    r2 = _cli(tmp_path, "generate", "solutions", str(probs), "--n", "2", "--verify", "--out", str(out), "--resume",
              "--json")  # fmt: skip
    assert r2.returncode == 0, r2.stderr[-2000:]
    assert json.loads(r2.stdout)["usage"]["requests"] == 0


def test_generate_problems_on_the_bundled_model(tmp_path, runner_image):
    out = tmp_path / "new"
    r = _cli(tmp_path, "generate", "problems", str(PROBLEM_SETS / "basic.jsonl"), "--n", "3", "--out", str(out),
             "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    rep = json.loads(r.stdout)
    assert rep["counts"]["proposals"] == 3
    # a valid problem set in our format, possibly small
    produced = read_models(out / "problems.jsonl", Problem)
    assert len(produced) == rep["counts"]["accepted"]
    for p in produced:
        assert p.reference_solution and p.entry_point and p.source == "codesynth:problems"
    proposals = [json.loads(x) for x in (out / "proposals.jsonl").read_text().splitlines()]
    assert len(proposals) == 3 and all(p["accepted"] or p["reason"] for p in proposals)


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "term", "kill"]
)
def test_interrupted_run_leaves_no_model_server(tmp_path, sig):
    probs = tmp_path / "p.jsonl"
    probs.write_text((PROBLEM_SETS / "basic.jsonl").read_text())
    proc = subprocess.Popen(
        [sys.executable, "-m", "codesynth.cli", "generate", "solutions", str(probs), "--n", "5",
         "--out", str(tmp_path / "o")],
        cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    port = None
    deadline = time.monotonic() + 120
    while port is None and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        m = re.search(r"bundled model .* at http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
    assert port is not None, "the local model never came up"
    time.sleep(1.0)  # let it get busy generating
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode == (-9 if sig == signal.SIGKILL else 130)
    assert _port_closed(port), "the model server outlived the command"
