"""A problem that cannot judge any program is a data error at every entry point (issue 22):
exit 2 with file:line from `verify`, DataError from score/score_many/adapters, 422 from the
service; never a reward. Also: `verify --solutions` reads chat replies by the one extraction rule."""

from __future__ import annotations

import json

import pytest
import requests
from helpers import read_jsonl, run_cli, serving

from codesynth.errors import DataError
from codesynth.models import Problem
from codesynth.problems import problem_data_error
from codesynth.verifiers.adapters import compute_score, score, score_many, trl_reward_func
from codesynth.verifiers.adapters.openrlhf import reward_func as openrlhf_reward_func

GOOD = Problem(id="d/sq", prompt="def sq(x):\n    ...\n", entry_point="sq",
               tests="assert sq(2) == 4\nassert sq(3) == 9\nassert sq(0) == 0\n")
BAD = {
    "unparsable tests": {**GOOD.model_dump(), "id": "d/syntax", "tests": "assert sq(2) == (4\n"},
    "unparsable private tests": {**GOOD.model_dump(), "id": "d/priv", "private_tests": "assert sq(3) ==\n"},
    "unknown entry point": {**GOOD.model_dump(), "id": "d/ep", "entry_point": "square"},
    "private tests of another form": {**GOOD.model_dump(), "id": "d/form",
                                      "private_tests": [{"input": "1", "output": "1"}]},
}
WHY = {"unparsable tests": "test code does not parse", "unparsable private tests": "private_tests",
       "unknown entry point": "never name 'square'", "private tests of another form": "same form"}
ANSWER = "def sq(x):\n    return x * x\n"


@pytest.mark.parametrize("kind", list(BAD))
def test_the_one_check_names_the_cause(kind):
    assert WHY[kind] in (problem_data_error(Problem.model_validate(BAD[kind])) or "")
    assert problem_data_error(GOOD) is None


@pytest.mark.parametrize("kind", list(BAD))
def test_verify_exits_2_naming_file_and_line(tmp_path, kind):
    path = tmp_path / "p.jsonl"
    path.write_text(GOOD.model_dump_json() + "\n" + json.dumps(BAD[kind]) + "\n")
    r = run_cli("verify", str(path), "--out", str(tmp_path / "run"), "--backend", "local")
    assert r.returncode == 2, r.stderr
    assert f"{path}:2:" in r.stderr and WHY[kind] in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "run" / "rewards.jsonl").exists()  # nothing ran, nothing was rewarded


@pytest.mark.parametrize("kind", list(BAD))
def test_score_and_adapters_raise_data_error(kind):
    # No backend is given: the check comes before any sandbox would start.
    bad = Problem.model_validate(BAD[kind])
    with pytest.raises(DataError, match=WHY[kind]):
        score(bad, ANSWER)
    with pytest.raises(DataError, match=WHY[kind]):
        score_many([(GOOD, ANSWER), (bad, ANSWER)])
    with pytest.raises(DataError, match=WHY[kind]):
        trl_reward_func([bad], time_limit=None)(prompts=["p"], completions=[ANSWER], problem_id=[bad.id])
    with pytest.raises(DataError, match=WHY[kind]):
        compute_score("codesynth", ANSWER, bad.model_dump_json(), None)
    with pytest.raises(DataError, match=WHY[kind]):
        openrlhf_reward_func([ANSWER], [""], [bad.model_dump_json()])


def test_service_answers_422(docker_backend):
    with serving(docker_backend) as url:
        for kind, data in BAD.items():
            r = requests.post(url + "/v1/score", json={"completions": [ANSWER], "problem": [json.dumps(data)]},
                              timeout=60)
            assert r.status_code == 422 and WHY[kind] in r.json()["message"], (kind, r.text)
            v = requests.post(url + "/v1/verify", json={
                "problems": [data], "candidates": [{"candidate_id": "c", "problem_id": data["id"], "solution": ANSWER}]},
                timeout=60)
            assert v.status_code == 422 and WHY[kind] in v.json()["message"], (kind, v.text)
            o = requests.post(url + "/openrlhf/reward", json={"query": [ANSWER], "prompts": [""],
                                                              "labels": [json.dumps(data)]}, timeout=60)
            assert o.status_code == 422 and WHY[kind] in o.json()["message"], (kind, o.text)


def test_verify_solutions_reads_chat_replies(tmp_path, runner_image):
    probs = tmp_path / "p.jsonl"
    probs.write_text(GOOD.model_dump_json() + "\n")
    sol = tmp_path / "s.jsonl"
    chatty = "Here is the function:\n\n```python\ndef sq(x):\n    return x * x\n```\n\nIt squares x."
    bare = "I am not sure how to do this."  # no program the rule can find: judged as written
    sol.write_text(json.dumps({"problem_id": GOOD.id, "solution": chatty}) + "\n"
                   + json.dumps({"problem_id": GOOD.id, "solution": bare}) + "\n")
    out = tmp_path / "run"
    r = run_cli("verify", str(probs), "--solutions", str(sol), "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    rewards = read_jsonl(out / "rewards.jsonl")
    assert sorted(x["passed"] for x in rewards) == [False, True]
    solutions = {c["solution"] for c in read_jsonl(out / "candidates.jsonl")}
    assert solutions == {"def sq(x):\n    return x * x\n", bare}  # the code out of the reply; the rest as written
