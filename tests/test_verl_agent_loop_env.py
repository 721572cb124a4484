"""verl's agent loop test (tests/test_verl_agent_loop.py) in verl's own environment, the one
tests/test_verl_in_its_own_env.py builds. verl's agent-loop modules import more than its reward
modules do: `cachetools`, and transformers' `kernels` integration at the version that
transformers pins (the system's newer `kernels` breaks its import), so both are added there, and
this tree is installed into it (without dependencies) when another codesynth is the one it sees."""

from __future__ import annotations

import subprocess

import pytest
from helpers import ROOT
from test_verl_in_its_own_env import verl_python  # noqa: F401  (the session's verl environment)

pytestmark = pytest.mark.docker


def _pip(py, *args: str) -> None:
    r = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]


def test_verl_091_agent_loop_runs_code_episodes(verl_python):  # noqa: F811
    probe = ("import importlib.util as u, codesynth, transformers.dependency_versions_table as t;"
             "print(codesynth.__file__); print(t.deps['kernels']); print(u.find_spec('cachetools') is not None)")
    where, kernels, cachetools = subprocess.run([verl_python, "-c", probe], capture_output=True, text=True,
                                                cwd="/").stdout.split("\n")[:3]
    _pip(verl_python, kernels, *([] if cachetools == "True" else ["cachetools"]))
    if not where.startswith(str(ROOT)):
        _pip(verl_python, "--no-deps", "-e", str(ROOT))
    r = subprocess.run([verl_python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_verl_agent_loop.py"],
                       cwd=ROOT, capture_output=True, text=True, timeout=1200)
    tail = (r.stdout + r.stderr)[-3000:]
    assert r.returncode == 0, tail
    assert "1 passed" in r.stdout and "skipped" not in r.stdout, tail
