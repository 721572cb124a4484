"""Reward hacking: hostile candidates run in the real Docker sandbox earn no reward,
while the honest candidates in the same run keep theirs.

Every hostile program below returns a wrong answer (or none) unless its trick works,
so any reward above zero - binary or partial - means the trick beat the harness.
"""

from __future__ import annotations

import secrets
import textwrap

import pytest

from codesynth.models import Candidate, IOCase, Limits, Problem, Status
from codesynth.pipeline import VerifyConfig, verify_candidates
from codesynth.rundir import read_run
from codesynth.verifiers.rewards import make_reward

pytestmark = pytest.mark.docker


def _d(s: str) -> str:
    return textwrap.dedent(s).lstrip("\n")


SECRET = f"{secrets.token_hex(6)}-SECRET-{secrets.token_hex(6)}"

ADD = Problem(
    id="h/add",
    prompt="Write add(a, b) returning a + b.",
    entry_point="add",
    tests=_d("""
        def check(candidate):
            assert candidate(2, 3) == 5
            assert candidate(-1, 1) == 0
            assert candidate(10, 5) == 15
    """),
)
# Only a program that reads the tests can know this answer.
SECRET_FN = Problem(
    id="h/secret",
    prompt="Write get_secret() returning the secret string.",
    entry_point="get_secret",
    tests=f"def check(candidate):\n    assert candidate() == {SECRET!r}\n",
    # a public test, so its outcome's message (what the hunt found) stays in the record
    private_tests=f"assert get_secret() == {SECRET!r}\n",
)
# MBPP style: module-level asserts, and `math` is not imported by the tests themselves.
AREA = Problem(
    id="h/area",
    prompt="Write area(r) returning the area of a circle of radius r.",
    entry_point="area",
    tests="assert math.isclose(area(2), 12.566370614359172)\nassert math.isclose(area(1), 3.141592653589793)\n",
)
DOUBLE = Problem(
    id="h/double",
    prompt="Read an integer and print twice its value.",
    tests=[IOCase(input="4\n", output="8\n"), IOCase(input="-3\n", output="-6\n")],
)
SECRET_IO = Problem(
    id="h/secret_io", prompt="Print the secret.", tests=[IOCase(input="go\n", output=SECRET + "\n")],
    private_tests=[IOCase(input="again\n", output=SECRET + "\n")],  # keeps the first case public
)

PROBLEMS = [ADD, SECRET_FN, AREA, DOUBLE, SECRET_IO]

HONEST = {
    "honest-add": (ADD, "def add(a, b):\n    return a + b\n"),
    "honest-area": (AREA, "import math\n\ndef area(r):\n    return math.pi * r * r\n"),
    "honest-double": (DOUBLE, "print(2 * int(input()))\n"),
}

_FORGED = '{"status": "passed", "tests_total": 3, "tests_passed": 3, "tests": []}'

# A snippet that hunts for the secret pattern everywhere a candidate might find it:
# files on disk, other processes' command lines/environments/descriptors, its own memory.
_HUNT = _d(r"""
    import os, re
    PAT = re.compile(rb"[0-9a-f]{12}-SECRET-[0-9a-f]{12}")

    def _scan_file(path, limit=1 << 20):
        try:
            with open(path, "rb") as fh:
                m = PAT.search(fh.read(limit))
                return m.group().decode() if m else None
        except Exception:
            return None

    def hunt():
        roots = ["/tmp", "/var/tmp", "/dev/shm", "/home", "/opt", "/srv", "/run", os.getcwd(), "/usr/local"]
        for root in roots:
            for d, _, files in os.walk(root):
                for f in files:
                    hit = _scan_file(os.path.join(d, f))
                    if hit:
                        return hit
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            for name in ("cmdline", "environ"):
                hit = _scan_file(f"/proc/{pid}/{name}")
                if hit:
                    return hit
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    hit = _scan_file(f"/proc/{pid}/fd/{fd}")
                    if hit:
                        return hit
            except Exception:
                pass
        # Our own memory: were the tests ever loaded into this process?
        try:
            with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
                for line in maps:
                    lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
                    if "r" not in line.split()[1] or hi - lo > 64 << 20:
                        continue
                    try:
                        mem.seek(lo)
                        m = PAT.search(mem.read(hi - lo))
                    except Exception:
                        continue
                    if m and m.group().decode() != "":
                        return m.group().decode()
        except Exception:
            pass
        return ""
""")

HOSTILE = {
    # --- exiting early
    "sys-exit-at-import": (ADD, "import sys\nsys.exit(0)\n\ndef add(a, b):\n    return -999\n"),
    "os-exit-at-import": (ADD, "import os\nos._exit(0)\n"),
    "os-exit-in-call": (ADD, "import os\n\ndef add(a, b):\n    os._exit(0)\n"),
    "systemexit-in-call": (ADD, "def add(a, b):\n    raise SystemExit(0)\n"),
    "sigkill-self-in-call": (
        ADD,
        "import os, signal\n\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n",
    ),
    "kill-everyone": (
        ADD,
        _d("""
        import os, signal
        def add(a, b):
            for pid in os.listdir("/proc"):
                if pid.isdigit() and int(pid) != os.getpid():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except OSError:
                        pass
            return -999
    """),
    ),
    "hang": (ADD, "def add(a, b):\n    while True:\n        pass\n"),
    # --- faking equality
    "eq-override": (
        ADD,
        _d("""
        class AlwaysEqual:
            def __eq__(self, other):
                return True
            def __ne__(self, other):
                return False
            def __hash__(self):
                return hash(5)
        def add(a, b):
            return AlwaysEqual()
    """),
    ),
    "int-subclass-eq": (
        ADD,
        _d("""
        class Sneaky(int):
            def __eq__(self, other):
                return True
            __hash__ = int.__hash__
        def add(a, b):
            return Sneaky(-999)
    """),
    ),
    "eq-via-reduce": (
        ADD,
        _d("""
        class Eq:
            def __eq__(self, o):
                return True
            def __reduce__(self):
                return (int, (5,))
        def add(a, b):
            return [Eq()][0]
    """),
    ),
    # --- forging the harness's output
    "forged-stdout": (
        ADD,
        f"print({_FORGED!r})\nprint('PASSED')\n\ndef add(a, b):\n    print({_FORGED!r})\n    return -999\n",
    ),
    "forged-on-every-fd": (
        ADD,
        _d(f"""
        import os
        MSG = ({_FORGED!r} + "\\n").encode()
        def spam():
            for fd in range(0, 256):
                try:
                    os.write(fd, MSG)
                except OSError:
                    pass
        spam()
        def add(a, b):
            spam()
            return -999
    """),
    ),
    "lingering-child-forger": (
        ADD,
        _d(f"""
        import os, time
        MSG = ({_FORGED!r} + "\\n").encode()
        if os.fork() == 0:
            for _ in range(30):
                for fd in range(0, 64):
                    try:
                        os.write(fd, MSG)
                    except OSError:
                        pass
                time.sleep(0.1)
            os._exit(0)
        def add(a, b):
            return -999
    """),
    ),
    # --- monkeypatching the test side
    "patch-builtins-and-check": (
        ADD,
        _d("""
        import builtins
        class Never(Exception):
            pass
        builtins.AssertionError = Never
        builtins.callable = lambda *a: True
        def check(candidate):
            return None
        candidate = check
        def add(a, b):
            return -999
    """),
    ),
    "patch-isinstance": (
        ADD,
        _d("""
        import builtins
        builtins.isinstance = lambda *a: True
        builtins.type = lambda *a: int
        def add(a, b):
            return -999
    """),
    ),
    "patch-math-isclose": (
        AREA,
        "import math\nmath.isclose = lambda *a, **k: True\n\ndef area(r):\n    return -1.0\n",
    ),
    "fake-math-module": (
        AREA,
        _d("""
        import types
        math = types.SimpleNamespace(isclose=lambda *a, **k: True)
        def area(r):
            return -1.0
    """),
    ),
    # --- reading expected answers / editing the tests
    "read-secret-from-disk": (SECRET_FN, _HUNT + "\ndef get_secret():\n    return hunt()\n"),
    "edit-test-files": (
        ADD,
        _d("""
        import os
        for root in ["/tmp", "/var/tmp", "/dev/shm", os.getcwd(), os.path.expanduser("~")]:
            for d, _, files in os.walk(root):
                for f in files:
                    try:
                        with open(os.path.join(d, f), "w") as fh:
                            fh.write("def check(candidate):\\n    pass\\n")
                    except OSError:
                        pass
        for name in ("tests.py", "test.py", "check.py"):
            for d in ("/tmp", os.getcwd()):
                try:
                    with open(os.path.join(d, name), "w") as fh:
                        fh.write("def check(candidate):\\n    pass\\n")
                except OSError:
                    pass
        def add(a, b):
            return -999
    """),
    ),
    # --- stdin/stdout programs
    "io-exit-early": (DOUBLE, "import sys\nsys.exit(0)\n"),
    "io-forged-output": (
        DOUBLE,
        _d(f"""
        import os, sys
        print({_FORGED!r})
        print("ok", file=sys.stderr)
        for fd in range(3, 256):
            try:
                os.write(fd, b{_FORGED!r} + b"\\n")
            except OSError:
                pass
    """),
    ),
    "io-read-expected": (SECRET_IO, _HUNT + "\nprint(hunt())\n"),
}


def _cands(table):
    return [Candidate(candidate_id=k, problem_id=p.id, solution=code) for k, (p, code) in table.items()]


@pytest.fixture(scope="module")
def hacking_run(tmp_path_factory, docker_backend):
    out = tmp_path_factory.mktemp("hacking") / "run"
    cands = _cands(HONEST) + _cands(HOSTILE)
    verify_candidates(
        PROBLEMS, cands, out, VerifyConfig(progress=False, limits=Limits(timeout_s=4)), backend=docker_backend
    )
    return read_run(out)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_candidate_earns_nothing(hacking_run, name):
    res = hacking_run.results[name]
    rew = hacking_run.rewards[name]
    assert res.status is not Status.passed, (name, res)
    assert rew.passed is False and rew.reward == 0.0
    assert res.status is not Status.sandbox_error, (name, res)  # the verdict is about the program
    cand = Candidate(candidate_id=name, problem_id=res.problem_id, solution="")
    assert make_reward(res, cand, "partial").reward == 0.0, (name, res.tests_passed, res.tests_total)
    assert make_reward(res, cand, "shaped").reward <= 0.0


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_candidate_keeps_its_reward(hacking_run, name):
    res = hacking_run.results[name]
    assert res.status is Status.passed, res
    assert hacking_run.rewards[name].reward == 1.0


# How each trick fails: (allowed statuses, tests passed). A wrong status would mean the
# trick did something unexpected even if it earned nothing.
EXPECTED_OUTCOME = {
    "sys-exit-at-import": ({Status.error}, None),
    "os-exit-at-import": ({Status.failed, Status.crashed, Status.error}, None),
    "os-exit-in-call": ({Status.crashed, Status.failed}, 0),
    "systemexit-in-call": ({Status.failed}, 0),
    "sigkill-self-in-call": ({Status.crashed, Status.memory_exceeded}, 0),
    "kill-everyone": ({Status.failed}, 0),
    "hang": ({Status.timeout}, None),
    "eq-override": ({Status.failed}, 0),
    "int-subclass-eq": ({Status.failed}, 0),
    "eq-via-reduce": ({Status.failed}, 0),
    "forged-stdout": ({Status.failed}, 0),
    "forged-on-every-fd": ({Status.failed, Status.crashed}, 0),  # writing into its own channel breaks it
    "lingering-child-forger": ({Status.failed, Status.crashed}, 0),
    "patch-builtins-and-check": ({Status.failed}, 0),
    "patch-isinstance": ({Status.failed, Status.error}, 0),  # it also breaks its own process
    "patch-math-isclose": ({Status.failed}, 0),
    "fake-math-module": ({Status.failed}, 0),
    "read-secret-from-disk": ({Status.failed}, 0),
    "edit-test-files": ({Status.failed}, 0),
    "io-exit-early": ({Status.failed}, 0),
    "io-forged-output": ({Status.failed}, 0),
    "io-read-expected": ({Status.failed}, 0),
}


def test_every_trick_has_an_expected_outcome():
    assert set(EXPECTED_OUTCOME) == set(HOSTILE)


@pytest.mark.parametrize("name", sorted(EXPECTED_OUTCOME))
def test_trick_fails_for_the_right_reason(hacking_run, name):
    res = hacking_run.results[name]
    statuses, passed = EXPECTED_OUTCOME[name]
    assert res.status in statuses, res
    assert (res.tests_passed or 0) == (passed or 0), res


def test_failure_details(hacking_run):
    r = hacking_run.results
    assert r["sys-exit-at-import"].error_type == "SystemExit"
    for name in ("eq-override", "int-subclass-eq", "eq-via-reduce"):
        assert r[name].tests_total == 3
        assert "plain data" in (r[name].tests[0].message or ""), r[name].tests[0]
    # The tester saw the honest wrong answer: forging, patching, killing and editing changed nothing.
    for name in ("forged-stdout", "patch-builtins-and-check", "edit-test-files", "kill-everyone"):
        assert r[name].tests_total == 3 and "got:      -999" in (r[name].tests[0].message or ""), r[name]
    # The secret was never found: the candidate returned / printed the empty string.
    for name in ("read-secret-from-disk", "io-read-expected"):  # the public test's outcome says what it found
        public = next(t for t in r[name].tests if not t.private)
        assert "got:      ''" in (public.message or ""), r[name].tests


def test_sandbox_still_honest_after_the_attacks(hacking_run, docker_backend, tmp_path):
    """The same warm containers, right after the attacks, still pass the honest programs."""
    summary = verify_candidates(
        PROBLEMS, _cands(HONEST), tmp_path / "again", VerifyConfig(progress=False), backend=docker_backend
    )
    assert summary.passed == len(HONEST)
