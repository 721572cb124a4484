"""Rows that failed for reasons other than the code: a request the endpoint refused is neither
judged nor rewarded (and a resume asks it again); `--retry-failed` asks again, with a fresh draw,
for the samples whose reply held no code. Real CLI, real sandbox, a real HTTP server on 127.0.0.1
spoken to by the real `openai` client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import PROBLEM_SETS, read_jsonl, run_cli
from scripted_server import Reply, ScriptedServer, _error

from codesynth.models import Candidate, ExecutionResult, RewardRecord, Status
from codesynth.pipeline.verify import RunRecorder
from codesynth.problems import load_problems
from codesynth.rundir import CANDIDATES, RESULTS, REWARDS, forget, read_run

PROBLEMS = [p for p in load_problems(PROBLEM_SETS / "basic.jsonl") if p.kind == "function"][:3]


def _problem_in(body: dict):
    whole = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    return next(p for p in PROBLEMS if f"def {p.entry_point}(" in whole)


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


def _generate(tmp_path: Path, server: ScriptedServer, out: Path, *extra: str):
    probs = tmp_path / "problems.jsonl"
    probs.write_text("".join(p.model_dump_json() + "\n" for p in PROBLEMS))
    return run_cli("generate", "solutions", str(probs), "--n", "2", "--verify", "--base-url", server.base_url,
                   "--model", "scripted-model", "--cache-dir", str(tmp_path / "cache"), "--out", str(out),
                   "--workers", "2", "--timeout", "5", *extra)


def _ids(path: Path) -> list[str]:
    return [r["candidate_id"] for r in read_jsonl(path)] if path.exists() else []


@pytest.mark.docker
def test_a_refused_request_is_not_a_reward_and_resume_asks_it_again(tmp_path, server, runner_image):
    refused = PROBLEMS[0]

    def answer(body):
        p = _problem_in(body)
        if p is refused and server.refusing:
            return Reply(status=400, body=_error("This model's maximum context length is 8 tokens", "bad_request"))
        return Reply(content=f"```python\n{p.reference_solution}```")

    server.refusing = True
    server.responder = answer
    out = tmp_path / "run"
    first = _generate(tmp_path, server, out, "--json")
    assert first.returncode == 0, first.stderr
    rep = json.loads(first.stdout)
    assert rep["counts"]["refused_by_endpoint"] == 2
    assert "maximum context length" in rep["counts"]["refusal"]
    # Nothing of the refused problem was judged, rewarded or put in the dataset.
    for name in (RESULTS, REWARDS, CANDIDATES, "dataset.jsonl"):
        assert not [cid for cid in _ids(out / name) if cid.startswith(refused.id)], name
    assert len(_ids(out / REWARDS)) == 4 and all(r["passed"] for r in read_jsonl(out / REWARDS))

    server.refusing = False
    asked = len(server.requests)
    again = _generate(tmp_path, server, out, "--resume")
    assert again.returncode == 0, again.stderr
    assert len(server.requests) - asked == 2  # only the two refused samples
    ids = _ids(out / REWARDS)
    assert len(ids) == len(set(ids)) == 6
    assert all(r["passed"] for r in read_jsonl(out / REWARDS))


@pytest.mark.docker
def test_retry_failed_asks_again_only_the_replies_without_code(tmp_path, server, runner_image):
    def answer(body):
        p = _problem_in(body)
        # First pass: odd seeds (sample 1 of each problem) get prose, no code.
        if server.first_pass and body.get("seed", 0) % 2:
            return Reply(content="I would loop over the list and keep a running total.")
        if body.get("seed", 0) % 2 == 0:
            return Reply(content=f"```python\n{p.reference_solution}```")
        return Reply(content=f"```python\ndef {p.entry_point}(*a):\n    return None\n```")

    server.first_pass = True
    server.responder = answer
    out = tmp_path / "run"
    assert _generate(tmp_path, server, out).returncode == 0
    no_code = {r["candidate_id"] for r in read_jsonl(out / REWARDS) if r["failure_category"] == "no_code"}
    assert len(no_code) == 3

    server.first_pass = False
    asked = len(server.requests)
    plain = _generate(tmp_path, server, out, "--resume")
    assert plain.returncode == 0 and len(server.requests) == asked  # a plain resume asks nothing

    refused = _generate(tmp_path, server, out, "--retry-failed")
    assert refused.returncode == 2 and "--resume" in refused.stderr

    retried = _generate(tmp_path, server, out, "--resume", "--retry-failed", "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["counts"]["retried"] == 3
    new = server.requests[asked:]
    assert len(new) == 3
    # A fresh draw: another seed than the one whose reply held no code (not the cached reply again).
    assert all(b["seed"] % 2 == 0 for b in new)
    state = read_run(out)
    for name in (RESULTS, REWARDS, CANDIDATES):
        ids = _ids(out / name)
        assert len(ids) == len(set(ids)) == 6, name  # each candidate once: the old rows are gone
    for cid in no_code:
        assert state.rewards[cid].passed
        assert state.candidates[cid].origin.extra["attempt"] == 1
        assert state.candidates[cid].origin.sample_index == 1
    # The retried samples are the model's; pass@1 counts them once each.
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pass_at_k"]["pass@1"] == 1.0


def test_an_interrupted_forget_heals_when_the_run_is_next_opened(tmp_path):
    """forget() rewrites results.jsonl first (the commit point); a kill before the derived files
    are rewritten leaves reward rows without results, which opening the run removes."""
    p = PROBLEMS[0]
    out = tmp_path / "run"
    cands = [Candidate(candidate_id=f"{p.id}/s{i}", problem_id=p.id, solution="") for i in range(2)]
    with RunRecorder(out, [p], "binary") as rec:
        for c in cands:
            rec.record(c, ExecutionResult(candidate_id=c.candidate_id, problem_id=p.id, status=Status.error,
                                          error_type="NoCode"))
    assert len(_ids(out / REWARDS)) == 2
    # The state a kill between forget's first and second file leaves:
    from codesynth.jsonl import drop_records

    drop_records(out / RESULTS, "candidate_id", {cands[0].candidate_id})
    with RunRecorder(out, [p], "binary") as rec:
        assert not rec.done(cands[0].candidate_id)
        assert cands[0].candidate_id not in rec.state.rewards
        redo = cands[0].model_copy(update={"solution": p.reference_solution})
        rec.record(redo, ExecutionResult(candidate_id=redo.candidate_id, problem_id=p.id, status=Status.passed))
    state = read_run(out)
    assert _ids(out / REWARDS).count(cands[0].candidate_id) == 1
    assert state.rewards[cands[0].candidate_id].passed
    assert state.candidates[cands[0].candidate_id].solution == p.reference_solution
    assert isinstance(state.rewards[cands[1].candidate_id], RewardRecord)
    forget(out, {cands[1].candidate_id})
    assert cands[1].candidate_id not in read_run(out).rewards
