"""Stopping the Docker engine itself in the middle of `codesynth verify`.

The shared engine runs every other test's containers, so this test starts a second,
private `dockerd` (own socket, data root, exec root, and its own network namespace: a
daemon without a bridge deletes `docker0`, which must stay the shared engine's), loads
the runner image into it, and stops *that* one mid-run: the run must end with one clear
error line, keep every finished record, leave no container behind, and complete with
`--resume` once the engine is back.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from helpers import PROBLEM_SETS, ROOT, check_complete, read_jsonl, slow_candidates, wait_for_results

pytestmark = [pytest.mark.docker, pytest.mark.skipif(shutil.which("dockerd") is None or shutil.which("unshare") is None,
                                reason="needs the dockerd and unshare binaries")]


class PrivateEngine:
    def __init__(self) -> None:
        # A short path: Unix socket paths are limited to 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="csd-", dir="/tmp"))
        self.host = f"unix://{self.root}/docker.sock"
        self.env = dict(os.environ, DOCKER_HOST=self.host)
        self.env.pop("CODESYNTH_CONFIG", None)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.root / "dockerd.log", "ab")
        self.proc = subprocess.Popen(
            ["unshare", "--net", "dockerd", "--host", self.host, "--data-root", str(self.root / "data"),
             "--exec-root", str(self.root / "exec"), "--pidfile", str(self.root / "docker.pid"),
             "--bridge", "none", "--iptables=false", "--ip-masq=false", "--log-level", "warn"],
            stdout=log, stderr=log, start_new_session=True,
        )
        end = time.monotonic() + 60
        while self.docker("info").returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > end:
                tail = (self.root / "dockerd.log").read_text(errors="replace")[-2000:]
                raise AssertionError(f"private dockerd did not come up:\n{tail}")
            time.sleep(0.2)

    def stop(self, timeout: float = 60) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # what `systemctl stop docker` does
            self.proc.wait(timeout=timeout)

    def docker(self, *args: str, **kw) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *args], capture_output=True, text=True, env=self.env, timeout=120, **kw)

    def cli(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "codesynth.cli", *args], cwd=ROOT, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def engine(runner_image):
    eng = PrivateEngine()
    try:
        eng.start()
        save = subprocess.Popen(["docker", "save", runner_image], stdout=subprocess.PIPE)
        load = eng.docker("load", stdin=save.stdout)
        save.wait(timeout=120)
        assert load.returncode == 0, load.stderr
        yield eng
    finally:
        try:
            eng.stop()
        finally:
            if eng.proc is not None and eng.proc.poll() is None:
                os.killpg(eng.proc.pid, signal.SIGKILL)
            shutil.rmtree(eng.root, ignore_errors=True)


def test_engine_stopped_mid_run_gives_one_clear_error_and_resume_completes(engine, tmp_path):
    sol, total = slow_candidates(tmp_path)
    out = tmp_path / "run"
    args = ("verify", str(PROBLEM_SETS / "basic.jsonl"), "--solutions", str(sol), "--out", str(out), "--workers", "2")

    proc = engine.cli(*args)
    wait_for_results(out, 8, proc)
    engine.stop()
    _, err = proc.communicate(timeout=120)

    assert proc.returncode == 3, err
    assert "Traceback" not in err, err
    errors = [ln for ln in err.replace("\r", "\n").splitlines() if ln.startswith("codesynth: error")]
    assert len(errors) == 1, err
    assert "--resume" in errors[0] and str(out) in errors[0], errors[0]
    done = len(read_jsonl(out / "results.jsonl"))
    assert 8 <= done < total

    engine.start()  # same data root: the image is still there
    p = engine.cli(*args, "--resume", "--json")
    stdout, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    s = json.loads(stdout)
    assert s["candidates"] == total and s["passed"] == total
    assert s["extra"]["executed_this_session"] == total - done
    check_complete(out, total)
    # Neither the interrupted run's containers nor the resumed run's are left.
    left = engine.docker("ps", "-aq", "--filter", "label=codesynth").stdout.split()
    assert left == [], left


def test_private_engine_leaves_the_shared_engines_bridge_alone(engine):
    # Runs after the test above (same module): its daemon started, stopped and restarted.
    bridge = Path("/sys/class/net/docker0")
    had = bridge.exists()
    engine.stop()
    engine.start()
    assert bridge.exists() == had
