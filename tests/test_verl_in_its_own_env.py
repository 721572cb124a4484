"""verl 0.9.1's own code against codesynth, in an environment of its own.

verl pins older huggingface_hub and transformers than the rest of the test environment
wants, so it is installed into a virtual environment that sees the system's packages
(`--system-site-packages`: torch, codesynth itself) and overrides only what verl pins.
`tests/test_serve_verl.py` then runs there, with the real loader and the real scorer.
Installing takes a minute or two the first time; the environment is kept for the session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from helpers import ROOT

pytestmark = pytest.mark.docker

VERL = "verl==0.9.1"


@pytest.fixture(scope="session")
def verl_python(tmp_path_factory) -> Path:
    env_dir = Path(os.environ.get("CODESYNTH_VERL_VENV") or tmp_path_factory.mktemp("verl-venv"))
    py = env_dir / "bin" / "python"
    if not py.exists():
        venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    probe = subprocess.run([py, "-c", "import verl; print(verl.__version__)"], capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip() != VERL.split("==")[1]:
        # torch stays the system's CPU build (pinned so pip never swaps it for a CUDA one)
        torch = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__.split('+')[0])"],
                               capture_output=True, text=True).stdout.strip()
        pins = [f"torch=={torch}"] if torch else []
        r = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", VERL, *pins],
                           capture_output=True, text=True, timeout=1500)
        assert r.returncode == 0, r.stderr[-2000:]
    return py


def test_verl_091_loader_and_sandbox_fusion_scorer(verl_python):
    r = subprocess.run([verl_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_serve_verl.py"],
                       cwd=ROOT, capture_output=True, text=True, timeout=1200)
    tail = (r.stdout + r.stderr)[-3000:]
    assert r.returncode == 0, tail
    assert "3 passed" in r.stdout and "skipped" not in r.stdout, tail
