"""Prime Intellect's `verifiers` 0.4 plays codesynth's code environment the way its users load
environments: its own CLI (`vf-eval codesynth-rlef ...`) resolves the package `codesynth_rlef` by id
(taskset, env and harness), runs the episodes through its interception server against a scripted
OpenAI-compatible server on 127.0.0.1, and writes its traces. The feedback the model read and
the final rewards equal the in-process environment's; no private test reaches the model, the
traces, or the output.

verifiers 0.4 pins `openai<3` (this environment has 3.x) and `mcp==2.0.0`, so it is installed
apart (`pip install --no-deps --target`, the packages this environment lacks, pinned) and runs in
a subprocess whose PYTHONPATH puts them first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scripted_server import Reply, ScriptedServer

from codesynth.models import Problem
from codesynth.problems import save_problems
from codesynth.verifiers.environment import CodeEnvironment

#: verifiers 0.4.0 and what it needs beyond this environment (`pip install --dry-run verifiers==0.4.0`)
VERIFIERS = ["verifiers==0.4.0", "aiofiles==25.1.0", "anthropic==2.17.0", "connectrpc==0.11.1", "distro==1.9.0",
             "gepa==0.1.4", "latex2sympy2_extended==1.11.0", "loguru==0.7.3", "math-verify==0.9.0", "mcp==2.0.0",
             "mcp-types==2.0.0", "openai==2.54.0", "openai-harmony==0.0.8", "prime-pydantic-config==0.4.3",
             "prime-runs==0.1.4", "prime-sandboxes==0.5.1", "prime-traces==0.0.10", "prime-tunnel==0.1.15",
             "protobuf-py==0.1.1", "protobuf-py-ext==0.1.1", "pyqwest==0.12.0", "pyzmq==27.3.0", "renderers==0.1.12",
             "tiktoken==0.14.0"]
CANARY = "vq7canary38k"

PROBLEMS = [
    Problem(id="shout", prompt="Write shout(s): s upper-cased with '!' appended.", entry_point="shout",
            tests="assert shout('hi') == 'HI!'\n",
            private_tests=f"assert shout('{CANARY}') == '{CANARY.upper()}!'\nassert shout('') == '!'\n"),
    Problem(id="length", prompt="Read one line from stdin and print its length.",
            tests=[{"input": "abc\n", "output": "3\n"}],
            private_tests=[{"input": CANARY + "\n", "output": f"{len(CANARY)}\n"}]),
    Problem(id="gamed", prompt="Write double(x): x times two.", entry_point="double",
            tests="assert double(2) == 4\n", private_tests=f"assert double(5) == 10, '{CANARY}'\n"),
]


def fenced(code: str) -> str:
    return f"Here is my program.\n```python\n{code}```\n"


#: the model's replies per problem, one a turn
REPLIES = {
    "shout": [fenced("def shout(s):\n    return s + '!'\n"), fenced("def shout(s):\n    return s.upper() + '!'\n")],
    # prints what it is given and crashes: three turns of feedback, then -1
    "length": [fenced("import sys\ndata = sys.stdin.read()\nprint(data)\nraise SystemExit('bad: ' + data)\n")] * 3,
    # passes the public test it is shown, fails the private one: -1, and no feedback about it
    "gamed": [fenced("def double(x):\n    return 4 if x == 2 else x\n")],
}


@pytest.fixture(scope="session")
def verifiers_path(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("verifiers")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                        "--target", str(target), *VERIFIERS], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    return target


def problem_of(body: dict) -> str:
    first = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return next(p.id for p in PROBLEMS if p.prompt in first)


def respond(body: dict) -> Reply:
    turn = sum(m["role"] == "assistant" for m in body["messages"])
    return Reply(content=REPLIES[problem_of(body)][turn])


def vf_eval(verifiers_path: Path, tmp_path: Path, *args: str) -> tuple[ScriptedServer, subprocess.CompletedProcess, list]:
    """verifiers' own eval CLI (`vf-eval ARGS`) against a scripted model; its traces."""
    server = ScriptedServer(responder=respond).start()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(verifiers_path), os.environ.get("PYTHONPATH", "")]),
           "PRIME_RUNS_MODE": "disabled", "CODESYNTH_WORKERS": "2"}
    try:
        # cwd: not the checkout, whose folder `verifiers/` (codesynth's) would shadow the package
        r = subprocess.run([sys.executable, "-c", "from verifiers.v1.cli.eval.main import main; main()", *args,
                            "--model", "scripted-model", "--client.base-url", server.base_url, "--no-push",
                            "--no-rich", "-o", str(tmp_path / "out"), "--run.dir", "run"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    finally:
        server.stop()
    assert r.returncode == 0, (r.stdout[-3000:], r.stderr[-3000:])
    traces = [json.loads(line) for line in (tmp_path / "out" / "run" / "traces.jsonl").read_text().splitlines()]
    assert len(traces) == len(PROBLEMS)
    return server, r, traces


def users_by_problem(server: ScriptedServer) -> dict[str, list[str]]:
    """Per problem, the last user message of every model call (the prompt, then each feedback)."""
    seen: dict[str, list[str]] = {}
    for body in server.requests:
        users = [m["content"] for m in body["messages"] if m["role"] == "user"]
        seen.setdefault(problem_of(body), []).append(users[-1])
    return seen


def no_canary(server: ScriptedServer, r: subprocess.CompletedProcess, out: Path) -> None:
    """In nothing the model was sent, nothing verifiers wrote, nothing printed."""
    assert CANARY not in json.dumps(server.requests)
    for p in out.rglob("*"):
        if p.is_file():
            assert CANARY not in p.read_text(errors="replace"), p
    assert CANARY not in r.stdout + r.stderr


def in_process(docker_backend, model_turns: int) -> dict[str, tuple[list, object]]:
    """Every script through the library's environment in this process: the reference, per problem
    its steps' observations and the final one. A model stopped after `model_turns` (its agent's
    limit) has its last program judged (`finish`)."""
    env = CodeEnvironment(PROBLEMS, backend=docker_backend)
    out = {}
    for pid, replies in REPLIES.items():
        ep = env.episode(pid)
        ep.reset()
        steps = []
        for reply in replies[:model_turns]:
            steps.append(ep.step(reply))
            if steps[-1].done:
                break
        out[pid] = (steps, steps[-1] if steps[-1].done else ep.finish())
    return out


def test_vf_eval_plays_the_environment_by_id(verifiers_path, docker_backend, tmp_path):
    # the agent may take 2 turns of the episode's 3: "length" is cut short and its last program judged
    want = in_process(docker_backend, model_turns=2)
    f = tmp_path / "problems.jsonl"
    save_problems(f, PROBLEMS)
    server, r, traces = vf_eval(verifiers_path, tmp_path, "codesynth-rlef", "--env.taskset.problems", str(f),
                                "--env.agent.max-turns", "2")

    # what the model read: the prompt, then after each turn the feedback the in-process episode gives
    seen = users_by_problem(server)
    for pid, (steps, _) in want.items():
        # every step's feedback but the last one's (which ended the episode, or the agent's turns)
        assert seen[pid][1:] == [o.feedback for o in steps[:-1]], (pid, seen[pid])
    assert len(seen["length"]) == 2 and want["length"][1].turn == 2  # cut short: 2 model turns, then judged
    assert want["shout"][0][0].feedback.startswith("Your code failed the following tests:")
    assert "HI!" in want["shout"][0][0].feedback

    # the final rewards: verifiers' traces carry the environment's, turn counts included
    for episode in traces:  # one line per episode, its traces (one: the agent's) in it
        pid, (t,) = episode["task"]["data"]["problem_id"], episode["traces"]
        assert episode["ok"], episode
        assert t["stop_condition"] == ("max_turns" if pid == "length" else "user_closed"), t["stop_condition"]
        final = want[pid][1]
        assert t["rewards"]["codesynth_reward"]["score"] == final.reward, (pid, t["rewards"])
        assert (t["metrics"]["turns"], t["metrics"]["passed"]) == (final.turn, float(final.passed))
    assert {pid: w[1].reward for pid, w in want.items()} == {"shout": 1.0, "length": -1.0, "gamed": -1.0}

    no_canary(server, r, tmp_path / "out")

