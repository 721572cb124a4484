"""`codesynth report --html`, looked at in a real browser (Debian's chromium, headless)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from helpers import run_cli

from codesynth.models import Candidate, Limits, Problem
from codesynth.pipeline import VerifyConfig, verify_candidates
from codesynth.sandbox.local.backend import LocalBackend

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

ADD = Problem(id="t/add", prompt="def add(a, b):\n", entry_point="add", tests="assert add(1, 2) == 3\n",
              private_tests="assert add(2, 2) == 4\n", source="t")  # the public assert's feedback is shown


def chromium(exe: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


def test_html_report_renders_with_plots_and_failed_samples(tmp_path, chromium_bin):
    sols = ["def add(a, b):\n    return a + b\n", "def add(a, b):\n    return a - b\n",
            "def add(a, b):\n    raise ValueError('no')\n", "def add(a, b)\n"]
    cands = [Candidate(candidate_id=f"c{i}", problem_id=ADD.id, solution=s) for i, s in enumerate(sols)]
    run = tmp_path / "run"
    with LocalBackend(workers=2, quiet=True) as b:
        verify_candidates([ADD], cands, run, VerifyConfig(backend="local", progress=False,
                                                          limits=Limits(timeout_s=5)), backend=b)
    res = run_cli("report", str(run), "--html")
    assert res.returncode == 0, res.stderr
    page = run / "report.html"
    assert page.is_file()

    dom = chromium(chromium_bin, tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-500:]
    html = dom.stdout
    for fig in ("failure-categories", "reward-histogram", "pass-rate-by-source"):
        assert re.search(rf"<figure id=\"{fig}\"><svg", html), fig
    rows = re.findall(r"<tr data-category=\"(\w*)\"", html)
    assert sorted(rows) == ["runtime_error", "syntax_error", "wrong_answer"]  # the three failures, each once
    assert "3 shown" in html  # the page's own script ran (it fills this in)
    assert "expected: 3" in html and "got:" in html  # the feedback is there to read

    shot = tmp_path / "report.png"
    r = chromium(chromium_bin, tmp_path, "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri())
    assert r.returncode == 0 and shot.stat().st_size > 20_000, r.stderr[-500:]
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)[:, :, :3].reshape(-1, 3)
    colours = {tuple((p * 255).astype(int) // 16) for p in pixels[::97]}
    assert len(colours) > 12, "the screenshot is (nearly) blank"  # plots and text, not an empty page


def test_semantic_diversity_and_distribution_plots(tmp_path, chromium_bin):
    """`report --semantic`: diversity by meaning from the real embedding model; a near-copy shows up as a
    nearest-neighbour similarity near 1, and complexity/diversity get plots of their own."""
    probs = [
        ADD,
        Problem(id="t/rev", prompt="def rev(s):\n    \"\"\"Reverse the string s.\"\"\"\n", entry_point="rev",
                tests="assert rev('ab') == 'ba'\n", source="t"),
        Problem(id="t/primes", prompt="def primes(n):\n    \"\"\"All primes below n.\"\"\"\n", entry_point="primes",
                tests="assert primes(10) == [2, 3, 5, 7]\n", source="t"),
    ]
    sols = {
        "a0": ("t/add", "def add(a, b):\n    return a + b\n"),
        "a1": ("t/add", "def add(a, b):\n    total = a + b\n    return total\n"),  # a near-copy of a0
        "r0": ("t/rev", "def rev(s):\n    return s[::-1]\n"),
        "p0": ("t/primes", "def primes(n):\n    out = []\n    for k in range(2, n):\n"
                           "        if all(k % d for d in range(2, int(k ** 0.5) + 1)):\n"
                           "            out.append(k)\n    return out\n"),
    }
    cands = [Candidate(candidate_id=cid, problem_id=pid, solution=s) for cid, (pid, s) in sols.items()]
    run = tmp_path / "run"
    with LocalBackend(workers=2, quiet=True) as b:
        verify_candidates(probs, cands, run, VerifyConfig(backend="local", progress=False,
                                                          limits=Limits(timeout_s=5)), backend=b)
    plain = run_cli("report", str(run), "--json")
    assert plain.returncode == 0, plain.stderr
    import json

    assert json.loads(plain.stdout)["diversity"]["semantic"]["computed"] is False  # opt-in: no model loaded
    res = run_cli("report", str(run), "--json", "--semantic", "--html")
    assert res.returncode == 0, res.stderr
    sem = json.loads(res.stdout)["diversity"]["semantic"]
    assert sem["computed"] and sem["solutions"]["n"] == 4 and sem["instructions"]["n"] == 3
    assert 0 < sem["instructions"]["mean_cosine_distance"] < 1
    nn = sem["solution_nearest_neighbour"]
    # a0 and a1 are each other's nearest neighbour, far closer than anything the others have
    assert nn["max"] > 0.8 and nn["p75"] == nn["max"] and nn["min"] < 0.5
    html = chromium(chromium_bin, tmp_path, "--dump-dom", (run / "report.html").as_uri()).stdout
    for fig in ("complexity-sloc", "complexity-cc", "semantic-nearest"):
        assert re.search(rf"<figure id=\"{fig}\"><svg", html), fig
    assert "semantic diversity" in html


def test_a_reply_without_code_shows_its_head():
    """The page shows what the model said when its reply held no code (the quick start's case)."""
    from codesynth.generators.client import Completion
    from codesynth.generators.solutions import make_candidate
    from codesynth.models import Problem
    from codesynth.verifiers.outputs.report_html import _shown_code

    p = Problem(id="p", prompt="Write f.", entry_point="f", tests="assert f() == 1\n")
    c = make_candidate(p, Completion(text="I would rather talk about the weather."), "p~0", model="m",
                       sample_index=0, mode="solutions")
    assert c.solution == ""
    assert "rather talk about the weather" in _shown_code(c)
