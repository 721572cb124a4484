"""SandboxFusion's own `/run_code` tests against a real `codesynth serve` (uvicorn over the real
toolchain pool), over HTTP.

The cases are SandboxFusion's files, vendored unmodified (tests/data/sandboxfusion/, Apache-2.0,
see NOTICE.md there): each is loaded with its four import lines swapped for a client of our server
and models with SandboxFusion's field names, then every `test_*` function runs as written. A case
that codesynth answers differently on purpose is listed in DIFFERENCES with the reason (the same
table as docs/topics/sandboxfusion-parity.md) and must still differ (strict xfail): a difference
that goes away, or a new failure, turns this file red.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import random
from pathlib import Path

import pytest
import requests
from helpers import serving
from pydantic import BaseModel

from codesynth.models import LANGUAGES, Limits

CASES = Path(__file__).parent / "data" / "sandboxfusion" / "runners"
#: The lines each vendored file starts with that reach SandboxFusion's own app in-process.
SWAPPED = (
    "from fastapi.testclient import TestClient",
    "from sandbox.runners import CommandRunStatus",
    "from sandbox.server.sandbox_api import RunCodeRequest, RunCodeResponse, RunStatus",
    "from sandbox.server.server import app",
    "client = TestClient(app)",
)

#: case id -> why codesynth answers differently (docs/topics/sandboxfusion-parity.md, one table).
DIFFERENCES = {
    "python::test_python_fetch_files":
        "writes /mnt/b: the program's root file system is read-only and only its working directory "
        "is writable and fetchable (an absolute fetch_files path is listed as missing)",
    "python::test_python_timeout":
        "a Python program's run_timeout is CPU time: a program sleeping 0.2 s past a 0.1 s limit uses "
        "none; the wall clock stops an idle program at 3 x run_timeout + 1 s",
    "cpp::test_cpp_timeout":
        "a C++ program's run_timeout is CPU time (every language's, as Python's): a program sleeping "
        "1 s past a 0.5 s limit uses none; the wall clock stops an idle program at 3 x run_timeout + 1 s",
    "java::test_java_timeout":
        "a Java program's run_timeout is the JVM's CPU time: a program sleeping 0.2 s past a 0.1 s limit "
        "uses next to none; the wall clock stops an idle program at 3 x run_timeout + 1 s",
    "nodejs::test_nodejs_humanevalx_assertion_error":
        "console.assert(false) throws (exit 1): node's own only prints, so HumanEval-X's console.assert "
        "tests could never fail and a wrong program would be rewarded",
    "typescript::test_typescript_humanevalx_assertion_error":
        "console.assert(false) throws (exit 1), as in JavaScript",
}
#: case id -> why its answer depends on the machine: a compile within compile_timeout=1 wall-clock
#: second, or node's start-up CPU against run_timeout=0.1. Not strict: on some machines it passes.
LOAD_SENSITIVE = {
    "go::test_golang_timeout": "compile_timeout=1: go build within 1 wall-clock second",
    "rust::test_rust_timeout": "compile_timeout=1: rustc within 1 wall-clock second",
    # the same difference as Python's, C++'s and Java's timeouts above (a sleeping program uses no
    # CPU), but node's own start-up is close to run_timeout=0.1 CPU seconds: on a slow machine it
    # uses more and times out as SandboxFusion expects, on a fast one (1.06 s asleep, 0.27 s) it
    # is idle for less than 3 x 0.1 + 1 s and finishes
    "nodejs::test_nodejs_timeout": "run_timeout is CPU time; node's start-up is near 0.1 CPU s",
    "typescript::test_typescript_timeout": "run_timeout is CPU time; node's start-up is near 0.1 CPU s",
}
#: SandboxFusion's compile_timeout default is 10 s; on this shared 2-core machine a cold javac or
#: go build can take longer under the test suite's own load, so requests that do not set one get
#: 60 s (as tests/test_serve_languages.py does). The compile limit itself is tested on its own
#: (test_serve_languages.py::test_compile_timeout_is_the_requests); cases that set one keep it.
COMPILE_TIMEOUT_DEFAULT = 60


class RunStatus(str, enum.Enum):
    Success = "Success"
    Failed = "Failed"
    SandboxError = "SandboxError"


class CommandRunStatus(str, enum.Enum):
    Finished = "Finished"
    Error = "Error"
    TimeLimitExceeded = "TimeLimitExceeded"


class RunCodeRequest(BaseModel):
    """SandboxFusion's request fields and defaults (sandbox/server/sandbox_api.py; compile_timeout:
    see COMPILE_TIMEOUT_DEFAULT), unvalidated: what the server accepts is the server's to say."""

    compile_timeout: float = COMPILE_TIMEOUT_DEFAULT
    run_timeout: float = 10
    memory_limit_MB: int = -1
    code: str
    stdin: str | None = None
    language: str
    files: dict[str, str | None] = {}
    fetch_files: list[str] = []


class CommandRunResult(BaseModel):
    status: CommandRunStatus
    execution_time: float | None = None
    return_code: int | None = None
    stdout: str | None = None
    stderr: str | None = None


class RunCodeResponse(BaseModel):
    status: RunStatus
    message: str
    compile_result: CommandRunResult | None = None
    run_result: CommandRunResult | None = None
    executor_pod_name: str | None = None
    files: dict[str, str] = {}


class Client:
    """What the vendored tests call as FastAPI's TestClient: `post(path, json=...)`, over HTTP."""

    url = ""
    last: requests.Response | None = None

    def post(self, path: str, json: dict) -> requests.Response:
        assert self.url, "no server"
        self.last = requests.post(self.url + path, json=json, timeout=300)
        return self.last


CLIENT = Client()


def _load(path: Path) -> dict:
    text = path.read_text()
    for line in SWAPPED:
        assert line in text, f"{path.name}: the vendored file no longer starts with {line!r}"
        text = text.replace(line, "")  # the same line count: tracebacks point into the file as it is
    ns = {"__name__": f"sandboxfusion_{path.stem}", "client": CLIENT, "RunStatus": RunStatus,
          "CommandRunStatus": CommandRunStatus, "RunCodeRequest": RunCodeRequest, "RunCodeResponse": RunCodeResponse}
    exec(compile(text, str(path), "exec"), ns)
    return ns


def _cases() -> list:
    out = []
    for path in sorted(CASES.glob("*.py")):
        ns = _load(path)
        for name, fn in ns.items():
            if name.startswith("test_") and callable(fn):
                cid = f"{path.stem}::{name}"
                marks = [pytest.mark.xfail(strict=True, reason=DIFFERENCES[cid])] if cid in DIFFERENCES else \
                    [pytest.mark.xfail(strict=False, reason=LOAD_SENSITIVE[cid])] if cid in LOAD_SENSITIVE else []
                out.append(pytest.param(fn, id=cid, marks=marks))
    return out


CASE_PARAMS = _cases()


def test_every_difference_names_a_case():
    ids = {p.id for p in CASE_PARAMS}
    assert set(DIFFERENCES) | set(LOAD_SENSITIVE) <= ids and len(ids) >= 40


@pytest.fixture(scope="module")
def sf_server(lang_pool):
    with serving(lang_pool, languages=tuple(LANGUAGES)) as u:
        CLIENT.url = u
        yield u
    CLIENT.url = ""


@pytest.mark.docker
@pytest.mark.parametrize("case", CASE_PARAMS)
def test_sandboxfusion_case(sf_server, case):
    CLIENT.last = None
    try:
        asyncio.run(case()) if inspect.iscoroutinefunction(case) else case()
    except AssertionError as e:
        # their asserts carry no message: show what the server answered
        raise AssertionError(f"{e} | last answer: {CLIENT.last.text if CLIENT.last is not None else None}") from e


# --------------------------------------------------------------------------- their isolation cases

# SandboxFusion's tests/runners/test_isolation.py, written by us from its cases' shape (that file
# also reaches an outside web site, which no test here may do): a program serves HTTP on the
# container's own loopback and fetches from itself with `requests` (the scientific profile).
SERVE_AND_FETCH = """
import http.server, socketserver, threading, time, requests
class H(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b'Hello, this is a special string!')
    def log_message(self, *a):
        pass
def serve():
    with socketserver.TCPServer(("", {port}), H) as httpd:
        httpd.serve_forever()
threading.Thread(target=serve, daemon=True).start()
time.sleep({wait})
r = requests.get("http://{host}:{port}")
print("Test Passed" if r.status_code == 200 and "special string" in r.text else "Test Failed")
"""


@pytest.fixture(scope="module")
def scientific_url(scientific_image):
    from codesynth.sandbox.docker.backend import DockerBackend

    b = DockerBackend(workers=2, limits=Limits(timeout_s=10, memory_mb=512), image=scientific_image,
                      run_id="pysfiso", spares=0)
    b.start()
    try:
        with serving(b) as u:
            yield u
    finally:
        b.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_isolation_loopback_server(scientific_url, host):
    code = SERVE_AND_FETCH.format(port=random.randint(30000, 60000), wait=1, host=host)
    r = requests.post(scientific_url + "/run_code", json={"code": code, "language": "python", "run_timeout": 5},
                      timeout=120).json()
    assert r["status"] == "Success" and "Test Passed" in r["run_result"]["stdout"], r


def test_isolation_same_port_at_once(scientific_url):
    # two programs on one port at the same time: each container has its own network namespace
    code = SERVE_AND_FETCH.format(port=random.randint(30000, 60000), wait=2, host="127.0.0.1")

    def post():
        return requests.post(scientific_url + "/run_code",
                             json={"code": code, "language": "python", "run_timeout": 6}, timeout=120).json()

    async def both():
        return await asyncio.gather(asyncio.to_thread(post), asyncio.to_thread(post))

    for r in asyncio.run(both()):
        assert r["status"] == "Success" and "Test Passed" in r["run_result"]["stdout"], r
