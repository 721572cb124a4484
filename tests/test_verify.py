"""`codesynth verify` end to end: real CLI, real containers, real run directories."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import (
    PROBLEM_SETS,
    ROOT,
    check_complete,
    our_containers,
    read_jsonl,
    run_cli,
    slow_candidates,
    wait_for_results,
)

from codesynth.errors import SandboxUnavailable
from codesynth.models import Limits
from codesynth.pipeline import VerifyConfig, verify_candidates
from codesynth.problems import load_problems

pytestmark = pytest.mark.docker


def test_humaneval_canonical_solutions_all_pass(tmp_path, humaneval_problems, docker_backend):
    assert len(humaneval_problems) == 164
    summary = verify_candidates(humaneval_problems, None, tmp_path / "run",
                                VerifyConfig(progress=False), backend=docker_backend)
    failed = [json.loads(x) for x in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    failed = [(r["candidate_id"], r["status"], r["error_message"]) for r in failed if r["status"] != "passed"]
    assert summary.passed == 164, failed
    assert summary.pass_at_k["pass@1"] == 1.0
    assert len(read_jsonl(tmp_path / "run" / "dataset.jsonl")) == 164


BREAKAGES = {
    # body appended to the prompt -> expected failure category and a phrase the feedback must contain
    # (a None answer is a wrong answer, unless it makes the prompt's own helper raise, e.g. HumanEval/32)
    # a failure on a private test is counted, not shown (docs/topics/public-private-tests.md)
    "wrong": ("    return None\n", {"wrong_answer", "runtime_error"}, ("Failed test: tests:", "hidden test")),
    "syntax": ("    return (\n", {"syntax_error"}, "SyntaxError"),
    "raise": ("    raise RuntimeError('deliberately broken')\n", {"runtime_error"},
              ("deliberately broken", "hidden test")),
    "exit": ("    import sys\n    sys.exit(0)\n", {"runtime_error"}, "SystemExit"),
}


def test_humaneval_broken_solutions_none_pass(tmp_path, humaneval_problems, docker_backend):
    kinds = list(BREAKAGES)
    lines = []
    expect = {}
    for i, p in enumerate(humaneval_problems):
        kind = kinds[i % len(kinds)]
        lines.append({"task_id": p.id, "completion": BREAKAGES[kind][0]})
        expect[f"{p.id}#0"] = kind
    # a few infinite loops too (kept few: each costs the timeout)
    for p in humaneval_problems[:3]:
        lines.append({"task_id": p.id, "completion": "    while True:\n        pass\n"})
    sol = tmp_path / "broken.jsonl"
    sol.write_text("".join(json.dumps(x) + "\n" for x in lines))
    from codesynth.solutions import load_candidates

    cands = load_candidates(sol, humaneval_problems)
    summary = verify_candidates(humaneval_problems, cands, tmp_path / "run",
                                VerifyConfig(progress=False, limits=Limits(timeout_s=2)), backend=docker_backend)
    assert summary.passed == 0
    rewards = {r["candidate_id"]: r for r in read_jsonl(tmp_path / "run" / "rewards.jsonl")}
    assert len(rewards) == 164 + 3
    wrong = []
    for cid, kind in expect.items():
        r = rewards[cid]
        _, category, phrase = BREAKAGES[kind]
        phrases = phrase if isinstance(phrase, tuple) else (phrase,)
        if r["reward"] != 0.0 or r["failure_category"] not in category or not any(x in r["feedback"] for x in phrases):
            wrong.append((cid, kind, r["failure_category"], r["feedback"][:200]))
    assert not wrong, wrong[:5]
    loops = [r for cid, r in rewards.items() if cid.endswith("#1")]
    assert [r["failure_category"] for r in loops] == ["timeout"] * 3
    assert (tmp_path / "run" / "dataset.jsonl").read_text() == ""


def test_shipped_problem_set_references_pass_via_cli(tmp_path, runner_image):
    out = tmp_path / "run"
    p = run_cli("verify", str(PROBLEM_SETS / "basic.jsonl"), "--out", str(out), "--json")
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    n = len(load_problems(PROBLEM_SETS / "basic.jsonl"))
    assert summary["candidates"] == n and summary["passed"] == n, summary
    kinds = Counter(pr.kind for pr in load_problems(PROBLEM_SETS / "basic.jsonl"))
    assert kinds["io"] >= 12 and kinds["function"] >= 24
    for name in ("results.jsonl", "rewards.jsonl", "dataset.jsonl", "candidates.jsonl", "summary.json"):
        assert (out / name).exists(), name
    assert len(read_jsonl(out / "rewards.jsonl")) == n


def test_broken_tests_are_caught(tmp_path, runner_image):
    out = tmp_path / "run"
    p = run_cli("verify", str(PROBLEM_SETS / "broken_tests.jsonl"), "--out", str(out), "--json")
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["candidates"] >= 3 and summary["passed"] == 0


def test_summary_table_and_pass_at_k_with_many_samples(tmp_path, docker_backend):
    problems = [p for p in load_problems(PROBLEM_SETS / "basic.jsonl") if p.kind == "function"][:3]
    from codesynth.models import Candidate

    cands = []
    for p in problems:
        for k in range(10):
            sol = p.reference_solution if k < 4 else "def nothing():\n    pass\n"
            cands.append(Candidate(candidate_id=f"{p.id}#{k}", problem_id=p.id, solution=sol))
    s = verify_candidates(problems, cands, tmp_path / "run", VerifyConfig(progress=False), backend=docker_backend)
    assert s.passed == 12
    assert s.pass_at_k["pass@1"] == pytest.approx(0.4)
    assert s.pass_at_k["pass@10"] == pytest.approx(1.0)
    assert "pass@100" not in s.pass_at_k


# ----------------------------------------------------------------------------- bad input


def test_malformed_problem_file_one_clear_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    good = (PROBLEM_SETS / "basic.jsonl").read_text().splitlines()[0]
    bad.write_text(good + "\n" + '{"id": "x", "prompt": "p"}\n')
    p = run_cli("verify", str(bad), "--out", str(tmp_path / "o"))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and f"{bad}:2" in lines[0] and "tests" in lines[0], p.stderr


def test_unknown_problem_in_solutions_names_the_line(tmp_path):
    sol = tmp_path / "s.jsonl"
    sol.write_text('{"problem_id": "nope", "solution": "x = 1"}\n')
    p = run_cli("verify", str(PROBLEM_SETS / "basic.jsonl"), "--solutions", str(sol), "--out", str(tmp_path / "o"))
    assert p.returncode == 2 and f"{sol}:1" in p.stderr and "nope" in p.stderr and "Traceback" not in p.stderr


def test_existing_run_dir_needs_resume(tmp_path, docker_backend):
    problems = load_problems(PROBLEM_SETS / "basic.jsonl")[:2]
    verify_candidates(problems, None, tmp_path / "run", VerifyConfig(progress=False), backend=docker_backend)
    p = run_cli("verify", str(PROBLEM_SETS / "basic.jsonl"), "--out", str(tmp_path / "run"))
    assert p.returncode == 2 and "--resume" in p.stderr


def test_missing_image_is_one_clear_error():
    from codesynth.sandbox.docker.backend import DockerBackend

    b = DockerBackend(workers=1, image="codesynth-runner:does-not-exist", build_image=False)
    with pytest.raises(SandboxUnavailable) as e:
        b.start()
    assert "codesynth-runner:does-not-exist" in str(e.value)
    assert not our_containers(f"codesynth.run={b.run_id}")


# ----------------------------------------------------------------------------- kill and resume


def _start_verify(sol: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "codesynth.cli", "verify", str(PROBLEM_SETS / "basic.jsonl"), "--solutions", str(sol),
         "--out", str(out), "--workers", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_killed_run_resumes_exactly_once(tmp_path, runner_image, sig):
    sol, total = slow_candidates(tmp_path)
    out = tmp_path / "run"
    proc = _start_verify(sol, out)
    owner = f"codesynth.owner={socket.gethostname()}:{proc.pid}"
    wait_for_results(out, 8)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    if sig != signal.SIGKILL:
        assert "Traceback" not in err, err
        assert not our_containers(owner), "containers left after an interrupt"
    else:
        end = time.monotonic() + 30  # the watchdog stops them once our pipe closes
        while our_containers(owner) and time.monotonic() < end:
            time.sleep(0.5)
        assert not our_containers(owner), "containers outlived a SIGKILLed run"
    done = len(read_jsonl(out / "results.jsonl"))
    assert 8 <= done < total
    p = run_cli("verify", str(PROBLEM_SETS / "basic.jsonl"), "--solutions", str(sol), "--out", str(out),
                "--resume", "--json")
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["candidates"] == total and s["passed"] == total
    assert s["extra"]["executed_this_session"] == total - done
    check_complete(out, total)


def test_torn_last_line_is_repaired_on_resume(tmp_path, docker_backend):
    problems = load_problems(PROBLEM_SETS / "basic.jsonl")[:3]
    out = tmp_path / "run"
    verify_candidates(problems, None, out, VerifyConfig(progress=False), backend=docker_backend)
    res = out / "results.jsonl"
    lines = res.read_text().splitlines(keepends=True)
    res.write_text("".join(lines[:2]) + lines[2][:20])  # a crash mid-write
    os.remove(out / "rewards.jsonl")
    s = verify_candidates(problems, None, out, VerifyConfig(progress=False, resume=True), backend=docker_backend)
    assert s.candidates == 3 and s.extra["executed_this_session"] == 1
    assert s.passed == 3, [(r["candidate_id"], r["status"], r["error_message"]) for r in read_jsonl(res)]
    check_complete(out, 3)


def test_verify_then_curate_in_one_command(tmp_path, runner_image):
    small = tmp_path / "small.jsonl"
    lines = (PROBLEM_SETS / "basic.jsonl").read_text().splitlines()[:4]
    small.write_text("\n".join(lines) + "\n")
    out = tmp_path / "run"
    p = run_cli("verify", str(small), "--out", str(out), "--curate", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["passed"] == 4  # stdout stays machine-readable
    assert "mutation" in p.stderr and (out / "curated.jsonl").exists()
    assert len(read_jsonl(out / "curated.jsonl")) == 4


def test_unreachable_engine_is_one_clear_line(tmp_path):
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    p = subprocess.run(
        [sys.executable, "-m", "codesynth.cli", "verify", str(PROBLEM_SETS / "basic.jsonl"), "--out",
         str(tmp_path / "run")], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )
    assert p.returncode == 3, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Docker engine is not reachable" in lines[0] and "Traceback" not in p.stderr
    assert not (tmp_path / "run" / "results.jsonl").exists() or not (tmp_path / "run" / "results.jsonl").read_text()
