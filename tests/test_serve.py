"""`codesynth serve`: a real uvicorn server over the real Docker pool, called the way the
trainers and clients call it (the `sandbox-fusion` client from PyPI, verl's and OpenRLHF's
exact payloads over HTTP)."""

from __future__ import annotations

import base64
import concurrent.futures
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests
import uvicorn
from helpers import PROBLEM_SETS, ROOT, free_port, run_cli, serving, wait_until_serving
from sandbox_fusion import RunCodeRequest, RunStatus, run_code

from codesynth.models import Candidate
from codesynth.problems import load_problems
from codesynth.sandbox.backend import build_request
from codesynth.service import ServeConfig
from codesynth.verifiers import pool
from codesynth.verifiers.adapters import problem_spec


@pytest.fixture(scope="module")
def url(docker_backend):
    with serving(docker_backend) as u:
        yield u


def post(url: str, path: str, body, **kw) -> requests.Response:
    return requests.post(url + path, json=body, timeout=60, **kw)


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


# --------------------------------------------------------------------------- the sandbox-fusion client


def test_sandbox_fusion_client_success_error_stdin(url):
    ok = run_code(RunCodeRequest(code="print(input()[::-1])", language="python", stdin="hello\n"),
                  endpoint=url, max_attempts=1)
    assert ok.status == RunStatus.Success and ok.run_result.stdout == "olleh\n"
    assert ok.run_result.return_code == 0 and ok.compile_result is None and ok.executor_pod_name is None

    err = run_code(RunCodeRequest(code="print('before')\n1/0\n", language="python"), endpoint=url, max_attempts=1)
    assert err.status == RunStatus.Failed and err.run_result.status == "Finished"
    assert err.run_result.return_code == 1 and err.run_result.stdout == "before\n"
    assert "ZeroDivisionError" in err.run_result.stderr

    syntax = run_code(RunCodeRequest(code="def f(:\n", language="python"), endpoint=url, max_attempts=1)
    assert syntax.status == RunStatus.Failed and "SyntaxError" in syntax.run_result.stderr

    code3 = run_code(RunCodeRequest(code="import sys; print('x'); sys.exit(3)", language="python"),
                     endpoint=url, max_attempts=1)
    assert code3.status == RunStatus.Failed and code3.run_result.return_code == 3


def test_sandbox_fusion_client_timeout(url):
    t0 = time.monotonic()
    r = run_code(RunCodeRequest(code="import time\nprint('started', flush=True)\ntime.sleep(30)\n",
                                language="python", run_timeout=1), endpoint=url, max_attempts=1)
    assert time.monotonic() - t0 < 10
    assert r.status == RunStatus.Failed and r.run_result.status == "TimeLimitExceeded"
    assert r.run_result.return_code is None and r.run_result.stdout == "started\n"  # output so far


def test_sandbox_fusion_client_files(url):
    code = ("import os\n"
            "print(open('data/in.txt').read().upper(), end='')\n"
            "open('out.txt', 'w').write('result 42')\n"
            "os.makedirs('sub', exist_ok=True); open('sub/b.bin', 'wb').write(bytes(range(256)))\n"
            "os.symlink('/etc/passwd', 'leak.txt')\n")
    r = run_code(RunCodeRequest(code=code, language="python", files={"data/in.txt": b64("some input")},
                                fetch_files=["out.txt", "sub/b.bin", "absent.txt", "leak.txt"]),
                 endpoint=url, max_attempts=1)
    assert r.status == RunStatus.Success and r.run_result.stdout == "SOME INPUT"
    assert base64.b64decode(r.files["out.txt"]) == b"result 42"
    assert base64.b64decode(r.files["sub/b.bin"]) == bytes(range(256))
    assert "absent.txt" not in r.files and "leak.txt" not in r.files  # a symlink out is not fetched


def test_fetch_files_outside_are_missing_not_refused(url):
    # SandboxFusion answers the files it can: one path outside the working directory must not
    # cost the request (a 422) nor reach outside; it is listed as missing.
    body = {"code": "open('out.txt', 'w').write('kept')\n", "language": "python",
            "fetch_files": ["out.txt", "/etc/passwd", "../../etc/hostname", "absent.txt"]}
    r = post(url, "/run_code", body)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "Success" and set(got["files"]) == {"out.txt"}
    assert base64.b64decode(got["files"]["out.txt"]) == b"kept"
    assert sorted(got["codesynth"]["missing_files"]) == ["../../etc/hostname", "/etc/passwd", "absent.txt"]


def test_sandbox_fusion_client_memory(url, docker_backend):
    # The client has no memory field: the server's limit applies (the pool's 512 MB here).
    big = docker_backend.limits.memory_mb * 2
    r = run_code(RunCodeRequest(code=f"x = bytearray({big} << 20)\nprint('allocated')", language="python"),
                 endpoint=url, max_attempts=1)
    assert r.status == RunStatus.Failed and "MemoryError" in r.run_result.stderr
    assert r.run_result.stdout == ""
    small = run_code(RunCodeRequest(code="x = bytearray(64 << 20)\nprint('allocated')", language="python"),
                     endpoint=url, max_attempts=1)
    assert small.status == RunStatus.Success and small.run_result.stdout == "allocated\n"


# --------------------------------------------------------------------------- verl and OpenRLHF, as they call


def verl_post(url: str, code: str, stdin: str | None, memory_limit_mb: int = 1024, timeout: int = 10):
    """Exactly what verl's sandbox_fusion utils send: all eight fields, a pre-encoded body."""
    payload = json.dumps({"compile_timeout": timeout, "run_timeout": timeout, "code": code, "stdin": stdin,
                          "memory_limit_MB": memory_limit_mb, "language": "python", "files": {}, "fetch_files": []})
    return requests.post(url + "/run_code", headers={"Content-Type": "application/json", "Accept": "application/json"},
                         data=payload, timeout=timeout * 2 + 10)


def test_verl_payload(url):
    r = verl_post(url, "a, b = map(int, input().split())\nprint(a + b)\n", "3 4\n")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "Success" and body["run_result"]["stdout"].strip() == "7"
    assert set(body) >= {"status", "message", "compile_result", "run_result", "executor_pod_name", "files"}
    # memory_limit_MB is honoured: 200 MB does not fit in 64 MB, and does in the default
    lim = verl_post(url, "x = bytearray(200 << 20)\nprint('ok')\n", None, memory_limit_mb=64).json()
    assert lim["status"] == "Failed" and "MemoryError" in lim["run_result"]["stderr"]
    assert lim["codesynth"]["limits"]["memory_mb"] == 64
    assert verl_post(url, "x = bytearray(200 << 20)\nprint('ok')\n", None, memory_limit_mb=-1).json()["status"] == "Success"
    # verl reads a runtime error as a failed case (never -1, "infrastructure")
    bad = verl_post(url, "raise ValueError('no')\n", "").json()
    assert bad["status"] == "Failed" and bad["run_result"]["status"] == "Finished"


def test_openrlhf_remote_rm_payload(url):
    square = {"id": "o/square", "prompt": "def square(x):\n", "entry_point": "square",
              "tests": "def check(candidate):\n    assert candidate(3) == 9\n    assert candidate(-2) == 4\n"}
    prompt = "Write square(x).\n"
    queries = [prompt + "```python\ndef square(x):\n    return x * x\n```",
               prompt + "```python\ndef square(x):\n    return abs(x) * 3\n```",
               "Read two ints.\n" + "print(sum(map(int, input().split())))\n"]
    prompts = [prompt, prompt, "Read two ints.\n"]
    labels = [json.dumps(square), json.dumps(square), json.dumps([{"input": "2 3\n", "output": "5\n"}])]
    r = requests.post(url + "/openrlhf/reward", json={"query": queries, "prompts": prompts, "labels": labels},
                      headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rewards"] == [1.0, 0.0, 1.0] and body["scores"] == body["rewards"]
    assert body["extra_logs"]["partial_credit"] == [1.0, 0.5, 1.0]


def test_openrlhf_reward_func_file(docker_backend):
    """OpenRLHF's python-file mode loads the file by path and calls reward_func(queries, prompts, labels)."""
    import torch

    path = ROOT / "verifiers" / "openrlhf_reward.py"
    spec = importlib.util.spec_from_file_location("reward_module", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pool.set_backend(docker_backend)
    try:
        out = mod.reward_func(["P:def inc(x):\n    return x + 1\n", "P:def inc(x):\n    return x\n"], ["P:", "P:"],
                              ["assert inc(1) == 2\nassert inc(-1) == 0\n"] * 2)
    finally:
        pool.set_backend(None)
    assert isinstance(out["rewards"], torch.Tensor) and out["rewards"].tolist() == [1.0, 0.0]
    assert out["extra_logs"]["pass"].tolist() == [1.0, 0.0]


# --------------------------------------------------------------------------- native batch API


def test_verify_streams_the_in_process_verdicts(url, docker_backend):
    problems = load_problems(PROBLEM_SETS / "basic.jsonl")[:12]
    cands = [Candidate(candidate_id=f"ref-{i}", problem_id=p.id, solution=p.reference_solution)
             for i, p in enumerate(problems)]
    cands += [Candidate(candidate_id=f"bad-{i}", problem_id=p.id, solution="def nothing():\n    pass\n")
              for i, p in enumerate(problems[:4])]
    body = {"problems": [p.model_dump() for p in problems], "candidates": [c.model_dump() for c in cands]}
    with requests.post(url + "/v1/verify", json=body, stream=True, timeout=120) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(x) for x in r.iter_lines() if x]
    got = {x["result"]["candidate_id"]: x for x in lines}
    assert len(lines) == len(cands) == len(got)
    by_id = {p.id: p for p in problems}
    for c in cands:
        local = docker_backend.execute(build_request(by_id[c.problem_id], c, docker_backend.limits))
        remote = got[c.candidate_id]
        assert remote["result"]["status"] == local.status.value, c.candidate_id
        assert remote["result"]["tests_passed"] == local.tests_passed
        assert remote["reward"]["reward"] == (1.0 if local.passed else 0.0)
    assert sum(x["reward"]["passed"] for x in lines) == 12


def test_score_trl_shape(url):
    tests = "assert add(1, 2) == 3\nassert add(-1, 1) == 0\n"
    spec = json.dumps({"id": "s/add", "prompt": "", "entry_point": "add", "tests": tests})
    r = post(url, "/v1/score", {
        "completions": ["```python\ndef add(a, b):\n    return a + b\n```",
                        [{"role": "assistant", "content": "def add(a, b):\n    return a + b if a > 0 else 5\n"}]],
        "problem": [spec, spec], "reward_scheme": "partial"})
    assert r.status_code == 200, r.text
    assert r.json()["rewards"] == [1.0, 0.5]
    assert [x["status"] for x in r.json()["records"]] == ["passed", "failed"]


def test_score_and_verify_with_preloaded_problems(docker_backend, tmp_path):
    problems = load_problems(PROBLEM_SETS / "basic.jsonl")
    p = problems[0]
    with serving(docker_backend) as u:
        assert post(u, "/v1/verify", {"candidates": [{"candidate_id": "c", "problem_id": p.id,
                                                      "solution": p.reference_solution}]}).status_code == 422
    from codesynth.service.app import create_app as make  # the preloaded set, as --problems gives it

    cfg = ServeConfig(limits=docker_backend.limits)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(make(cfg, docker_backend, problems), host="127.0.0.1", port=port,
                                           log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    while not server.started:
        time.sleep(0.02)
    try:
        u = f"http://127.0.0.1:{port}"
        r = post(u, "/v1/score", {"completions": [p.reference_solution, "x = 1\n"], "problem_id": [p.id, p.id]})
        assert r.json()["rewards"] == [1.0, 0.0]
        rl = requests.post(u + "/openrlhf/reward", json={"query": ["Q" + p.reference_solution], "prompts": ["Q"],
                                                         "labels": [p.id]}, timeout=60)
        assert rl.json()["rewards"] == [1.0]
    finally:
        server.should_exit = True
        t.join(20)


# --------------------------------------------------------------------------- limits, errors, observability


@pytest.mark.parametrize("body, field", [
    ({"language": "python"}, "code"),
    ({"code": "print(1)", "language": "cpp"}, "language"),
    ({"code": "print(1)", "run_timeout": "soon"}, "run_timeout"),
    ({"code": "print(1)", "run_timeout": 10_000}, "run_timeout"),
    ({"code": "print(1)", "files": {"a.txt": "not base64!"}}, "files"),
    ({"code": "print(1)", "files": {"/etc/x": b64("x")}}, "files"),
    ({"code": "print('\ud800')"}, "code"),  # a lone surrogate: valid JSON, not valid UTF-8
])
def test_run_code_422_names_the_field(url, body, field):
    r = post(url, "/run_code", body)
    assert r.status_code == 422
    assert r.json()["message"].startswith(f"field '{field}")


@pytest.mark.parametrize("path", ["/run_code", "/v1/verify", "/v1/score", "/openrlhf/reward"])
@pytest.mark.parametrize("kw, status, says", [
    # a JSON body without a JSON content type (curl -d, a form post): the cause, not "field 'body'"
    ({"data": b'{"code": "print(1)"}', "headers": {"Content-Type": "text/plain"}}, 415,
     "sent with Content-Type 'text/plain'; send a JSON object with 'Content-Type: application/json'"),
    ({"data": {"code": "print(1)"}}, 415, "sent with Content-Type 'application/x-www-form-urlencoded'"),
    ({"data": b'{"code": "print(1)"}'}, 415, "sent with no Content-Type"),
    ({"data": b'{"code": ', "headers": {"Content-Type": "application/json"}}, 422,
     "not valid JSON (Expecting value at character 9)"),
    ({"data": b"", "headers": {"Content-Type": "application/json"}}, 422, "empty; send a JSON object"),
    ({"json": ["print(1)"]}, 422, "an array; send a JSON object"),
])
def test_every_json_route_names_a_body_that_is_not_json(url, path, kw, status, says):
    r = requests.post(url + path, timeout=30, **kw)
    assert r.status_code == status, r.text
    assert r.json()["message"].startswith(f"request body: {says}")
    assert "valid dictionary" not in r.text


def test_native_422s(url):
    r = post(url, "/v1/verify", {"candidates": [{"candidate_id": "c", "problem_id": "nope", "solution": "x"}]})
    assert r.status_code == 422 and "candidates.0.problem_id" in r.json()["message"]
    r = post(url, "/v1/verify", {"problems": [{"id": "p", "prompt": "", "tests": "assert True"}],
                                 "candidates": [{"candidate_id": "c", "problem_id": "p", "solution": "x"}],
                                 "limits": {"memory_mb": 1 << 20}})
    assert r.status_code == 422 and "limits.memory_mb" in r.json()["message"]
    r = post(url, "/v1/score", {"completions": ["x"], "problem": ["{\"id\": \"p\"}"]})
    assert r.status_code == 422 and "problem.0" in r.json()["message"]
    r = post(url, "/openrlhf/reward", {"query": ["a"], "prompts": ["a", "b"], "labels": ["assert True"]})
    assert r.status_code == 422 and "labels" in r.json()["message"]
    r = post(url, "/v1/score", {"completions": ["x"], "tests": ["assert x == 1"], "reward_scheme": "bogus"})
    assert r.status_code == 422 and "reward_scheme" in r.json()["message"]


def test_output_cap_is_flagged(url, docker_backend):
    cap = docker_backend.limits.output_bytes
    r = post(url, "/run_code", {"code": f"import sys\nsys.stdout.write('y' * {cap * 3})\n"}).json()
    assert r["status"] == "Failed" and r["codesynth"]["truncated"] is True
    assert 0 < len(r["run_result"]["stdout"]) <= cap and set(r["run_result"]["stdout"]) == {"y"}
    assert "output cut" in r["message"]
    # under the cap, everything comes back
    n = cap // 2
    r = post(url, "/run_code", {"code": f"print('z' * {n})"}).json()
    assert r["status"] == "Success" and len(r["run_result"]["stdout"]) == n + 1 and not r["codesynth"]["truncated"]


def test_ping_openapi_stats_metrics(url):
    assert requests.get(url + "/v1/ping", timeout=10).json() == "pong"
    paths = requests.get(url + "/openapi.json", timeout=10).json()["paths"]
    assert {"/run_code", "/v1/verify", "/v1/score", "/openrlhf/reward"} <= set(paths)
    post(url, "/run_code", {"code": "print(1)"})
    st = requests.get(url + "/v1/stats", timeout=10).json()
    assert st["workers"] == 2 and st["queued"] == 0 and st["programs"].get("passed", 0) >= 1
    assert st["sandbox"].endswith(", profile minimal")  # which image and profile serve (docs/topics/image-profiles.md)
    m = requests.get(url + "/metrics", timeout=10).text
    assert "codesynth_queue_depth" in m and 'codesynth_programs_total{status="passed"}' in m
    assert 'codesynth_requests_total{code="200",endpoint="/run_code"}' in m


def test_body_limit(docker_backend):
    with serving(docker_backend, max_body_bytes=4096) as u:
        r = post(u, "/run_code", {"code": "#" * 10_000})
        assert r.status_code == 413
        assert post(u, "/run_code", {"code": "print(2)"}).json()["run_result"]["stdout"] == "2\n"


def test_token_rules(docker_backend):
    with serving(docker_backend, token="s3cret-t0ken") as u:
        assert requests.get(u + "/v1/ping", timeout=10).status_code == 401
        assert requests.get(u + "/v1/ping", headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
        assert requests.get(u + "/v1/ping", headers={"Authorization": "Bearer s3cret-t0ken"}, timeout=10).json() == "pong"
        assert requests.get(u + "/t/wrong/v1/ping", timeout=10).status_code == 401
        # verl cannot send headers: the token goes into the URL it is given
        r = verl_post(u + "/t/s3cret-t0ken", "print(5)", None)
        assert r.status_code == 200 and r.json()["run_result"]["stdout"] == "5\n"
        assert post(u, "/run_code", {"code": "print(5)"}).status_code == 401


def test_cli_refuses_public_host_without_token():
    r = run_cli("serve", "--host", "0.0.0.0", "--port", str(free_port()), timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "codesynth: error: --host 0.0.0.0: binding beyond loopback requires a token; put one in an environment "
        "variable and name it with --token-env VAR"]
    r = run_cli("serve", "--token-env", "CODESYNTH_TEST_UNSET_VAR", timeout=60)
    assert r.returncode == 2 and "CODESYNTH_TEST_UNSET_VAR" in r.stderr and "Traceback" not in r.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        r = run_cli("serve", "--port", str(port), timeout=60)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"codesynth: error: --port {port}: cannot listen on 127.0.0.1:{port} (Address already in use)"]


# --------------------------------------------------------------------------- overload: 504, never a false timeout


def test_overload_gives_verdicts_or_504_never_false_timeouts(docker_backend):
    workers = docker_backend.capacity
    n = 10 * workers
    with serving(docker_backend, queue_timeout_s=1.5, queue_size=n) as u:
        def one(i: int):
            # 0.3 s of work under a 0.6 s limit: only counting queue time against it could time it out
            r = verl_post(u, f"import time\ntime.sleep(0.3)\nprint({i} * 2)\n", None, timeout=1)
            return i, r.status_code, (r.json() if r.status_code == 200 else r.text)

        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            out = list(ex.map(one, range(n)))
    codes = [c for _, c, _ in out]
    assert set(codes) <= {200, 504}, codes
    ok = [(i, b) for i, c, b in out if c == 200]
    assert len(ok) >= 2 * workers and codes.count(504) >= 1, codes
    for i, b in ok:
        assert b["status"] == "Success" and b["run_result"]["stdout"] == f"{i * 2}\n", b
    # some of those that succeeded waited longer than their own time limit before starting
    assert max(b["codesynth"]["queue_s"] for _, b in ok) > 1.0


def test_queue_full_is_504(docker_backend):
    with serving(docker_backend, queue_timeout_s=30, queue_size=1) as u:
        def one(_):
            return verl_post(u, "import time\ntime.sleep(0.5)\n", None, timeout=5).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            codes = list(ex.map(one, range(8)))
    assert codes.count(200) >= docker_backend.capacity and codes.count(504) >= 1, codes
    assert set(codes) <= {200, 504}


# --------------------------------------------------------------------------- the command: SIGTERM drains


@pytest.mark.docker  # the CLI starts its own pool: the engine, not a fixture
def test_cli_serve_sigterm_drains_and_leaves_no_container():
    port = free_port()
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-m", "codesynth.cli", "serve", "--port", str(port), "--workers", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    u = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(proc, u, within=120)
        label = f"label=codesynth.run=serve{proc.pid}"
        assert subprocess.run(["docker", "ps", "-q", "--filter", label], capture_output=True, text=True).stdout.split()
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(verl_post, u, "import time\ntime.sleep(1.5)\nprint('drained')\n", None)
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            r = fut.result(timeout=30)
        assert r.status_code == 200 and r.json()["run_result"]["stdout"] == "drained\n"
        proc.wait(timeout=60)
        left = subprocess.run(["docker", "ps", "-aq", "--filter", label], capture_output=True, text=True).stdout
        assert left.split() == []
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_problem_spec_roundtrip_for_labels():
    # the label OpenRLHF rows carry is the adapters' problem spec
    p = load_problems(PROBLEM_SETS / "basic.jsonl")[0]
    from codesynth.verifiers.openrlhf_reward import label_problem

    assert label_problem(problem_spec(p), "", 0).tests == p.tests
