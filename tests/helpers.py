"""Helpers shared by the test modules (fixtures live in conftest.py; these are plain functions).

Imported as `from helpers import ...`: pytest puts tests/ on sys.path (rootdir conftest).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from codesynth.models import Limits

ROOT = Path(__file__).resolve().parents[1]
PROBLEM_SETS = ROOT / "problem_sets"

#: Limits of the toolchain pool: compilers get the time a cold cache needs.
LANG_LIMITS = Limits(timeout_s=5, memory_mb=256, compile_timeout_s=120)


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600, env: dict | None = None,
            **kw) -> subprocess.CompletedProcess:
    """Run the real `codesynth` console entry point in a subprocess (`env`: its environment)."""
    env = dict(os.environ if env is None else env)
    env.pop("CODESYNTH_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "codesynth.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, env=env, **kw)


def read_jsonl(p: Path) -> list[dict]:
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


def slow_candidates(tmp_path: Path, per_problem: int = 6) -> tuple[Path, int]:
    """A solutions file of 10 shipped problems x `per_problem`, each sleeping 0.25 s: a run to interrupt."""
    from codesynth.problems import load_problems

    problems = load_problems(PROBLEM_SETS / "basic.jsonl")[:10]
    lines = [{"problem_id": p.id, "solution": "import time\ntime.sleep(0.25)\n" + p.reference_solution}
             for p in problems for _ in range(per_problem)]
    f = tmp_path / "slow.jsonl"
    f.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return f, len(lines)


def wait_for_results(out: Path, n: int, proc: subprocess.Popen | None = None, timeout: float = 120) -> None:
    """Until `out` holds `n` results (failing if `proc`, the run, ends first)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        f = out / "results.jsonl"
        if f.exists() and len(f.read_text().splitlines()) >= n:
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"run ended early: {proc.communicate()}")
        time.sleep(0.1)
    raise AssertionError("run did not make progress")


def check_complete(out: Path, total: int) -> None:
    """Every file of the run directory holds each candidate exactly once."""
    for name in ("results.jsonl", "rewards.jsonl", "candidates.jsonl", "dataset.jsonl"):
        ids = [r["candidate_id"] for r in read_jsonl(out / name)]
        assert len(ids) == len(set(ids)) == total, (name, len(ids), len(set(ids)))


def our_containers(label: str = "codesynth") -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"], capture_output=True, text=True)
    return out.stdout.split()


SUPERVISOR_UIDS = {0, 61000}  # docker-init, the supervisor


def leftover_processes(rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Processes in a pool container beyond what an idle one runs.

    An idle container runs docker-init (root), the supervisor (61000), the long-lived tester
    (the container's even tester uid) and one candidate process forked ahead of time (the odd
    candidate uid = tester + 1), both sleeping. Anything else (a second process of either uid,
    a zombie) is a leftover of some program.
    """
    left, seen_tester, seen_spare = [], False, False
    for uid, state in rows:
        if state.startswith("Z"):
            left.append((uid, state))
        elif uid in SUPERVISOR_UIDS:
            continue
        elif uid % 2 == 0 and not seen_tester and state.startswith("S"):
            seen_tester = True
        elif uid % 2 == 1 and not seen_spare and state.startswith("S"):
            seen_spare = True
        else:
            left.append((uid, state))
    return left


def run_containers(run_id: str, include_stopped: bool = False) -> list[str]:
    """Ids of the containers of one run (label codesynth.run=<run_id>)."""
    args = ["docker", "ps", "-aq" if include_stopped else "-q", "--filter", f"label=codesynth.run={run_id}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=60).stdout.split()


def settle(run_id: str, at_most: int, timeout: float = 30, include_stopped: bool = False) -> list[str]:
    """Retired containers are removed in the background: wait until at most `at_most` remain."""
    end = time.monotonic() + timeout
    while True:
        ids = run_containers(run_id, include_stopped)
        if len(ids) <= at_most or time.monotonic() > end:
            return ids
        time.sleep(0.2)


def container_processes(cid: str) -> list[tuple[int, str]]:
    """(uid, state) of every process in the container, seen from the host (zombies included)."""
    out = subprocess.run(["docker", "top", cid, "-eo", "uid,pid,stat"], capture_output=True, text=True, timeout=60)
    return [
        (int(p[0]), p[2])
        for p in (ln.split() for ln in out.stdout.splitlines()[1:])
        if len(p) >= 3 and p[0].isdigit()
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(proc: subprocess.Popen, url: str, within: float = 180) -> None:
    """Until the `codesynth serve` subprocess `proc` answers at `url` (failing if it exits first)."""
    import requests

    end = time.monotonic() + within
    while True:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else proc.returncode
        try:
            if requests.get(url + "/v1/ping", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < end, f"the server did not answer in {within:g} s"
        time.sleep(0.2)


@contextmanager
def serving(backend, problems=(), env_problems=(), **overrides):
    """A real uvicorn server in a thread, over the session's warm pool (`problems`: preloaded;
    `env_problems`: served at /openenv)."""
    import uvicorn

    from codesynth.service import ServeConfig, create_app

    cfg = ServeConfig(limits=backend.limits, **overrides)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(cfg, backend, problems, env_problems=env_problems), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    end = time.monotonic() + 20
    while not server.started:
        assert t.is_alive() and time.monotonic() < end, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(20)
