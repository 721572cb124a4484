"""Public and private tests: the default split, and that nothing a model can read holds a private
test's content (the canary test), through every entry point; a model that games its feedback
gains nothing (`synth` end to end, a scripted model on 127.0.0.1)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
from helpers import read_jsonl, run_cli, serving
from scripted_server import Reply, ScriptedServer, last_user

from codesynth.models import CallCase, Candidate, IOCase, Problem, Status
from codesynth.problems import save_problems
from codesynth.sandbox.backend import build_request
from codesynth.test_split import combined, public_count, split_tests
from codesynth.verifiers.adapters import (
    compute_score_batch,
    score_many,
    to_trl_rows,
    to_verl_rows,
    trl_reward_func,
)
from codesynth.verifiers.adapters.openrlhf import reward_func as openrlhf_reward_func
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.scoring import candidate_for

# --------------------------------------------------------------------------- the default split (no Docker)


def test_public_count_is_a_minority_from_three_tests():
    assert [public_count(n) for n in (0, 1, 2, 3, 5, 6, 9, 10)] == [0, 0, 0, 1, 1, 2, 3, 3]


def test_assert_code_is_split_per_assert_check_lifted():
    p = Problem(id="a", prompt="", entry_point="f", tests=(
        "import math\n\ndef check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == 3\n"
        "    assert True\n    assert candidate(3) == 4\n"))
    sp = split_tests(p)
    assert sp.public == "import math\nassert f(1) == 2\n"
    assert sp.private == "import math\nassert f(2) == 3\nassert f(3) == 4\n"
    code, layout = combined(p)
    assert code == sp.public + sp.private
    # the request tells the tester which lines hold private tests: it marks each outcome
    req = build_request(p, Candidate(candidate_id="c", problem_id="a", solution="def f(x):\n    return x\n"))
    assert req.tests == code and req.private_lines == (3, 6) and req.public_cases is None


@pytest.mark.parametrize("tests", [
    "assert f(1) == 2\nassert f(2) == 3\n",  # fewer than 3 tests
    "for x in range(3):\n    assert f(x) == x + 1\n",  # an assert in a loop
    "assert f(1) == 2\nxs = [2, 3]\nassert f(xs[0]) == 3\nassert f(3) == 4\n",  # state changed between tests
    "def check(candidate):\n    y = candidate(1)\n    assert y == 2\n    assert candidate(2) == 3\n"
    "    assert candidate(3) == 4\n",  # set-up between the asserts
])
def test_a_suite_that_cannot_be_split_stays_whole_and_private(tests):
    p = Problem(id="a", prompt="", entry_point="f", tests=tests)
    sp = split_tests(p)
    assert sp.public is None and sp.private == tests
    code, layout = combined(p)
    assert code == tests and layout.has_private
    req = build_request(p, Candidate(candidate_id="c", problem_id="a", solution="def f(x):\n    return x\n"))
    assert req.private_lines == (1, tests.count("\n") + 2)  # every line of it


def test_set_up_before_the_tests_goes_to_both_halves():
    p = Problem(id="a", prompt="", entry_point="f", tests=(
        "METADATA = {'author': 'jt'}\n\ndef check(candidate):\n    assert candidate(1) == 2\n"
        "    assert candidate(2) == 3\n    assert candidate(3) == 4\n"))
    sp = split_tests(p)
    assert sp.public == "METADATA = {'author': 'jt'}\nassert f(1) == 2\n"
    assert sp.private == "METADATA = {'author': 'jt'}\nassert f(2) == 3\nassert f(3) == 4\n"


def test_cases_split_by_position_and_explicit_private_tests_win():
    io = Problem(id="io", prompt="", tests=[IOCase(input=str(i), output=str(i)) for i in range(6)])
    sp = split_tests(io)
    assert [c.input for c in sp.public] == ["0", "1"] and [c.input for c in sp.private] == ["2", "3", "4", "5"]
    explicit = Problem(id="e", prompt="", entry_point="f", tests="assert f(1) == 2\n",
                       private_tests="assert f(5) == 6\n")
    assert split_tests(explicit).public == "assert f(1) == 2\n"
    code, layout = combined(explicit)
    assert code == "assert f(1) == 2\nassert f(5) == 6\n" and (layout.private_from, layout.private_to) == (2, 3)
    calls = Problem(id="c", prompt="", tests=[CallCase(call=[1], expect=2)],
                    private_tests=[CallCase(call=[7], expect=8)],
                    signature={"name": "f", "params": [{"name": "x", "type": "int"}], "returns": "int"})
    suite, layout = combined(calls)
    assert [c.call for c in suite] == [[1], [7]] and layout.public_cases == 1
    req = build_request(io, Candidate(candidate_id="c", problem_id="io", solution="print(input())\n"))
    assert req.public_cases == 2 and [req.case_private(i) for i in range(6)] == [False] * 2 + [True] * 4


# --------------------------------------------------------------------------- the canary

CANARY = "zq9canary"

SHOUT = Problem(
    id="c/shout", prompt='def shout(s: str) -> str:\n    """Upper-case `s` and add "!"."""\n', entry_point="shout",
    tests='assert shout("hi") == "HI!"\nassert shout("") == "!"\n',
    private_tests=f'assert shout("{CANARY}") == "{CANARY.upper()}!"\nassert shout("x {CANARY} y") == "X {CANARY.upper()} Y!"\n',
    reference_solution='def shout(s):\n    return s.upper() + "!"\n',
)
ECHO = Problem(
    id="c/echo", prompt="Read a line; print it twice, joined by a space.",
    tests=[IOCase(input="ab\n", output="ab ab\n")],
    private_tests=[IOCase(input=f"{CANARY}\n", output=f"{CANARY} {CANARY}\n")],
    reference_solution="s = input()\nprint(s, s)\n",
)
CANARY_PROBLEMS = [SHOUT, ECHO]

# Wrong everywhere; prints and raises with its argument, so its output would carry the canary.
LEAKY_SHOUT = ('Sure! Here is the function:\n\n```python\nimport sys\n\ndef shout(s):\n    print("arg:", s)\n'
               '    print("err:", s, file=sys.stderr)\n    if "q9" in s:\n        raise ValueError(s)\n'
               '    return s + "!"\n```\n')
LEAKY_ECHO = "```python\nimport sys\ns = input()\nprint('got', s, file=sys.stderr)\nprint(s)\n```"


def _no_canary(where: str, text: str) -> None:
    assert CANARY not in text.lower(), f"the canary leaked into {where}: ...{_around(text)}..."


def _around(text: str) -> str:
    i = text.lower().find(CANARY)
    return text[max(0, i - 200): i + 60]


def test_every_outcome_is_marked_private_where_it_is_made(docker_backend):
    """The tester marks assert outcomes by their line, the host each case as it compares it;
    the judge reads the marks, so outcomes in another order hide exactly the same content."""
    from codesynth.verifiers.scoring import judge

    for p, program, public, private in ((SHOUT, LEAKY_SHOUT, 2, 2), (ECHO, LEAKY_ECHO, 1, 1)):
        raw = run_pairs([(p, candidate_for(p, program))], docker_backend)[0]
        assert raw.status is Status.failed, (raw.status, raw.error_message)
        assert [o.private for o in raw.tests] == [False] * public + [True] * private, raw.tests
        shuffled = raw.model_copy(update={"tests": [*raw.tests[public:], *raw.tests[:public]]})
        judged = judge(p, shuffled)
        assert [o.private for o in judged.tests] == [True] * private + [False] * public
        _no_canary("a judged verdict whose outcomes came in another order", judged.model_dump_json())


def test_score_and_adapters_never_show_private_content(docker_backend):
    recs = score_many([(SHOUT, LEAKY_SHOUT), (ECHO, LEAKY_ECHO), (SHOUT, SHOUT.reference_solution)],
                      backend=docker_backend, scheme="partial")
    assert [r.passed for r in recs] == [False, False, True]
    assert recs[0].reward == 0.25  # partial credit counts every test: 1 of 2 public, 0 of 2 private
    for r in recs:
        _no_canary("a reward record", r.model_dump_json())
    # the raw verdict does hold it (the candidate printed and raised with it): the check can fail
    raw = run_pairs([(SHOUT, candidate_for(SHOUT, LEAKY_SHOUT))], docker_backend)[0]
    assert CANARY in raw.model_dump_json()
    assert "hidden test" in recs[0].feedback and 'shout("hi")' in recs[0].feedback  # public failures named
    assert "hidden test" in recs[1].feedback and "'ab'" in recs[1].feedback

    # TRL, rows from to_trl_rows (no tests in them), problems loaded by id
    rows = to_trl_rows(CANARY_PROBLEMS)
    _no_canary("TRL rows", json.dumps(rows))
    f = trl_reward_func(CANARY_PROBLEMS, backend=docker_backend, time_limit=None)
    out = f(prompts=[r["prompt"] for r in rows], completions=[LEAKY_SHOUT, LEAKY_ECHO],
            problem_id=[r["problem_id"] for r in rows], template=[r["template"] for r in rows])
    assert out == [0.0, 0.0]
    # verl rows name the problem; compute_score_batch loads it
    vrows = to_verl_rows(CANARY_PROBLEMS)
    _no_canary("verl rows", json.dumps(vrows))
    scores = compute_score_batch([r["data_source"] for r in vrows], [SHOUT.reference_solution, LEAKY_ECHO],
                                 [r["reward_model"]["ground_truth"] for r in vrows], [r["extra_info"] for r in vrows],
                                 problems=CANARY_PROBLEMS, backend=docker_backend)
    assert [s["score"] for s in scores] == [1.0, 0.0]
    logs = openrlhf_reward_func([LEAKY_SHOUT], [""], [SHOUT.id], problems=CANARY_PROBLEMS, backend=docker_backend)
    _no_canary("OpenRLHF's answer", repr(logs))


def test_service_routes_never_show_private_content(docker_backend):
    with serving(docker_backend) as url:
        score = requests.post(url + "/v1/score", json={
            "completions": [LEAKY_SHOUT, LEAKY_ECHO],
            "problem": [p.model_dump_json() for p in CANARY_PROBLEMS]}, timeout=120)
        assert score.status_code == 200, score.text
        assert score.json()["rewards"] == [0.0, 0.0]
        _no_canary("/v1/score", score.text)
        verify = requests.post(url + "/v1/verify", json={
            "problems": [json.loads(p.model_dump_json()) for p in CANARY_PROBLEMS],
            "candidates": [{"candidate_id": "s", "problem_id": SHOUT.id, "solution": LEAKY_SHOUT.split("```python\n")[1].split("```")[0]},
                           {"candidate_id": "e", "problem_id": ECHO.id, "solution": "import sys\ns = input()\nprint('got', s, file=sys.stderr)\nprint(s)\n"}]},
            timeout=120)
        assert verify.status_code == 200 and len(verify.text.splitlines()) == 2, verify.text
        _no_canary("/v1/verify", verify.text)
        orl = requests.post(url + "/openrlhf/reward", json={
            "query": [LEAKY_SHOUT], "prompts": [""], "labels": [SHOUT.model_dump_json()]}, timeout=120)
        assert orl.status_code == 200 and orl.json()["rewards"] == [0.0], orl.text
        _no_canary("/openrlhf/reward", orl.text)


def test_verify_run_directory_and_cli_output_hold_no_private_content(tmp_path, runner_image):
    probs = save_problems(tmp_path / "p.jsonl", CANARY_PROBLEMS)
    sol = tmp_path / "s.jsonl"
    sol.write_text(json.dumps({"problem_id": SHOUT.id, "solution": LEAKY_SHOUT}) + "\n"
                   + json.dumps({"problem_id": ECHO.id, "solution": LEAKY_ECHO}) + "\n")
    out = tmp_path / "run"
    res = run_cli("verify", str(probs), "--solutions", str(sol), "--out", str(out), "--json")
    assert res.returncode == 0, res.stderr
    _no_canary("verify's stdout", res.stdout)
    _no_canary("verify's stderr", res.stderr)
    for name in ("results.jsonl", "rewards.jsonl", "candidates.jsonl", "dataset.jsonl", "summary.json"):
        if (out / name).exists():
            _no_canary(name, (out / name).read_text())
    results = read_jsonl(out / "results.jsonl")
    hidden = [t for r in results for t in r["tests"] if t["private"]]
    assert hidden and all(t["message"] is None and t["name"].startswith("hidden test") for t in hidden)
    assert all(r["stdout_tail"] == "" and r["stderr_tail"] == "" for r in results)


# --------------------------------------------------------------------------- synth: canary and gaming

_QUOTED = re.compile(r"assert shout\((?P<arg>\"[^\"]*\")\) == (?P<exp>\"[^\"]*\")")


def _gaming_model(body: dict) -> Reply:
    """First tries are wrong; every repair hard-codes each assert its feedback quotes (the attack
    of issue 24), the real bug left in place."""
    user = last_user(body)
    whole = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    if "def shout(" not in whole:
        return Reply(content="no idea")
    if not user.startswith("Your solution was run"):
        return Reply(content=LEAKY_SHOUT)
    quoted = dict((m.group("arg"), m.group("exp")) for m in _QUOTED.finditer(whole))
    cases = "".join(f"    if s == {a}:\n        return {e}\n" for a, e in quoted.items())
    return Reply(content=f"```python\ndef shout(s):\n    print('arg:', s)\n{cases}    return s + '!'\n```")


def test_synth_with_repair_gaming_model_gets_nothing_in_and_sees_no_canary(tmp_path, runner_image):
    seeds = tmp_path / "seeds.jsonl"
    # The public tests alone quote every public case; the default split would do the same for a
    # problem without private_tests.
    save_problems(seeds, [SHOUT])
    server = ScriptedServer(responder=_gaming_model).start()
    try:
        recipe = tmp_path / "recipe.toml"
        recipe.write_text(
            'name = "t"\n'
            f'[seeds]\nproblems = "{seeds}"\nkind = "function"\n'
            f'[endpoint]\nbase_url = "{server.base_url}"\nmodel = "scripted-model"\nconcurrency = 2\nbackoff_s = 0.01\n'
            f'[cache]\ndir = "{tmp_path / "cache"}"\n'
            "[solutions]\nn = 2\n[repair]\nrounds = 2\n[curate]\nmutation = false\ndecontam = false\n"
            "[execution]\ntimeout_s = 5\nworkers = 2\n")
        out = tmp_path / "out"
        res = run_cli("synth", str(recipe), "--out", str(out), "--json")
        assert res.returncode == 0, res.stderr
        repairs = [b for b in server.requests if last_user(b).startswith("Your solution was run")]
        assert repairs, "no repair was asked"
        # the gaming model saw public failures (it quoted them) and nothing private
        assert any('shout("hi")' in last_user(b) for b in repairs)
        for b in server.requests:
            _no_canary("a prompt the endpoint received", json.dumps(b))
        _no_canary("synth's stdout", res.stdout)
        _no_canary("synth's stderr", res.stderr)
        for f in Path(out).rglob("*"):
            if f.is_file() and f.suffix in (".jsonl", ".json", ".md", ".html", ".log", ".txt"):
                if f.name in ("recipe.json",):
                    continue
                text = f.read_text(errors="replace")
                if f.name.startswith("problems") or "seeds" in f.name:
                    continue  # the problem set itself, as the user wrote it
                _no_canary(str(f.relative_to(out)), text)
        # the attack works on what it was shown (a repair passes every public test) and nothing more
        gamed = [r for r in read_jsonl(out / "run" / "results.jsonl")
                 if r["tests"] and all(t["passed"] for t in r["tests"] if not t["private"])
                 and any(not t["passed"] for t in r["tests"] if t["private"])]
        assert gamed, "no repair passed its public tests: the attack was not exercised"
        # none of the gaming repairs is kept anywhere
        dataset = read_jsonl(out / "run" / "dataset.jsonl") if (out / "run" / "dataset.jsonl").exists() else []
        assert dataset == []
        for f in [out / "curated.jsonl", *out.glob("export*")]:
            if f.exists() and f.is_file():
                assert "if s ==" not in f.read_text()
    finally:
        server.stop()
