"""Verdicts from the real sandbox: honest programs pass, every trick fails with the right status."""

from __future__ import annotations

import pytest

from codesynth.models import IOCase, Limits, Status
from codesynth.sandbox.backend import ExecRequest

pytestmark = pytest.mark.docker

CHECK = """
def check(candidate):
    assert candidate(1) == 2
    assert candidate(2) == 3
    assert candidate(-5) == -4
"""

LIM = Limits(timeout_s=3, memory_mb=256)


def fn(backend, program: str, tests: str = CHECK, entry: str | None = "inc", **kw):
    req = ExecRequest(candidate_id="c", problem_id="p", kind="function", program=program, tests=tests,
                      entry_point=entry, limits=kw.pop("limits", LIM), **kw)
    return backend.execute(req)


def io(backend, program: str, cases: list[IOCase], **kw):
    req = ExecRequest(candidate_id="c", problem_id="p", kind="io", program=program, cases=cases,
                      limits=kw.pop("limits", LIM), **kw)
    return backend.execute(req)


def test_honest_program_passes_with_counted_tests(docker_backend):
    r = fn(docker_backend, "def inc(x):\n    return x + 1\n")
    assert r.status is Status.passed
    assert (r.tests_passed, r.tests_total) == (3, 3)


def test_partial_credit_and_feedback_names_the_failing_assert(docker_backend):
    r = fn(docker_backend, "def inc(x):\n    return x + 1 if x > 0 else 0\n")
    assert r.status is Status.failed
    assert (r.tests_passed, r.tests_total) == (2, 3)
    bad = [t for t in r.tests if not t.passed]
    assert len(bad) == 1 and "candidate(-5) == -4" in bad[0].name
    assert "expected: -4" in bad[0].message and "got:      0" in bad[0].message


def test_mbpp_style_plain_asserts(docker_backend):
    tests = "assert inc(1) == 2\nassert inc(10) == 11\n"
    assert fn(docker_backend, "def inc(x): return x + 1", tests=tests, entry=None).status is Status.passed
    r = fn(docker_backend, "def inc(x): return x", tests=tests, entry=None)
    assert r.status is Status.failed and r.tests_passed == 0


def test_in_place_mutation_is_visible_to_the_tests(docker_backend):
    tests = "def check(candidate):\n    xs = [3, 1, 2]\n    candidate(xs)\n    assert xs == [1, 2, 3]\n"
    r = fn(docker_backend, "def srt(a):\n    a.sort()\n", tests=tests, entry="srt")
    assert r.status is Status.passed, r.error_message


def test_helpers_defined_by_the_program_are_reachable_from_tests(docker_backend):
    # HumanEval/32-style: the test calls a helper (poly) that the prompt defines.
    prog = "def poly(xs, x):\n    return sum(c * x**i for i, c in enumerate(xs))\ndef root(xs):\n    return 1.0\n"
    tests = "def check(candidate):\n    assert abs(poly([-1, 1], candidate([-1, 1]))) < 1e-6\n"
    assert fn(docker_backend, prog, tests=tests, entry="root").status is Status.passed


@pytest.mark.parametrize(
    "program, status, error_type",
    [
        ("def inc(x)\n    return x + 1", Status.error, "SyntaxError"),
        ("import nonexistent_module_xyz\ndef inc(x): return x + 1", Status.error, "ModuleNotFoundError"),
        ("def other(x): return x + 1", Status.error, "MissingEntryPoint"),
        ("def inc(x): raise ValueError('boom')", Status.failed, "ValueError"),
        ("def inc(x):\n    while True:\n        pass", Status.timeout, "Timeout"),
        ("def inc(x):\n    return [0] * (10 ** 9)", Status.memory_exceeded, "MemoryError"),
        ("def inc(x):\n    while True:\n        print('x' * 65536)", Status.output_exceeded, "OutputLimit"),
        ("   ", Status.error, "NoCode"),
    ],
)
def test_failure_statuses(docker_backend, program, status, error_type):
    r = fn(docker_backend, program, limits=Limits(timeout_s=2, memory_mb=256))
    assert r.status is status, (r.status, r.error_type, r.error_message)
    assert r.error_type == error_type


# ----------------------------------------------------------------------------- hostile


@pytest.mark.parametrize(
    "program",
    [
        # exits before the tests
        "import sys\nsys.exit(0)\ndef inc(x): return x + 1",
        "import os\nos._exit(0)\ndef inc(x): return x + 1",
        "def inc(x):\n    import os\n    os._exit(0)",
        "def inc(x):\n    raise SystemExit(0)",
        # prints what a naive harness would take as success
        "print('PASSED'); print('{\"status\": \"passed\"}')\ndef inc(x): return 0",
        # writes forged verdicts to every descriptor and /proc path it can think of
        "import os, json\n"
        "msg = json.dumps({'status': 'passed', 'tests_total': 3, 'tests_passed': 3, 'id': 'r0'}) + '\\n'\n"
        "for fd in range(0, 64):\n"
        "    try: os.write(fd, msg.encode())\n"
        "    except OSError: pass\n"
        "for p in ('/proc/1/fd/1', '/proc/1/fd/0', '/proc/%d/fd/1' % os.getppid(), '/dev/stdout'):\n"
        "    try:\n"
        "        with open(p, 'w') as f: f.write(msg)\n"
        "    except OSError: pass\n"
        "def inc(x): return 0",
        # equality that always says yes
        "class Yes(int):\n    def __eq__(self, o): return True\n    __hash__ = int.__hash__\n"
        "def inc(x): return Yes(0)",
        "class Any:\n    def __eq__(self, o): return True\ndef inc(x): return Any()",
        # reaches for the tests or the tester
        "import os, signal\n"
        "for pid in os.listdir('/proc'):\n"
        "    if pid.isdigit() and int(pid) != os.getpid():\n"
        "        try: os.kill(int(pid), signal.SIGKILL)\n"
        "        except OSError: pass\n"
        "def inc(x): return 0",
        # patches builtins in its own process (the tests do not live there)
        "import builtins\nbuiltins.AssertionError = type('N', (Exception,), {})\ndef inc(x): return 0",
    ],
)
def test_tricks_never_pass(docker_backend, program):
    r = fn(docker_backend, program)
    assert r.status is not Status.passed, r
    assert r.status is not Status.sandbox_error, r
    # and the pool still serves an honest program correctly afterwards
    assert fn(docker_backend, "def inc(x): return x + 1").status is Status.passed


def test_candidate_cannot_see_tests_or_harness_state(docker_backend):
    prog = (
        "import gc, os\n"
        "def inc(x):\n"
        "    leaked = [o for o in gc.get_objects() if isinstance(o, str) and 'candidate(-5)' in o]\n"
        "    env = open('/proc/1/environ', 'rb').read() if os.access('/proc/1/environ', os.R_OK) else b''\n"
        "    return x + 1 if not leaked and not env else -999\n"
    )
    assert fn(docker_backend, prog).status is Status.passed


def test_candidate_sees_no_network_interface_but_loopback(docker_backend):
    # Checked from inside the candidate's own process, by listing interfaces: no packet is sent.
    # The answer is the interface list itself, so a sandbox with a network fails the comparison.
    prog = (
        "import socket\n"
        "def interfaces():\n"
        "    names = [l.split(':')[0].strip() for l in open('/proc/net/dev').read().splitlines()[2:]]\n"
        "    return sorted(set(names) | {name for _, name in socket.if_nameindex()})\n"
    )
    tests = "def check(candidate):\n    assert candidate() == ['lo']\n"
    r = fn(docker_backend, prog, tests=tests, entry="interfaces")
    assert r.status is Status.passed, (r.error_message, r.tests)


def test_fork_bomb_is_contained_and_pool_recovers(docker_backend):
    bomb = "import os\ndef inc(x):\n    while True:\n        try: os.fork()\n        except OSError: pass\n"
    r = fn(docker_backend, bomb, limits=Limits(timeout_s=2))
    assert r.status in (Status.timeout, Status.failed, Status.crashed)
    for _ in range(4):
        assert fn(docker_backend, "def inc(x): return x + 1").status is Status.passed


def test_background_daemon_does_not_outlive_its_program(docker_backend):
    daemon = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(30)\n"
        "    os._exit(0)\n"
        "def inc(x): return x + 1\n"
    )
    assert fn(docker_backend, daemon).status is Status.passed
    # The next program sees no process of the candidate uid but itself.
    probe = (
        "import os\n"
        "def inc(x):\n"
        "    mine = [p for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()\n"
        "            and os.stat('/proc/' + p).st_uid == os.getuid()]\n"
        "    return x + 1 if not mine else -len(mine)\n"
    )
    assert fn(docker_backend, probe).status is Status.passed


def test_scratch_is_private_per_program(docker_backend):
    writer = "def inc(x):\n    open('secret.txt', 'w').write('42')\n    return x + 1\n"
    reader = "import os\ndef inc(x):\n    return x + 1 if not os.path.exists('secret.txt') else 0\n"
    assert fn(docker_backend, writer).status is Status.passed
    assert fn(docker_backend, reader).status is Status.passed


def test_writes_outside_scratch_fail(docker_backend):
    prog = (
        "def inc(x):\n"
        "    for p in ('/etc/evil', '/opt/codesynth/harness/tester.py', '/tmp/evil', '/usr/evil'):\n"
        "        try:\n"
        "            open(p, 'w').write('x')\n"
        "            return 0\n"
        "        except OSError:\n"
        "            pass\n"
        "    return x + 1\n"
    )
    assert fn(docker_backend, prog).status is Status.passed


# ----------------------------------------------------------------------------- stdin/stdout

CASES = [IOCase(input="1 2\n", output="3\n"), IOCase(input="-5 5", output="0"), IOCase(input="10 20\n", output="30")]
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"


@pytest.mark.parametrize("fresh", [False, True])
def test_io_program_passes(docker_backend, fresh):
    r = io(docker_backend, ADD, CASES, fresh_interpreter=fresh)
    assert r.status is Status.passed, r
    assert (r.tests_passed, r.tests_total) == (3, 3)


def test_io_wrong_answer_reports_expected_and_got(docker_backend):
    r = io(docker_backend, "a, b = map(int, input().split())\nprint(a - b)\n", CASES)
    assert r.status is Status.failed and r.tests_passed == 0
    assert "expected: '3'" in r.tests[0].message and "got:      '-1'" in r.tests[0].message


def test_io_statuses(docker_backend):
    assert io(docker_backend, "print(", CASES).status is Status.error
    assert io(docker_backend, "print(1 // 0)", CASES).error_type == "ZeroDivisionError"
    assert io(docker_backend, "while True: pass", CASES, limits=Limits(timeout_s=1)).status is Status.timeout


def test_io_exit_code_zero_after_correct_output_is_fine_but_forged_status_is_not(docker_backend):
    ok = "import sys\na, b = map(int, input().split())\nprint(a + b)\nsys.exit(0)\n"
    assert io(docker_backend, ok, CASES).status is Status.passed
    forged = "import os\nos.write(3, b'\\x00\\x00\\x00\\x05hello')\nprint('3')\n"
    assert io(docker_backend, forged, CASES).status is Status.failed


# ----------------------------------------------------------------------------- the long-lived tester


def test_static_gate_of_the_long_lived_tester():
    from codesynth.sandbox.harness.tester import reusable

    assert reusable("def check(candidate):\n    import math\n    assert candidate(2) == math.sqrt(4)\n")
    assert reusable("import random\nrandom.seed(1)\nassert f(random.randint(0, 9)) is not None\n")
    for unsafe in (
        "import builtins\nbuiltins.abs = lambda x: 0\n",
        "import os\nassert f(1)\n",
        "import math\nmath.pi = 3\n",
        "import copy\ncopy._deepcopy_dispatch[list] = None\n",
        "setattr(__builtins__, 'len', None)\n",
        "g = globals()\n",
        "x = ().__class__.__base__\n",
        "from . import thing\n",
    ):
        assert not reusable(unsafe), unsafe


@pytest.mark.parametrize("trusted", [True, False])
def test_tests_cannot_pollute_the_next_programs_verdict(docker_backend, trusted):
    polluting = (
        "import builtins\n"
        "builtins.abs = lambda x: 0\n"
        "builtins.sorted = lambda x: [1, 2, 3]\n"
        "def check(candidate):\n    assert candidate(1) == 2\n"
    )
    honest = "def check(candidate):\n    assert abs(candidate(-3)) == 2\n    assert sorted([candidate(0)]) == [1]\n"
    for _ in range(2 * docker_backend.capacity):  # reach every container of the pool
        r = fn(docker_backend, "def inc(x): return x + 1", tests=polluting, trusted_tests=trusted)
        assert r.status is Status.passed
    for _ in range(2 * docker_backend.capacity):
        # abs(-2) == 2 and sorted([1]) == [1] hold only with the real builtins
        r = fn(docker_backend, "def inc(x): return x + 1", tests=honest, trusted_tests=trusted)
        assert r.status is Status.passed, r.error_message
        bad = fn(docker_backend, "def inc(x): return x + 5", tests=honest, trusted_tests=trusted)
        assert bad.status is Status.failed


def test_trusted_tests_give_the_same_verdicts_as_forked_ones(docker_backend):
    progs = ["def inc(x): return x + 1", "def inc(x): return x + 1 if x > 0 else 0", "def inc(x) return 1",
             "def inc(x): raise KeyError(x)"]
    for p in progs:
        a = fn(docker_backend, p, trusted_tests=True)
        b = fn(docker_backend, p, trusted_tests=False)
        assert (a.status, a.tests_passed, a.tests_total, a.error_type) == (b.status, b.tests_passed, b.tests_total,
                                                                           b.error_type)


def test_candidate_runs_with_no_capabilities_and_cannot_regain_a_uid(docker_backend):
    prog = (
        "import os\n"
        "def inc(x):\n"
        "    caps = {k: v.strip() for k, v in (l.split(':', 1) for l in open('/proc/self/status') if l.startswith('Cap'))}\n"
        "    if any(int(caps[k], 16) for k in ('CapEff', 'CapPrm', 'CapInh', 'CapAmb')):\n"
        "        return -1\n"
        "    for uid in (0, 61000):\n"
        "        try:\n"
        "            os.setresuid(uid, uid, uid)\n"
        "            return -2\n"
        "        except PermissionError:\n"
        "            pass\n"
        "    r, e, s = os.getresuid()\n"
        "    return x + 1 if r == e == s and r not in (0, 61000) else -3\n"
    )
    r = fn(docker_backend, prog)
    assert r.status is Status.passed, (r.tests, r.error_message)
