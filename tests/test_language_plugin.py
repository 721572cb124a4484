"""A language registered from outside the package works end to end, and docs/extending/languages.md
cannot rot: its code block is the language under test.

The block is written to a module in tmp_path and imported (registration by decorator), or
named by an entry point of a distribution in tmp_path (registration by entry point, in a CLI
subprocess). Then: problem loading, the prompt, extraction of a fenced reply, the SandboxFusion
names, and verdicts in the real sandbox (a pool on the plain runner image: Bash needs no
package).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import LANG_LIMITS

from codesynth import languages
from codesynth.extract import program_from_reply
from codesynth.models import Candidate, Problem, Status
from codesynth.problems import load_problems
from codesynth.sandbox.backend import build_request
from codesynth.signatures import unposable

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "extending" / "languages.md"
MODULE = "codesynth_bash_doc"

ADD = {"id": "toy/add", "prompt": "Add two integers.", "language": "bash",
       "signature": {"name": "add", "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
                     "returns": "int"},
       "tests": [{"call": [1, 2], "expect": 3}, {"call": [7, 0], "expect": 7}, {"call": [40, 2], "expect": 42}]}
REPLY = ("Here is the function:\n\n```bash\nadd() {\n    echo $(( $1 + $2 ))\n}\n```\n\n"
         "It uses shell arithmetic.")


def page_module_source() -> str:
    blocks = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) == 1, "the page has one Python block: the language module"
    return blocks[0]


@pytest.fixture(scope="module")
def bash_language(tmp_path_factory):
    d = tmp_path_factory.mktemp("toy")
    (d / f"{MODULE}.py").write_text(page_module_source(), encoding="utf-8")
    sys.path.insert(0, str(d))
    try:
        assert "bash" not in languages.names()
        importlib.import_module(MODULE)
        yield languages.get("bash")
    finally:
        sys.path.remove(str(d))


def test_the_registry_knows_it(bash_language):
    assert "bash" in languages.names()
    assert languages.resolve("sh") == "bash"
    with pytest.raises(languages.UnknownLanguage, match="known: .*bash"):
        languages.get("cobol")


def test_problems_load_and_the_prompt_asks_for_it(bash_language, tmp_path):
    from codesynth.generators.prompts import solution_messages, task_text

    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps(ADD) + "\n" + json.dumps({**ADD, "id": "toy/bad", "language": "cobol"}) + "\n")
    from codesynth.errors import InputError

    with pytest.raises(InputError, match=r"p\.jsonl:2.*unknown language 'cobol' \(known: .*bash"):
        load_problems(f)
    f.write_text(json.dumps(ADD) + "\n")
    (p,) = load_problems(f)
    assert p.language == "bash"
    text = task_text(p, "bash")
    assert "Bash function `add`" in text and "add() {" in text and "$1 = a, $2 = b" in text
    assert "reads its arguments as $1" in text
    msgs = solution_messages(p, language="bash")
    assert "```bash code block" in msgs[0]["content"]
    # a signature it cannot spell: the generators say so instead of asking
    floats = Problem.model_validate({**ADD, "signature": {**ADD["signature"], "returns": "float"},
                                     "tests": [{"call": [1, 2], "expect": 3.0}]})
    assert "integers only" in unposable(floats, "bash")


def test_extraction_takes_its_fenced_block(bash_language):
    code = program_from_reply(REPLY, "add", language="bash")
    assert code == "add() {\n    echo $(( $1 + $2 ))\n}\n"
    # a block in another language is not a Bash program
    assert program_from_reply("```python\ndef add(a, b):\n    return a + b\n```", "add", language="bash") is None


def test_fusion_names_it(bash_language):
    from codesynth.service import fusion

    assert fusion.LANGUAGES["sh"] == "bash"
    assert fusion.RunCodeRequest(code="echo hi", language="bash").language == "bash"


@pytest.fixture(scope="module")
def bash_pool(bash_language, runner_image):
    from codesynth.sandbox.docker.backend import DockerBackend

    b = DockerBackend(workers=1, limits=LANG_LIMITS, image=runner_image, run_id=f"pybash{os.getpid()}",
                      languages={"python", "bash"})
    b.start()
    yield b
    b.close()


@pytest.mark.docker
def test_verdicts_in_the_real_sandbox(bash_pool):
    problem = Problem.model_validate(ADD)

    def judge(solution: str, cid: str):
        cand = Candidate(candidate_id=cid, problem_id=problem.id, solution=solution, language="bash")
        return bash_pool.execute(build_request(problem, cand, LANG_LIMITS))

    right = judge(program_from_reply(REPLY, "add", language="bash"), "right")
    assert right.status is Status.passed, (right.error_type, right.error_message, right.stderr_tail)
    assert (right.tests_passed, right.tests_total) == (3, 3)
    wrong = judge("add() {\n    echo $(( $1 - $2 ))\n}\n", "wrong")
    assert wrong.status is Status.failed and wrong.tests_passed == 1  # only 7 - 0 == 7 + 0
    broken = judge("add() {\n    echo $(( $1 + \n", "broken")
    assert broken.status is Status.error and broken.error_type == "CompileError"
    # the results channel is the driver's: a program that writes there first is caught
    forged = judge("printf '= 3\\n= 7\\n= 42\\n= 1\\n' >&3\nadd() { echo 0; }\n", "forged")
    assert forged.status is Status.failed and forged.error_type == "ForgedResults"
    # stdin/stdout problems run the program as it is
    io = Problem.model_validate({"id": "toy/io", "prompt": "double", "language": "bash",
                                 "tests": [{"input": "21\n", "output": "42\n"}, {"input": "5\n", "output": "10\n"}]})
    cand = Candidate(candidate_id="io", problem_id=io.id, solution="read n\necho $(( n * 2 ))\n", language="bash")
    r = bash_pool.execute(build_request(io, cand, LANG_LIMITS))
    assert r.status is Status.passed and r.tests_passed == 2, (r.error_type, r.error_message)


@pytest.mark.docker
def test_registered_by_entry_point_in_the_cli(tmp_path, runner_image):
    """A distribution in tmp_path names the page's module under `codesynth.languages`; a fresh
    `codesynth verify` process finds it there (nothing imports it by hand) and judges with it."""
    (tmp_path / f"{MODULE}.py").write_text(page_module_source(), encoding="utf-8")
    dist = tmp_path / "codesynth_bash_doc-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: codesynth-bash-doc\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[codesynth.languages]\nbash = {MODULE}\n")
    problems = tmp_path / "p.jsonl"
    problems.write_text(json.dumps({**ADD, "reference_solution": None}) + "\n")
    sols = tmp_path / "s.jsonl"
    sols.write_text("".join(json.dumps({"problem_id": "toy/add", "solution": s, "language": "bash"}) + "\n"
                            for s in ("add() { echo $(( $1 + $2 )); }\n", "add() { echo $(( $1 * $2 )); }\n")))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "codesynth.cli", "verify", str(problems), "--solutions", str(sols),
                           "--out", str(out), "--workers", "1"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["status"] for r in results) == ["failed", "passed"], proc.stderr[-2000:]
    assert {r["language"] for r in results} == {"bash"}
