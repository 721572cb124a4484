"""`codesynth serve --env`: the episode environment at /openenv, played by the real `openenv`
client (`GenericEnvClient`) over a real uvicorn server and the real Docker pool.

Episodes over the WebSocket answer exactly what the in-process environment answers; 64 run at
once; a private test's canary never reaches a client or a log; sessions end (and free their slot)
when the client leaves, falls silent, or the server is stopped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
import websockets
from helpers import ROOT, free_port, our_containers, run_cli, serving, wait_until_serving
from openenv import GenericEnvClient

from codesynth.models import Problem
from codesynth.pipeline.environment import code_environment

CANARY = "zq_canary_91c4e7"

PROBLEMS = [
    Problem(id="shout", entry_point="shout",
            prompt="def shout(s: str) -> str:\n    \"\"\"s upper-cased, then '!'\"\"\"\n",
            tests="assert shout('hi') == 'HI!'\n",
            private_tests=f"assert shout('{CANARY}') == '{CANARY.upper()}!'\nassert shout('') == '!'\n"),
    Problem(id="length", prompt="Read one line from stdin and print its length.",
            tests=[{"input": "abc\n", "output": "3\n"}],
            private_tests=[{"input": CANARY + "\n", "output": f"{len(CANARY)}\n"}]),
]


def fenced(code: str) -> str:
    return f"Here is my answer.\n```python\n{code}```\n"


#: per problem: scripts of model replies (one reply a turn), each an episode's whole play
SCRIPTS = {
    "shout": {
        "right": [fenced("def shout(s):\n    return s.upper() + '!'\n")],
        "bare": ["def shout(s):\n    return s.upper() + '!'\n"],
        "wrong_then_right": [fenced("def shout(s):\n    return s + '!'\n"),
                             fenced("def shout(s):\n    return s.upper() + '!'\n")],
        # passes the public test it was shown, fails the private ones: reward -1 and no feedback of them
        "gaming": [fenced("def shout(s):\n    if s == 'hi':\n        return 'HI!'\n    return s\n")],
        "crash_prints": [fenced("def shout(s):\n    print(s)\n    raise ValueError('bad: ' + s)\n")] * 3,
        "no_code": ["I would rather not write code today."] * 3,
    },
    "length": {
        "right": [fenced("print(len(input()))\n")],
        "echo": [fenced("import sys\nprint(sys.stdin.read())\n")] * 3,
        "echo_then_right": [fenced("import sys\nprint(sys.stdin.read())\n"), fenced("print(len(input()))\n")],
    },
}


def comparable(obs: dict, reward, done) -> dict:
    """What an episode answers, without the id a server or a run picks itself."""
    o = {k: v for k, v in obs.items() if k not in ("episode_id", "metadata")}
    return {**o, "reward": reward, "done": done}


@pytest.fixture(scope="module")
def in_process(docker_backend) -> dict[tuple[str, str], list[dict]]:
    """Every script played by the library's environment in this process: the reference answers."""
    env = code_environment(PROBLEMS, backend=docker_backend, limits=docker_backend.limits)
    out = {}
    for pid, scripts in SCRIPTS.items():
        for name, replies in scripts.items():
            ep = env.episode(pid)
            first = ep.reset()
            seen = [comparable(first.model_dump(exclude={"done", "reward"}), first.reward, first.done)]
            for reply in replies:
                o = ep.step(reply)
                seen.append(comparable(o.model_dump(exclude={"done", "reward"}), o.reward, o.done))
                if o.done:
                    break
            assert seen[-1]["done"], (pid, name)
            out[pid, name] = seen
    return out


@pytest.fixture(scope="module")
def url(docker_backend):
    with serving(docker_backend, env_problems=PROBLEMS, env_sessions=64) as u:
        yield u


async def play(base: str, pid: str, replies: list[str], all_reset=None, **client_kw) -> list[dict]:
    async with GenericEnvClient(base_url=base, message_timeout_s=300, **client_kw) as env:
        r = await env.reset(task_id=pid)
        seen = [comparable(r.observation, r.reward, r.done)]
        if all_reset is not None:  # every session open at once before any steps
            await all_reset()
        for reply in replies:
            r = await env.step({"code": reply})
            seen.append(comparable(r.observation, r.reward, r.done))
            if r.done:
                break
        return seen


def test_64_concurrent_episodes_answer_what_the_in_process_environment_answers(url, in_process, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    plays = [(pid, name) for pid, scripts in SCRIPTS.items() for name in scripts]
    todo = [plays[i % len(plays)] for i in range(64)]

    async def all_at_once():
        arrived, go, open_then = [0], asyncio.Event(), []

        async def all_reset():
            arrived[0] += 1
            if arrived[0] == len(todo):  # the last one in: the server holds every session now
                open_then.append(await asyncio.to_thread(
                    lambda: requests.get(url + "/v1/stats", timeout=60).json()["sessions"]["open"]))
                go.set()
            await go.wait()

        got = await asyncio.gather(*(play(url + "/openenv", pid, SCRIPTS[pid][name], all_reset)
                                     for pid, name in todo))
        assert open_then == [64]
        return got

    got = asyncio.run(all_at_once())
    for (pid, name), seen in zip(todo, got, strict=True):
        assert seen == in_process[pid, name], (pid, name)
    # the policy really ran: feedback, rewards and the prompt are the ones RLEF's policy gives
    ref = {k: v[-1] for k, v in in_process.items()}
    assert ref["shout", "right"]["reward"] == 1.0 and ref["shout", "bare"]["reward"] == 1.0
    assert ref["shout", "gaming"]["reward"] == -1.0 and ref["shout", "gaming"]["feedback"] == ""
    assert in_process["shout", "wrong_then_right"][1]["feedback"].startswith("Your code failed the following tests:")
    assert "HI!" in in_process["shout", "wrong_then_right"][1]["feedback"]
    assert ref["shout", "wrong_then_right"]["reward"] == 1.0 and ref["shout", "wrong_then_right"]["turn"] == 2
    assert ref["shout", "no_code"]["reward"] < 0 and ref["shout", "crash_prints"]["turn"] == 3
    assert ref["length", "echo_then_right"]["reward"] == 1.0
    assert in_process["shout", "right"][0]["prompt"][-1]["content"].count("def shout") >= 1
    stats = requests.get(url + "/v1/stats", timeout=30).json()
    assert stats["sessions"]["open"] == 0 and stats["sessions"]["episodes"] >= 64
    metrics = requests.get(url + "/metrics", timeout=30).text
    assert "codesynth_env_sessions 0.0" in metrics and "codesynth_env_episodes " in metrics
    # the canary: nothing any client received, nothing logged or printed by the server
    assert CANARY not in json.dumps(got)
    assert CANARY not in caplog.text
    out, err = capfd.readouterr()
    assert CANARY not in out + err


def test_http_reset_and_one_turn_step(url, in_process):
    r = requests.post(url + "/openenv/reset", json={"task_id": "shout"}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["done"] is False and body["observation"]["prompt"] == in_process["shout", "right"][0]["prompt"]
    # HTTP keeps no session: a step names its task and is a one-turn episode
    r = requests.post(url + "/openenv/step", json={"action": {"code": SCRIPTS["shout"]["right"][0],
                                                              "task_id": "shout"}}, timeout=60)
    assert r.status_code == 200 and r.json()["done"] is True and r.json()["reward"] == 1.0
    r = requests.post(url + "/openenv/step", json={"action": {"code": fenced("def shout(s):\n    return s\n"),
                                                              "task_id": "shout"}}, timeout=60)
    assert r.json()["done"] is True and r.json()["reward"] == -1.0 and r.json()["observation"]["feedback"]
    assert CANARY not in r.text
    for path, body, words in [
        ("/openenv/reset", {"task_id": "nope"}, "unknown problem 'nope'"),
        ("/openenv/reset", {}, "reset needs task_id"),
        ("/openenv/step", {"action": {"code": "x = 1\n"}}, "step before reset"),
        ("/openenv/step", {"action": {"reply": "x = 1\n"}}, 'step takes {"code": REPLY}'),
    ]:
        r = requests.post(url + path, json=body, timeout=60)
        assert r.status_code == 422 and words in r.json()["detail"], (path, r.text)
    assert requests.get(url + "/openenv/health", timeout=30).json()["status"] == "healthy"
    assert "code" in requests.get(url + "/openenv/schema", timeout=30).json()["action"]["properties"]


def test_bad_requests_over_the_websocket_are_one_line(url):
    async def go():
        async with GenericEnvClient(base_url=url + "/openenv") as env:
            msgs = []
            for call in (lambda: env.reset(task_id="nope"), lambda: env.step({"code": "x = 1\n"}),
                         lambda: env.reset(), lambda: env.reset(task_id="shout", level=3)):
                with pytest.raises(RuntimeError) as e:
                    await call()
                msgs.append(str(e.value))
            await env.reset(task_id="shout")
            with pytest.raises(RuntimeError) as e:
                await env.step({"cod": "x"})
            msgs.append(str(e.value))
            r = await env.step({"code": SCRIPTS["shout"]["right"][0]})
            assert r.done and r.reward == 1.0
            with pytest.raises(RuntimeError) as e:
                await env.step({"code": SCRIPTS["shout"]["right"][0]})
            msgs.append(str(e.value))
            # the session survives its bad requests: a new episode plays
            r = await env.reset(task_id="length")
            assert not r.done
            return msgs

    msgs = asyncio.run(go())
    for m, words in zip(msgs, ["unknown problem 'nope'", "step before reset", "reset needs task_id",
                               "not level", 'step takes {"code": REPLY}', "is over"], strict=True):
        assert words in m and "\n" not in m, m


def test_session_limit_idle_timeout_and_a_client_that_vanishes(docker_backend, capfd):
    with serving(docker_backend, env_problems=PROBLEMS, env_sessions=2, env_idle_timeout_s=1.5) as u:
        base = u + "/openenv"

        def stats() -> dict:
            return requests.get(u + "/v1/stats", timeout=30).json()

        def settles(pred, what: str, within: float = 30) -> None:
            end = time.monotonic() + within
            while not pred(stats()):
                assert time.monotonic() < end, (what, stats())
                time.sleep(0.1)

        async def limits():
            a, b = GenericEnvClient(base_url=base), GenericEnvClient(base_url=base)
            await a.reset(task_id="shout")
            await b.reset(task_id="shout")
            async with GenericEnvClient(base_url=base) as c:  # a third session: refused, one line
                with pytest.raises(RuntimeError, match="capacity"):
                    await c.reset(task_id="shout")
            await a.close()
            await asyncio.sleep(3)  # b falls silent past the idle time-out: its session is closed
            # (OpenEnv's client reconnects by itself: the new session has no episode, and says so)
            with pytest.raises(RuntimeError, match="step before reset: .*--env-idle-timeout"):
                await b.step({"code": SCRIPTS["shout"]["right"][0]})
            await b.close()
            # a raw client sees the close itself: one error frame saying why, then code 1001
            async with websockets.connect(base.replace("http", "ws") + "/ws") as ws:
                await ws.send(json.dumps({"type": "reset", "data": {"task_id": "shout"}}))
                assert json.loads(await ws.recv())["type"] == "observation"
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                assert frame == {"type": "error", "data": {"code": "SESSION_ERROR", "message": (
                    "session closed: no message for 1.5 s (the server's --env-idle-timeout)")}}
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await ws.recv()
                assert closed.value.rcvd.code == 1001

        asyncio.run(limits())
        settles(lambda s: s["sessions"]["open"] == 0, "slots freed")

        async def vanish():
            # a raw client mid-step drops its TCP connection without a close frame
            ws = await websockets.connect(base.replace("http", "ws") + "/ws")
            await ws.send(json.dumps({"type": "reset", "data": {"task_id": "shout"}}))
            await ws.recv()
            slow = fenced("import time\ntime.sleep(1.5)\ndef shout(s):\n    return s\n")
            await ws.send(json.dumps({"type": "step", "data": {"code": slow}}))
            await asyncio.sleep(0.3)
            ws.transport.abort()

        label = f"codesynth.run={docker_backend.run_id}"
        pool_before = set(our_containers(label))
        asyncio.run(vanish())
        settles(lambda s: s["sessions"]["open"] == 0 and s["running"] == 0, "the vanished session ends")
        # the pool is as it was: no container left behind, none lost (its workers and warm spare)
        settles(lambda _: set(our_containers(label)) == pool_before, "only the pool's containers")
        assert asyncio.run(play(base, "shout", SCRIPTS["shout"]["right"]))[-1]["reward"] == 1.0
        err = capfd.readouterr().err  # uvicorn's own log (not propagated to the root logger)
        assert "Traceback" not in err and "Exception in ASGI" not in err, err


def test_token_guards_the_websocket(docker_backend):
    with serving(docker_backend, env_problems=PROBLEMS, token="s3cret") as u:
        async def go():
            with pytest.raises(ConnectionError):
                async with GenericEnvClient(base_url=u + "/openenv") as env:
                    await env.reset(task_id="shout")
            seen = await play(u + "/openenv", "shout", SCRIPTS["shout"]["right"],
                              headers={"Authorization": "Bearer s3cret"})
            assert seen[-1]["reward"] == 1.0
            assert (await play(u + "/t/s3cret/openenv", "shout", SCRIPTS["shout"]["right"]))[-1]["reward"] == 1.0

        asyncio.run(go())


@pytest.mark.docker  # the CLI starts its own pool
def test_cli_serve_env_sigterm_ends_sessions_and_leaves_no_container(tmp_path):
    f = tmp_path / "env.jsonl"
    f.write_text("".join(p.model_dump_json(exclude_none=True) + "\n" for p in PROBLEMS))
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "codesynth.cli", "serve", "--port", str(port), "--workers", "1",
                             "--env", str(f), "--env-out", str(tmp_path / "run")], cwd=ROOT, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    u = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, u)
        label = f"codesynth.run=serve{proc.pid}"
        assert our_containers(label)

        async def sessions():
            idle = GenericEnvClient(base_url=u + "/openenv")
            await idle.reset(task_id="shout")
            assert (await play(u + "/openenv", "shout", SCRIPTS["shout"]["gaming"]))[-1]["reward"] == -1.0
            busy = GenericEnvClient(base_url=u + "/openenv", message_timeout_s=60)
            await busy.reset(task_id="shout")
            step = asyncio.ensure_future(busy.step({"code": fenced("import time\ntime.sleep(1.5)\n"
                                                                    "def shout(s):\n    return s.upper() + '!'\n")}))
            await asyncio.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            try:
                return await step
            except Exception as e:  # noqa: BLE001
                return e
            finally:
                for c in (idle, busy):
                    await c.close()

        cut = asyncio.run(sessions())
        # uvicorn closes every WebSocket at once ("service restart"); the program runs out on its worker
        assert isinstance(cut, websockets.ConnectionClosed) and cut.rcvd.code == 1012, repr(cut)
        proc.wait(timeout=90)
        assert our_containers(label) == []
        err = proc.stderr.read()
        assert "Traceback" not in err and CANARY not in err
        assert proc.returncode == 143, (proc.returncode, err)  # codesynth's exit for SIGTERM (errors.Terminated)
        # every turn was recorded, and the run directory holds no private test either
        turns = (tmp_path / "run" / "episodes.jsonl").read_text()
        assert turns.count('"problem_id":"shout"') + turns.count('"problem_id": "shout"') >= 1
        assert CANARY not in turns
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_refuses_a_bad_env_file_in_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "broken", "prompt": "p", "entry_point": "f", "tests": "assert f(1) ==\n"}) + "\n")
    for args, words in [
        (["--env", str(tmp_path / "missing.jsonl")], "does not exist"),
        (["--env", str(bad)], f"{bad}:1: problem 'broken': test code does not parse"),
        (["--env", str(bad), "--env-idle-timeout", "0"], "--env-idle-timeout"),
        (["--env", str(bad), "--env-sessions", "0"], "--env-sessions"),
        (["--env", str(bad), "--env-reward", "nope"], "--env-reward"),
        (["--env", str(bad), "--env-turns", "0"], "--env-turns"),
    ]:
        r = run_cli("serve", "--port", str(free_port()), *args, timeout=120)
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
