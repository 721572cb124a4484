"""Faithful verdicts: on every honest program (and every wrong variant of it) the sandbox's
verdict equals the verdict of running the solution and its tests in one interpreter.

The expected verdicts are computed here, by exec'ing solution + tests in a fresh host
subprocess per program; nothing is hard-coded. The wrong variants make a harness that
passes everything (or fails everything non-plain) fail this suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from fidelity_programs import PROGRAMS, Prog

from codesynth.models import Limits, Status
from codesynth.sandbox.backend import ExecRequest

_ORACLE = r"""
import json, sys
p = json.loads(sys.stdin.read())
ns = {"__name__": "__main__"}
exec(compile(p["solution"], "solution.py", "exec"), ns)
exec(compile(p["tests"], "tests.py", "exec"), ns)
if p["entry_point"] and callable(ns.get("check")):
    ns["check"](ns[p["entry_point"]])
"""


def in_process_passes(p: Prog) -> bool:
    """The in-process verdict: solution + tests (+ check(entry_point)) in one interpreter."""
    r = subprocess.run([sys.executable, "-I", "-c", _ORACLE], input=json.dumps(p.__dict__), text=True,
                       capture_output=True, timeout=60)
    return r.returncode == 0


@pytest.fixture(scope="module")
def oracle() -> dict[str, bool]:
    with ThreadPoolExecutor(2) as ex:
        return dict(zip([p.name for p in PROGRAMS], ex.map(in_process_passes, PROGRAMS), strict=True))


@pytest.fixture(scope="module")
def verdicts(docker_backend) -> dict:
    def run(p: Prog):
        req = ExecRequest(candidate_id=p.name, problem_id=p.name, kind="function", program=p.solution,
                          tests=p.tests, entry_point=p.entry_point, limits=Limits(timeout_s=10),
                          trusted_tests=True)
        return docker_backend.execute(req)

    with ThreadPoolExecutor(docker_backend.capacity) as ex:
        return dict(zip([p.name for p in PROGRAMS], ex.map(run, PROGRAMS), strict=True))


def test_the_suite_is_large_and_can_fail(oracle):
    assert len(PROGRAMS) >= 150
    honest = [n for n in oracle if "~wrong" not in n]
    # Every honest program passes in-process (else it would not be honest), and enough
    # variants fail that a harness answering "passed" to everything cannot match.
    assert all(oracle[n] for n in honest), [n for n in honest if not oracle[n]]
    assert sum(not ok for ok in oracle.values()) >= 60


@pytest.mark.parametrize("name", [p.name for p in PROGRAMS])
def test_verdict_equals_in_process_verdict(name, oracle, verdicts):
    r = verdicts[name]
    assert r.status is not Status.sandbox_error, r.error_message
    got = r.status is Status.passed
    assert got == oracle[name], (r.status, r.error_type, r.error_message, [t.message for t in r.tests if not t.passed])


def test_forked_tester_agrees_with_the_long_lived_one(docker_backend, verdicts):
    """Untrusted tests run in a forked tester: the same programs, the same verdicts."""
    sample = PROGRAMS[::7]

    def run(p: Prog):
        req = ExecRequest(candidate_id=p.name, problem_id=p.name, kind="function", program=p.solution,
                          tests=p.tests, entry_point=p.entry_point, limits=Limits(timeout_s=10),
                          trusted_tests=False)
        return docker_backend.execute(req)

    with ThreadPoolExecutor(docker_backend.capacity) as ex:
        for p, r in zip(sample, ex.map(run, sample), strict=True):
            a = verdicts[p.name]
            assert (r.status, r.tests_passed, r.tests_total) == (a.status, a.tests_passed, a.tests_total), p.name
