"""`--resume --update`: a changed input is not refused; only what it touches is made anew. Real CLI,
real sandbox, a real HTTP server on 127.0.0.1 spoken to by the real `openai` client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import PROBLEM_SETS, read_jsonl, run_cli
from scripted_server import Reply, ScriptedServer

from codesynth.problems import load_problems

pytestmark = pytest.mark.docker

PROBLEMS = [p for p in load_problems(PROBLEM_SETS / "basic.jsonl") if p.kind == "function"][:3]


def answer(body):
    """Even seeds get the reference, odd seeds a wrong function."""
    whole = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    p = next(p for p in PROBLEMS if f"def {p.entry_point}(" in whole)
    if body.get("seed", 0) % 2 == 0:
        return Reply(content=f"```python\n{p.reference_solution}```")
    return Reply(content=f"```python\ndef {p.entry_point}(*a):\n    return None\n```")


@pytest.fixture
def server():
    s = ScriptedServer(responder=answer).start()
    yield s
    s.stop()


def _run(tmp_path: Path, server: ScriptedServer, problems, *extra: str, n: int = 2):
    f = tmp_path / "problems.jsonl"
    f.write_text("".join(p.model_dump_json() + "\n" for p in problems))
    return run_cli("generate", "solutions", str(f), "--n", str(n), "--verify", "--base-url", server.base_url,
                   "--model", "scripted-model", "--cache-dir", str(tmp_path / "cache"), "--out",
                   str(tmp_path / "run"), "--workers", "2", "--timeout", "5", *extra)


def _lines(tmp_path: Path) -> dict[str, str]:
    return {json.loads(line)["candidate_id"]: line for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()}


def test_update_makes_anew_only_what_the_change_touches(tmp_path, server, runner_image):
    assert _run(tmp_path, server, PROBLEMS).returncode == 0
    before = _lines(tmp_path)
    assert len(before) == 6 and len(server.requests) == 6

    # One problem's tests change (its reference now fails them): a plain resume refuses, naming --update.
    p0 = PROBLEMS[0]
    changed = [p0.model_copy(update={"tests": "def check(candidate):\n    assert candidate('a b') == 'never'\n"}),
               *PROBLEMS[1:]]
    refused = _run(tmp_path, server, changed, "--resume")
    assert refused.returncode == 2 and "--update" in refused.stderr and "1 changed" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    upd = _run(tmp_path, server, changed, "--resume", "--update", "--json")
    assert upd.returncode == 0, upd.stderr
    assert json.loads(upd.stdout)["counts"]["updated"]["records_made_anew"] == 2
    assert len(server.requests) == 6  # the prompt did not change: its replies came from the cache
    after = _lines(tmp_path)
    assert set(after) == set(before)
    for cid, line in after.items():
        if cid.startswith(p0.id + "#"):
            assert not json.loads(line)["status"] == "passed"  # judged by the new tests
        else:
            assert line == before[cid]  # untouched, byte for byte
    for name in ("results.jsonl", "rewards.jsonl", "candidates.jsonl"):
        ids = [r["candidate_id"] for r in read_jsonl(tmp_path / "run" / name)]
        assert len(ids) == len(set(ids)) == 6, name

    # n 2 -> 3: one new sample per problem, nothing else asked or run again.
    more = _run(tmp_path, server, changed, "--resume", "--update", n=3)
    assert more.returncode == 0, more.stderr
    assert len(server.requests) == 9
    grown = _lines(tmp_path)
    assert len(grown) == 9 and all(grown[cid] == after[cid] for cid in after)

    # A global input (the sampling temperature) touches everything: all made anew, newly asked.
    hot = _run(tmp_path, server, changed, "--resume", "--update", "--temperature", "0.9", n=3)
    assert hot.returncode == 0, hot.stderr
    assert len(server.requests) == 18
    assert set(_lines(tmp_path)) == set(grown)
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["candidates"] == 9
