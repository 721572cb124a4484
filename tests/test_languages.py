"""Languages beyond Python in the real pool: the hostile matrix, language by language.

Every cell runs in a real toolchain container (built by `codesynth sandbox build
--languages all` if missing, several minutes the first time), followed by an honest control
on the same worker (the pool has one). Verdicts come from the host comparing what the
program printed with expected values that never entered the sandbox.
"""

from __future__ import annotations

import json

import pytest
from helpers import LANG_LIMITS
from lang_programs import PROGRAMS

from codesynth.models import Candidate, FailureCategory, Problem, Status
from codesynth.sandbox.backend import build_request
from codesynth.verifiers.rewards import failure_category

pytestmark = pytest.mark.docker

LANGS = sorted(PROGRAMS)
LIM = LANG_LIMITS  # the limits of the `lang_pool` fixture (conftest.py)

ADD = Problem.model_validate({
    "id": "t/add", "prompt": "add", "language": "python",
    "signature": {"name": "add", "params": [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}],
                  "returns": "int"},
    "tests": [{"call": [1, 2], "expect": 3}, {"call": [-5, 5], "expect": 0}, {"call": [0, 0], "expect": 0},
              {"call": [10**12, 1], "expect": 10**12 + 1}],
})
IO_LO = Problem.model_validate({"id": "t/net", "prompt": "net", "tests": [{"input": "", "output": "lo\n"}]})
IO_ZERO = Problem.model_validate({"id": "t/zero", "prompt": "zero", "tests": [{"input": "", "output": "0\n"}]})
IO_ANY = Problem.model_validate({"id": "t/any", "prompt": "any", "tests": [{"input": "", "output": "x\n"}]})


def run(pool, problem: Problem, lang: str, program: str, cid: str = "c"):
    cand = Candidate(candidate_id=cid, problem_id=problem.id, solution=program, language=lang)
    return pool.execute(build_request(problem, cand, LIM))


def control(pool, lang: str) -> None:
    r = run(pool, ADD, lang, PROGRAMS[lang]["correct"], "control")
    assert r.status is Status.passed, (lang, r.status, r.error_type, r.error_message, r.stderr_tail[-500:])


@pytest.mark.parametrize("lang", LANGS)
def test_hostile_matrix(lang_pool, lang):
    p = PROGRAMS[lang]
    cells = []

    def cell(name, problem, expect_status, expect_category=None):
        r = run(lang_pool, problem, lang, p[name], name)
        ok = r.status in (expect_status if isinstance(expect_status, tuple) else (expect_status,))
        if ok and expect_category is not None:
            ok = failure_category(r) is expect_category
        cells.append((name, ok, r.status.value, r.error_type, (r.error_message or "")[:200]))
        control(lang_pool, lang)  # right afterwards, on the same (only) worker
        return r

    r = cell("correct", ADD, Status.passed)
    assert (r.tests_passed, r.tests_total) == (4, 4)
    r = cell("wrong", ADD, Status.failed, FailureCategory.wrong_answer)
    assert r.tests_passed < r.tests_total
    r = cell("compile_error", ADD, Status.error, FailureCategory.compile_error)
    assert r.traceback and len(r.traceback) <= 2100  # the compiler's message, trimmed, as feedback
    cell("loop", ADD, Status.timeout, FailureCategory.timeout)
    r = cell("forged", ADD, (Status.failed,))
    assert r.status is not Status.passed and (r.tests_passed or 0) < r.tests_total
    # contained either way: its processes hit RLIMIT_NPROC (then it spins until the deadline), or
    # the runtime's bookkeeping of them hits the memory limit (node), or the runtime's own warnings
    # about each thread it could not start fill the output limit (the JVM, on a fast machine)
    cell("fork_bomb", IO_ANY, (Status.timeout, Status.failed, Status.crashed, Status.memory_exceeded,
                               Status.output_exceeded))
    cell("memory_bomb", IO_ANY, Status.memory_exceeded, FailureCategory.memory)
    cell("flood", IO_ANY, Status.output_exceeded, FailureCategory.output)
    r = cell("writes", IO_ZERO, Status.passed)  # it printed 0: not one of the writes succeeded
    r = cell("network", IO_LO, Status.passed)  # the only interface it sees is loopback
    bad = [c for c in cells if not c[1]]
    assert not bad, json.dumps(bad, indent=1)


def test_compile_cache_hits_for_repeated_samples(lang_pool):
    """n samples of the same code compile once (one worker: every repeat is a hit)."""
    src = PROGRAMS["cpp"]["correct"] + "// cache probe\n"
    results = [run(lang_pool, ADD, "cpp", src, f"s{i}") for i in range(5)]
    assert all(r.status is Status.passed for r in results), [r.error_message for r in results]
    assert [r.compile_cached for r in results] == [False, True, True, True, True]
    assert results[0].compile_s > 0 and all(r.compile_s == 0 for r in results[1:])


def test_cached_compile_errors_stay_errors(lang_pool):
    src = PROGRAMS["rust"]["compile_error"] + "// probe 2\n"
    a, b = (run(lang_pool, ADD, "rust", src, f"e{i}") for i in range(2))
    assert a.status is b.status is Status.error and a.error_type == b.error_type == "CompileError"
    assert (a.compile_cached, b.compile_cached) == (False, True) and a.traceback == b.traceback


def test_no_process_left_in_the_container(lang_pool):
    from helpers import container_processes, leftover_processes

    for lang in LANGS:  # a fork bomb and daemons per language ran before; one more round
        assert run(lang_pool, IO_ANY, lang, PROGRAMS[lang]["fork_bomb"]).status is not Status.passed
        control(lang_pool, lang)
    name = next(iter(lang_pool._live))
    assert leftover_processes(container_processes(name)) == []


def test_cache_is_not_writable_by_candidates(lang_pool):
    """A candidate cannot plant a binary for a later sample: the cache belongs to the compiler uid."""
    run(lang_pool, ADD, "c", PROGRAMS["c"]["correct"])  # at least one entry exists
    r = run(lang_pool, IO_ZERO, "go", 'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n'
            '\tes, _ := os.ReadDir("/cache")\n\tn := 0\n\tfor _, e := range es {\n'
            '\t\tif f, err := os.OpenFile("/cache/"+e.Name()+"/main", os.O_WRONLY, 0); err == nil {\n'
            '\t\t\tf.Close()\n\t\t\tn++\n\t\t}\n\t}\n\tfmt.Println(n)\n}\n')
    assert r.status is Status.passed, (r.status, r.stdout_tail)


def test_pool_without_the_toolchain_says_which_image_to_build(docker_backend):
    r = run(docker_backend, ADD, "rust", PROGRAMS["rust"]["correct"])
    assert r.status is Status.sandbox_error
    assert "codesynth sandbox build --languages rust" in (r.error_message or "")


def test_python_data_form_runs_in_the_plain_python_pool(docker_backend):
    assert run(docker_backend, ADD, "python", PROGRAMS["python"]["correct"]).status is Status.passed
    r = run(docker_backend, ADD, "python", PROGRAMS["python"]["forged"])
    assert r.status is Status.failed


@pytest.mark.slow
def test_verify_passes_every_reference_in_every_language(tmp_path, lang_pool):
    from helpers import PROBLEM_SETS

    from codesynth.pipeline import VerifyConfig, verify_candidates
    from codesynth.problems import load_problems

    problems = load_problems(PROBLEM_SETS / "multilang.jsonl")
    s = verify_candidates(problems, None, tmp_path / "run", VerifyConfig(progress=False), backend=lang_pool)
    assert s.candidates == 8 * len(problems) >= 160
    assert s.passed == s.candidates, s.counts


def test_cpp_precompiled_headers_change_speed_never_the_verdict(lang_pool):
    """The image's PCH (<bits/stdc++.h>, <vector>...) is used where valid; a program that forgets
    an include still fails as with plain g++, and one whose macros make the PCH invalid still
    compiles from the real header."""
    ok = run(lang_pool, IO_ZERO, "cpp", "#include <bits/stdc++.h>\nint main() { std::vector<int> v{0};"
             " std::sort(v.begin(), v.end()); std::cout << v[0] << std::endl; }\n", "pch-ok")
    assert ok.status is Status.passed, (ok.status, ok.error_message)
    missing = run(lang_pool, IO_ZERO, "cpp", "#include <string>\nint main() { std::vector<int> v{0};"
                  " return v[0]; }\n", "pch-missing")
    assert missing.status is Status.error and failure_category(missing) is FailureCategory.compile_error
    assert "vector" in (missing.traceback or "")
    redefined = run(lang_pool, IO_ZERO, "cpp", "#define _GLIBCXX_ASSERTIONS 1\n#include <vector>\n#include <cstdio>\n"
                    "int main() { std::vector<int> v{0}; std::printf(\"%d\\n\", v[0]); }\n", "pch-macro")
    assert redefined.status is Status.passed, (redefined.status, redefined.error_message)


def test_python_syntax_check_in_the_compile_child(lang_pool):
    """Python's compile step runs in the forked compile child: a syntax error is a compile error
    with python's own message; the checker's `from __future__ import annotations` does not leak
    into the check (under it, a walrus in an annotation is a SyntaxError; in python3 it is not)."""
    r = run(lang_pool, ADD, "python", "def add(a, b)\n    return a + b\n", "py-syntax")
    assert r.status is Status.error and failure_category(r) is FailureCategory.compile_error
    assert "SyntaxError" in (r.traceback or "") and "main.py" in (r.traceback or "")
    future = "x: (y := 1) = 2\n\ndef add(a, b):\n    return a + b * y\n"
    r = run(lang_pool, ADD, "python", future, "py-future")
    assert r.status is Status.passed, (r.status, r.error_message, r.stderr_tail)
