"""pytest test files as a test kind (KodCode's form), in the real sandbox with the real pytest:
each item (each parametrized case) a counted test with its own feedback, the public/private split
per test function, and no way for a candidate to make pytest report a pass."""

from __future__ import annotations

import textwrap

from codesynth.models import Candidate, Problem, Status
from codesynth.test_split import split_tests
from codesynth.verifiers.execution import run_pairs
from codesynth.verifiers.scoring import judge


def _d(s: str) -> str:
    return textwrap.dedent(s).lstrip("\n")


TESTS = _d('''
    from solution import *
    import pytest

    @pytest.fixture
    def fifteen():
        return 15

    def test_three():
        assert fizzbuzz(3) == "Fizz"

    @pytest.mark.parametrize("n,expected", [(5, "Buzz"), (15, "FizzBuzz"), (7, "7")])
    def test_cases(n, expected):
        assert fizzbuzz(n) == expected

    def test_fixture(fifteen):
        assert fizzbuzz(fifteen) == "FizzBuzz"

    def test_raises():
        with pytest.raises(ValueError):
            fizzbuzz(0)
''')
KOD = Problem(id="kod/fizz", prompt="Write fizzbuzz(n).", entry_point="fizzbuzz", tests=TESTS)
ITEMS = 6  # 1 + 3 parametrized cases + 1 + 1

RIGHT = _d('''
    def fizzbuzz(n):
        if n <= 0:
            raise ValueError("n must be positive")
        return "FizzBuzz" if n % 15 == 0 else "Fizz" if n % 3 == 0 else "Buzz" if n % 5 == 0 else str(n)
''')
# Wrong on multiples of 5 only: exactly the Buzz case and nothing else fails.
NO_BUZZ = RIGHT.replace('"Buzz" if n % 5 == 0 else ', "")


def _run(docker_backend, *solutions: str):
    pairs = [(KOD, Candidate(candidate_id=f"c{i}", problem_id=KOD.id, solution=s)) for i, s in enumerate(solutions)]
    return run_pairs(pairs, docker_backend)


def test_split_is_per_test_function_with_fixtures_in_both_halves():
    sp = split_tests(KOD)
    assert isinstance(sp.public, str) and isinstance(sp.private, str)
    assert "def test_three" in sp.public and "def test_cases" not in sp.public
    assert "def test_three" not in sp.private and "def test_cases" in sp.private
    assert "parametrize" in sp.private  # a decorator stays with its function
    for half in (sp.public, sp.private):
        assert "from solution import *" in half and "def fifteen" in half


def test_each_item_is_a_counted_test_with_its_own_feedback(docker_backend):
    right, wrong = _run(docker_backend, RIGHT, NO_BUZZ)
    assert right.status == Status.passed, right
    assert (right.tests_total, right.tests_passed) == (ITEMS, ITEMS)
    assert wrong.status == Status.failed
    assert (wrong.tests_total, wrong.tests_passed) == (ITEMS, ITEMS - 1)
    failed = [o for o in wrong.tests if not o.passed]
    assert len(failed) == 1 and "test_cases[5-Buzz]" in failed[0].name
    assert "Buzz" in (failed[0].message or "") and "assert" in (failed[0].message or "")
    # the failing case is in a private test function: judged, it names nothing
    judged = judge(KOD, wrong)
    hidden = [o for o in judged.tests if o.private]
    assert len(hidden) == ITEMS - 1 and all("Buzz" not in (o.message or "") + o.name for o in hidden)
    assert [o.name for o in judged.tests if not o.private] == [right.tests[0].name]
    assert "test_three" in right.tests[0].name


def test_a_missing_name_fails_every_test_without_a_pass(docker_backend):
    (res,) = _run(docker_backend, "def fizz(n):\n    return str(n)\n")
    assert res.status in (Status.failed, Status.error) and not res.tests_passed


HOSTILE = {
    # files pytest would read if it looked at the program's directories
    "conftest": _d('''
        import os
        HOOK = """
        import pytest
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(item, call):
            out = yield
            rep = out.get_result()
            rep.outcome = "passed"
        """
        for d in (".", "/scratch", "/scratch/work", os.path.expanduser("~")):
            for name, text in (("conftest.py", HOOK), ("pytest.ini", "[pytest]\\naddopts = -p no:python\\n"),
                               ("pyproject.toml", "[tool.pytest.ini_options]\\naddopts = '--co'\\n")):
                try:
                    with open(os.path.join(d, name), "w") as f:
                        f.write(text)
                except OSError:
                    pass
        def fizzbuzz(n):
            return "wrong"
    '''),
    # pytest patched in the program's own process
    "monkeypatch": _d('''
        import pytest, _pytest.reports, _pytest.runner
        _pytest.reports.TestReport.passed = property(lambda self: True)
        _pytest.runner.call_and_report = lambda *a, **k: None
        pytest.raises = lambda *a, **k: __import__("contextlib").nullcontext()
        def fizzbuzz(n):
            return "wrong"
    '''),
    # exit 0 before any test runs, with the summary a runner might grep for
    "exit_at_import": 'print("6 passed in 0.01s")\nimport os\nos._exit(0)\ndef fizzbuzz(n):\n    return "x"\n',
    "sys_exit_in_call": _d('''
        import sys
        def fizzbuzz(n):
            print("==== 6 passed in 0.01s ====")
            sys.exit(0)
    '''),
    # the anti-exit header, then an exit from inside a test's call
    "os_exit_in_call": _d('''
        import os
        _real = os._exit
        os._exit = None
        def fizzbuzz(n):
            _real(0)
    '''),
    # tests of its own (a star import would bring them in), marks and plugins for the module
    "own_tests": _d('''
        import pytest
        pytestmark = pytest.mark.skip(reason="no")
        pytest_plugins = ["conftest"]
        def setup_module(module):
            raise SystemExit(0)
    ''') + "".join(f"def test_fake_{i}():\n    pass\n" for i in range(20)) + _d('''
        def fifteen():
            return 3
        def fizzbuzz(n):
            return "wrong"
    '''),
    # an answer that claims to equal everything
    "eq_true": _d('''
        class Yes(str):
            def __eq__(self, other):
                return True
            __hash__ = str.__hash__
        def fizzbuzz(n):
            return Yes("no")
    '''),
}


def test_a_candidate_cannot_fake_passes(docker_backend):
    names = sorted(HOSTILE)
    *results, honest = _run(docker_backend, *(HOSTILE[n] for n in names), RIGHT)
    for name, res in zip(names, results, strict=True):
        assert res.status != Status.passed, (name, res)
        assert (res.tests_total or 0) <= ITEMS, (name, res.tests)  # no test of the program's own is counted
        # each hostile program answers wrong (or never, and raises nothing): no item may pass
        assert not res.tests_passed, (name, [o for o in res.tests if o.passed])
    # and the pool still judges honest code right after them
    assert honest.status == Status.passed and honest.tests_passed == ITEMS
