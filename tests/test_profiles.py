"""Runner image profiles (sandbox/docker/profiles.py): the minimal image stays the default; the
`scientific` profile is a real image built once per package set (pip's wheels, an offline docker
build), labelled with what it holds, and runs programs importing the scientific stack; a package
file of one's own is checked line by line; the local backend's import check knows the profile."""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import run_cli

from codesynth.errors import InputError
from codesynth.models import Limits, Problem, Status
from codesynth.sandbox.docker import profiles
from codesynth.sandbox.docker.image_modules import missing_imports
from codesynth.sandbox.local.backend import LocalBackend
from codesynth.verifiers.scoring import score

#: Touches every library the profile promises, with a result that is right only if each worked.
SCIENCE = """\
import numpy as np, pandas as pd, scipy.linalg, sympy, networkx as nx, sklearn.linear_model, requests, pytest
import sortedcontainers, dateutil.parser
def solve():
    a = np.array([[2.0, 0.0], [0.0, 4.0]])
    x = scipy.linalg.solve(a, np.array([2.0, 8.0]))
    df = pd.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]}).groupby("k")["v"].sum()
    g = nx.path_graph(5)
    m = sklearn.linear_model.LinearRegression().fit(np.arange(5).reshape(-1, 1), 3 * np.arange(5) + 1)
    n = sympy.Symbol("n")
    s = sympy.summation(n, (n, 1, 10))
    return [round(float(v), 6) for v in x] + [int(df["a"]), nx.shortest_path_length(g, 0, 4),
            round(float(m.coef_[0]), 6), int(s), len(sortedcontainers.SortedList([3, 1, 2])),
            dateutil.parser.parse("2024-02-29").day, requests.codes.ok, pytest.approx(1.0) == 1.0]
"""
SCIENCE_TESTS = "def check(candidate):\n    assert candidate() == [1.0, 2.0, 4, 4, 3.0, 55, 3, 29, 200, True]\n"
PROBLEM = Problem(id="sci/1", prompt="", entry_point="solve", tests=SCIENCE_TESTS)


# --------------------------------------------------------------------------- package lists


def test_requirements_are_pinned_and_named_by_line(tmp_path):
    assert profiles.parse_requirements("# ours\nNumPy==2.2.6\n\nsix == 1.17.0  # why\n", "f") == \
        ("numpy==2.2.6", "six==1.17.0")
    for text, where, why in [("numpy==2.2.6\nscipy>=1.0\n", "f:2", "not a pinned requirement"),
                             ("numpy\n", "f:1", "not a pinned requirement"),
                             ("numpy==1\nNumPy==2\n", "f:2", "listed twice"),
                             ("# nothing\n", "f", "no packages listed")]:
        with pytest.raises(InputError) as e:
            profiles.parse_requirements(text, "f")
        assert str(e.value).startswith(f"{where}: ") and why in str(e.value)
    assert profiles.resolve(None) is None and profiles.resolve("minimal") is None
    sci = profiles.resolve("scientific")
    assert sci is not None and {"numpy", "pandas", "scipy", "sympy", "networkx", "scikit-learn", "requests",
                                "pytest"} <= {p.split("==")[0] for p in sci.packages}
    f = tmp_path / "req.txt"
    f.write_text("\n".join(profiles.SCIENTIFIC))
    mine = profiles.resolve(str(f))
    assert mine.name == "packages" and mine.packages == sci.packages and mine.key == sci.key
    assert profiles.profile_tag("codesynth-runner:0.1.0-abc", sci) == f"codesynth-runner-scientific:0.1.0-abc-p{sci.key}"


def test_cli_refuses_a_bad_package_file_in_one_line(tmp_path):
    bad = tmp_path / "req.txt"
    bad.write_text("numpy==2.2.6\npandas\n")
    r = run_cli("verify", "problem_sets/basic.jsonl", "--out", str(tmp_path / "o"), "--packages", str(bad))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert f"{bad}:2: 'pandas' is not a pinned requirement" in r.stderr and "'--packages'" in r.stderr
    good = tmp_path / "ok.txt"
    good.write_text("six==1.17.0\n")
    r = run_cli("serve", "--profile", "scientific", "--packages", str(good), "--port", "0")
    assert r.returncode == 2 and "Invalid value for '--packages': not with --profile" in r.stderr
    r = run_cli("verify", "problem_sets/basic.jsonl", "--out", str(tmp_path / "o"), "--profile", "huge")
    assert r.returncode == 2 and "'--profile'" in r.stderr
    # a backend without images cannot honour a profile: refused, never dropped
    r = run_cli("verify", "problem_sets/basic.jsonl", "--out", str(tmp_path / "o"), "--backend", "ray",
                "--profile", "scientific")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Invalid value for '--profile': backend 'ray' has no runner image profiles" in r.stderr


def test_local_backend_counts_the_profile_as_importable(tmp_path):
    code = "import numpy\nimport json\n"
    assert missing_imports(code) == ["numpy"]  # the host has numpy; the minimal image does not
    sci = profiles.modules_of(profiles.resolve("scientific"))
    assert {"numpy", "pandas", "scipy", "sklearn", "sympy", "networkx"} <= sci
    assert missing_imports(code, sci) == []
    problem = Problem(id="np/1", prompt="", entry_point="f",
                      tests="def check(candidate):\n    assert candidate() == 6\n")
    sol = "import numpy\ndef f():\n    return int(numpy.arange(4).sum())\n"
    for profile, passed in ((None, False), ("scientific", True)):
        b = LocalBackend(workers=1, quiet=True, image_imports="refuse", profile=profile)
        b.start()
        try:
            r = score(problem, sol, backend=b)
            assert r.passed is passed, r.feedback
            if not passed:
                assert "No module named 'numpy'" in r.feedback
        finally:
            b.close()


# --------------------------------------------------------------------------- the real image


def test_scientific_image_runs_the_stack_and_says_what_it_holds(scientific_image, docker_backend):
    labels = json.loads(subprocess.run(["docker", "image", "inspect", "--format", "{{json .Config.Labels}}",
                                        scientific_image], capture_output=True, text=True, check=True).stdout)
    held = set(labels[profiles.PACKAGES_LABEL].split())
    assert labels[profiles.PROFILE_LABEL] == "scientific" and set(profiles.SCIENTIFIC) <= held
    assert labels["codesynth.harness_hash"]  # the runner's own labels come along

    from codesynth.sandbox.docker.backend import DockerBackend

    b = DockerBackend(workers=1, limits=Limits(timeout_s=20, memory_mb=1024), image=scientific_image,
                      run_id="pyprof", spares=0)
    b.start()
    try:
        assert "profile scientific (" in b.describe()
        r = score(PROBLEM, SCIENCE, backend=b)
        assert r.passed, r.feedback
        # offline afterwards: the container has no network, so requests cannot reach anything
        net = score(Problem(id="net/1", prompt="", entry_point="f", tests="def check(c):\n    assert c()\n"),
                    "import requests\ndef f():\n    try:\n        requests.get('http://127.0.0.1:9', timeout=2)\n"
                    "    except requests.ConnectionError:\n        return True\n", backend=b)
        assert net.passed, net.feedback
    finally:
        b.close()
    # the default image is still the minimal one
    assert "profile minimal" in docker_backend.describe()
    minimal = score(PROBLEM, SCIENCE, backend=docker_backend)
    assert minimal.status is Status.error and "ModuleNotFoundError" in minimal.feedback


def test_verify_says_which_profile_served(scientific_image, tmp_path):
    problems = tmp_path / "p.jsonl"
    problems.write_text(PROBLEM.model_copy(update={"reference_solution": SCIENCE}).model_dump_json() + "\n")
    r = run_cli("verify", str(problems), "--out", str(tmp_path / "run"), "--profile", "scientific",
                "--workers", "1", "--timeout", "20", "--memory", "1024", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["passed"] == 1 and scientific_image in summary["extra"]["sandbox"]
    assert "profile scientific" in summary["extra"]["sandbox"]
