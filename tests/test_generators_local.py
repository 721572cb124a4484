"""End to end with the bundled local model (SmolLM2-135M on its installed runtime) and the real sandbox.

The model is tiny and writes poor code: these tests assert that every artefact exists
and is well formed, never a pass rate.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import PROBLEM_SETS

from codesynth.config import SamplingParams
from codesynth.errors import EndpointError
from codesynth.generators import llama_setup
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


def test_local_server_serves_and_stops(local_model):
    srv = LocalModelServer().start()
    try:
        # ready means it completed a token: the first request answers at once
        assert srv.proc.poll() is None and srv.startup_s > 0
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


def test_generate_solutions_verify_on_the_bundled_model(tmp_path, runner_image, local_model):
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


def test_generate_problems_on_the_bundled_model(tmp_path, runner_image, local_model):
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
def test_interrupted_run_leaves_no_model_server(tmp_path, sig, local_model):
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
    assert proc.returncode == {signal.SIGKILL: -9, signal.SIGTERM: 143, signal.SIGINT: 130}[sig]
    assert _port_closed(port), "the model server outlived the command"


def _server_children(pid: int) -> list[int]:
    """Pids of model server processes (ours over the prebuilt runtime, or `llama_cpp.server`)
    among the children of `pid`."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
                if b"llama_cpp.server" in cmdline or b"codesynth.generators.local_server" in cmdline:
                    out.append(int(child))
    return out


@pytest.mark.parametrize(
    "sig, expected",
    [
        (signal.SIGSEGV, "local model server died with SIGSEGV (llama.cpp built for another CPU?): "
                         "run `codesynth model setup --rebuild`"),
        (signal.SIGKILL, "local model server died with SIGKILL (out of memory, or killed by another process)"),
    ],
    ids=["segv", "kill"],
)
def test_server_dying_mid_start_says_so_in_one_line(local_model, sig, expected):
    # The real server, killed while it loads (before its one-token readiness completion).
    srv = LocalModelServer()
    errors: list[BaseException] = []
    t = threading.Thread(target=lambda: _catch(srv.start, errors))
    t.start()
    deadline = time.monotonic() + 30
    while srv.proc is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert srv.proc is not None, "the server process never started"
    os.kill(srv.proc.pid, sig)
    t.join(timeout=60)
    assert not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], EndpointError), errors
    msg = str(errors[0])
    assert msg.startswith(expected) and "\n" not in msg, msg
    assert srv.proc is None  # stopped and cleaned up


def _catch(fn, into: list[BaseException]) -> None:
    try:
        fn()
    except BaseException as e:  # noqa: B036 - handed to the test thread
        into.append(e)


def test_cli_reports_a_crashed_model_server_in_one_line(tmp_path, local_model):
    # The whole command: the server segfaults while starting; codesynth exits 4 with one line.
    probs = tmp_path / "p.jsonl"
    probs.write_text((PROBLEM_SETS / "basic.jsonl").read_text())
    proc = subprocess.Popen(
        [sys.executable, "-m", "codesynth.cli", "generate", "solutions", str(probs), "--n", "1",
         "--out", str(tmp_path / "o")],
        cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    pids: list[int] = []
    while not pids and time.monotonic() < deadline and proc.poll() is None:
        pids = _server_children(proc.pid)
        time.sleep(0.01)
    assert pids, "no model server child appeared"
    os.kill(pids[0], signal.SIGSEGV)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 4, err
    lines = [x for x in err.splitlines() if x.strip()]
    assert lines[-1] == (
        "codesynth: error: local model server died with SIGSEGV (llama.cpp built for another CPU?): "
        "run `codesynth model setup --rebuild`"
    ), err
    assert "Traceback" not in err


def test_model_setup_check_probes_a_real_completion(local_model, tmp_path):
    r = subprocess.run([sys.executable, "-m", "codesynth.cli", "model", "setup", "--check", "--json"],
                       capture_output=True, text=True, timeout=300, env=_env(tmp_path))  # fmt: skip
    assert r.returncode == 0, r.stderr
    st = llama_setup.LlamaStatus.model_validate_json(r.stdout)
    assert st.ok and st.installed and st.model_installed and st.probe == "ok"
    # what it runs with is the portable set: no feature only a native build turns on
    assert "AVX2" in st.cpu_features or platform.machine() != "x86_64"
    assert llama_setup.native_features(st.cpu_features) == []
    # and a direct probe of this interpreter's build completes one token
    result, info = llama_setup.probe(llama_setup.find_model_path())
    assert result == "ok" and info["completion_tokens"] == 1


def test_portable_build_flags():
    assert llama_setup.cmake_args("aarch64") == "-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
    everything = {"sse4_2", "avx", "avx2", "bmi2", "fma", "f16c", "avx512f", "amx_int8"}
    assert llama_setup.cmake_args("x86_64", everything) == "-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
    # an old CPU (no AVX2/FMA/F16C/BMI2) gets those off, never a SIGILL
    old = {"sse4_2", "avx"}
    assert llama_setup.cmake_args("x86_64", old) == (
        "-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF -DGGML_AVX2=OFF -DGGML_BMI2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF"
    )
    feats = "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | AVX_VNNI = 0 |"
    assert llama_setup.native_features(llama_setup._features(feats)) == ["AVX512", "AVX512_VNNI", "AMX_INT8"]


def test_cli_reports_a_model_server_dying_mid_run(tmp_path, local_model):
    # Started and serving, then it segfaults: not "connection refused after 5 attempts".
    probs = tmp_path / "p.jsonl"
    probs.write_text((PROBLEM_SETS / "basic.jsonl").read_text())
    proc = subprocess.Popen(
        [sys.executable, "-m", "codesynth.cli", "generate", "solutions", str(probs), "--n", "2",
         "--out", str(tmp_path / "o"), "--max-retries", "1"],
        cwd=tmp_path, env=_env(tmp_path), stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    seen = []
    while proc.poll() is None:
        line = proc.stderr.readline()
        seen.append(line)
        if "bundled model" in line:
            break
    assert "bundled model" in seen[-1], "".join(seen)
    time.sleep(0.5)  # generating now
    (pid,) = _server_children(proc.pid)
    os.kill(pid, signal.SIGSEGV)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 4, err
    last = [x for x in err.splitlines() if x.strip()][-1]
    assert last.startswith("codesynth: error: local model server died with SIGSEGV"), err
    assert "Traceback" not in err


def test_build_record_goes_stale_when_the_libraries_change(tmp_path):
    # A later `pip install` that replaces llama.cpp's libraries must not inherit our record.
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "libllama.so").write_bytes(b"\x7fELF one build")
    llama_setup.write_marker(lib, built_by="codesynth", probe="ok")
    assert llama_setup.read_marker(lib)["built_by"] == "codesynth"
    (lib / "libllama.so").write_bytes(b"\x7fELF another build")
    assert llama_setup.read_marker(lib) is None
