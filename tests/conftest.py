"""Shared fixtures: a real Docker engine, the real runner image, a warm backend.

Nothing here is mocked. If the engine cannot be reached or the image cannot be built,
the tests that need them fail (they do not skip): a green run means they really ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
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


def our_containers(label: str = "codesynth") -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={label}"], capture_output=True, text=True)
    return out.stdout.split()
