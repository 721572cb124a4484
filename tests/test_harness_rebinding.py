"""Programs (and model-written tests) that rebind what the harness relies on after a fork.

An anti-exit header (`os._exit = None`, `sys.exit = None`), a signal handler that raises, an
atexit handler, a thread still printing when the script ends, a finalizer: each must leave the
harness's own way out untouched (it never speaks into the program's stdout, never falls back
into the supervisor's, zygote's or tester's loop) and give exactly the verdict and output
that `python main.py` gives the same program. The reference is a real interpreter run here.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from codesynth.models import IOCase, Limits, Status
from codesynth.sandbox.backend import ExecRequest

pytestmark = pytest.mark.docker

LIM = Limits(timeout_s=5, memory_mb=256)
ANTI_EXIT = "import os, sys, builtins\nos._exit = None\nsys.exit = None\nbuiltins.exit = builtins.quit = None\n"
CHECK = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(41) == 42\n"


def python_run(program: str, stdin: str) -> subprocess.CompletedProcess:
    """What a real `python main.py` does with the program: the verdict the sandbox must match."""
    return subprocess.run([sys.executable, "-c", program], input=stdin, capture_output=True, text=True, timeout=30)


def io(backend, program: str, stdin: str, expected: str, fresh: bool = False):
    req = ExecRequest(candidate_id="c", problem_id="p", kind="io", program=program, limits=LIM,
                      cases=[IOCase(input=stdin, output=expected)], fresh_interpreter=fresh)
    return backend.execute(req)


def fn(backend, program: str, tests: str = CHECK, fresh: bool = False, trusted: bool = True):
    req = ExecRequest(candidate_id="c", problem_id="p", kind="function", program=program, tests=tests,
                      entry_point="inc", limits=LIM, fresh_interpreter=fresh, trusted_tests=trusted)
    return backend.execute(req)


# Each prints the answer only through a path that runs after the script's last line.
HONEST_IO = {
    "anti_exit_header": ANTI_EXIT + "print(int(input()) + 1)\n",
    "anti_exit_then_exit_0": ANTI_EXIT + "print(int(input()) + 1)\nraise SystemExit(0)\n",
    "atexit_handler": "import atexit\nn = int(input())\natexit.register(lambda: print(n + 1))\n",
    "non_daemon_thread": ("import threading, time\nn = int(input())\n"
                          "def late():\n    time.sleep(0.3)\n    print(n + 1)\n"
                          "threading.Thread(target=late).start()\n"),
    "finalizer_at_shutdown": ("class Late:\n    def __del__(self):\n        print(n + 1)\n"
                              "n = int(input())\nkeep = Late()\n"),
    "buffered_stdout_no_newline": "import sys\nsys.stdout.write(str(int(input()) + 1))\n",
    "atexit_after_anti_exit": (ANTI_EXIT + "import atexit\nn = int(input())\n"
                               "atexit.register(lambda: print(n + 1))\n"),
}


@pytest.mark.parametrize("fresh", [False, True], ids=["fork", "fresh"])
@pytest.mark.parametrize("name", sorted(HONEST_IO))
def test_honest_script_ends_as_python_ends_it(docker_backend, name, fresh):
    program = HONEST_IO[name]
    ref = python_run(program, "41\n")
    assert ref.returncode == 0 and ref.stdout.strip() == "42", ref  # the reference really passes
    r = io(docker_backend, program, "41\n", "42\n", fresh=fresh)
    assert r.status is Status.passed, (r.status, r.error_type, r.error_message, r.stdout_tail)
    # Nothing of the harness's protocol reaches the program's stdout.
    assert r.stdout_tail == ref.stdout, r.stdout_tail


@pytest.mark.parametrize("fresh", [False, True], ids=["fork", "fresh"])
def test_a_failing_script_keeps_its_exit_status_after_rebinding(docker_backend, fresh):
    program = ANTI_EXIT + "print(int(input()) + 1)\nraise ValueError('late')\n"
    ref = python_run(program, "41\n")
    assert ref.returncode == 1 and ref.stdout == "42\n"
    r = io(docker_backend, program, "41\n", "42\n", fresh=fresh)
    assert r.status is not Status.passed
    assert r.stdout_tail == "42\n", r.stdout_tail  # no protocol JSON after the answer
    assert r.error_type == "ValueError", (r.error_type, r.error_message)


@pytest.mark.parametrize("fresh", [False, True], ids=["fork", "fresh"])
def test_function_candidates_with_anti_exit_headers_do_not_disturb_the_next_ones(docker_backend, fresh):
    hostile = ANTI_EXIT + "import signal\nsignal.signal(signal.SIGTERM, lambda *a: None)\ndef inc(x):\n    return x + 1\n"
    for _ in range(3):
        r = fn(docker_backend, hostile, fresh=fresh)
        assert r.status is Status.passed, (r.status, r.error_type, r.error_message)
        assert r.stdout_tail == ""
    # Were a child of the zygote or supervisor still alive in its parent's loop, these would
    # see it (a second reader on the same sockets, output in the wrong place).
    for _ in range(4):
        assert fn(docker_backend, "def inc(x):\n    return x\n").status is Status.failed
        assert fn(docker_backend, "def inc(x):\n    return x + 1\n").status is Status.passed


def test_a_raising_signal_handler_cannot_break_the_way_out(docker_backend):
    # An interval timer whose handler raises: every bytecode boundary after the program may
    # raise, including the harness's own exit path.
    storm = ("import signal, os\nos._exit = None\n"
             "def boom(*a):\n    raise SystemExit(3)\n"
             "signal.signal(signal.SIGALRM, boom)\nsignal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)\n")
    for _ in range(3):
        r = io(docker_backend, storm + "print('x')\n", "", "x\n")
        assert "ready" not in (r.stdout_tail or "") and '"status"' not in (r.stdout_tail or ""), r.stdout_tail
        fn(docker_backend, storm + "def inc(x):\n    return x + 1\n")
    for _ in range(4):
        assert fn(docker_backend, "def inc(x):\n    return x\n").status is Status.failed
        assert fn(docker_backend, "def inc(x):\n    return x + 1\n").status is Status.passed
        assert io(docker_backend, "print(int(input()) + 1)", "1\n", "2\n").status is Status.passed


def test_model_written_tests_that_rebind_exits_do_not_leave_a_second_tester(docker_backend):
    # Untrusted (model-written) tests run in a forked tester: their anti-exit header must not
    # send that fork back into the long-lived tester's loop, where it would answer for others.
    rebinding_tests = ANTI_EXIT + CHECK
    for _ in range(3):
        r = fn(docker_backend, "def inc(x):\n    return x + 1\n", tests=rebinding_tests, trusted=False)
        assert r.status is Status.passed, (r.status, r.error_type, r.error_message)
    for trusted in (False, True):
        for _ in range(3):
            assert fn(docker_backend, "def inc(x):\n    return x\n", trusted=trusted).status is Status.failed
            assert fn(docker_backend, "def inc(x):\n    return x + 1\n", trusted=trusted).status is Status.passed
