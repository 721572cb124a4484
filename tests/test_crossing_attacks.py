"""Attacks on the channels that carry rich values (handles, callbacks, lazy iterators,
rebuilt stdlib values), in the real sandbox. Each must fail - never pass, never hang,
never `sandbox_error` - with feedback that names what happened, and the same worker must
then judge honest programs (plain and rich) correctly."""

from __future__ import annotations

import textwrap

import pytest

from codesynth.models import Limits, Status
from codesynth.sandbox.backend import ExecRequest

ADD_TESTS = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
HONEST_ADD = "def add(a, b):\n    return a + b\n"
RICH = textwrap.dedent("""
    from collections import Counter
    def add(a, b):
        return Counter({'sum': a + b})['sum']
    def gen(n):
        yield from range(n)
""")
RICH_TESTS = ADD_TESTS + "    assert list(gen(3)) == [0, 1, 2]\n"
LIM = Limits(timeout_s=10, memory_mb=256)


@pytest.fixture(scope="module")
def worker(runner_image):
    """One container: every control runs where the attack just ran."""
    from codesynth.sandbox.docker.backend import DockerBackend

    b = DockerBackend(workers=1, limits=LIM, image=runner_image, run_id="pytest-crossing")
    b.start()
    yield b
    b.close()


def run(backend, program: str, tests: str, entry: str | None = "add", trusted: bool = True, **kw):
    req = ExecRequest(candidate_id="c", problem_id="p", kind="function", program=textwrap.dedent(program).lstrip(),
                      tests=textwrap.dedent(tests).lstrip(), entry_point=entry, limits=kw.pop("limits", LIM),
                      trusted_tests=trusted, **kw)
    return backend.execute(req)


def feedback(r) -> str:
    return "\n".join([r.error_type or "", r.error_message or ""] + [t.message or "" for t in r.tests])


def controls(backend) -> None:
    for trusted in (True, False):
        r = run(backend, HONEST_ADD, ADD_TESTS, trusted=trusted)
        assert r.status is Status.passed, feedback(r)
        r = run(backend, RICH, RICH_TESTS, trusted=trusted)
        assert r.status is Status.passed, feedback(r)
        r = run(backend, "def add(a, b):\n    return a + b if a > 0 else 99\n", ADD_TESTS, trusted=trusted)
        assert r.status is Status.failed and r.tests_passed == 1


ATTACKS = {
    # --- handles
    "handle-chain-forever": (
        """
        class Node:
            def next(self):
                return Node()
        def add(a, b):
            return Node()
        """,
        """
        def check(candidate):
            n = candidate(2, 3)
            while n is not None:
                n = n.next()
            assert n == 5
        """,
        "objects handed to the tests",
    ),
    "getattr-mints-handles": (
        """
        class Hydra:
            def __getattr__(self, name):
                return Hydra()
        def add(a, b):
            return Hydra()
        """,
        """
        def check(candidate):
            h = candidate(2, 3)
            for _ in range(100000):
                h = h.head
            assert h == 5
        """,
        "objects handed to the tests",
    ),
    "eq-on-handle-says-yes": (
        """
        class Yes:
            def __eq__(self, o): return True
            def __ne__(self, o): return False
            def __hash__(self): return 5
            def __sub__(self, o): return 0
            def __rsub__(self, o): return 0
            def __float__(self): return 5.0
            def __contains__(self, x): return True
        def add(a, b):
            return Yes()
        """,
        """
        def check(candidate):
            assert candidate(2, 3) == 5
            assert abs(candidate(2, 3) - 5) < 1e-9
            assert 5 in candidate(2, 3)
            assert candidate(2, 3) in [5]
            assert {candidate(2, 3): 1} == {5: 1}
        """,
        "remote handle",
    ),
    # --- callbacks
    "callback-storm": (
        """
        def add(a, b, cb=None):
            while True:
                cb(a)
        """,
        """
        def check(candidate):
            assert candidate(2, 3, cb=lambda x: x) == 5
        """,
        "called the tests' functions more than",
    ),
    "callback-nesting-bomb": (
        """
        def add(a, b, cb=None):
            return cb(lambda: add(a, b, cb))
        """,
        """
        def check(candidate):
            assert candidate(2, 3, cb=lambda f: f()) == 5
        """,
        "nested",
    ),
    # --- iterators
    "never-ending-iterator": (
        """
        import itertools
        def add(a, b):
            return itertools.count()
        """,
        """
        def check(candidate):
            assert list(candidate(2, 3)) == [5]
        """,
        "items from the program's iterators",
    ),
    # --- pickling / class tricks on returned values
    "reduce-getstate-class": (
        """
        class Five:
            __class__ = property(lambda self: int)
            def __reduce__(self): return (int, (5,))
            def __reduce_ex__(self, p): return (int, (5,))
            def __getstate__(self): return 5
            def __eq__(self, o): return True
            def __index__(self): return 5
        def add(a, b):
            return Five()
        """,
        """
        def check(candidate):
            assert candidate(2, 3) == 5
            assert isinstance(candidate(2, 3), int)
        """,
        "remote handle",
    ),
    "metaclass-instancecheck": (
        """
        class Meta(type):
            def __instancecheck__(cls, obj): return True
            def __eq__(cls, o): return True
            __hash__ = type.__hash__
        class Liar(metaclass=Meta):
            pass
        def add(a, b):
            return Liar
        """,
        """
        def check(candidate):
            assert candidate(2, 3) == 5
        """,
        "got:",
    ),
    # --- values that change between reads
    "list-iter-lies": (
        """
        class L(list):
            def __iter__(self): return iter([5])
            def __len__(self): return 1
            def __getitem__(self, i): return 5
            def __eq__(self, o): return True
        def add(a, b):
            return L([-999])
        """,
        """
        def check(candidate):
            assert candidate(2, 3) == [5]
            assert candidate(-1, 1) == [0]
        """,
        "plain data",
    ),
    "dict-keys-lie": (
        """
        class D(dict):
            def keys(self): return ['sum']
            def items(self): return [('sum', 5)]
            def __iter__(self): return iter(['sum'])
            def __getitem__(self, k): return 5
        def add(a, b):
            return D(wrong=-999)
        """,
        """
        def check(candidate):
            assert candidate(2, 3) == {'sum': 5}
        """,
        "plain data",
    ),
    "changes-between-reads": (
        """
        class Flip:
            n = 0
            @property
            def value(self):
                Flip.n += 1
                return 5 if Flip.n % 2 else -999
        def add(a, b):
            return Flip()
        """,
        """
        def check(candidate):
            r = candidate(2, 3)
            first = r.value
            assert r.value == first
        """,
        "got:",
    ),
    # --- subclasses whose conversions lie
    "index-float-lie": (
        """
        class I(int):
            def __index__(self): return 5
            def __int__(self): return 5
            def __eq__(self, o): return True
            __hash__ = int.__hash__
        class F(float):
            def __float__(self): return 5.0
            def __eq__(self, o): return True
            __hash__ = float.__hash__
        def add(a, b):
            return I(-999) if a == 2 else F(-999.0)
        """,
        """
        import math
        def check(candidate):
            assert [0, 1, 2, 3, 4, 5][candidate(2, 3)] == 5
            assert math.isclose(candidate(-1, 1), 5.0)
        """,
        "plain data",
    ),
    # --- size and shape
    "deeply-nested": (
        """
        def add(a, b):
            x = 5
            for _ in range(100000):
                x = [x]
            return x
        """,
        ADD_TESTS,
        "nested more than",
    ),
    "shared-reference-bomb": (
        """
        def add(a, b):
            x = [5]
            for _ in range(100):
                x = [x, x]
            return x
        """,
        ADD_TESTS,
        "parts",
    ),
    "huge-answer": (
        """
        def add(a, b):
            return 'x' * (40 << 20)
        """,
        ADD_TESTS,
        "too large",
    ),
    "huge-graph-of-objects": (
        """
        class P:
            pass
        def add(a, b):
            return [P() for _ in range(50000)]
        """,
        ADD_TESTS,
        "objects handed to the tests",
    ),
    # --- patching the harness's world before the tests run
    "patch-builtins": (
        """
        import builtins
        for name in ('isinstance', 'callable', 'type', 'len', 'dict', 'tuple', 'getattr', 'str', 'repr',
                     'issubclass', 'id', 'next', 'iter', 'sorted', 'enumerate', 'range', 'list', 'set'):
            setattr(builtins, name, lambda *a, **k: True)
        def add(a, b):
            return -999
        """,
        ADD_TESTS,
        "got:      -999",
    ),
    "patch-sys-modules-and-marshal": (
        """
        import sys, marshal, os, collections
        forged = marshal.dumps(('ok', 5, []))
        marshal.dumps = lambda *a, **k: forged
        marshal.loads = lambda *a, **k: ('call', 'add', (2, 3), {})
        os.write = lambda fd, data: len(data)
        sys.modules['marshal'] = None
        sys.modules['collections'] = None
        class Yes(dict):
            def __eq__(self, o): return True
        collections.Counter = Yes
        def add(a, b):
            return -999
        """,
        ADD_TESTS,
        "got:      -999",
    ),
    "patch-harness-functions": (
        """
        import gc, sys, marshal
        forged = ('ok', 5, [])
        for o in gc.get_objects():
            if isinstance(o, dict) and 'send_frame' in o and 'recv_frame' in o:
                send = o['send_frame']
                o['send_frame'] = lambda fd, payload, _s=send: _s(fd, marshal.dumps(forged))
            if isinstance(o, dict) and 'CandidateSide' in o:
                o['CandidateSide'].reply = lambda self, value, mutated: marshal.dumps(forged)
        for name in list(sys.modules):
            if name in ('wire', 'crossing', 'candidate', 'tester', 'remote'):
                print('harness module still visible:', name)
        def add(a, b):
            return -999
        """,
        "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n"
        "    assert candidate(10, 5) == 15\n",
        "",
    ),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attack_fails_with_a_clear_reason_and_the_worker_stays_honest(worker, name):
    program, tests, says = ATTACKS[name]
    for trusted in (True, False):
        r = run(worker, program, tests, trusted=trusted, limits=Limits(timeout_s=20, memory_mb=256))
        assert r.status is not Status.passed, (name, feedback(r))
        assert r.status is not Status.sandbox_error, (name, feedback(r))
        assert r.status is not Status.timeout, (name, feedback(r))  # a bound, not the clock, stopped it
        assert (r.tests_passed or 0) < (r.tests_total or 1), (name, feedback(r))
        assert says in feedback(r), (name, feedback(r))
    controls(worker)


def test_patched_builtins_do_not_hide_a_correct_program(worker):
    """The issue's case: a program that replaces builtins is judged on what it really does."""
    prog = (
        "import builtins\n"
        "builtins.isinstance = lambda *a: True\nbuiltins.callable = lambda *a: False\n"
        "builtins.type = lambda *a: int\nbuiltins.abs = lambda x: 0\n"
        "def add(a, b):\n    return a + b\n"
    )
    r = run(worker, prog, ADD_TESTS)
    assert r.status is Status.passed, feedback(r)
    r = run(worker, prog.replace("return a + b", "return a * b"), ADD_TESTS)
    assert r.status is Status.failed and "expected: 5" in feedback(r) and "got:      6" in feedback(r)
    controls(worker)


def test_sigkill_by_the_program_says_it_was_not_a_limit(worker):
    r = run(worker, "import os, signal\ndef add(a, b):\n    os.kill(os.getpid(), signal.SIGKILL)\n", ADD_TESTS)
    assert r.status in (Status.crashed, Status.memory_exceeded), feedback(r)
    if r.status is Status.crashed:
        assert "no limit of the sandbox was reached" in r.error_message, feedback(r)
    controls(worker)


def test_problem_names_must_be_defined(worker):
    tests = "s = Stack()\ns.push(1)\nassert s.pop() == 1\n"
    ok = "class EmptyError(Exception):\n    pass\nclass Stack(list):\n    def push(self, x):\n        self.append(x)\n"
    r = run(worker, ok, tests, entry="Stack", names=["EmptyError"])
    assert r.status is Status.passed, feedback(r)
    r = run(worker, ok.replace("EmptyError", "Other"), tests, entry="Stack", names=["EmptyError"])
    assert r.status is Status.error and r.error_type == "MissingName" and "'EmptyError'" in r.error_message
    controls(worker)


def test_problem_names_are_validated_and_reach_the_request():
    from pydantic import ValidationError

    from codesynth.models import Candidate, Problem
    from codesynth.sandbox.backend import build_request

    p = Problem(id="s", prompt="a stack", entry_point="Stack", names=["EmptyError"], tests="assert Stack()\n")
    req = build_request(p, Candidate(candidate_id="c", problem_id="s", solution="class Stack: pass\n"))
    assert req.names == ["EmptyError"] and req.entry_point == "Stack"
    for bad in (["not a name"], ["class"], ["A", "A"]):
        with pytest.raises(ValidationError, match="names"):
            Problem(id="s", prompt="p", entry_point="f", names=bad, tests="assert f()\n")


def test_io_program_killed_by_itself_says_no_limit_was_reached(worker):
    from codesynth.models import IOCase

    req = ExecRequest(candidate_id="c", problem_id="p", kind="io", limits=LIM,
                      program="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
                      cases=[IOCase(input="1\n", output="1\n")])
    r = worker.execute(req)
    assert r.status in (Status.crashed, Status.memory_exceeded), feedback(r)
    if r.status is Status.crashed:
        assert "no limit of the sandbox was reached" in r.tests[0].message, feedback(r)
    controls(worker)
