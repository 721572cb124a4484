"""Every input checked (issue 14): options, output paths, exit codes, signals, exports,
problem files, adapters' data errors, feedback, and what the sandbox image can import.

Every CLI case runs the real `codesynth` in a subprocess. Read-only and full file systems
are real tmpfs mounts in a private mount namespace (`unshare -m`), so nothing leaks.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import PROBLEM_SETS, ROOT, check_complete, our_containers, read_jsonl, run_cli, slow_candidates

from codesynth import errors
from codesynth.errors import DataError, InputError, SandboxUnavailable
from codesynth.jsonl import write_models
from codesynth.models import DatasetRecord, IOCase, Problem, Status
from codesynth.problems import load_problems
from codesynth.sandbox.capacity import max_workers
from codesynth.sandbox.docker.image_modules import MODULES, missing_imports
from codesynth.sandbox.local.backend import LocalBackend
from codesynth.verifiers.adapters import (
    compute_score,
    compute_score_batch,
    problem_spec,
    score,
    to_verl_rows,
    trl_reward_func,
)

BASIC = PROBLEM_SETS / "basic.jsonl"
GOOD = {"id": "t/1", "prompt": "def f(x):\n", "entry_point": "f", "tests": "assert f(1) == 1\n"}
SQUARE = Problem(id="a/square", prompt="def square(x):\n", entry_point="square",
                 tests="def check(candidate):\n    assert candidate(3) == 9\n    assert candidate(-2) == 4\n")
GOOD_SQUARE = "```python\ndef square(x):\n    return x * x\n```"


def _no_engine_env(tmp_path: Path) -> dict:
    """An environment whose Docker engine does not exist: a command that reaches the sandbox exits 3."""
    env = dict(os.environ, DOCKER_HOST=f"unix://{tmp_path}/no-engine.sock")
    env.pop("CODESYNTH_CONFIG", None)
    return env


def _cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codesynth.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=timeout)


def _one_line(p: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in p.stderr, p.stderr
    assert len(lines) == 1, p.stderr
    return lines[0]


# --------------------------------------------------------------------------- options at parse time

BAD_OPTIONS = [
    (("verify", str(BASIC)), ("--timeout", "-1"), "--timeout", "0<x<=86400"),
    (("verify", str(BASIC)), ("--timeout", "0"), "--timeout", "0<x<=86400"),
    (("verify", str(BASIC)), ("--timeout", "nan"), "--timeout", "finite"),
    (("verify", str(BASIC)), ("--timeout", "inf"), "--timeout", "finite"),
    (("verify", str(BASIC)), ("--memory", "10"), "--memory", "32<=x"),
    (("verify", str(BASIC)), ("--workers", "0"), "--workers", "x>=1"),
    (("verify", str(BASIC)), ("--workers", "-1"), "--workers", "x>=1"),
    (("verify", str(BASIC)), ("--reward-scheme", "bogus"), "--reward-scheme", "unknown reward scheme 'bogus'"),
    (("generate", "solutions", str(BASIC)), ("--n", "-1"), "--n", "x>=1"),
    (("generate", "solutions", str(BASIC)), ("--k-shots", "-1"), "--k-shots", "x>=0"),
    (("generate", "solutions", str(BASIC)), ("--limit", "0"), "--limit", "x>=1"),
    (("generate", "solutions", str(BASIC)), ("--limit", "-1"), "--limit", "x>=1"),
    (("generate", "solutions", str(BASIC)), ("--timeout", "inf"), "--timeout", "finite"),
    (("curate", str(BASIC)), ("--workers", "0"), "--workers", "x>=1"),
    (("curate", str(BASIC)), ("--dup-threshold", "2"), "--dup-threshold", "0<=x<=1"),
    (("synth", str(PROBLEM_SETS / "quickstart.toml")), ("--budget", "nan"), "--budget", "finite"),
]


@pytest.mark.parametrize("cmd,opt,name,allowed", BAD_OPTIONS, ids=[" ".join((c[0], *o)) for c, o, _, _ in BAD_OPTIONS])
def test_bad_option_is_one_line_naming_option_and_range_before_the_sandbox(tmp_path, cmd, opt, name, allowed):
    out = tmp_path / "out"
    # No engine answers: had the sandbox been started, this would be exit 3, not 2.
    p = _cli(*cmd, "--out", str(out), *opt, env=_no_engine_env(tmp_path))
    assert p.returncode == errors.EXIT_INPUT, p.stderr
    line = _one_line(p)
    assert f"'{name}'" in line and allowed in line, line
    assert not (out / "results.jsonl").exists()


def test_worker_count_the_machine_cannot_start_is_refused_up_front(tmp_path):
    limit, why = max_workers(512)
    p = _cli("verify", str(BASIC), "--out", str(tmp_path / "o"), "--workers", str(limit + 1),
             env=_no_engine_env(tmp_path))
    assert p.returncode == errors.EXIT_INPUT, p.stderr
    line = _one_line(p)
    assert f"--workers {limit + 1}" in line and f"at most {limit}" in line, line
    # The library refuses it too (the trainer adapters' pool builds a DockerBackend).
    from codesynth.sandbox.docker.backend import DockerBackend

    with pytest.raises(InputError, match=rf"workers {limit + 1}: this machine can start at most {limit}"):
        DockerBackend(workers=limit + 1)
    # The bound follows cores and memory per container.
    assert max_workers(512, cores=2, total_mb=24 * 1024)[0] == 16
    assert max_workers(4096, cores=2, total_mb=8 * 1024)[0] == 1
    assert max_workers(512, cores=64, total_mb=8 * 1024)[0] == int(8 * 1024 * 0.8) // (512 + 192)


# --------------------------------------------------------------------------- outputs and exit codes


def _in_mount_ns(mounts: list[tuple[Path, str]], *argv: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run argv in a private mount namespace where each (path, options) is a fresh tmpfs."""
    script = "set -e\n" + "".join(f"mount -t tmpfs -o {o} tmpfs '{p}'\n" for p, o in mounts) + 'exec "$@"\n'
    for p, _ in mounts:
        p.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("CODESYNTH_CONFIG", None)
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *argv],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


@pytest.fixture()
def dataset_file(tmp_path):
    p = tmp_path / "dataset.jsonl"
    write_models(p, [DatasetRecord(id="p/add::c1", problem_id="p/add", candidate_id="c1", instruction="add",
                                   solution="def add(a, b):\n    return a + b\n", tests="assert add(1, 2) == 3\n",
                                   entry_point="add")])
    return p


def test_read_only_out_is_one_line_exit_5_in_every_command(tmp_path, dataset_file):
    ro = tmp_path / "ro"
    py = [sys.executable, "-m", "codesynth.cli"]
    cases = {
        "verify": [*py, "verify", str(BASIC), "--out", str(ro / "run")],
        "generate": [*py, "generate", "solutions", str(BASIC), "--out", str(ro / "gen")],
        "curate": [*py, "curate", str(dataset_file), "--out", str(ro / "c.jsonl"), "--no-mutation"],
        "export": [*py, "export", str(dataset_file), "--format", "openai", "--out", str(ro / "x.jsonl")],
        "report": [*py, "report", str(dataset_file), "--out", str(ro / "r.json")],
        "synth": [*py, "synth", str(PROBLEM_SETS / "quickstart.toml"), "--out", str(ro / "s")],
    }
    for name, argv in cases.items():
        p = _in_mount_ns([(ro, "ro,size=1m")], *argv, timeout=120)
        assert p.returncode == errors.EXIT_OUTPUT, (name, p.returncode, p.stderr)
        line = _one_line(p)
        assert str(ro) in line and "Read-only file system" in line, (name, line)


def test_out_under_a_file_is_one_line_exit_5(tmp_path, dataset_file):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = _cli("verify", str(BASIC), "--out", str(blocker / "run"), env=_no_engine_env(tmp_path))
    assert p.returncode == errors.EXIT_OUTPUT and str(blocker) in _one_line(p), p.stderr
    p = _cli("export", str(dataset_file), "--format", "alpaca", "--out", str(blocker / "a.json"))
    assert p.returncode == errors.EXIT_OUTPUT and str(blocker) in _one_line(p), p.stderr


def test_full_disk_mid_run_keeps_results_and_exits_5(tmp_path, runner_image):
    small = tmp_path / "small"  # room for a few records of the 51, not all
    kept = tmp_path / "kept"
    script = (f"{sys.executable} -m codesynth.cli verify {BASIC} --out {small}/run --workers 2 --json; rc=$?; "
              f"cp -a {small}/run {kept}; exit $rc")
    p = _in_mount_ns([(small, "size=48k")], "sh", "-c", script)
    assert p.returncode == errors.EXIT_OUTPUT, (p.returncode, p.stderr[-2000:])
    line = _one_line(p)
    assert "No space left on device" in line and "kept" in line, line
    results = read_jsonl(kept / "results.jsonl")  # every line whole
    assert 1 <= len(results) < 51
    # ... and the run continues where it stopped once there is room.
    r = run_cli("verify", str(BASIC), "--out", str(kept), "--resume", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["candidates"] == 51
    check_complete(kept, 51)


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "codesynth.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_containers(proc: subprocess.Popen, timeout: float = 120) -> None:
    owner = f"codesynth.owner={socket.gethostname()}:{proc.pid}"
    end = time.monotonic() + timeout
    while not our_containers(owner):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, "no container started"
        time.sleep(0.2)


@pytest.mark.parametrize("sig,code,word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_sigterm_exits_143_and_ctrl_c_130(tmp_path, runner_image, sig, code, word):
    sol, _ = slow_candidates(tmp_path, per_problem=3)
    out = tmp_path / "run"
    proc = _start(["verify", str(BASIC), "--solutions", str(sol), "--out", str(out), "--workers", "2"])
    _wait_for_containers(proc)
    time.sleep(1.0)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err and f"codesynth: {word}" in err and "--resume" in err, err
    assert not our_containers(f"codesynth.owner={socket.gethostname()}:{proc.pid}")


def test_curate_interrupted_does_not_suggest_resume(tmp_path, runner_image):
    # Distinct slow programs (dedup keeps them all), so mutation testing runs for a while.
    recs = [DatasetRecord(id=f"p/{k}::c", problem_id=f"p/{k}", candidate_id="c", instruction=f"add {k}",
                          solution=f"import time\ntime.sleep(0.3)\ndef f(x):\n    return x + {k}\n",
                          tests=f"assert f(1) == {1 + k}\nassert f(2) == {2 + k}\n", entry_point="f")
            for k in range(1, 21)]
    ds = tmp_path / "d.jsonl"
    write_models(ds, recs)
    proc = _start(["curate", str(ds), "--out", str(tmp_path / "c.jsonl"), "--no-decontam", "--workers", "2"])
    _wait_for_containers(proc)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "codesynth: interrupted" in err and "--resume" not in err and "Traceback" not in err, err


def test_docs_document_the_exit_codes_errors_py_uses():
    page = (ROOT / "docs" / "reference" / "exit-codes.md").read_text()
    table = dict(re.findall(r"^\| `?(\d+)`? \| ([^|]+)\|", page, re.M))
    expected = {
        errors.EXIT_OK: "completed", errors.InputError.exit_code: "bad input",
        errors.SandboxUnavailable.exit_code: "sandbox", errors.EndpointError.exit_code: "endpoint",
        errors.OutputError.exit_code: "not writable", errors.EXIT_INTERRUPTED: "Ctrl-C",
        errors.EXIT_TERMINATED: "SIGTERM",
    }
    for code, word in expected.items():
        assert word in table.get(str(code), ""), (code, table)
    assert len(set(expected)) == 7  # all distinct
    assert "exit 3 for a missing image" not in page
    assert "missing runner image is built on first use" in page


# --------------------------------------------------------------------------- exports


def test_export_extension_mismatch_is_refused(tmp_path, dataset_file):
    for fmt, name, want in (("parquet", "x.jsonl", ".parquet"), ("openai", "x.parquet", ".jsonl or .json"),
                            ("alpaca", "x", ".jsonl or .json")):
        out = tmp_path / name
        p = _cli("export", str(dataset_file), "--format", fmt, "--out", str(out))
        assert p.returncode == errors.EXIT_INPUT, p.stderr
        line = _one_line(p)
        assert str(out) in line and want in line, line
        assert not out.exists()


def test_export_of_an_empty_dataset_is_an_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "x.jsonl"
    p = _cli("export", str(empty), "--format", "openai", "--out", str(out))
    assert p.returncode == errors.EXIT_INPUT, p.stderr
    assert "no records" in _one_line(p) and str(empty) in p.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- problem files


def _lines(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def test_entry_point_that_is_not_an_identifier_fails_at_load(tmp_path):
    p = _lines(tmp_path / "p.jsonl", [GOOD, {**GOOD, "id": "t/2", "entry_point": "not an ident"}])
    with pytest.raises(InputError) as e:
        load_problems(p)
    assert str(e.value) == (f"{p}:2: field 'entry_point': 'not an ident' is not a Python identifier "
                            "(the name of the function the tests call)")
    r = _cli("problems", "validate", str(p))
    assert r.returncode == 2 and f"{p}:2: field 'entry_point'" in _one_line(r)


def test_mbpp_record_whose_code_does_not_parse_fails_at_import(tmp_path):
    rec = {"task_id": 7, "text": "Add one.", "code": "def f(x):\n    return (x + 1\n",
           "test_list": ["assert f(1) == 2"], "test_setup_code": "", "challenge_test_list": []}
    src = _lines(tmp_path / "mbpp.jsonl", [{**rec, "task_id": 6, "code": "def f(x):\n    return x + 1\n"}, rec])
    out = tmp_path / "out.jsonl"
    r = _cli("problems", "import", "mbpp", str(src), "--out", str(out))
    assert r.returncode == 2, r.stderr
    line = _one_line(r)
    assert f"{src}:2: field 'code' of task 7: Python syntax error" in line, line
    assert not out.exists()


def test_latin1_and_binary_files_name_the_line(tmp_path):
    lat = tmp_path / "latin1.jsonl"
    lat.write_bytes((json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "id": "t/é"}, ensure_ascii=False) + "\n")
                    .encode("latin-1"))
    r = _cli("problems", "validate", str(lat))
    assert r.returncode == 2 and f"{lat}:2: not UTF-8 text (byte 0xe9" in _one_line(r), r.stderr
    gz = tmp_path / "latin1.jsonl.gz"
    gz.write_bytes(gzip.compress(lat.read_bytes()))
    with pytest.raises(InputError, match=rf"^{re.escape(str(gz))}:2: not UTF-8"):
        load_problems(gz)
    binary = tmp_path / "bin.jsonl"
    binary.write_bytes(json.dumps(GOOD).encode() + b"\n\x7fELF\x02\x01\x01\x00\x00\x00")
    r = _cli("problems", "validate", str(binary))
    assert r.returncode == 2 and f"{binary}:2: binary data (NUL byte at column 8)" in _one_line(r), r.stderr
    zipped = tmp_path / "zipped.jsonl"  # compressed, but not named .gz
    zipped.write_bytes(gzip.compress(lat.read_bytes()))
    with pytest.raises(InputError, match=rf"^{re.escape(str(zipped))}:1: gzip-compressed data"):
        load_problems(zipped)
    arr = tmp_path / "sanitized.json"  # the MBPP JSON-array layout, latin-1 on line 3
    arr.write_bytes('[\n{"task_id": 1,\n "prompt": "caf\xe9"}\n]\n'.encode("latin-1"))
    r = _cli("problems", "import", "mbpp", str(arr), "--out", str(tmp_path / "o.jsonl"))
    assert r.returncode == 2 and f"{arr}:3: not UTF-8 text" in _one_line(r), r.stderr


def test_json_error_text_has_no_doubled_at(tmp_path):
    p = _lines(tmp_path / "p.jsonl", ['{"id": "t/1", "prompt": "unterminated'])
    with pytest.raises(InputError) as e:
        load_problems(p)
    assert "at at" not in str(e.value)
    assert str(e.value) == f"{p}:1: invalid JSON (Unterminated string starting at column 25)"


# --------------------------------------------------------------------------- adapters


@pytest.fixture()
def shared_pool(docker_backend):
    from codesynth.verifiers import pool

    pool.set_backend(docker_backend)
    yield docker_backend
    pool.set_backend(None)


def test_trl_malformed_problem_column_raises_naming_row_and_column(shared_pool):
    rows = [{"prompt": SQUARE.prompt, "problem_id": SQUARE.id, "problem": problem_spec(SQUARE)} for _ in range(2)]
    rows[1]["problem"] = rows[1]["problem"][:-10]  # a truncated JSON column of the user's own
    f = trl_reward_func()
    with pytest.raises(DataError) as e:
        f(prompts=[r["prompt"] for r in rows], completions=[GOOD_SQUARE, GOOD_SQUARE],
          problem_id=[r["problem_id"] for r in rows], problem=[r["problem"] for r in rows])
    assert "row 1, column 'problem'" in str(e.value) and "invalid JSON" in str(e.value), e.value
    # test code that does not parse is a data bug too, not a runtime error of the candidate
    with pytest.raises(DataError, match=r"row 0, column 'tests': test code does not parse"):
        f(prompts=["p"], completions=[GOOD_SQUARE], tests=["assert square(3) == (9\n"], entry_point=["square"])


def test_verl_unparseable_ground_truth_raises_naming_the_row(shared_pool):
    with pytest.raises(DataError, match=r"reward_model.ground_truth of problem 'a/square'.*invalid JSON"):
        compute_score("codesynth", GOOD_SQUARE, problem_spec(SQUARE)[:-5], {"problem_id": "a/square"})
    rows = to_verl_rows([SQUARE, SQUARE])
    gts = [r["reward_model"]["ground_truth"] for r in rows]
    gts[1] = "{not json"
    with pytest.raises(DataError, match=r"row 1, reward_model.ground_truth"):
        compute_score_batch([r["data_source"] for r in rows], [GOOD_SQUARE] * 2, gts,
                            [{"index": i} for i in range(2)], problems=[SQUARE])
    # a row naming a problem nobody loaded is a data error too, never a reward
    with pytest.raises(DataError, match=r"row 0, problem 'a/square' is not loaded"):
        compute_score_batch(None, [GOOD_SQUARE], [rows[0]["reward_model"]["ground_truth"]], [rows[0]["extra_info"]])


def test_adapter_batch_shape_is_checked(shared_pool):
    f = trl_reward_func([SQUARE])
    with pytest.raises(DataError, match=r"column 'problem_id' has 1 value\(s\) for 2 completion\(s\)"):
        f(prompts=["p", "p"], completions=[GOOD_SQUARE, GOOD_SQUARE], problem_id=[SQUARE.id])
    with pytest.raises(DataError, match=r"unknown problem 'nope'"):
        f(prompts=["p"], completions=[GOOD_SQUARE], problem_id=["nope"])
    with pytest.raises(DataError, match=r"differ in length"):
        compute_score_batch(None, [GOOD_SQUARE, GOOD_SQUARE], [problem_spec(SQUARE)])


# A program that kills the local backend's supervisor (and its zygote): a real infrastructure
# failure, twice (the backend retries once on a fresh supervisor).
KILL_SUPERVISOR = """import os, signal
def _ppid(pid):
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])
zygote = os.getppid()
for pid in (_ppid(zygote), zygote):
    os.kill(pid, signal.SIGKILL)
def square(x):
    return x * x
"""


def test_infrastructure_failure_is_none_for_trl_and_raises_for_verl():
    b = LocalBackend(workers=1, quiet=True)
    b.start()
    try:
        assert score(SQUARE, KILL_SUPERVISOR, backend=b).status is Status.sandbox_error
        rewards = trl_reward_func([SQUARE], backend=b)(
            prompts=["p", "p"], completions=[KILL_SUPERVISOR, GOOD_SQUARE], problem_id=[SQUARE.id] * 2)
        assert rewards == [None, 1.0]  # the row is ignored, not trained on as 0
        strict = trl_reward_func([SQUARE], backend=b, on_sandbox_error="raise")
        with pytest.raises(SandboxUnavailable, match=r"row\(s\) \[0\]"):
            strict(prompts=["p"], completions=[KILL_SUPERVISOR], problem_id=[SQUARE.id])
        with pytest.raises(SandboxUnavailable, match="the sandbox failed"):
            compute_score("codesynth", KILL_SUPERVISOR, problem_spec(SQUARE), None, backend=b)
    finally:
        b.close()


# --------------------------------------------------------------------------- feedback


def test_feedback_prints_the_failing_assert_once_and_whole(docker_backend):
    p = Problem(id="t/list", prompt="", entry_point="f", tests=(
        "def check(candidate):\n    assert candidate(1) == [\n        1,\n        2,\n    ]\n"
        "    assert candidate(2) == [2, 4]\n"),
        private_tests="assert f(3) == [3, 6]\n")  # the check is public: its failures may be shown
    rec = score(p, "def f(x):\n    return [x]\n", backend=docker_backend)
    assert rec.feedback.count("assert candidate(1)") == 1, rec.feedback
    assert "assert candidate(1) == [1, 2]\n  expected: [1, 2]\n  got:      [1]" in rec.feedback, rec.feedback
    assert rec.feedback.startswith("Failed test: check:2\n"), rec.feedback


# --------------------------------------------------------------------------- what the sandbox can import


def test_module_list_is_what_the_runner_image_holds(runner_image):
    code = ("import sys, pkgutil; print(' '.join(sorted((set(sys.builtin_module_names) "
            "| {m.name for m in pkgutil.iter_modules()}) - {'sitecustomize'})))")
    out = subprocess.run(["docker", "run", "--rm", "--network", "none", runner_image, "python3", "-c", code],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()) == MODULES
    assert "numpy" not in MODULES and "json" in MODULES


NUMPYISH = "import pydantic\ndef square(x):\n    return x * x\n"  # on every host codesynth runs on


def test_local_backend_warns_or_refuses_what_the_image_lacks(docker_backend, capfd):
    assert missing_imports(NUMPYISH) == ["pydantic"]
    assert missing_imports("import json, os\nfrom collections import Counter\n") == []
    in_docker = score(SQUARE, NUMPYISH, backend=docker_backend)
    assert in_docker.status is Status.error and "ModuleNotFoundError" in in_docker.feedback
    warn = LocalBackend(workers=1, quiet=True)
    warn.start()
    try:
        assert score(SQUARE, NUMPYISH, backend=warn).passed  # the host has it: verdicts differ...
        assert "imports pydantic, which the sandbox image lacks" in capfd.readouterr().err  # ...and it says so
    finally:
        warn.close()
    refuse = LocalBackend(workers=1, quiet=True, image_imports="refuse")
    refuse.start()
    try:
        r = score(SQUARE, NUMPYISH, backend=refuse)
        assert r.status is in_docker.status and r.failure_category == in_docker.failure_category
        assert "No module named 'pydantic'" in r.feedback
    finally:
        refuse.close()


def test_io_case_problem_spec_still_scores(shared_pool):
    # The stricter spec parsing keeps every well-formed form working.
    rev = Problem(id="a/rev", prompt="reverse", tests=[IOCase(input="ab\n", output="ba\n")])
    assert compute_score("io", "print(input()[::-1])", json.dumps([c.model_dump() for c in rev.tests]))["score"] == 1.0
