"""Shared fixtures: a real Docker engine, the real runner image, a warm backend.

Nothing here is mocked. If the engine cannot be reached or the image cannot be built,
the tests that need them fail (they do not skip): a green run means they really ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codesynth.models import Limits

ROOT = Path(__file__).resolve().parents[1]
PROBLEM_SETS = ROOT / "problem_sets"


@pytest.fixture(scope="session")
def runner_image() -> str:
    from codesynth.sandbox import engine, image

    engine.ensure_engine(install=True)
    return image.ensure_image(build=True)


@pytest.fixture(scope="session")
def docker_backend(runner_image):
    from codesynth.sandbox.docker_backend import DockerBackend

    b = DockerBackend(workers=2, limits=Limits(timeout_s=5), image=runner_image, run_id=f"pytest{os.getpid()}")
    b.start()
    yield b
    b.close()


@pytest.fixture(scope="session")
def humaneval_problems():
    from codesynth.importers import import_humaneval

    return import_humaneval()


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    """Run the real `codesynth` console entry point in a subprocess."""
    env = dict(os.environ)
    env.pop("CODESYNTH_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "codesynth.cli", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, env=env, **kw)


def read_jsonl(p: Path) -> list[dict]:
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()]


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
